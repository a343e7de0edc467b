"""Bulk import of touchpoints from CSV: preview, duplicates, errors per row, chunks and cancel, the dialog."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QFileDialog, QPushButton
from sqlalchemy import func, select

from desktop import timeutil
from desktop import touchpoint_import as ti
from desktop.models import Contact, OutboxEntry, Touchpoint, User
from desktop.store import Store
from tests.conftest import Org, make_customer, run

SHANGHAI = ZoneInfo("Asia/Shanghai")
HENGTONG = "苏州恒通精密机械有限公司"
HEADER_ZH = "客户,渠道,时间,联系人,沟通对象,内容,客户反应,下一步,下一步期限\n"


@pytest.fixture
def customers(store: Store, org: Org) -> dict[str, str]:
    """Two of rep's customers (one with a contact) and one of otherrep's."""
    ids = {
        "hengtong": make_customer(store, org["rep"], HENGTONG, short_name="恒通精机"),
        "wuxi": make_customer(store, org["rep"], "无锡华光电子有限公司", city="无锡"),
        "other": make_customer(store, org["otherrep"], "杭州西湖仪器有限公司", region="浙江", city="杭州"),
    }
    run(store, org["rep"], "contact.add", customer_id=ids["hengtong"], name="张伟", decision_role="decision_maker")
    return ids


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "import.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def touchpoints(store: Store) -> list[Touchpoint]:
    with store.read() as s:
        return list(s.scalars(select(Touchpoint).order_by(Touchpoint.occurred_at)))


def preview(store: Store, user_id: str, path: Path, **kw) -> ti.Preview:
    return ti.preview_file(store, user_id, path, SHANGHAI, **kw)


class Recorder:
    """A progress object that records reports and cancels after ``stop_after`` of them."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.reports: list[tuple[float, str]] = []
        self.stop_after = stop_after

    def set(self, fraction: float, what: str = "") -> bool:
        self.reports.append((fraction, what))
        return self.stop_after is None or len(self.reports) <= self.stop_after


GOOD = HEADER_ZH + (
    "苏州恒通精密机械有限公司,电话,2026-11-20 14:30,张伟,,询问 X200 报价，对交期关心,积极,发送报价单,2026-11-25\n"
    "恒通精机,微信,2026/11/21 09:05:30,,李工,\"发了安装视频, 对方说周一看\",中立,,\n"
    "无锡华光电子有限公司,email,2026-11-22T10:00:00+08:00,,,寄送样本目录,,,\n"
    "无锡华光电子有限公司,发送资料,2026年11月23日 16时05分,,,技术白皮书,negative,再约,2026-11-30 18:00\n"
)


# ---- Reading and importing

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_a_well_formed_file_imports_in_each_encoding(store, org, customers, tmp_path, encoding):
    path = write(tmp_path, GOOD, encoding)
    result_preview = preview(store, org["rep"], path)
    assert [r.status for r in result_preview.rows] == ["ok"] * 4, [r.problems for r in result_preview.rows]
    assert result_preview.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)"}.get(encoding, "GB18030")
    assert [r.row for r in result_preview.rows] == [2, 3, 4, 5]  # spreadsheet rows: the header is row 1

    result = ti.import_rows(store, org["rep"], result_preview)
    assert (result.imported, result.duplicates, result.errors) == (4, 0, 0)
    rows = touchpoints(store)
    assert [t.channel for t in rows] == ["call", "wechat", "email", "file_sent"]
    first = rows[0]
    assert first.customer_id == customers["hengtong"]
    assert first.occurred_at == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai
    assert first.summary == "询问 X200 报价，对交期关心" and first.reaction == "positive"
    assert first.next_step == "发送报价单"
    assert first.next_step_due == datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)  # the end of that local day
    with store.read() as s:
        contact = s.scalars(select(Contact).where(Contact.customer_id == customers["hengtong"])).one()
    assert first.contact_id == contact.id and first.with_whom == "张伟"
    assert rows[1].customer_id == customers["hengtong"]  # matched by its short name
    assert rows[1].summary == "发了安装视频, 对方说周一看" and rows[1].with_whom == "李工"
    assert rows[1].occurred_at == datetime(2026, 11, 21, 1, 5, 30, tzinfo=UTC)
    assert rows[3].occurred_at == datetime(2026, 11, 23, 8, 5, tzinfo=UTC) and rows[3].reaction == "negative"
    assert rows[3].next_step_due == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert all(t.user_id == org["rep"] for t in rows)
    with store.read() as s:  # through the mutation path: one outbox entry per touchpoint
        assert s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.name == "touchpoint.log")) == 4


def test_english_headers_tabs_and_values(store, org, customers, tmp_path):
    text = ("Customer\tChannel\tOccurred_at\tSummary\tReaction\tCall duration\n"
            f"{HENGTONG}\tCall\t2026-11-20 08:00\tfollow-up on the quote\tPositive\t3:20\n")
    result_preview = preview(store, org["rep"], write(tmp_path, text, "utf-16"))
    assert result_preview.encoding == "UTF-16"
    assert result_preview.ignored_columns == ["Call duration"]
    assert result_preview.rows[0].status == "ok"
    assert result_preview.rows[0].args["reaction"] == "positive"


def test_each_bad_row_says_what_is_wrong_in_both_languages_and_nothing_of_it_is_written(
        store, org, customers, tmp_path):
    text = HEADER_ZH + (
        "苏州恒通,电话,2026-11-20 14:30,,,问报价,,,\n"                      # 2 unknown customer
        "无锡华光电子有限公司,传真,2026-11-20 14:30,,,问报价,,,\n"            # 3 bad channel
        "无锡华光电子有限公司,电话,20/11/2026 2pm,,,问报价,,,\n"              # 4 bad time
        "无锡华光电子有限公司,拜访,2026-11-20 14:30,,,上门,,,\n"              # 5 a visit
        "杭州西湖仪器有限公司,电话,2026-11-20 14:30,,,问报价,,,\n"            # 6 not rep's customer
        "无锡华光电子有限公司,电话,2026-11-20 14:30,,,,,,\n"                 # 7 no summary
        "无锡华光电子有限公司,电话,2026-11-20 14:30,王五,,问报价,,,\n"         # 8 not a contact
        "无锡华光电子有限公司,电话,2026-11-20 14:30,,,问报价,,,2026-11-19\n"  # 9 due before it happened
        "无锡华光电子有限公司,电话,2099-01-01 10:00,,,问报价,,,\n"            # 10 in the future
        "无锡华光电子有限公司,电话,2026-11-20 15:30,,,问报价,,,\n"            # 11 fine
    )
    result_preview = preview(store, org["rep"], write(tmp_path, text))
    statuses = {r.row: r.status for r in result_preview.rows}
    assert statuses == {**{n: "error" for n in range(2, 11)}, 11: "ok"}
    by_row = {p.row: p for p in result_preview.problems}
    assert by_row[2].text("zh") == "第 2 行：找不到客户“苏州恒通”"
    assert by_row[2].text("en") == "Row 2: no customer named 苏州恒通"
    assert by_row[2].column == "客户"
    assert by_row[3].column == "渠道" and "传真" in by_row[3].message_zh and "传真" in by_row[3].message_en
    assert by_row[4].column == "时间" and "2026-11-20 14:30" in by_row[4].message_en
    assert "拜访" in by_row[5].message_zh and "visit capture" in by_row[5].message_en
    assert "不在您可记录触点的客户中" in by_row[6].message_zh and "may log" in by_row[6].message_en
    assert by_row[7].column == "内容" and by_row[7].message_en.startswith("What was said")
    assert by_row[8].column == "联系人" and "王五" in by_row[8].message_zh
    assert by_row[9].column == "下一步期限" and "早于" in by_row[9].message_zh
    assert by_row[10].column == "时间" and "future" in by_row[10].message_en
    assert all(p.message_zh != p.message_en for p in by_row.values())

    result = ti.import_rows(store, org["rep"], result_preview)
    assert (result.imported, result.duplicates, result.errors) == (1, 0, 9)
    assert [t.occurred_at for t in touchpoints(store)] == [datetime(2026, 11, 20, 7, 30, tzinfo=UTC)]

    report = tmp_path / "errors.csv"
    assert ti.write_error_report(report, result_preview.problems, "zh") == 9
    lines = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert lines[0] == ["行", "列", "问题"] and lines[1] == ["2", "客户", "找不到客户“苏州恒通”"]
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")  # so that Excel reads it as UTF-8


def test_a_file_that_cannot_be_imported_at_all_is_refused_with_the_reason(store, org, customers, tmp_path):
    with pytest.raises(ti.DomainError) as caught:
        preview(store, org["rep"], write(tmp_path, "客户,内容\n恒通精机,问报价\n"))
    assert "渠道" in caught.value.message_zh and "channel" in caught.value.message_en
    with pytest.raises(ti.DomainError):
        preview(store, org["rep"], write(tmp_path, "\n\n", name="empty.csv"))
    with pytest.raises(ti.DomainError) as caught:  # finance does not log touchpoints
        preview(store, org["finance"], write(tmp_path, GOOD, name="good.csv"))
    assert caught.value.code == "forbidden"


def test_a_comma_outside_quotes_is_caught_not_shifted_into_the_next_column(store, org, customers, tmp_path):
    text = "客户,渠道,时间,内容\n无锡华光电子有限公司,电话,2026-11-20 14:30,问了报价,交期\n"
    row = preview(store, org["rep"], write(tmp_path, text)).rows[0]
    assert row.status == "error" and "双引号" in row.problems[0].message_zh


# ---- Duplicates

def test_importing_the_same_file_twice_adds_nothing_the_second_time(store, org, customers, tmp_path):
    path = write(tmp_path, GOOD)
    assert ti.import_rows(store, org["rep"], preview(store, org["rep"], path)).imported == 4
    again = preview(store, org["rep"], path)
    assert [r.status for r in again.rows] == ["duplicate"] * 4
    assert all(r.duplicate_of == 0 for r in again.rows)
    assert ti.duplicate_note(again.rows[0])[1] == "This touchpoint is already logged; skipped."
    result = ti.import_rows(store, org["rep"], again)
    assert (result.imported, result.duplicates, result.errors) == (0, 4, 0)
    assert len(touchpoints(store)) == 4


def test_a_touchpoint_logged_by_hand_counts_as_a_duplicate(store, org, customers, tmp_path):
    run(store, org["rep"], "touchpoint.log", customer_id=customers["wuxi"], channel="email",
        occurred_at="2026-11-22T02:00:41Z", summary="寄送样本目录")  # same minute as row 4 of GOOD
    rows = preview(store, org["rep"], write(tmp_path, GOOD)).rows
    assert [r.status for r in rows] == ["ok", "ok", "duplicate", "ok"]


def test_duplicates_within_one_file(store, org, customers, tmp_path):
    line = "无锡华光电子有限公司,电话,2026-11-20 14:30,,,问报价,,,\n"
    text = HEADER_ZH + line + line.replace("14:30", "14:30:59") + line.replace("电话", "call") \
        + line.replace("问报价", "问交期")
    result_preview = preview(store, org["rep"], write(tmp_path, text))
    assert [(r.status, r.duplicate_of) for r in result_preview.rows] == [
        ("ok", None), ("duplicate", 2), ("duplicate", 2), ("ok", None)]
    assert ti.duplicate_note(result_preview.rows[1])[0] == "与第 2 行相同，跳过。"
    result = ti.import_rows(store, org["rep"], result_preview)
    assert (result.imported, result.duplicates, result.errors) == (2, 2, 0)


def test_rows_logged_since_the_preview_are_skipped_at_import(store, org, customers, tmp_path):
    result_preview = preview(store, org["rep"], write(tmp_path, GOOD))
    ti.import_rows(store, org["rep"], preview(store, org["rep"], write(tmp_path, GOOD, name="copy.csv")))
    result = ti.import_rows(store, org["rep"], result_preview)
    assert (result.imported, result.duplicates) == (0, 4) and result.late_duplicates == [2, 3, 4, 5]
    assert len(touchpoints(store)) == 4


# ---- Chunks, progress, cancel

def _many(count: int) -> str:
    return HEADER_ZH + "".join(f"无锡华光电子有限公司,电话,2026-11-{1 + i // 600:02d} {8 + i // 60 % 10:02d}:{i % 60:02d},"
                               f",,第 {i} 次电话,,,\n" for i in range(count))


def test_a_cancel_midway_keeps_the_chunks_already_imported(store, org, customers, tmp_path):
    result_preview = preview(store, org["rep"], write(tmp_path, _many(50)))
    assert result_preview.count("ok") == 50
    progress = Recorder(stop_after=2)  # the third report (before the third chunk) asks to stop
    result = ti.import_rows(store, org["rep"], result_preview, progress, chunk_rows=10)
    assert result.cancelled and result.imported == 20 and result.not_attempted == 30
    assert result_preview.count("imported") == 20 and result_preview.count("ok") == 30
    assert len(touchpoints(store)) == 20
    assert [round(f, 2) for f, _ in progress.reports] == [0.0, 0.2, 0.4]
    assert progress.reports[1][1] == "10 of 50 rows imported"
    # Importing the file again picks up where the cancel left off.
    result = ti.import_rows(store, org["rep"], preview(store, org["rep"], write(tmp_path, _many(50))), Recorder())
    assert (result.imported, result.duplicates) == (30, 20)
    assert len(touchpoints(store)) == 50


def test_one_refused_row_does_not_take_its_chunk_with_it(store, org, customers, tmp_path):
    result_preview = preview(store, org["rep"], write(tmp_path, _many(5)))
    result_preview.rows[2].args["customer_id"] = customers["other"]  # a customer rep may not log for
    result = ti.import_rows(store, org["rep"], result_preview)
    assert (result.imported, result.errors) == (4, 1)
    assert result.refused[0].row == 4 and result.refused[0].column == "客户"
    assert result_preview.rows[2].status == "error"
    assert len(touchpoints(store)) == 4


def test_times_are_read_in_the_zone_passed_in():
    assert ti.parse_time("2026-11-20 14:30", SHANGHAI) == (datetime(2026, 11, 20, 6, 30, tzinfo=UTC), True)
    assert ti.parse_time("2026-11-20 14:30", ZoneInfo("Europe/Berlin"))[0] == datetime(2026, 11, 20, 13, 30,
                                                                                       tzinfo=UTC)
    assert ti.parse_time("2026-11-20T14:30:00Z", SHANGHAI)[0] == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert ti.parse_time("2026/1/5 9:05", SHANGHAI)[0] == datetime(2026, 1, 5, 1, 5, tzinfo=UTC)
    assert ti.parse_time("2026-11-20", SHANGHAI) == (datetime(2026, 11, 19, 16, 0, tzinfo=UTC), False)
    assert ti.parse_time("2026-02-30 10:00", SHANGHAI) is None
    assert ti.parse_time("yesterday", SHANGHAI) is None


def test_the_preview_is_a_read_and_writes_nothing(store, org, customers, tmp_path):
    with store.read() as s:
        before = s.scalar(select(func.count()).select_from(OutboxEntry))
    preview(store, org["rep"], write(tmp_path, GOOD), now=timeutil.utcnow())
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == before


# ---- The dialog

@pytest.fixture
def context(qtbot, store, org):
    from ui.context import AppContext

    ctx = AppContext(store, "en")
    with store.read() as session:
        ctx.set_user(session.get(User, org["rep"]))
    yield ctx
    ctx.tasks.shutdown()


def _open_dialog(qtbot, context, path: Path):
    from ui.dialogs.import_dialog import ImportDialog

    dialog = ImportDialog(context, zone=SHANGHAI)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load(str(path))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    return dialog


def test_the_dialog_previews_imports_and_saves_the_error_report(qtbot, context, store, org, customers, tmp_path,
                                                              monkeypatch):
    text = GOOD + "苏州恒通,电话,2026-11-20 14:30,,,问报价,,,\n" + GOOD.splitlines(keepends=True)[1]
    dialog = _open_dialog(qtbot, context, write(tmp_path, text))
    model = dialog.model
    assert model.rowCount() == 6
    statuses = [model.index(r, model.STATUS).data() for r in range(6)]
    assert statuses[:4] == ["OK"] * 4
    assert statuses[4] == "Error: no customer named 苏州恒通"
    assert statuses[5] == "Duplicate: Same as row 2; skipped."
    assert model.index(0, model.TIME).data() == "2026-11-20 14:30"  # in the zone the file was read in
    assert model.index(0, model.CHANNEL).data() == "Call"
    assert dialog.import_button.text() == "Import 4 row(s)" and dialog.import_button.isEnabled()
    assert "1 error" in dialog.counts_label.text()

    report = tmp_path / "report.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(report), "")))
    dialog.save_report_button.click()
    assert list(csv.reader(report.open(encoding="utf-8-sig")))[1] == ["6", "客户", "no customer named 苏州恒通"]

    with qtbot.waitSignal(dialog.sig_imported, timeout=20000) as blocker:
        dialog.import_button.click()
    result = blocker.args[0]
    assert (result.imported, result.duplicates, result.errors) == (4, 1, 1)
    assert len(touchpoints(store)) == 4
    assert not dialog.import_button.isEnabled()
    assert model.index(0, model.STATUS).data() == "Imported"
    assert "4 imported" in dialog.counts_label.text()


def test_the_dialog_shows_a_file_it_cannot_read(qtbot, context, tmp_path):
    from ui.dialogs.import_dialog import ImportDialog

    dialog = ImportDialog(context, zone=SHANGHAI)
    qtbot.addWidget(dialog)
    dialog.load(str(write(tmp_path, "客户,内容\n恒通精机,问报价\n")))
    qtbot.waitUntil(lambda: "channel" in dialog.message_label.text(), timeout=10000)
    assert not dialog.import_button.isEnabled()


def test_the_menu_entry_is_there_for_roles_that_log_touchpoints(qtbot, store, org):
    from PySide6.QtCore import QCoreApplication, QSettings

    from ui.context import AppContext
    from ui.main_window import MainWindow

    QCoreApplication.setOrganizationName("FieldmarkTests")
    QSettings().clear()
    context = AppContext(store, "en")
    window = MainWindow(context, restore_layout=False)
    qtbot.addWidget(window)
    for username, shown in (("rep", True), ("finance", False), ("service", True)):
        with store.read() as s:
            context.set_user(s.scalars(select(User).where(User.username == username)).one())
        assert window.import_action.isVisible() is shown, username
    assert window.import_action.text() == "Import touchpoints from CSV…"
    context.tasks.shutdown()


def test_cancel_in_the_dialog_keeps_what_was_imported(qtbot, context, store, org, customers, tmp_path, monkeypatch):
    dialog = _open_dialog(qtbot, context, write(tmp_path, _many(400)))
    original = ti.import_rows

    def slow_import(store_, user_id, preview_, progress=None, **kw):
        class Slow:
            def set(self, fraction, what=""):
                import time as _time

                _time.sleep(0.02)
                return progress.set(fraction, what)
        return original(store_, user_id, preview_, Slow(), chunk_rows=5, **kw)

    monkeypatch.setattr(ti, "import_rows", slow_import)
    with qtbot.waitSignal(dialog.sig_imported, timeout=30000) as blocker:
        dialog.import_button.click()
        qtbot.waitUntil(lambda: dialog.progress_dialog is not None and dialog.progress_dialog.value() > 50)
        dialog.progress_dialog.findChild(QPushButton).click()
    result = blocker.args[0]
    assert result.cancelled and 0 < result.imported < 400
    assert len(touchpoints(store)) == result.imported
    assert "cancelled" in dialog.counts_label.text().lower()
    assert dialog.import_button.text() == f"Import {400 - result.imported} row(s)"


def test_the_window_stays_live_while_a_large_file_is_read(qtbot, context, customers, tmp_path, monkeypatch):
    import time as _time

    from PySide6.QtCore import QTimer

    from ui.dialogs.import_dialog import ImportDialog

    original = ti.preview_file

    def slow_preview(*args, **kwargs):
        started = _time.monotonic()
        result = original(*args, **kwargs)
        _time.sleep(max(0.0, 0.6 - (_time.monotonic() - started)))  # at least 0.6 s, whatever the machine
        return result

    monkeypatch.setattr(ti, "preview_file", slow_preview)
    path = write(tmp_path, _many(5000))
    dialog = ImportDialog(context, zone=SHANGHAI)
    qtbot.addWidget(dialog)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    ticks_when_read: list[int] = []
    dialog.sig_previewed.connect(lambda _p: ticks_when_read.append(len(ticks)))
    dialog.load(str(path))
    assert dialog.preview is None  # load() returned at once: the file is read on the database thread
    qtbot.waitUntil(lambda: bool(ticks_when_read), timeout=20000)
    timer.stop()
    assert dialog.model.rowCount() == 5000
    assert ticks_when_read[0] >= 10  # a 20 ms timer kept firing during the 0.6 s read


def test_the_example_in_the_import_guide_does_what_the_guide_says(store, org, customers, tmp_path):
    import re

    guide = (Path(__file__).resolve().parent.parent / "docs" / "csv-import.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", guide, re.S).group(1)
    for encoding in ("utf-8", "gbk"):
        rows = preview(store, org["rep"], write(tmp_path, example, encoding, name=f"{encoding}.csv")).rows
        assert [(r.row, r.status) for r in rows] == [(2, "ok"), (3, "ok"), (4, "ok"), (5, "error")]
        assert rows[3].problems[0].text("zh").startswith("第 5 行：拜访不能从文件导入")
        assert rows[1].customer_name == HENGTONG


def test_the_dialogs_counts_and_summary_are_in_chinese(qtbot, qapp, store, org, customers, tmp_path):
    from ui import i18n
    from ui.context import AppContext

    text = GOOD + "苏州恒通,电话,2026-11-20 14:30,,,问报价,,,\n" + GOOD.splitlines(keepends=True)[1]
    i18n.install(qapp, "zh_CN")
    ctx = AppContext(store, "zh_CN")
    try:
        with store.read() as session:
            ctx.set_user(session.get(User, org["rep"]))
        dialog = _open_dialog(qtbot, ctx, write(tmp_path, text))
        assert dialog.counts_label.text() == "文件共 6 行：4 行待导入，1 行重复，1 行有错误"
        with qtbot.waitSignal(dialog.sig_imported, timeout=20000):
            dialog.import_button.click()
        assert dialog.counts_label.text() == "已导入 4 条，跳过重复 1 条，1 行有错误。"
        assert not any(c.isascii() and c.isalpha() for c in dialog.counts_label.text())
    finally:
        ctx.tasks.shutdown()
        i18n.install(qapp, "en")
