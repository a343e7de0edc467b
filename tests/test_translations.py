"""Simplified Chinese and English through Qt's translation system."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QLineEdit, QToolButton, QTreeView
from sqlalchemy import select

import resources
from desktop.models import User
from ui import i18n
from ui.context import AppContext
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
TS = resources.path("translations", "fieldmark_zh_CN.ts")


def test_every_string_in_the_code_has_a_chinese_translation(tmp_path: Path):
    """Re-extract the strings from ui/ into a copy of the .ts: none may be new or unfinished."""
    copy = tmp_path / "check.ts"
    shutil.copy(TS, copy)
    sources = sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    lupdate = shutil.which("pyside6-lupdate") or str(Path(i18n._lrelease()).with_name("lupdate"))
    subprocess.run([lupdate, *sources, "-ts", str(copy), "-no-obsolete"], check=True, capture_output=True,
                   timeout=120)
    root = ET.parse(copy).getroot()
    messages = list(root.iter("message"))
    assert len(messages) > 150
    untranslated = [m.findtext("source") for m in messages
                    if m.find("translation").get("type") == "unfinished"
                    or not "".join(m.find("translation").itertext()).strip()]
    assert untranslated == []


@pytest.fixture
def chinese(qapp):
    i18n.install(qapp, "zh_CN")
    yield
    i18n.install(qapp, "en")


def test_compiled_at_start_from_the_source(qapp, chinese):
    qm = i18n.compiled("zh_CN")
    assert qm is not None and qm.stat().st_size > 1000 and qm.stat().st_mtime >= TS.stat().st_mtime
    assert QCoreApplication.translate("workbench", "My customers") == "我的客户"
    assert QCoreApplication.translate("StatusBar", "%n change(s) waiting to be sent", "", 3) == "3 项修改待发送"


def test_switching_language_relabels_the_open_window(qtbot, store, org):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QSettings().clear()
    context = AppContext(store, "en")
    window = MainWindow(context)
    qtbot.addWidget(window)
    with store.read() as s:
        context.set_user(s.scalars(select(User).where(User.username == "rep")).one())
    assert window.nav.item(0).text() == "My customers"
    window.set_language("zh_CN")
    try:
        qtbot.waitUntil(lambda: window.nav.item(0).text() == "我的客户")  # LanguageChange is posted
        assert [window.nav.item(i).text() for i in range(3)] == ["我的客户", "今日计划", "记录触点…"]
        assert window.status.connection_label.text() == "● 离线"
        assert window.status.last_sync_label.text() == "上次同步：从未"
        assert window.language_menu.title() == "语言(&L)"
        assert QSettings().value(i18n.SETTING) == "zh_CN"
        assert i18n.default_language() == "zh_CN"  # remembered for the next start
    finally:
        window.set_language("en")
    qtbot.waitUntil(lambda: window.nav.item(0).text() == "My customers")
    context.tasks.shutdown()


def test_default_language_follows_a_chinese_system_locale(qapp, monkeypatch):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QSettings().clear()
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("zh_CN")))
    assert i18n.default_language() == "zh_CN"
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("de_DE")))
    assert i18n.default_language() == "en"


def _file_dialog_texts(qtbot) -> dict[str, str]:
    dialog = QFileDialog(None, "CSV")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)  # Qt's own widgets, as on Linux
    qtbot.addWidget(dialog)
    texts = {label.objectName(): label.text() for label in dialog.findChildren(QLabel) if label.objectName()}
    texts["new folder"] = dialog.findChild(QToolButton, "newFolderButton").toolTip()
    tree = dialog.findChild(QTreeView, "treeView")
    texts["size header"] = tree.model().headerData(1, Qt.Orientation.Horizontal)
    return texts


def test_qts_own_dialogs_and_buttons_follow_the_language(qtbot, qapp):
    i18n.install(qapp, "zh_CN")
    try:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.Yes | QDialogButtonBox.StandardButton.No)
        qtbot.addWidget(buttons)
        assert sorted(b.text() for b in buttons.buttons()) == sorted(["确定", "取消", "是(&Y)", "否(&N)"])
        texts = _file_dialog_texts(qtbot)
        # from Qt's catalogue, and (look in, file type, size) from the supplement where Qt's is incomplete
        assert texts["fileNameLabel"] == "文件名称(&N)：" and texts["new folder"] == "新建文件夹"
        assert texts["lookInLabel"] == "查找范围(&L)：" and texts["fileTypeLabel"] == "文件类型(&T)："
        assert texts["size header"] == "大小"
        edit = QLineEdit()
        qtbot.addWidget(edit)
        menu = edit.createStandardContextMenu()
        assert "复制(&C)" in [a.text().split("\t")[0] for a in menu.actions()]
        menu.deleteLater()
    finally:
        i18n.install(qapp, "en")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    assert sorted(b.text() for b in buttons.buttons()) == ["Cancel", "OK"]
    texts = _file_dialog_texts(qtbot)
    assert texts["lookInLabel"] == "&Look in:" and texts["size header"] == "Size"
