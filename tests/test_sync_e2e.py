"""End to end: two desktops and a real server. A rep works offline, reconnects, and the manager's
desktop shows the rep's touchpoints after its next sync."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desktop import integrity, mutations, remote, search, timeutil
from desktop.models import Customer, OutboxEntry, Touchpoint, User
from desktop.store import open_store
from sync.client import SyncClient
from sync.token_store import FileTokenStore
from tests.server_process import ServerProcess


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path / "server", url)
    yield process
    process.stop()


def desktop(folder, server, username):
    """A new installation (its own device id) that signs in online once and pulls what its user may see."""
    store = open_store(folder / "fieldmark.db")
    client = SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None)
    user_id = client.sign_in(username, "fieldmark", f"{username}'s laptop")
    client.sync()
    return store, client, user_id


def count(store, model, *where):
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_touchpoints_logged_offline_reach_the_managers_desktop(server, tmp_path):
    rep_store, rep, rep_id = desktop(tmp_path / "rep", server, "rep.li")
    boss_store, boss, _ = desktop(tmp_path / "manager", server, "manager.wang")
    assert count(rep_store, User) == 12  # the organisation arrived with the first pull

    # Offline: nothing below talks to the server.
    customer = mutations.run(rep_store, rep_id, "customer.create",
                             {"name": "苏州恒通精密机械有限公司", "region": "江苏", "city": "苏州"}).changes.entity_id
    now = timeutil.utcnow()
    for days, summary in ((2, "电话沟通交期"), (1, "现场拜访，拍摄门头和设备铭牌照片"), (0, "微信发送报价单")):
        mutations.run(rep_store, rep_id, "touchpoint.log", {
            "customer_id": customer, "channel": "meeting", "summary": summary,
            "occurred_at": timeutil.to_text(now - timedelta(days=days))})
    with rep_store.read() as s:
        assert mutations.pending(s) == 4

    report = rep.sync()  # back online
    assert (report.push.sent, report.push.applied, report.push.rejected) == (4, 4, 0)
    with rep_store.read() as s:
        assert mutations.pending(s) == 0
        assert set(s.scalars(select(OutboxEntry.status))) == {"applied"}
        assert remote.open_problems(s) == []

    assert count(boss_store, Touchpoint) == 0
    boss.sync()
    assert count(boss_store, Customer, Customer.id == customer) == 1
    assert count(boss_store, Touchpoint, Touchpoint.customer_id == customer) == 3
    with boss_store.read() as s:
        found = search.search_touchpoints(s, "铭牌")  # pulled rows are searchable at once
        assert [t.summary for t in found] == ["现场拜访，拍摄门头和设备铭牌照片"]
        assert integrity.check(s) == []

    # Another offline visit, and a second round: nothing twice, nothing lost.
    mutations.run(rep_store, rep_id, "touchpoint.log", {
        "customer_id": customer, "channel": "call", "summary": "确认安装调试时间",
        "occurred_at": timeutil.to_text(timeutil.utcnow())})
    rep.sync()
    rep.sync()
    boss.sync()
    assert count(boss_store, Touchpoint, Touchpoint.customer_id == customer) == 4
    assert count(rep_store, Touchpoint) == 4
    with rep_store.read() as s:
        assert integrity.check(s) == []
    rep_store.close()
    boss_store.close()
