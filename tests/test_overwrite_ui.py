"""The overwrite in the window, through a real server: the rep whose phone number the manager replaced
unseen finds it under Sync problems, naming the manager, with their value, and applies it again with
one click; the customer page's change history lists every change with names and field labels."""

from __future__ import annotations

import itertools
import re

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QTableWidget
from sqlalchemy import select

from desktop.models import Customer, OutboxEntry, User
from tests.conftest import local_time_zone
from tests.server_process import ServerProcess
from tests.test_sync_visits import Desk
from ui import i18n
from ui.context import AppContext
from ui.customer_detail import CustomerDetail
from ui.pages.sync_problems_page import SyncProblemsPage

_numbers = itertools.count(1)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-", re.IGNORECASE)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("overwrite-ui-server"))
    yield process
    process.stop()


@pytest.fixture
def raced(server, tmp_path):
    """The rep and the manager (王建华) change the same phone offline; the manager's push comes last."""
    rep = Desk(tmp_path / "rep", server, "rep.li")
    boss = Desk(tmp_path / "boss", server, "manager.wang")
    customer = rep.run("customer.create", name=f"无锡华晟精工{next(_numbers)}号", region="江苏", city="无锡", phone="0510-1000")
    rep.client.sync()
    boss.client.sync()
    rep.run("customer.update", id=customer, phone="0510-2222")
    boss.run("customer.update", id=customer, phone="0510-3333")
    rep.client.sync()
    boss.client.sync()
    rep.client.sync()
    return rep, boss, customer


@pytest.fixture
def context_of(qapp):
    made: list[AppContext] = []

    def make(desk: Desk, language: str) -> AppContext:
        i18n.install(qapp, language)
        context = AppContext(desk.store, language)
        with desk.store.read() as session:
            context.user = session.get(User, desk.user_id)
        made.append(context)
        return context

    yield make
    for context in made:
        context.tasks.shutdown()
    i18n.install(qapp, "en")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_overwritten_value_is_applied_again_with_one_click(qtbot, raced, context_of, language):
    rep, boss, customer = raced
    with local_time_zone("Asia/Shanghai"):
        page = SyncProblemsPage(context_of(rep, language))
        qtbot.addWidget(page)
        page.resize(1000, 800)
        page.show()
        qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
        reason = page.findChild(QLabel, "reason").text()
        if language == "en":
            assert "overwritten by 王建华 at" in reason
        else:
            assert "被 王建华 于" in reason and "覆盖" in reason
        [table] = page.findChildren(QTableWidget, "comparison")
        phone = "Phone" if language == "en" else "电话"
        assert table.verticalHeaderItem(0).text() == phone
        assert [table.item(0, 0).text(), table.item(0, 1).text()] == ["0510-2222", "0510-3333"]  # theirs, now
        shown = [w.text() for w in page.findChildren(QLabel)] + [b.text() for b in page.findChildren(QAbstractButton)]
        assert not any(UUID.search(text) for text in shown)
        # Edit and resend opens the form with their value, and says what happened, not "refused".
        page.edit_and_resend(page.problems[0].id)
        qtbot.waitUntil(lambda: page.editor is not None and page.editor.is_ready, timeout=5000)
        assert page.editor.edits["phone"].text() == "0510-2222"
        assert "王建华" in page.editor.note.text() and "did not accept" not in page.editor.note.text()
        page.editor.reject()
        page.editor = None
        [button] = page.findChildren(QAbstractButton, "send_again")
        assert button.text() == ("Apply my value again" if language == "en" else "重新应用我的值")
        assert button.isEnabled()
        button.click()  # the one click
        problem_id = page.problems[0].id
        qtbot.waitUntil(lambda: page.views.get(problem_id) is not None and page.views[problem_id].waiting,
                        timeout=5000)
        qtbot.waitUntil(lambda: [b.isEnabled() for b in page.findChildren(QAbstractButton, "send_again")
                                 if b.isVisibleTo(page)] == [False], timeout=5000)  # not twice
    with rep.store.read() as s:
        queued = s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending")).one()
        assert (queued.name, {k: v for k, v in queued.args.items() if k != "at"}) == (
            "customer.update", {"id": customer, "phone": "0510-2222"})
    assert rep.client.sync().push.applied == 1
    page.refresh()
    qtbot.waitUntil(lambda: page.problems == [], timeout=5000)
    boss.client.sync()
    with boss.store.read() as s:
        assert s.scalars(select(Customer.phone).where(Customer.id == customer)).one() == "0510-2222"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_customer_page_lists_its_change_history_with_names_and_labels(qtbot, raced, context_of, language):
    rep, _boss, customer = raced
    with local_time_zone("Asia/Shanghai"):
        detail = CustomerDetail(context_of(rep, language))
        qtbot.addWidget(detail)
        detail.resize(900, 900)
        detail.show()
        detail.show_customer(customer)
        history = detail.findChild(type(detail.history), "history")
        qtbot.waitUntil(lambda: history.count() == 3, timeout=5000)
        lines = [history.item(i).text() for i in range(history.count())]
    if language == "en":
        assert "王建华" in lines[0] and "Phone: 0510-2222 → 0510-3333" in lines[0]
        assert "overwrote 李晓东's value" in lines[0]
        assert "李晓东" in lines[1] and "Phone: 0510-1000 → 0510-2222" in lines[1]
        assert "Created the customer" in lines[2]
    else:
        assert "王建华" in lines[0] and "电话：0510-2222 → 0510-3333" in lines[0]
        assert "李晓东" in lines[0]
        assert "新建客户" in lines[2]
    assert not any(UUID.search(line) or "phone" in line for line in lines)  # names and labels, no ids or columns
