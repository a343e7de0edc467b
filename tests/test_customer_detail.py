"""The customer detail: profile, contacts, the whole trail read as you scroll, and search within it.

The widget is driven offscreen against a real store; every read runs on the database thread.
Local time is pinned to Asia/Shanghai (UTC+8) so that "shown in local time" is visible in the text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt

from desktop import customer_profile, mutations, search, timeutil
from desktop.errors import DomainError
from desktop.models import User
from desktop.store import Store
from tests.conftest import Org, make_customer, run
from ui.context import AppContext
from ui.customer_detail import TIMELINE_PAGE, CustomerDetail
from ui.ops import MutationOp

NAME = "苏州恒通精密机械有限公司"
TOUCHPOINTS = 120
# One touchpoint every 1.8 days: the oldest is about seven months old.
STEP = timedelta(days=1, hours=19, minutes=12)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _local_time_is_shanghai(shanghai_time):
    """Every test here reads times in UTC+8."""


def _summary(n: int) -> str:
    """Every tenth touchpoint mentions the nameplate (铭牌)."""
    return f"第{n:03d}次拜访：拍摄设备铭牌照片" if n % 10 == 0 else f"第{n:03d}次拜访：讨论交期和报价"


@pytest.fixture
def customer(store: Store, org: Org) -> dict:
    """A customer of rep with two contacts and 120 touchpoints over seven months (n=0 is the newest)."""
    rep = org["rep"]
    customer_id = make_customer(store, rep, NAME, short_name="恒通", address="苏州工业园区星湖街 328 号",
                                industry="机械加工", segment="key_account", phone="0512-6688 1234",
                                credit_limit="1250000.50", notes="年底前完成二期设备改造")
    now = timeutil.utcnow().replace(second=0, microsecond=0)
    wang = run(store, rep, "contact.add", customer_id=customer_id, name="王伟", title="设备部经理",
               decision_role="decision_maker", phone="139 0000 0001",
               last_reached_at=timeutil.to_text(now - timedelta(days=3, hours=2))).changes.entity_id
    run(store, rep, "contact.add", customer_id=customer_id, name="李娜", title="工艺工程师", decision_role="technical")
    newest = now - timedelta(hours=1)
    calls = []
    for n in range(TOUCHPOINTS):
        calls.append(("touchpoint.log", {
            "customer_id": customer_id, "channel": "meeting" if n % 2 == 0 else "call",
            "occurred_at": timeutil.to_text(newest - n * STEP), "contact_id": wang if n == 0 else None,
            "summary": _summary(n), "reaction": "positive", "reaction_note": "对方认可方案",
            "next_step": "发送修订版报价", "next_step_due": timeutil.to_text(newest + timedelta(days=7)),
        }))
    # logged oldest first, the way they happened, so rids grow with time
    mutations.run_many(store, rep, list(reversed(calls)))
    # another customer's touchpoint that mentions the nameplate too: search must not show it
    other = make_customer(store, rep, "无锡华光激光设备有限公司")
    run(store, rep, "touchpoint.log", customer_id=other, channel="meeting",
        occurred_at=timeutil.to_text(now - timedelta(minutes=5)), summary="另一个客户的设备铭牌")
    return {"id": customer_id, "newest": newest, "wang": wang, "other": other}


@pytest.fixture
def contexts(qtbot, store: Store):
    made: list[AppContext] = []

    def make(user_id: str) -> AppContext:
        context = AppContext(store, "en")
        with store.read() as session:
            context.user = session.get(User, user_id)
        made.append(context)
        return context

    yield make
    for context in made:
        context.tasks.shutdown()


def _detail(qtbot, context: AppContext) -> CustomerDetail:
    detail = CustomerDetail(context)
    qtbot.addWidget(detail)
    detail.resize(900, 800)
    detail.show()
    return detail


def _show(qtbot, detail: CustomerDetail, customer_id: str) -> None:
    with qtbot.waitSignal(detail.sig_loaded, timeout=5000):
        detail.show_customer(customer_id)
    _settle(qtbot, detail)


def _settle(qtbot, detail: CustomerDetail) -> None:
    qtbot.waitUntil(lambda: detail.context.tasks.pending == 0, timeout=5000)


def _texts(detail: CustomerDetail) -> list[str]:
    return [detail.timeline.item(i).text() for i in range(detail.timeline.count())]


def _local(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# ---- Profile and contacts

def test_profile_and_contacts_are_shown(qtbot, org, customer, contexts):
    detail = _detail(qtbot, contexts(org["rep"]))
    _show(qtbot, detail, customer["id"])
    assert detail.name_label.text() == NAME
    shown = {key: label.text() for key, label in detail.fields.items()}
    assert shown == {
        "short_name": "恒通", "owner": "Rep", "region": "江苏 / 苏州", "address": "苏州工业园区星湖街 328 号",
        "industry": "机械加工", "segment": "Key account", "status": "Active", "phone": "0512-6688 1234",
        "credit_limit": "1,250,000.50", "notes": "年底前完成二期设备改造",
    }
    table = detail.contacts_table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    # the decision maker first; "last reached" (moved up by the newest touchpoint with him) is relative,
    # with the local time as tooltip
    assert rows == [["王伟", "设备部经理", "Decision maker", "139 0000 0001", "", "", "1 hour(s) ago"],
                    ["李娜", "工艺工程师", "Technical evaluator", "", "", "", ""]]
    assert table.item(0, 6).toolTip() == _local(customer["newest"])

    # the owner may change the customer and log touchpoints; editing a contact needs one chosen
    assert detail.edit_button.isEnabled() and detail.add_contact_button.isEnabled()
    assert detail.log_button.isEnabled() and not detail.edit_contact_button.isEnabled()
    table.selectRow(1)
    assert detail.edit_contact_button.isEnabled() and detail.contact_id_selected() is not None


def test_what_a_user_may_do_follows_permissions(qtbot, org, customer, contexts):
    finance = _detail(qtbot, contexts(org["finance"]))
    _show(qtbot, finance, customer["id"])
    assert finance.name_label.text() == NAME  # finance sees every customer...
    assert not finance.edit_button.isEnabled() and not finance.log_button.isEnabled()  # ...but changes none

    stranger = _detail(qtbot, contexts(org["otherrep"]))
    stranger.show_customer(customer["id"])
    qtbot.waitUntil(lambda: stranger.message_label.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: "may not see this customer" in stranger.message_label.text(), timeout=5000)
    assert not stranger.edit_button.isEnabled()
    _settle(qtbot, stranger)


# ---- The trail

def test_timeline_is_newest_first_in_local_time(qtbot, org, customer, contexts):
    detail = _detail(qtbot, contexts(org["rep"]))
    _show(qtbot, detail, customer["id"])
    assert len(detail.entries) >= TIMELINE_PAGE and not detail.timeline_complete
    times = [e.occurred_at for e in detail.entries]
    assert times == sorted(times, reverse=True)
    first = _texts(detail)[0].split("\n")
    # when (local time, UTC+8), channel, who, with whom; what was said; reaction; next step
    assert first[0] == f"{_local(customer['newest'])} · Meeting · Rep → 王伟"
    assert first[1] == _summary(0)
    assert first[2] == "Reaction: Positive — 对方认可方案"
    due = _local(customer["newest"] + timedelta(days=7))
    assert first[3] == f"Next step: 发送修订版报价 (due {due})"
    assert _texts(detail)[1].split("\n")[0] == f"{_local(customer['newest'] - STEP)} · Call · Rep"
    assert f"of {TOUCHPOINTS} touchpoints shown" in detail.timeline_status.text()


def test_scrolling_to_the_bottom_loads_older_entries_until_all_are_loaded(qtbot, org, customer, contexts):
    detail = _detail(qtbot, contexts(org["rep"]))
    _show(qtbot, detail, customer["id"])
    bar = detail.timeline.verticalScrollBar()
    assert detail.timeline.count() < TOUCHPOINTS and bar.maximum() > 0
    pages = 0
    while not detail.timeline_complete:
        before = detail.timeline.count()
        with qtbot.waitSignal(detail.sig_timeline_loaded, timeout=5000):
            bar.setValue(bar.maximum())
        assert detail.timeline.count() > before
        pages += 1
    _settle(qtbot, detail)
    assert pages >= 2 and detail.timeline.count() == TOUCHPOINTS
    times = [e.occurred_at for e in detail.entries]
    assert times == sorted(times, reverse=True) and len(set(e.id for e in detail.entries)) == TOUCHPOINTS
    assert customer["newest"] - times[-1] > timedelta(days=183)  # more than six months back
    assert _texts(detail)[-1].split("\n")[1] == _summary(TOUCHPOINTS - 1)
    assert detail.timeline_status.text() == f"All {TOUCHPOINTS} touchpoint(s) shown."
    # nothing more is asked for at the end
    bar.setValue(bar.maximum())
    assert detail.context.tasks.pending == 0


def test_a_logged_touchpoint_appears_at_the_top(qtbot, org, customer, contexts):
    context = contexts(org["rep"])
    detail = _detail(qtbot, context)
    _show(qtbot, detail, customer["id"])
    count = len(detail.entries)
    with qtbot.waitSignal(context.tasks.sig_data_changed, timeout=5000):
        MutationOp(context.tasks, org["rep"], "touchpoint.log", {
            "customer_id": customer["id"], "channel": "wechat", "summary": "微信确认下周三到厂验收",
            "occurred_at": timeutil.to_text(timeutil.utcnow()), "reaction": "neutral"}).run()
    qtbot.waitUntil(lambda: "微信确认下周三到厂验收" in _texts(detail)[0], timeout=5000)
    _settle(qtbot, detail)
    assert _texts(detail)[0].split("\n")[0].endswith(" · WeChat · Rep")
    assert len(detail.entries) == count + 1  # read again as deep as it had been scrolled
    assert detail.profile is not None and detail.profile.touchpoint_count == TOUCHPOINTS + 1


def test_search_within_this_customers_touchpoints(qtbot, org, customer, contexts):
    detail = _detail(qtbot, contexts(org["rep"]))
    _show(qtbot, detail, customer["id"])
    trail = _texts(detail)
    with qtbot.waitSignal(detail.sig_search_done, timeout=5000) as done:
        detail.search_edit.insert("铭牌")  # Chinese arrives from the input method as committed text
    assert done.args == [TOUCHPOINTS // 10]
    texts = _texts(detail)
    assert [t.split("\n")[1] for t in texts] == [_summary(n) for n in range(0, TOUCHPOINTS, 10)]  # newest first
    assert not any("另一个客户" in t for t in texts)
    assert detail.timeline_status.text() == f"{TOUCHPOINTS // 10} touchpoint(s) match."

    with qtbot.waitSignal(detail.sig_search_done, timeout=5000) as done:
        detail.search_edit.clear()
        detail.search_edit.insert("铭牌 第050次")  # every term must match
    assert done.args == [1] and _texts(detail)[0].split("\n")[1] == _summary(50)

    with qtbot.waitSignal(detail.sig_search_done, timeout=5000) as done:
        detail.search_edit.clear()
        detail.search_edit.insert("不存在的词")
    assert done.args == [0] and detail.timeline_status.text() == "No touchpoint of this customer matches."

    detail.search_edit.clear()
    qtbot.waitUntil(lambda: not detail.searching, timeout=5000)
    assert _texts(detail) == trail
    _settle(qtbot, detail)


def test_showing_another_customer_drops_answers_for_the_previous_one(qtbot, org, customer, contexts):
    detail = _detail(qtbot, contexts(org["rep"]))
    detail.show_customer(customer["id"])
    with qtbot.waitSignal(detail.sig_loaded, timeout=5000) as loaded:
        detail.show_customer(customer["other"])
    assert loaded.args == [customer["other"]]
    _settle(qtbot, detail)
    assert detail.name_label.text() == "无锡华光激光设备有限公司"
    assert _texts(detail)[0].split("\n")[1] == "另一个客户的设备铭牌" and detail.timeline.count() == 1
    detail.show_customer(None)
    assert detail.message_label.isVisible() and not detail.log_button.isEnabled()


# ---- desktop: search within one customer, and the read functions' permission checks

def test_search_customer_touchpoints_is_per_customer_and_newest_first(store, org, customer):
    rep = org["rep"]
    # logged last (highest rid) but happened long ago: order is by when it happened, not by rid
    old = run(store, rep, "touchpoint.log", customer_id=customer["id"], channel="call",
              occurred_at=timeutil.to_text(datetime(2025, 1, 6, 1, 0, tzinfo=UTC)),
              summary="补记：去年的铭牌核对").changes.entity_id
    with store.read() as session:
        found = search.search_customer_touchpoints(session, customer["id"], "铭牌", limit=100)
        assert len(found) == TOUCHPOINTS // 10 + 1 and found[-1].id == old
        assert all(t.customer_id == customer["id"] and "铭牌" in t.summary for t in found)
        times = [t.occurred_at for t in found]
        assert times == sorted(times, reverse=True)
        assert [t.id for t in search.search_customer_touchpoints(session, customer["id"], "铭牌", limit=3)] == \
            [t.id for t in found[:3]]
        assert [t.summary for t in search.search_customer_touchpoints(session, customer["other"], "铭牌")] == \
            ["另一个客户的设备铭牌"]
        assert search.search_customer_touchpoints(session, customer["id"], "  ，") == []


def test_read_functions_check_who_may_see_the_customer(store, org, customer):
    with store.read() as session:
        for read in (lambda user: customer_profile.load_profile(session, user, customer["id"]),
                     lambda user: customer_profile.timeline_page(session, user, customer["id"]),
                     lambda user: customer_profile.search_timeline(session, user, customer["id"], "铭牌")):
            with pytest.raises(DomainError) as refused:
                read(org["otherrep"])
            assert refused.value.code == "forbidden"
            assert read(org["manager"])  # the owner's manager may
        with pytest.raises(DomainError) as missing:
            customer_profile.load_profile(session, org["rep"], "no-such-customer")
        assert missing.value.code == "not_found"
        page = customer_profile.timeline_page(session, org["rep"], customer["id"], limit=7)
        older = customer_profile.timeline_page(session, org["rep"], customer["id"], limit=7, before=page[-1].cursor)
        assert [e.summary for e in page + older] == [_summary(n) for n in range(14)]
        # down to a shown entry: exactly what is shown (nothing was added above it)
        again = customer_profile.timeline_page(session, org["rep"], customer["id"], limit=100,
                                               not_before=older[-1].cursor)
        assert [e.id for e in again] == [e.id for e in page + older]
        assert page[0].user_name == "Rep" and page[0].with_whom == "王伟"


def test_data_changes_are_read_when_a_hidden_detail_is_shown_again(qtbot, org, customer, contexts):
    context = contexts(org["rep"])
    detail = _detail(qtbot, context)
    _show(qtbot, detail, customer["id"])
    detail.hide()
    run(context.store, org["rep"], "customer.update", id=customer["id"], name="苏州恒通精密机械集团")
    context.tasks.sig_data_changed.emit(None)
    qtbot.wait(50)
    assert context.tasks.pending == 0 and detail.name_label.text() == NAME  # out of sight: not read yet
    with qtbot.waitSignal(detail.sig_loaded, timeout=5000):
        detail.show()
    assert detail.name_label.text() == "苏州恒通精密机械集团"
    _settle(qtbot, detail)


def test_buttons_open_the_dialogs_for_this_customer(qtbot, org, customer, contexts):
    from ui.dialogs.contact_dialog import ContactDialog
    from ui.dialogs.customer_dialog import CustomerDialog
    from ui.dialogs.touchpoint_dialog import TouchpointDialog

    detail = _detail(qtbot, contexts(org["rep"]))
    _show(qtbot, detail, customer["id"])
    detail.contacts_table.selectRow(0)

    def opened(button, kind):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        dialogs = [d for d in detail.findChildren(kind) if d.isVisible()]
        assert len(dialogs) == 1
        qtbot.waitUntil(lambda: dialogs[0].is_ready, timeout=5000)
        return dialogs[0]

    edit = opened(detail.edit_button, CustomerDialog)
    assert edit.customer_id == customer["id"]
    edit.reject()
    add = opened(detail.add_contact_button, ContactDialog)
    assert (add.customer_id, add.contact_id) == (customer["id"], None)
    add.reject()
    change = opened(detail.edit_contact_button, ContactDialog)
    assert change.contact_id == customer["wang"]
    change.reject()
    log = opened(detail.log_button, TouchpointDialog)
    log.reject()
    _settle(qtbot, detail)
    # A closed form is deleted: opening one a hundred times a day must not keep a hundred hidden ones.
    qtbot.waitUntil(lambda: not detail.findChildren(CustomerDialog) and not detail.findChildren(ContactDialog)
                    and not detail.findChildren(TouchpointDialog))


def test_only_people_who_sell_to_a_customer_may_start_a_quote(store, org):
    """A service engineer sees the customer and logs touchpoints, but quotes are the sellers' (and the
    detail's New quote… follows the profile)."""
    from desktop import customer_profile

    customer = make_customer(store, org["rep"])
    with store.read() as s:
        rep = customer_profile.load_profile(s, org["rep"], customer)
        service = customer_profile.load_profile(s, org["service"], customer)
    assert (rep.can_log_touchpoint, rep.can_quote) == (True, True)
    assert (service.can_log_touchpoint, service.can_quote) == (True, False)
