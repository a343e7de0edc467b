"""The customer list: scopes and permissions, full-text filter, owner/region filters, sorting, paging.

desktop.customer_list is tested on a real SQLite store; the model and the page are driven as a user
would (pytest-qt, offscreen) with every query on the database thread. QTest cannot type non-ASCII
keys, so Chinese arrives as committed text (insert), the way an input method delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

from desktop import customer_list, derived, snapshot, timeutil
from desktop.customer_list import COLUMNS, CustomerFilter, CustomerRow
from desktop.ids import uuid7
from desktop.models import Customer, User
from desktop.permissions import can_see_customer
from desktop.sort_keys import company_key, person_key
from desktop.store import Store
from tests.conftest import ORG_USERS, Org, make_customer, run
from ui.context import AppContext
from ui.ops import MutationOp
from ui.pages.customers_page import CustomersPage

# name, short name, owner, region, city, segment, status
CUSTOMERS = [
    ("苏州恒通精密机械有限公司", "恒通", "rep", "江苏", "苏州", "key_account", "active"),
    ("无锡华光激光设备有限公司", "华光", "rep", "江苏", "无锡", "standard", "dormant"),
    ("南京Laser Works", "LW", "rep", "江苏", "南京", "prospect", "active"),
    ("杭州东方电子有限公司", "东方", "otherrep", "浙江", "杭州", "channel", "active"),
    ("合肥长江机床厂", "长江", "channel", "安徽", "合肥", "standard", "lost"),
    ("常州恒通五金制品厂", "恒通五金", "manager", "江苏", "常州", "standard", "active"),
    ("上海浦江精密仪器有限公司", "浦江", "kad", "上海", "上海", "key_account", "dormant"),
    ("宁波海港精密铸造有限公司", "海港", "othermanager", "浙江", "宁波", "prospect", "active"),
]
DELETED = "苏州恒通旧厂"  # owned by rep2, who owns nothing else


@dataclass
class World:
    org: Org
    ids: dict[str, str]  # customer name -> id
    rids: dict[str, int]  # customer name -> rid
    deleted_rid: int

    def names(self, rids: list[int]) -> list[str]:
        by_rid = {rid: name for name, rid in self.rids.items()}
        return [by_rid.get(rid, f"?{rid}") for rid in rids]


def _deleted_customer(store: Store, owner_id: str) -> None:
    """A customer the server already deleted, as a snapshot would bring it."""
    now = timeutil.to_text(timeutil.utcnow())
    columns = ("id", "name", "short_name", "owner_id", "region", "city", "address", "industry", "segment",
               "status", "phone", "credit_limit", "notes", "created_at", "updated_at", "deleted_at", "version",
               "name_sort", "name_key", "phone_digits")
    row = (uuid7(), DELETED, "旧厂", owner_id, "江苏", "苏州", "", "", "standard", "active", "", None, "",
           now, now, now, 1, *derived.customer_columns(DELETED, "").values())
    with store.writer("snapshot") as session:
        snapshot.insert_rows(session, "customers", columns, [row])


@pytest.fixture
def world(store: Store, org: Org) -> World:
    admin = org["admin"]
    ids = {}
    for name, short, owner, region, city, segment, status in CUSTOMERS:
        ids[name] = make_customer(store, admin, name, short_name=short, owner_id=org[owner], region=region,
                                  city=city, segment=segment, status=status, industry="机械")
    hengtong, huaguang, dongfang = ids[CUSTOMERS[0][0]], ids[CUSTOMERS[1][0]], ids[CUSTOMERS[3][0]]
    contacts = {hengtong: ["王伟", "李娜", "张强"], huaguang: ["赵敏"], dongfang: ["陈静", "刘洋"]}
    removed = None
    for customer_id, names in contacts.items():
        for n, name in enumerate(names):
            contact_id = run(store, admin, "contact.add", customer_id=customer_id, name=name,
                             decision_role="technical").changes.entity_id
            if customer_id == hengtong and n == 2:
                removed = contact_id
    run(store, admin, "contact.remove", id=removed)
    now = timeutil.utcnow()
    for customer_id, days in ((hengtong, 30), (hengtong, 1), (huaguang, 10), (dongfang, 3)):
        run(store, admin, "touchpoint.log", customer_id=customer_id, channel="meeting",
            occurred_at=timeutil.to_text(now - timedelta(days=days)), summary="拜访，确认设备铭牌")
    _deleted_customer(store, org["rep2"])
    with store.read() as session:
        rids = dict(session.execute(select(Customer.name, Customer.rid)).all())
    return World(org, ids, {n: r for n, r in rids.items() if n != DELETED}, rids[DELETED])


def _user(store: Store, user_id: str) -> User:
    with store.read() as session:
        return session.get(User, user_id)


def _names(store: Store, world: World, scope: str, username: str, **filters) -> set[str]:
    with store.read() as session:
        flt = CustomerFilter(scope, _user(store, world.org[username]), **filters)
        return set(world.names(customer_list.ordered_rids(session, flt)))


def _by_owner(*owners: str) -> set[str]:
    return {c[0] for c in CUSTOMERS if c[2] in owners}


ALL = {c[0] for c in CUSTOMERS}
EAST1 = _by_owner("rep", "manager", "kad")  # rep2 owns only the deleted customer
EAST2 = _by_owner("otherrep", "othermanager", "channel")


# ---- desktop.customer_list: scopes and permissions

@pytest.mark.parametrize("scope, username, expected", [
    ("mine", "rep", _by_owner("rep")),
    ("mine", "manager", _by_owner("manager")),
    ("mine", "admin", set()),
    ("team", "manager", EAST1),
    ("team", "kad", EAST1),
    ("team", "othermanager", EAST2),
    ("team", "rep", _by_owner("rep")),  # a rep sees only their own, whatever the scope
    ("all", "rep", _by_owner("rep")),
    ("all", "manager", EAST1),
    ("all", "admin", ALL),
    ("all", "finance", ALL),
    ("all", "cfo", ALL),
    ("all", "service", {c[0] for c in CUSTOMERS if c[3] == "江苏"}),  # the engineer's territory
    ("all", "channel", _by_owner("channel")),
])
def test_scopes_follow_permissions(store, world, scope, username, expected):
    assert _names(store, world, scope, username) == expected


def test_all_scope_is_exactly_what_can_see_customer_allows(store, world):
    """The SQL condition and the Python rule the mutations use agree for every role."""
    with store.read() as session:
        customers = session.scalars(select(Customer).where(Customer.deleted_at.is_(None))).all()
        for username, *_ in ORG_USERS:
            user = session.get(User, world.org[username])
            expected = {c.rid for c in customers if can_see_customer(session, user, c)}
            got = customer_list.ordered_rids(session, CustomerFilter("all", user))
            assert set(got) == expected, username
            assert len(got) == len(expected)


def test_deleted_customers_are_never_listed(store, world):
    with store.read() as session:
        admin = _user(store, world.org["admin"])
        for column in COLUMNS:
            assert world.deleted_rid not in customer_list.ordered_rids(session, CustomerFilter("all", admin), column)
        assert world.deleted_rid not in customer_list.ordered_rids(
            session, CustomerFilter("all", admin, text="旧厂"))
        assert customer_list.count(session, CustomerFilter("all", admin)) == len(CUSTOMERS)
        # rep2's only customer is deleted, so rep2 is no owner to filter by
        owners = customer_list.owners(session, CustomerFilter("all", admin))
        assert world.org["rep2"] not in [o.id for o in owners]


# ---- desktop.customer_list: text, owner and region filters

@pytest.mark.parametrize("text, expected", [
    ("恒通", {CUSTOMERS[0][0], CUSTOMERS[5][0]}),  # two Chinese characters
    ("精密", {CUSTOMERS[0][0], CUSTOMERS[6][0], CUSTOMERS[7][0]}),
    ("恒", {CUSTOMERS[0][0], CUSTOMERS[5][0]}),  # one character: a prefix query
    ("恒通 常州", {CUSTOMERS[5][0]}),  # every term must match
    ("aser", {CUSTOMERS[2][0]}),  # substring of a Latin word, any case
    ("宁波", {CUSTOMERS[7][0]}),  # the city is indexed too
    ("不存在", set()),
    ("，", ALL),  # punctuation alone is no filter
])
def test_text_filter_uses_the_search_index(store, world, text, expected):
    assert _names(store, world, "all", "admin", text=text) == expected


def test_text_filter_stays_within_the_scope(store, world):
    assert _names(store, world, "mine", "rep", text="恒通") == {CUSTOMERS[0][0]}
    assert _names(store, world, "team", "othermanager", text="精密") == {CUSTOMERS[7][0]}


def test_owner_and_region_filters(store, world):
    assert _names(store, world, "all", "admin", owner_id=world.org["rep"]) == _by_owner("rep")
    assert _names(store, world, "all", "admin", region="浙江") == {CUSTOMERS[3][0], CUSTOMERS[7][0]}
    assert _names(store, world, "all", "admin", region="江苏", text="恒通") == {CUSTOMERS[0][0], CUSTOMERS[5][0]}
    assert _names(store, world, "team", "manager", owner_id=world.org["kad"]) == {CUSTOMERS[6][0]}
    # an owner outside the manager's team shows nothing, not the other team's customers
    assert _names(store, world, "team", "manager", owner_id=world.org["otherrep"]) == set()


def test_owner_and_region_choices(store, world):
    with store.read() as session:
        manager = _user(store, world.org["manager"])
        owners = customer_list.owners(session, CustomerFilter("team", manager))
        assert [o.display_name for o in owners] == ["Kad", "Manager", "Rep"]
        admin = _user(store, world.org["admin"])
        assert len(customer_list.owners(session, CustomerFilter("all", admin))) == 6
        assert customer_list.regions(session) == sorted({c[3] for c in CUSTOMERS})


# ---- desktop.customer_list: display rows and sorting

def test_rows_by_rid_reads_display_rows(store, world):
    with store.read() as session:
        rows = customer_list.rows_by_rid(session, [world.rids[CUSTOMERS[0][0]], world.rids[CUSTOMERS[4][0]], 10**9])
    hengtong, changjiang = rows[world.rids[CUSTOMERS[0][0]]], rows[world.rids[CUSTOMERS[4][0]]]
    assert len(rows) == 2
    assert (hengtong.name, hengtong.short_name, hengtong.owner_name, hengtong.region, hengtong.city) == \
        (CUSTOMERS[0][0], "恒通", "Rep", "江苏", "苏州")
    assert hengtong.contacts == 2  # the removed contact does not count
    # the newest of its two touchpoints, about a day ago, as an aware UTC time
    age = timeutil.utcnow() - hengtong.last_touchpoint_at
    assert timedelta(hours=23) < age < timedelta(hours=25)
    assert (changjiang.contacts, changjiang.last_touchpoint_at, changjiang.status) == (0, None, "lost")


def _python_key(row: CustomerRow, column: str) -> tuple:
    if column == "name":  # by pinyin (desktop.sort_keys)
        return (company_key(row.name),)
    if column == "owner":
        return (person_key(row.owner_name),)
    if column == "region":
        return (row.region, row.city)
    if column == "last_touchpoint":  # no touchpoint sorts first, as NULL does in SQLite
        return (0, "") if row.last_touchpoint_at is None else (1, row.last_touchpoint_at.isoformat())
    return (getattr(row, column),)


@pytest.mark.parametrize("column", COLUMNS)
def test_sorting_by_each_column(store, world, column):
    with store.read() as session:
        admin = _user(store, world.org["admin"])
        ascending = customer_list.ordered_rids(session, CustomerFilter("all", admin), column)
        descending = customer_list.ordered_rids(session, CustomerFilter("all", admin), column, descending=True)
        rows = customer_list.rows_by_rid(session, ascending)
    expected = sorted(rows.values(), key=lambda r: (*_python_key(r, column), r.rid))
    assert ascending == [r.rid for r in expected]
    assert descending == list(reversed(ascending))


def test_unknown_scope_or_column_is_refused(store, world):
    admin = _user(store, world.org["admin"])
    with pytest.raises(ValueError):
        CustomerFilter("everyone", admin)
    with store.read() as session, pytest.raises(ValueError):
        customer_list.ordered_rids(session, CustomerFilter("all", admin), "phone")


# ---- The model and the page, driven offscreen

@pytest.fixture
def contexts(qtbot, store: Store):
    made: list[AppContext] = []

    def make(user_id: str) -> AppContext:
        context = AppContext(store, "en")
        context.user = _user(store, user_id)
        made.append(context)
        return context

    yield make
    for context in made:
        context.tasks.shutdown()


def _settle(qtbot, page: CustomersPage) -> None:
    """Wait until the page has read its list and every row the view asked for."""
    qtbot.waitUntil(lambda: not page.model.loading and page.context.tasks.pending == 0, timeout=5000)


def _shown_names(qtbot, page: CustomersPage) -> list[str]:
    """The names in the name column, top to bottom, once every row has been read."""
    model = page.model
    for row in range(model.rowCount()):
        model.data(model.index(row, 0))  # asks for the page if needed
    _settle(qtbot, page)
    return [model.data(model.index(row, 0)) for row in range(model.rowCount())]


def _open(qtbot, contexts, user_id: str, scope: str) -> CustomersPage:
    page = CustomersPage(contexts(user_id), scope)
    qtbot.addWidget(page)
    page.resize(1400, 700)
    page.show()
    _settle(qtbot, page)
    return page


def test_page_lists_the_scope_sorted_by_name(qtbot, store, world, contexts):
    page = _open(qtbot, contexts, world.org["manager"], "team")
    assert _shown_names(qtbot, page) == sorted(EAST1, key=company_key)  # 常州 chang … 无锡 wu: by pinyin
    assert page.count_label.text() == f"{len(EAST1)} customer(s)"  # English has no .ts: the source text
    assert page.owner_combo.isVisibleTo(page)
    qtbot.waitUntil(lambda: page.owner_combo.count() == 4)  # everyone, Kad, Manager, Rep
    assert [page.owner_combo.itemText(i) for i in range(page.owner_combo.count())][1:] == ["Kad", "Manager", "Rep"]
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == "Customer"

    mine = _open(qtbot, contexts, world.org["rep"], "mine")
    assert not mine.owner_combo.isVisibleTo(mine)
    assert set(_shown_names(qtbot, mine)) == _by_owner("rep")


def test_filter_as_you_type_narrows_rows(qtbot, store, world, contexts):
    page = _open(qtbot, contexts, world.org["admin"], "all")
    assert page.model.rowCount() == len(CUSTOMERS)
    qtbot.keyClicks(page.filter_edit, "aser")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert _shown_names(qtbot, page) == [CUSTOMERS[2][0]]
    page.filter_edit.clear()
    page.filter_edit.insert("恒通")  # Chinese arrives from the input method as committed text
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert _shown_names(qtbot, page) == sorted([CUSTOMERS[0][0], CUSTOMERS[5][0]], key=company_key)

    qtbot.waitUntil(lambda: page.region_combo.count() == 5)
    page.region_combo.setCurrentIndex(page.region_combo.findData("上海"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)  # 恒通 and 上海: none
    page.filter_edit.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert _shown_names(qtbot, page) == [CUSTOMERS[6][0]]
    page.region_combo.setCurrentIndex(0)
    page.owner_combo.setCurrentIndex(page.owner_combo.findData(world.org["otherrep"]))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert _shown_names(qtbot, page) == [CUSTOMERS[3][0]]


def test_typing_fast_reads_the_list_once(qtbot, store, world, contexts, monkeypatch):
    page = _open(qtbot, contexts, world.org["admin"], "all")
    asked = []
    real = customer_list.ordered_rids
    monkeypatch.setattr(customer_list, "ordered_rids",
                        lambda session, flt, *args: asked.append(flt.text) or real(session, flt, *args))
    qtbot.keyClicks(page.filter_edit, "Laser")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    _settle(qtbot, page)
    assert asked == ["Laser"]  # one query after the typing pause, not one per key


def test_stale_answers_are_dropped(qtbot, store, world, contexts):
    page = _open(qtbot, contexts, world.org["admin"], "all")
    model = page.model
    model.set_filter("恒通", None, None)
    model.set_filter("宁波", None, None)  # asked before the first answer arrived
    with qtbot.waitSignal(model.sig_reloaded, timeout=5000):
        pass
    _settle(qtbot, page)
    assert _shown_names(qtbot, page) == [CUSTOMERS[7][0]]


def test_sort_by_header_click(qtbot, store, world, contexts):
    page = _open(qtbot, contexts, world.org["admin"], "all")
    header = page.table.horizontalHeader()

    def click(column: str) -> None:
        section = COLUMNS.index(column)
        with qtbot.waitSignal(page.model.sig_reloaded, timeout=5000):
            qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                             pos=QPoint(header.sectionViewportPosition(section) + 10, header.height() // 2))

    click("city")
    ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    by_city = sorted(CUSTOMERS, key=lambda c: c[4], reverse=not ascending)
    assert _shown_names(qtbot, page) == [c[0] for c in by_city]
    assert page.model.sort_column == "city" and page.model.descending == (not ascending)
    click("city")  # again: the other direction
    assert _shown_names(qtbot, page) == [c[0] for c in reversed(by_city)]
    click("contacts")
    shown = _shown_names(qtbot, page)
    counts = [page.model.data(page.model.index(row, COLUMNS.index("contacts"))) for row in range(len(shown))]
    assert counts == sorted(counts, key=int, reverse=page.model.descending)


def test_selecting_a_row_shows_the_detail(qtbot, store, world, contexts):
    page = _open(qtbot, contexts, world.org["admin"], "all")
    names = _shown_names(qtbot, page)
    row = names.index(CUSTOMERS[0][0])
    with qtbot.waitSignal(page.sig_customer_selected, timeout=5000) as blocker:
        qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=page.table.visualRect(page.model.index(row, 0)).center())
    assert blocker.args == [world.ids[CUSTOMERS[0][0]]]
    qtbot.waitUntil(lambda: page.detail.name_label.text() == CUSTOMERS[0][0], timeout=5000)
    assert page.detail.fields["owner"].text() == "Rep"


def test_data_change_refreshes_and_keeps_the_selection(qtbot, store, world, contexts):
    page = _open(qtbot, contexts, world.org["admin"], "all")
    names = _shown_names(qtbot, page)
    selected = CUSTOMERS[3][0]  # 杭州东方电子
    page.select_row(names.index(selected))
    qtbot.waitUntil(lambda: page.detail.name_label.text() == selected, timeout=5000)

    # A new customer sorts before the selected one: the selection follows its customer.
    new_name = "安庆新华机械有限公司"
    with qtbot.waitSignal(page.sig_list_loaded, timeout=5000):
        MutationOp(page.context.tasks, world.org["admin"], "customer.create",
                   {"name": new_name, "owner_id": world.org["rep"], "region": "安徽", "city": "安庆"}).run()
    _settle(qtbot, page)
    names = _shown_names(qtbot, page)
    assert new_name in names and len(names) == len(CUSTOMERS) + 1
    current = page.table.selectionModel().currentIndex()
    assert current.isValid() and page.model.data(current.siblingAtColumn(0)) == selected
    assert page.detail.customer_id == world.ids[selected]

    # A rename shows in the list without any click.
    with qtbot.waitSignal(page.sig_list_loaded, timeout=5000):
        MutationOp(page.context.tasks, world.org["admin"], "customer.update",
                   {"id": world.ids[selected], "name": "杭州东方电子集团"}).run()
    _settle(qtbot, page)
    assert "杭州东方电子集团" in _shown_names(qtbot, page)
    qtbot.waitUntil(lambda: page.detail.name_label.text() == "杭州东方电子集团", timeout=5000)
    current = page.table.selectionModel().currentIndex()
    assert page.model.data(current.siblingAtColumn(0)) == "杭州东方电子集团"


def test_rows_are_read_a_page_at_a_time(qtbot, store, org, contexts, monkeypatch):
    """Only the page a row belongs to is read; a placeholder stands in until it arrives."""
    import ui.customer_list_model as model_module

    monkeypatch.setattr(model_module, "PAGE", 5)
    for n in range(23):
        make_customer(store, org["rep"], f"测试客户{n:02d}")
    context = contexts(org["rep"])
    model = model_module.CustomerListModel(context, "mine")  # no view: nothing else asks for rows
    read: list[list[int]] = []
    real = customer_list.rows_by_rid
    monkeypatch.setattr(customer_list, "rows_by_rid",
                        lambda session, rids: read.append(list(rids)) or real(session, rids))
    with qtbot.waitSignal(model.sig_reloaded, timeout=5000):
        model.refresh()
    assert model.rowCount() == 23 and read == []
    assert model.data(model.index(12, 0)) == "…" and model.data(model.index(12, 2)) == ""
    with qtbot.waitSignal(model.dataChanged, timeout=5000) as changed:
        pass
    assert (changed.args[0].row(), changed.args[1].row()) == (10, 14)
    assert model.data(model.index(12, 0)) == "测试客户12"
    assert model.data(model.index(12, COLUMNS.index("owner"))) == "Rep"
    assert [len(r) for r in read] == [5] and model.is_loaded(10) and not model.is_loaded(15)
    model.data(model.index(13, 0))  # same page, already read: no new query
    model.data(model.index(22, 0))  # last, short page
    qtbot.waitUntil(lambda: model.is_loaded(22), timeout=5000)
    assert [len(r) for r in read] == [5, 3]
    qtbot.waitUntil(lambda: context.tasks.pending == 0)


def test_new_customer_button_opens_the_customer_dialog(qtbot, store, world, contexts):
    from ui.dialogs.customer_dialog import CustomerDialog

    page = _open(qtbot, contexts, world.org["rep"], "mine")
    assert page.new_button.isEnabled()
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialogs = [d for d in page.findChildren(CustomerDialog) if d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].customer_id is None
    qtbot.waitUntil(lambda: dialogs[0].is_ready, timeout=5000)
    dialogs[0].reject()
    finance = _open(qtbot, contexts, world.org["finance"], "all")
    assert not finance.new_button.isEnabled()  # finance creates no customers
    _settle(qtbot, finance)


def test_rows_read_before_a_data_change_are_not_shown_after_it(qtbot, store, world, contexts, monkeypatch):
    """Even when the refresh after the change is superseded by a new filter before it answers."""
    import ui.customer_list_model as model_module
    from ui.customer_list_model import CustomerListModel

    monkeypatch.setattr(model_module, "PAGE", 2)  # the row is then outside the pages read with the order
    context = contexts(world.org["admin"])
    model = CustomerListModel(context, "all")

    def names() -> list[str]:
        for row in range(model.rowCount()):
            model.data(model.index(row, 0))
        qtbot.waitUntil(lambda: context.tasks.pending == 0, timeout=5000)
        return [model.data(model.index(row, 0)) for row in range(model.rowCount())]

    with qtbot.waitSignal(model.sig_reloaded, timeout=5000):
        model.refresh()
    assert CUSTOMERS[3][0] in names()
    run(store, world.org["admin"], "customer.update", id=world.ids[CUSTOMERS[3][0]], name="杭州东方电子集团")
    model.refresh(data_changed=True)
    with qtbot.waitSignal(model.sig_reloaded, timeout=5000):
        model.set_filter("杭州", None, None)
    assert names() == ["杭州东方电子集团"]
