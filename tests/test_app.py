"""The desktop app as a user starts it: the command line, the first window, search, start-up errors."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from desktop import __version__
from desktop.store import open_store
from ui import startup


def test_version_flag_answers_without_starting_qt():
    out = subprocess.run([sys.executable, "-m", "ui.app", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"fieldmark {__version__}"


def test_screenshot_of_a_new_data_folder_seeds_demo_data(tmp_path: Path):
    shot = tmp_path / "window.png"
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "ui.app", "--data-dir", str(data), "--screenshot", str(shot)],
                   check=True, timeout=120, capture_output=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with sqlite3.connect(data / "fieldmark.db") as db:
        assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 300
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] >= 8


def test_a_database_from_a_newer_version_is_refused_with_a_message(qtbot, tmp_path: Path, monkeypatch):
    open_store(tmp_path / "fieldmark.db").close()
    with sqlite3.connect(tmp_path / "fieldmark.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    args = argparse.Namespace(data_dir=tmp_path, no_demo=True, screenshot=None, lang=None)
    opened = []
    startup.open_database(args, "en_US", opened.append)
    assert opened == [None]  # refused at once: no progress window, nothing upgraded
    assert len(shown) == 1 and "newer Fieldmark" in shown[0][1] and "upgrade" in shown[0][1]


def test_cjk_font_is_registered(qtbot):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    startup.load_cjk_font(app)
    assert any("WenQuanYi" in family for family in app.font().families())
