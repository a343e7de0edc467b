"""The Sync problems page in words: titles, labels and values as the user knows them, never an id, a hash,
a stored code or a UTC time; Send again queues a refused change once more (the server's answers come
through desktop.remote.mark_results, the code path a real push takes; tests/test_sync_ui.py sends
again through a real server)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QTableWidget
from sqlalchemy import select

from desktop import evidence_files, integrity, mutations, remote, rows, timeutil
from desktop.errors import DomainError
from desktop.models import OutboxEntry, User
from desktop.store import Store
from tests import media_files as mf
from tests.conftest import local_time_zone, make_customer, run
from ui import i18n
from ui.context import AppContext
from ui.pages.sync_problems_page import SyncProblemsPage

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
HEX64 = re.compile(r"\b[0-9a-f]{64}\b", re.IGNORECASE)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|Z\b|\+00:00")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # touchpoint_id, decision_role, key_account...
UNREADABLE = {"code": "unreadable_file", "field": "sha256", "message_zh": "服务器无法读取此录音文件。",
              "message_en": "The server could not read this recording."}
FORBIDDEN = {"code": "forbidden", "field": None, "message_zh": "您的角色无权修改此客户。",
             "message_en": "Your role may not change this customer."}
CHECK_IN = timeutil.utcnow().replace(second=0, microsecond=0) - timedelta(hours=2)


@pytest.fixture
def page_of(qapp, qtbot, store: Store):
    made: list[AppContext] = []

    def make(user_id: str, language: str = "en") -> SyncProblemsPage:
        i18n.install(qapp, language)
        context = AppContext(store, language)
        with store.read() as session:
            context.user = session.get(User, user_id)
        made.append(context)
        page = SyncProblemsPage(context)
        qtbot.addWidget(page)
        page.resize(1000, 900)
        page.show()
        return page

    yield make
    for context in made:
        context.tasks.shutdown()
    i18n.install(qapp, "en")


def entry(store: Store, seq: int) -> OutboxEntry:
    with store.read() as s:
        return s.get(OutboxEntry, seq)


def answer(outcome_or_entry, status: str, error: dict | None = None) -> dict:
    result = {"seq": outcome_or_entry.seq, "mutation_id": outcome_or_entry.mutation_id, "status": status}
    if error is not None:
        result["error"] = error
    return result


def refused_recording_and_edit(store: Store, org, tmp_path) -> dict:
    """A visit with a recording the server could not read, and a customer edit it refused."""
    rep = org["rep"]
    customer = make_customer(store, rep, "南京佳美电子科技有限公司", segment="key_account", credit_limit="500000")
    visit = run(store, rep, "visit.save", customer_id=customer, check_in_at=timeutil.to_text(CHECK_IN),
                visit_type="demo", summary="演示新设备").changes.entity_id
    amr = mf.sox_convert(mf.sox_wav(tmp_path / "tone.wav", 5, rate=8000), tmp_path / "visit95.amr",
                         "-r", "8000", "-t", "amr-nb")
    added = evidence_files.add(store.blobs, amr)
    recording = mutations.run(store, rep, "attachment.add", {"touchpoint_id": visit, "sha256": added.sha256,
                                                            "filename": "visit95.amr", "label": "other"})
    edit = run(store, rep, "customer.update", id=customer, segment="standard", phone="025-88886666",
               credit_limit="750000.5")
    marked = remote.mark_results(store, [answer(entry(store, 1), "applied"), answer(entry(store, 2), "applied"),
                                         answer(recording, "rejected", UNREADABLE), answer(edit, "rejected", FORBIDDEN)])
    assert marked.rejected == [recording.seq, edit.seq]
    return {"customer": customer, "visit": visit, "sha": added.sha256, "recording": recording, "edit": edit}


def texts(page: SyncProblemsPage) -> list[str]:
    """Every text the page shows: labels, buttons and their tooltips, tables with their headers."""
    out = [w.text() for w in page.findChildren(QLabel) if w.isVisibleTo(page)]
    for button in page.findChildren(QAbstractButton):
        out += [button.text(), button.toolTip()]
    for table in page.findChildren(QTableWidget):
        for row in range(table.rowCount()):
            out.append(table.verticalHeaderItem(row).text())
            out += [table.item(row, col).text() for col in range(table.columnCount()) if table.item(row, col)]
        out += [table.horizontalHeaderItem(col).text() for col in range(table.columnCount())]
    return out


def cards(page: SyncProblemsPage) -> dict[str, QTableWidget]:
    """The comparison table of each problem, by its title."""
    found = {}
    for table in page.findChildren(QTableWidget, "comparison"):
        heading = table.parentWidget().findChild(QLabel, "problem_title")
        found[heading.text()] = table
    return found


def rows_of(table: QTableWidget) -> dict[str, list[str]]:
    return {table.verticalHeaderItem(r).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_refused_recording_and_a_refused_edit_are_shown_in_words(qtbot, store, org, tmp_path, page_of, language):
    with local_time_zone("Asia/Shanghai"):
        made = refused_recording_and_edit(store, org, tmp_path)
        page = page_of(org["rep"], language)
        qtbot.waitUntil(lambda: len(page.problems) == 2, timeout=5000)
        shown = texts(page)
        args_keys = set(made["recording"].args) | set(made["edit"].args)
        for text in shown:
            assert not UUID.search(text), text
            assert not HEX64.search(text), text
            assert not ISO.search(text), text
            assert not SNAKE.search(text), text
            assert text not in args_keys, text  # a raw field name as a row's header
        assert "other" not in shown and "key_account" not in " ".join(shown)

        local = CHECK_IN.astimezone().strftime("%Y-%m-%d %H:%M")
        titles = cards(page)
        zh = language.startswith("zh")
        recording_title = (f"添加录音 visit95.amr 到 拜访 {local} · 南京佳美电子科技有限…" if zh
                           else f"Add recording visit95.amr to Visit {local} · 南京佳美电子科技有限…")
        edit_title = "修改客户：南京佳美电子科技有限公司" if zh else "Customer changed: 南京佳美电子科技有限公司"
        assert set(titles) == {recording_title, edit_title}

        table = titles[recording_title]  # the server's reason is about the file: its row says so
        headers = {table.verticalHeaderItem(r).text(): table.verticalHeaderItem(r) for r in range(table.rowCount())}
        assert all(not h.toolTip() for h in headers.values())  # the file's hash is not shown, so no row is marked
        recording = rows_of(titles[recording_title])
        visit_text = f"拜访 {local} · 南京佳美电子科技有限公司" if zh else f"Visit {local} · 南京佳美电子科技有限公司"
        assert recording == {"拜访" if zh else "Visit": [visit_text], "文件名" if zh else "File name": ["visit95.amr"]}
        assert titles[recording_title].columnCount() == 1  # new here: the server has no version of it

        edit = rows_of(titles[edit_title])
        assert edit["客户类型" if zh else "Segment"] == (["普通客户", "大客户"] if zh else ["Standard", "Key account"])
        assert edit["信用额度" if zh else "Credit limit"] == ["750,000.50", "500,000.00"]
        assert edit["电话" if zh else "Phone"] == ["025-88886666", ""]
        reasons = [w.text() for w in page.findChildren(QLabel, "reason")]
        assert sorted(reasons) == sorted([UNREADABLE["message_zh" if zh else "message_en"],
                                          FORBIDDEN["message_zh" if zh else "message_en"]])
        assert all(b.isEnabled() for b in page.findChildren(QAbstractButton, "send_again"))


def test_send_again_queues_the_same_change_and_the_problem_waits_for_the_servers_answer(qtbot, store, org,
                                                                                        tmp_path, page_of):
    made = refused_recording_and_edit(store, org, tmp_path)
    page = page_of(org["rep"])
    qtbot.waitUntil(lambda: len(page.problems) == 2, timeout=5000)
    problem = next(p for p in page.problems if p.mutation == "attachment.add")
    assert store.blobs.has(made["sha"])  # the refused recording's file is still here
    page.send_again(problem.id)
    qtbot.waitUntil(lambda: page.views.get(problem.id) is not None and page.views[problem.id].waiting, timeout=5000)
    qtbot.waitUntil(lambda: len([c for c in page.findChildren(QLabel, "waiting") if c.isVisibleTo(page)]) == 1,
                    timeout=5000)
    waiting = [c for c in page.findChildren(QLabel, "waiting") if c.isVisibleTo(page)]
    assert "waiting for the server" in waiting[0].text()
    with store.read() as s:
        queued = s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending")).one()
        assert (queued.name, queued.args) == ("attachment.add", made["recording"].args)  # the same change
        assert mutations.pending(s) == 1 and integrity.check(s) == []
    assert page.views[problem.id].problem.outbox_seq == queued.seq
    again = [b for b in page.findChildren(QAbstractButton, "send_again") if not b.isEnabled() and b.isVisibleTo(page)]
    assert len(again) == 1  # twice would send it twice

    # Refused again: the problem comes back with the new reason, and can be sent once more.
    newer = {"code": "unreadable_file", "field": "sha256", "message_zh": "服务器仍无法读取此录音。",
             "message_en": "The server still cannot read this recording."}
    remote.mark_results(store, [answer(queued, "rejected", newer)])
    page.refresh()
    qtbot.waitUntil(lambda: page.views[problem.id].can_send_again, timeout=5000)
    assert newer["message_en"] in [w.text() for w in page.findChildren(QLabel, "reason")]

    page.send_again(problem.id)
    qtbot.waitUntil(lambda: page.views[problem.id].waiting, timeout=5000)
    with store.read() as s:
        queued = s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending")).one()
    remote.mark_results(store, [answer(queued, "applied")])
    page.refresh()
    qtbot.waitUntil(lambda: [p.mutation for p in page.problems] == ["customer.update"], timeout=5000)
    with store.read() as s:
        assert integrity.check(s) == []


def test_a_recording_whose_file_is_gone_cannot_be_sent_again(qtbot, store, org, tmp_path, page_of):
    made = refused_recording_and_edit(store, org, tmp_path)
    store.blobs.remove(made["sha"])
    page = page_of(org["rep"])
    qtbot.waitUntil(lambda: len(page.problems) == 2, timeout=5000)
    problem = next(p for p in page.problems if p.mutation == "attachment.add")
    assert page.views[problem.id].missing_file == "visit95.amr"
    notes = [w.text() for w in page.findChildren(QLabel, "missing_file")]
    assert notes == ["The file visit95.amr is no longer on this computer: it cannot be sent again."]
    disabled = [b for b in page.findChildren(QAbstractButton, "send_again") if not b.isEnabled()]
    assert len(disabled) == 1 and "no longer on this computer" in disabled[0].toolTip()
    with pytest.raises(Exception, match="no longer on this computer"):
        remote.send_again(store, problem.id, org["rep"])
    with store.read() as s:
        assert mutations.pending(s) == 0


def test_a_change_that_no_longer_applies_here_says_why_and_queues_nothing(qtbot, store, org, tmp_path, page_of):
    made = refused_recording_and_edit(store, org, tmp_path)
    # The draft is thrown away here meanwhile: the recording has no visit to go to.
    run(store, org["rep"], "visit.discard", id=made["visit"])
    page = page_of(org["rep"])
    qtbot.waitUntil(lambda: len(page.problems) == 2, timeout=5000)
    problem = next(p for p in page.problems if p.mutation == "attachment.add")
    page.send_again(problem.id)
    qtbot.waitUntil(lambda: page.send_error(problem.id) != "", timeout=5000)
    assert not UUID.search(page.send_error(problem.id))
    assert page.send_error(problem.id) in [w.text() for w in page.findChildren(QLabel, "send_error")]
    with store.read() as s:
        assert mutations.pending(s) == 1  # only the discard


def test_a_change_sent_again_is_not_settled_by_applying_it_here_again(qtbot, store, org, tmp_path, page_of):
    """A page from the server that touches the row undoes and replays the change sent again; that it applies
    here says nothing about the server, so the problem stays, waiting, until the server answers."""
    made = refused_recording_and_edit(store, org, tmp_path)
    problem = next(p for p in problems_of(store) if p.mutation == "customer.update")
    seq = remote.send_again(store, problem.id, org["rep"]).seq
    with store.read() as s:
        row = rows.read(s.connection(), "customers", made["customer"])
    # Someone else's edit meanwhile, on the server's version of the row (without the change sent again).
    server = {**row, "phone": "", "notes": "服务器上的备注", "version": row["version"]}
    remote.apply_page(store, [{"seq": 0, "table": "customers", "id": server["id"], "op": "upsert",
                               "version": server["version"], "row": server}], 50)
    assert remote.replay_pending(store).replayed == [seq]
    with store.read() as s:
        replayed = rows.read(s.connection(), "customers", made["customer"])
    assert (replayed["notes"], replayed["phone"]) == ("服务器上的备注", "025-88886666")  # the change is on top
    [still] = [p for p in problems_of(store) if p.mutation == "customer.update"]
    assert still.outbox_seq == seq
    page = page_of(org["rep"])
    qtbot.waitUntil(lambda: still.id in page.views and page.views[still.id].waiting, timeout=5000)
    with pytest.raises(DomainError, match="already waiting"):
        remote.send_again(store, still.id, org["rep"])
    with store.read() as s:
        assert mutations.pending(s) == 1 and integrity.check(s) == []


def test_only_the_person_who_made_a_change_can_send_it_again(store, org, tmp_path):
    refused_recording_and_edit(store, org, tmp_path)
    problem = next(p for p in problems_of(store) if p.mutation == "customer.update")
    with pytest.raises(DomainError, match="Only the person"):
        remote.send_again(store, problem.id, org["rep2"])
    with store.read() as s:
        assert mutations.pending(s) == 0


def problems_of(store: Store) -> list:
    with store.read() as s:
        found = remote.open_problems(s)
        s.expunge_all()
    return found


def test_a_refused_touchpoint_contact_and_discard_name_people_and_times_not_ids(qtbot, store, org, page_of):
    rep = org["rep"]
    with local_time_zone("Asia/Shanghai"):
        customer = make_customer(store, rep, "常州新远机械有限公司")
        contact = run(store, rep, "contact.add", customer_id=customer, name="王伟", title="设备科长",
                      decision_role="technical").changes.entity_id
        when = CHECK_IN.replace(hour=2, minute=30)  # 10:30 in Shanghai
        touchpoint = run(store, rep, "touchpoint.log", customer_id=customer, contact_id=contact, channel="wechat",
                         occurred_at=timeutil.to_text(when), summary="确认报价", reaction="positive",
                         next_step="寄样品", next_step_due=timeutil.to_text(when + timedelta(days=3)))
        other = run(store, rep, "contact.add", customer_id=customer, name="李娜", decision_role="decision_maker")
        visit = run(store, rep, "visit.save", customer_id=customer, check_in_at=timeutil.to_text(CHECK_IN),
                    summary="例行拜访")
        submit = run(store, rep, "visit.discard", id=visit.changes.entity_id)  # nothing but what it is about
        accepted = [entry(store, seq) for seq in (1, 2, visit.seq)]
        remote.mark_results(store, [answer(e, "applied") for e in accepted]
                            + [answer(touchpoint, "rejected", {**FORBIDDEN, "field": "summary"}),
                               answer(other, "rejected", FORBIDDEN),
                               answer(submit, "rejected", FORBIDDEN)])
        page = page_of(rep)
        qtbot.waitUntil(lambda: len(page.problems) == 3, timeout=5000)
        shown = texts(page)
        for text in shown:
            assert not (UUID.search(text) or HEX64.search(text) or ISO.search(text) or SNAKE.search(text)), text
        titles = cards(page)
        local = when.astimezone().strftime("%Y-%m-%d %H:%M")
        assert set(titles) == {f"Touchpoint logged: WeChat · {local} · 常州新远机械有限公司",
                               "New contact: 李娜 · 常州新远机械有限公司"}
        logged = rows_of(titles[f"Touchpoint logged: WeChat · {local} · 常州新远机械有限公司"])
        assert logged["Customer"] == ["常州新远机械有限公司"] and logged["Contact"] == ["王伟 · 常州新远机械有限公司"]
        assert logged["Channel"] == ["WeChat"] and logged["Customer's reaction"] == ["Positive"]
        assert logged["When"] == [local] and logged["Next step due"] == [
            (when + timedelta(days=3)).astimezone().strftime("%Y-%m-%d %H:%M")]
        assert rows_of(titles["New contact: 李娜 · 常州新远机械有限公司"])["Decision role"] == ["Decision maker"]
        table = titles[f"Touchpoint logged: WeChat · {local} · 常州新远机械有限公司"]
        marked = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())
                  if table.verticalHeaderItem(r).toolTip()]
        assert marked == ["What was said"]  # the field the server's reason names
        submitted = [w.text() for w in page.findChildren(QLabel, "problem_title") if w.text().startswith("Visit")]
        assert submitted == [f"Visit draft discarded: Visit {CHECK_IN.astimezone():%Y-%m-%d %H:%M} · 常州新远机械有限公司"]  # ten characters: kept whole
        assert len(page.findChildren(QTableWidget, "comparison")) == 2  # no empty table for it


def test_a_reread_after_a_restore_is_said_in_the_users_language_until_dismissed(qtbot, store, org, page_of):
    """desktop.reread's notice: on the Sync problems page and in the status bar, in words, until dismissed."""
    from desktop import reread
    from ui.status_bar import StatusBar

    reread.begin(store, reread.REWRITTEN)
    page = page_of(org["rep"], "zh_CN")
    qtbot.waitUntil(lambda: not page.notice.isHidden())
    assert "正在重新读取全部数据" in page.notice_label.text()
    assert not page.dismiss_button.isEnabled()  # under way: nothing to dismiss yet
    with store.writer("sync") as s:  # every row held came again with the pages
        s.connection().exec_driver_sql("DELETE FROM sync_reread")
    assert reread.finish(store) == 0
    page.refresh()
    qtbot.waitUntil(lambda: "已重新读取全部数据" in page.notice_label.text())
    assert page.notice_label.text().startswith("服务器已从备份恢复")
    assert page.dismiss_button.text() == "知道了" and page.dismiss_button.isEnabled()
    bar = StatusBar(page.context)
    qtbot.addWidget(bar)
    qtbot.waitUntil(lambda: not bar.reset_label.isHidden())
    assert "服务器已从备份恢复，本机已重新读取全部数据" in bar.reset_label.text()
    assert "同步问题" in bar.reset_label.toolTip() and "尚未发送的修改都已保留并发送" in bar.reset_label.toolTip()
    for text in (page.notice_label.text(), bar.reset_label.text(), bar.reset_label.toolTip()):
        assert not UUID.search(text) and not ISO.search(text) and "rewritten" not in text
    page.dismiss_button.click()
    qtbot.waitUntil(lambda: page.notice.isHidden() and bar.reset_label.isHidden())
    assert remote.read_state(store).reset_notice is None
