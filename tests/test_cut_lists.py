"""A list that shows only the latest N rows says so, with the total: "最近 500 条，共 2,456 条"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from desktop import activity, cut, mutations, timeutil
from desktop.models import Touchpoint, User
from tests.conftest import Org, make_customer, run
from ui import i18n
from ui.context import AppContext
from ui.labels import cut_text
from ui.pages import quotes_page
from ui.pages.quotes_page import QuotesPage, load_quote_list
from ui.pages.team_activity_page import TeamActivityPage


@pytest.fixture
def context(qtbot, store, org: Org):
    ctx = AppContext(store, "en")
    yield ctx
    ctx.tasks.shutdown()


def sign_in(context: AppContext, user_id: str) -> None:
    with context.store.read() as session:
        context.set_user(session.get(User, user_id))


def log_many(store, actor: str, customer: str, n: int) -> None:
    now = timeutil.utcnow()
    mutations.run_many(store, actor, [("touchpoint.log", {
        "customer_id": customer, "channel": "call", "summary": f"电话 {i}",
        "occurred_at": timeutil.to_text(now - timedelta(minutes=i))}) for i in range(n)])


def test_the_words_in_both_languages(qapp):
    assert cut_text(500, 2456) == "Latest 500 of 2,456"
    i18n.install(qapp, "zh_CN")
    try:
        assert cut_text(500, 2456) == "最近 500 条，共 2,456 条"
        assert cut_text(500, 10000, more=True) == "最近 500 条，共 10,000 多条"
    finally:
        i18n.install(qapp, "en")


def test_the_team_page_says_it_shows_the_latest_500_of_all(qtbot, context, store, org):
    customer = make_customer(store, org["rep"])
    log_many(store, org["rep"], customer, activity.TEAM_LIMIT + 3)
    sign_in(context, org["manager"])
    page = TeamActivityPage(context)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == activity.TEAM_LIMIT, timeout=10000)
    assert page.count_label.text() == "Latest 500 of 503"
    # Narrowed to a period with fewer: the whole list, counted as it is (no second query needed).
    with store.read() as s:
        manager = s.get(User, org["manager"])
        found = activity.team_activity_cut(s, manager, timeutil.utcnow() - timedelta(minutes=9.5))
    assert (len(found.rows), found.total, found.is_cut) == (10, 10, False)


def test_the_total_counts_only_what_the_viewer_may_see(store, org):
    mine = make_customer(store, org["rep"])
    log_many(store, org["rep"], mine, 5)
    other = make_customer(store, org["otherrep"], "杭州西湖仪器有限公司", region="浙江", city="杭州")
    log_many(store, org["otherrep"], other, 4)
    with store.read() as s:
        manager = s.get(User, org["manager"])
        found = activity.team_activity_cut(s, manager, timeutil.utcnow() - timedelta(days=1), limit=2)
        assert (len(found.rows), found.total) == (2, 5)  # the other team's four are not counted
        query = select(Touchpoint.id).order_by(Touchpoint.occurred_at.desc())
        assert cut.cut(s, [1, 2, 3], query, 9) == cut.Cut([1, 2, 3], 3)  # not full: nothing counted
        assert cut.cut(s, [1, 2, 3], query, 3) == cut.Cut([1, 2, 3], 9)


def test_a_count_stops_at_the_cap_and_says_more(store, org, monkeypatch):
    customer = make_customer(store, org["rep"])
    log_many(store, org["rep"], customer, 6)
    monkeypatch.setattr(cut, "CAP", 4)  # 10,000 in the app: a count reads every row it counts
    with store.read() as s:
        manager = s.get(User, org["manager"])
        found = activity.team_activity_cut(s, manager, timeutil.utcnow() - timedelta(days=1), limit=2)
    assert (len(found.rows), found.total, found.more) == (2, 4, True)
    assert cut_text(2, found.total, found.more) == "Latest 2 of more than 4"


def test_the_quotes_list_says_it_is_cut_and_how_many_match(qtbot, context, store, org, monkeypatch):
    rep = org["rep"]
    for i in range(5):
        run(store, rep, "quote.create", customer_id=make_customer(store, rep, f"客户{i}有限公司"))
    assert load_quote_list(store, rep, False, 10).total == 5
    monkeypatch.setattr(quotes_page, "LIMIT", 3)
    sign_in(context, rep)
    page = QuotesPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.show()
    assert len(page.rows) == 3 and page.count.text().startswith("Latest 3 of 5")


def test_a_search_in_one_customer_says_how_many_match_beyond_those_shown(store, org):
    from desktop import customer_profile
    from desktop.ids import uuid7

    rep = org["rep"]
    customer = make_customer(store, rep)
    now = timeutil.utcnow()
    mutations.run_many(store, rep, [("touchpoint.log", {
        "customer_id": customer, "channel": "call", "summary": f"拍摄设备铭牌 {i}",
        "occurred_at": timeutil.to_text(now - timedelta(minutes=i))}) for i in range(5)])
    # A colleague's unfinished visit matches too, but is not the rep's to see, so it is not counted.
    run(store, org["manager"], "visit.save", id=uuid7(), customer_id=customer,
        check_in_at=timeutil.to_text(now - timedelta(minutes=30)), summary="铭牌待拍")
    with store.read() as s:
        found = customer_profile.search_timeline_cut(s, rep, customer, "铭牌", limit=3)
        assert (len(found.rows), found.total, found.is_cut) == (3, 5, True)
        whole = customer_profile.search_timeline_cut(s, rep, customer, "铭牌", limit=50)
        assert (len(whole.rows), whole.total) == (5, 5)
