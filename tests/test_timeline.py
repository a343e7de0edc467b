"""A customer's trail, newest first, page by page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from desktop import timeutil
from desktop.timeline import customer_timeline
from tests.conftest import make_customer, run


def test_pages_cover_the_trail_newest_first_without_gaps_or_repeats(store, org):
    customer = make_customer(store, org["rep"])
    other = make_customer(store, org["rep"], "杭州嘉禾食品有限公司")
    now = timeutil.utcnow()
    same_time = timeutil.to_text(now - timedelta(days=3))
    for i in range(25):  # five share one time: paging must still be exact
        when = same_time if i < 5 else timeutil.to_text(now - timedelta(days=i, hours=1))
        run(store, org["rep"], "touchpoint.log", customer_id=customer, channel="call", occurred_at=when,
            summary=f"电话 {i}")
    run(store, org["rep"], "touchpoint.log", customer_id=other, channel="call",
        occurred_at=timeutil.to_text(now), summary="别的客户")
    seen = []
    with store.read() as s:
        page = customer_timeline(s, customer, limit=7)
        while page:
            seen += page
            page = customer_timeline(s, customer, limit=7, before=(page[-1].occurred_at, page[-1].rid))
        plan = " ".join(str(r) for r in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT * FROM touchpoints WHERE customer_id = 'x' "
            "ORDER BY occurred_at DESC, rid DESC LIMIT 100")))
    assert len(seen) == 25 and len({t.id for t in seen}) == 25
    assert all(t.customer_id == customer for t in seen)
    keys = [(t.occurred_at, t.rid) for t in seen]
    assert keys == sorted(keys, reverse=True)
    assert "ix_touchpoints_customer_time" in plan and "TEMP B-TREE" not in plan
