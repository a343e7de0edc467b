"""Import rules between the top-level packages, and what the installed package ships."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> list[tuple[str, str]]:
    """(file, imported top-level module) for every import in a package's source."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("package, forbidden", [
    ("desktop", {"PySide6", "qasync", "ui", "sync", "requests"}),
    ("sync", {"PySide6", "qasync", "ui"}),
])
def test_core_layers_know_no_screen(package: str, forbidden: set[str]):
    offenders = [(f, m) for f, m in _imports(package) if _top(m) in forbidden]
    assert offenders == []


def test_migrations_import_only_the_models_from_our_code():
    """The models, and desktop.migrate for its progress hook (report, in_batches), which does nothing
    outside a start-up upgrade."""
    ours = {"desktop", "ui", "sync", "migrations", "resources"}
    allowed = {"desktop.models", "desktop.migrate"}
    offenders = [(f, m) for f, m in _imports("migrations") if _top(m) in ours and m not in allowed]
    assert offenders == []


def test_the_check_itself_sees_imports():
    assert ("desktop/store.py", "sqlalchemy") in _imports("desktop")


def test_wheel_ships_migrations_fonts_and_entry_point(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("fieldmark-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("migrations/env.py", "migrations/script.py.mako", "migrations/versions/0001_core_tables.py",
                     "migrations/versions/0002_segments_and_search.py", "resources/fonts/wqy-microhei.ttc",
                     "desktop/models.py", "ui/app.py"):
        assert expected in names, expected
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "fieldmark = ui.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith("tests/") for n in names)
