"""Visits in the window, driven as a rep and a manager would: evidence added through the same slot the
file picker and drops use, the checklist, refusals in the user's language, drafts that outlive the
dialog and the app, the rules editor. Real widgets, a real database, media made by tests/media_files.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from desktop.models import Attachment, CaptureRule, Touchpoint, User
from desktop.store import open_store
from tests import media_files as mf
from tests.conftest import Org, make_customer
from ui.context import AppContext
from ui.dialogs.rule_dialog import RuleDialog
from ui.dialogs.touchpoint_dialog import TouchpointDialog
from ui.dialogs.visit_dialog import VisitDialog
from ui.pages.todays_plan_page import TodaysPlanPage
from ui.pages.visit_rules_page import VisitRulesPage

NAME = "苏州恒通精密机械有限公司"


@pytest.fixture
def context(qtbot, store, org: Org):
    ctx = AppContext(store, "zh_CN")  # domain messages in Chinese; Qt's own strings stay as written
    yield ctx
    ctx.tasks.shutdown()


def sign_in(context: AppContext, user_id: str) -> None:
    with context.store.read() as session:
        context.set_user(session.get(User, user_id))


def new_visit(qtbot, context: AppContext, customer_id: str) -> VisitDialog:
    """A visit dialog for the customer, with its draft created."""
    dialog = VisitDialog(context, customer_id=customer_id)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.created and dialog.view is not None, timeout=5000)
    return dialog


def add(qtbot, dialog: VisitDialog, paths: list[Path], label: str | None = None) -> list[tuple[str, bool]]:
    """Add files through the picker's and the drop's slot; wait until each is in or refused."""
    done: list[tuple[str, bool]] = []
    dialog.sig_file_done.connect(lambda path, ok: done.append((Path(path).name, ok)))
    dialog.add_files(paths, label)
    qtbot.waitUntil(lambda: len(done) == len(paths) and not dialog.is_busy, timeout=10000)
    qtbot.waitUntil(lambda: dialog.view is not None
                    and len(dialog.view.attachments) == sum(r.attachment is not None for r in dialog.rows))
    return done


def submit(qtbot, dialog: VisitDialog) -> list[str] | None:
    """Press Submit; the broken rules' messages when refused, None when submitted."""
    refused: list[list[str]] = []
    dialog.sig_submit_refused.connect(refused.append)
    submitted: list[object] = []
    dialog.sig_submitted.connect(submitted.append)
    qtbot.waitUntil(dialog.submit_button.isEnabled)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(refused or submitted), timeout=5000)
    return refused[0] if refused else None


def evidence(folder: Path, audio_s: float) -> list[Path]:
    return [mf.photo(folder / "门头.jpg"), mf.photo(folder / "铭牌.jpg", size=(320, 240)),
            mf.wav(folder / f"录音{audio_s:g}.wav", audio_s)]


def visit_row(store, visit_id: str) -> Touchpoint:
    with store.read() as s:
        return s.scalars(select(Touchpoint).where(Touchpoint.id == visit_id)).one()


def test_a_short_recording_is_refused_in_chinese_then_a_long_one_submits(qtbot, context, store, org, tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    dialog.summary_edit.insertPlainText("拜访采购部，确认设备型号")
    dialog.location_edit.setText("苏州工业园区星湖街 328 号")

    assert add(qtbot, dialog, evidence(tmp_path, 62)) == [("门头.jpg", True), ("铭牌.jpg", True), ("录音62.wav", True)]
    labels = sorted((a.filename, a.label) for a in dialog.view.attachments if a.kind == "photo")
    assert labels == [("铭牌.jpg", "nameplate"), ("门头.jpg", "storefront")]  # the missing labels, in order
    audio_row = next(r for r in dialog.rows if r.attachment and r.attachment.kind == "audio")
    assert audio_row.detail_label.text().startswith("1:02")
    qtbot.waitUntil(lambda: all(not r.thumb.pixmap().isNull() for r in dialog.rows
                                if r.attachment and r.attachment.kind == "photo"), timeout=5000)
    assert ("✗ A recording of at least 90 s (longest: 62 s)", False) in dialog.checklist_items()

    problems = submit(qtbot, dialog)
    assert problems == ["录音时长 62 秒，少于要求的 90 秒。"]
    assert "录音时长 62 秒，少于要求的 90 秒" in dialog.problems()
    assert dialog.isVisible() and dialog.summary_edit.toPlainText() == "拜访采购部，确认设备型号"
    row = visit_row(store, dialog.visit_id)
    assert (row.status, row.location, row.summary) == ("draft", "苏州工业园区星湖街 328 号", "拜访采购部，确认设备型号")

    add(qtbot, dialog, [mf.wav(tmp_path / "长录音.wav", 95)])
    qtbot.waitUntil(lambda: all(met for _text, met in dialog.checklist_items()))
    assert submit(qtbot, dialog) is None
    assert not dialog.isVisible() and visit_row(store, dialog.visit_id).status == "submitted"

    # Opened again it is read-only; a correction is a new draft that names it.
    again = VisitDialog(context, visit_id=dialog.visit_id)
    qtbot.addWidget(again)
    again.open()
    qtbot.waitUntil(lambda: again.view is not None)
    assert again.summary_edit.isReadOnly() and again.submit_button.isHidden() and again.add_button.isHidden()
    assert not again.correction_button.isHidden() and len(again.view.attachments) == 4
    correction = again.record_correction()
    qtbot.addWidget(correction)
    qtbot.waitUntil(lambda: correction.created and correction.view is not None, timeout=5000)
    amended = visit_row(store, correction.visit_id)
    assert (amended.amends_id, amended.status, amended.summary) == (dialog.visit_id, "draft", "拜访采购部，确认设备型号")


def test_dropped_files_are_added_and_a_fake_recording_is_refused_by_name(qtbot, context, store, org, tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    fake = tmp_path / "会议.m4a"
    fake.write_text("这是一段文字，不是录音")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(mf.photo(tmp_path / "门头.jpg"))), QUrl.fromLocalFile(str(fake))])
    done: list[tuple[str, bool]] = []
    dialog.sig_file_done.connect(lambda path, ok: done.append((Path(path).name, ok)))
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(dialog, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(dialog, drop)
    qtbot.waitUntil(lambda: len(done) == 2 and not dialog.is_busy, timeout=10000)

    assert done == [("门头.jpg", True), ("会议.m4a", False)]
    [failed] = dialog.failed_rows()
    assert "会议.m4a" in failed.error_label.text() and "无法使用" in failed.error_label.text()
    qtbot.waitUntil(lambda: dialog.view is not None and len(dialog.view.attachments) == 1)
    with store.read() as s:
        assert list(s.scalars(select(Attachment.filename))) == ["门头.jpg"]
    qtbot.mouseClick(failed.remove_button, Qt.MouseButton.LeftButton)  # dismiss the refused file
    qtbot.waitUntil(lambda: not dialog.failed_rows())


def test_a_recording_whose_header_lies_shows_both_lengths_and_a_phone_amr_is_taken(qtbot, context, store, org,
                                                                                    tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    piped = mf.ffmpeg_to_pipe(mf.sox_wav(tmp_path / "20s.wav", 20), tmp_path / "会议录音.wav", "-ar", "44100", "-ac",
                              "1", "-f", "wav")
    phone = mf.ffmpeg(mf.sox_convert(mf.sox_wav(tmp_path / "src.wav", 5), tmp_path / "x.amr", "-r", "8000", "-t",
                                     "amr-nb"), tmp_path / "手机录音.3gp", "-c:a", "copy")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(piped)), QUrl.fromLocalFile(str(phone))])
    done: list[tuple[str, bool]] = []
    dialog.sig_file_done.connect(lambda path, ok: done.append((Path(path).name, ok)))
    QApplication.sendEvent(dialog, QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                                                   Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(dialog, QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: len(done) == 2 and not dialog.is_busy, timeout=10000)

    assert done == [("会议录音.wav", False), ("手机录音.3gp", True)]
    [failed] = dialog.failed_rows()
    assert failed.error_label.isVisibleTo(dialog)
    assert failed.error_label.text() == "文件“会议录音.wav”无法使用：录音文件已损坏：文件头声称 13 小时 31 分，实际内容 20 秒。"
    qtbot.waitUntil(lambda: dialog.view is not None and len(dialog.view.attachments) == 1)
    with store.read() as s:
        assert [(a.filename, a.mime) for a in s.scalars(select(Attachment))] == [("手机录音.3gp", "audio/3gpp")]


def test_a_draft_outlives_the_dialog_and_the_app(qtbot, context, store, org, tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    add(qtbot, dialog, [mf.photo(tmp_path / "门头.jpg")], "storefront")
    dialog.location_edit.setText("星湖街 328 号")
    dialog.summary_edit.insertPlainText("设备运行正常，客户考虑增购")
    dialog.reject()  # Close: what was typed is saved first
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)

    again = open_store(store.path)  # the app started again on the same data folder
    later = AppContext(again, "en")
    try:
        sign_in(later, org["rep"])
        plan = TodaysPlanPage(later)
        qtbot.addWidget(plan)
        qtbot.waitUntil(lambda: len(plan.drafts) == 1, timeout=5000)
        assert plan.drafts_table.item(0, 0).text() == NAME and plan.drafts_table.item(0, 3).text() == "1"
        plan._open_draft(0)
        resumed = next(w for w in QApplication.topLevelWidgets()
                       if isinstance(w, VisitDialog) and w.context is later and w.isVisible())
        qtbot.waitUntil(lambda: resumed.view is not None, timeout=5000)
        assert (resumed.location_edit.text(), resumed.summary_edit.toPlainText()) == (
            "星湖街 328 号", "设备运行正常，客户考虑增购")
        assert [(a.filename, a.label) for a in resumed.view.attachments] == [("门头.jpg", "storefront")]
        assert not resumed.summary_edit.isReadOnly() and resumed.submit_button.isEnabled()
        resumed.close()
    finally:
        later.tasks.shutdown()
        again.close()


def test_a_manager_raises_the_minimum_and_a_95_s_visit_is_refused(qtbot, context, store, org, tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["manager"])
    page = VisitRulesPage(context)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: len(page.rules) == 1)
    assert page.table.item(0, 2).text() == "≥ 90 s" and page.table.item(0, 7).text() == "—"

    dialog = page.edit(0)
    assert isinstance(dialog, RuleDialog)
    qtbot.addWidget(dialog)
    assert dialog.labels.value() == ["storefront", "nameplate"] and dialog.min_audio.value() == 90
    # The default rule cannot be switched off: said next to "Active", nothing typed is lost.
    dialog.min_audio.spin_box.setValue(120)
    dialog.active_box.setChecked(False)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_saving and dialog.errors.label("active").isVisibleTo(dialog))
    assert dialog.errors.message("active") == "默认规则不能停用。" and dialog.min_audio.value() == 120
    dialog.active_box.setChecked(True)
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.item(0, 2).text() == "≥ 120 s")
    assert page.table.item(0, 7).text() == "1" and page.table.item(0, 8).text().startswith("Manager")
    with store.read() as s:
        assert s.scalars(select(CaptureRule.min_audio_s)).one() == 120

    sign_in(context, org["rep"])
    visit = new_visit(qtbot, context, customer_id)
    visit.summary_edit.insertPlainText("复查设备")
    add(qtbot, visit, evidence(tmp_path, 95))
    assert submit(qtbot, visit) == ["录音时长 95 秒，少于要求的 120 秒。"]
    assert visit.isVisible() and visit_row(store, visit.visit_id).status == "draft"


def test_a_recording_plays_and_stops_without_an_audio_device(qtbot, context, store, org, tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    add(qtbot, dialog, [mf.wav(tmp_path / "录音.wav", 3)])
    [row] = dialog.rows
    assert not row.play_button.isHidden()
    qtbot.mouseClick(row.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.is_playing, timeout=5000)  # FFmpeg keeps time even with no device
    assert row.play_button.text() == "Stop"
    qtbot.mouseClick(row.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_playing and row.play_button.text() == "Play", timeout=5000)
    dialog.close()


def test_choosing_visit_in_the_touchpoint_dialog_continues_as_a_visit(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    touchpoint = TouchpointDialog(context, customer_id=customer_id)
    qtbot.addWidget(touchpoint)
    touchpoint.open()
    qtbot.waitUntil(lambda: touchpoint.is_ready)
    touchpoint.summary_edit.insertPlainText("现场查看设备铭牌")
    touchpoint.next_step_edit.setText("寄样品")
    index = touchpoint.channel_combo.findData("visit")
    touchpoint.channel_combo.setCurrentIndex(index)
    touchpoint.channel_combo.activated.emit(index)  # as a user's choice announces itself
    visit = next(w for w in QApplication.topLevelWidgets() if isinstance(w, VisitDialog) and w.isVisible())
    qtbot.addWidget(visit)
    qtbot.waitUntil(lambda: visit.created and visit.view is not None, timeout=5000)
    assert not touchpoint.isVisible()
    assert (visit.summary_edit.toPlainText(), visit.next_step_edit.text()) == ("现场查看设备铭牌", "寄样品")
    row = visit_row(store, visit.visit_id)
    assert (row.channel, row.status, row.summary, row.next_step) == ("visit", "draft", "现场查看设备铭牌", "寄样品")


# ---- large, damaged and cancelled files


def test_a_file_over_the_limit_is_refused_with_its_size_and_nothing_typed_is_lost(qtbot, context, store, org,
                                                                                  tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    dialog.summary_edit.insertPlainText("拜访采购部，带了展会录像")
    huge = tmp_path / "展会录像.wav"
    with huge.open("wb") as f:
        f.truncate(700 * 1024 * 1024)  # sparse: no disk used

    assert add(qtbot, dialog, [huge]) == [("展会录像.wav", False)]
    [row] = dialog.failed_rows()
    assert row.error_label.text() == ("文件“展会录像.wav”无法使用：文件大小 700 MB，超过了 500 MB 的上限。"
                                      "请压缩或分段后再添加。")
    assert list(store.blobs.kept()) == [] and list(store.blobs.leftovers()) == []  # nothing was copied
    assert dialog.summary_edit.toPlainText() == "拜访采购部，带了展会录像"


def test_a_large_file_shows_how_much_is_copied(qtbot, context, store, org, tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    recording = mf.wav(tmp_path / "长录音.wav", 700, rate=16000)  # about 22 MB
    values: list[int] = []
    done: list[bool] = []
    dialog.sig_file_done.connect(lambda _path, ok: done.append(ok))
    dialog.add_files([recording])
    row = dialog.rows[-1]
    row.busy.valueChanged.connect(values.append)
    qtbot.waitUntil(lambda: done == [True] and not dialog.is_busy, timeout=10000)
    assert values and values == sorted(values) and values[-1] == 1000  # 0..1000: the fraction copied
    assert len(values) >= 10


def test_cancel_stops_a_file_on_its_way_in_and_keeps_nothing(qtbot, context, store, org, tmp_path):
    import threading

    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    recording = mf.wav(tmp_path / "长录音.wav", 700, rate=16000)
    hold = threading.Event()
    context.tasks.run_db(lambda _store: hold.wait(10), lambda _f: None)  # the database thread is busy
    done: list[bool] = []
    dialog.sig_file_done.connect(lambda _path, ok: done.append(ok))
    dialog.add_files([recording])
    row = dialog.rows[-1]
    qtbot.waitUntil(row.remove_button.isVisible)
    assert row.remove_button.text() == "Cancel"
    qtbot.mouseClick(row.remove_button, Qt.MouseButton.LeftButton)  # the window answers at once
    assert row.detail_label.text() == "Cancelling…"
    hold.set()
    qtbot.waitUntil(lambda: done == [False] and not dialog.is_busy, timeout=10000)
    assert row not in dialog.rows and dialog.view.attachments == ()
    assert list(store.blobs.kept()) == [] and list(store.blobs.leftovers()) == []


def _damage(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\x00" * 64)


def test_a_damaged_photo_is_shown_as_damaged_and_adding_the_original_again_repairs_it(qtbot, context, store, org,
                                                                                      tmp_path):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = new_visit(qtbot, context, customer_id)
    photo = mf.photo(tmp_path / "门头.jpg")
    add(qtbot, dialog, [photo])
    [attachment] = dialog.view.attachments
    dialog.save_draft()
    qtbot.waitUntil(lambda: not dialog.is_busy)
    dialog.close()
    _damage(store.blobs.path(attachment.sha256))

    again = VisitDialog(context, visit_id=dialog.visit_id)
    qtbot.addWidget(again)
    again.open()
    qtbot.waitUntil(lambda: again.view is not None and bool(again.rows))
    [row] = again.rows
    assert again.view.attachments[0].damaged
    assert not row.error_label.isHidden() and row.error_label.text().startswith("Damaged:")
    assert not row.repair_button.isHidden()

    done: list[tuple[str, bool]] = []
    again.sig_file_done.connect(lambda path, ok: done.append((Path(path).name, ok)))
    again.repair_file(row, mf.photo(tmp_path / "别的.jpg", size=(100, 80)))  # not the original
    qtbot.waitUntil(lambda: done == [("别的.jpg", False)] and not again.is_busy)
    assert "“别的.jpg”不是“门头.jpg”的原文件" in row.error_label.text()

    assert add(qtbot, again, [photo]) == [("门头.jpg", True)]  # the original, as the user would add it
    qtbot.waitUntil(lambda: len(again.rows) == 1 and not again.view.attachments[0].damaged)
    [row] = again.rows
    assert row.error_label.isHidden() and row.repair_button.isHidden()
    assert store.blobs.path(attachment.sha256).read_bytes() == photo.read_bytes()
    assert [a.id for a in again.view.attachments] == [attachment.id]  # the same attachment, no second one
