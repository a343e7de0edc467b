"""What the workbenches list (desktop.activity), judged against who may see which customer."""

from __future__ import annotations

from datetime import timedelta

from desktop import activity, timeutil
from desktop.models import User
from tests.conftest import make_customer, run


def _team_activity(store, user_id: str) -> list[str]:
    with store.read() as session:
        user = session.get(User, user_id)
        since = timeutil.utcnow() - timedelta(days=7)
        return [row.customer_name for row in activity.team_activity(session, user, since)]


def test_team_activity_leaves_out_customers_the_manager_may_no_longer_see(store, org):
    kept = make_customer(store, org["rep"], "苏州恒通精密机械有限公司")
    handed_over = make_customer(store, org["rep"], "无锡华光电子有限公司")
    for customer in (kept, handed_over):
        run(store, org["rep"], "touchpoint.log", customer_id=customer, channel="meeting",
            occurred_at=timeutil.to_text(timeutil.utcnow()), summary="报价谈判，客户要求降价")
    assert sorted(_team_activity(store, org["manager"])) == ["无锡华光电子有限公司", "苏州恒通精密机械有限公司"]
    # The customer goes to a rep of another team: its trail, what was said included, leaves this team's view.
    run(store, org["admin"], "customer.update", id=handed_over, owner_id=org["otherrep"])
    assert _team_activity(store, org["manager"]) == ["苏州恒通精密机械有限公司"]
    assert sorted(_team_activity(store, org["admin"])) == ["无锡华光电子有限公司", "苏州恒通精密机械有限公司"]
