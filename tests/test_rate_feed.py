"""The server's rate feed: finance or an admin fetches the CFETS central parity (from a local stand-in
serving recorded answers) or imports a rates file on the server, and every desktop receives the
rates with its next pull; a rep may not; the feed also answers as a rate provider."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop.models import ExchangeRate
from sync.client import SyncError
from sync.rate_feed import ServerRates
from tests.cfets_site import cfets_site
from tests.server_process import Api, ServerProcess
from tests.test_sync_visits import Desk

RECORDED = [(date(2026, 11, d), Decimal(v)) for d, v in
            ((16, "7.0771"), (17, "7.0835"), (18, "7.0800"), (19, "7.0796"), (20, "7.0812"))]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site_and_server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    with cfets_site() as site:
        process = ServerProcess(tmp_path_factory.mktemp("server"), url, "--cfets-url", site)
        yield site, process
        process.stop()


def cached(desk: Desk) -> list[tuple[date, Decimal, str]]:
    with desk.store.read() as s:
        return [(date.fromisoformat(r.rate_date), r.rate, r.source)
                for r in s.scalars(select(ExchangeRate).order_by(ExchangeRate.rate_date))]


def test_finance_fetches_the_central_parity_on_the_server_and_every_desktop_receives_it(site_and_server, tmp_path):
    _site, server = site_and_server
    rep = Desk(tmp_path / "rep", server, "rep.li")
    finance = Desk(tmp_path / "finance", server, "finance.sun")

    with pytest.raises(SyncError) as refused:
        rep.client.fetch_rates_on_server(days=10)
    assert refused.value.code == "forbidden" and "汇率" in refused.value.message_zh

    first = finance.client.fetch_rates_on_server(days=10)
    assert first["recorded"] + first["unchanged"] == 5 and first["problems"] == []
    again = finance.client.fetch_rates_on_server(days=10)
    assert again == {"recorded": 0, "unchanged": 5, "problems": []}  # nothing written twice

    rep.client.sync()
    assert [(d, r) for d, r, _s in cached(rep)] == RECORDED
    assert {s for *_x, s in cached(rep)} == {"cfets"}

    feed = ServerRates(rep.client)
    assert feed.latest("usd/cny", date(2026, 11, 22)).rate == Decimal("7.0812")  # a Sunday: Friday's rate
    assert [r.rate_date.day for r in feed.history("USD/CNY", date(2026, 11, 17), date(2026, 11, 19))] == [17, 18, 19]
    assert feed.latest("USD/CNY", date(2026, 11, 1)) is None


def test_a_rate_source_that_fails_is_reported_as_it_is(tmp_path):
    with cfets_site() as site:
        server = ServerProcess(tmp_path / "server", None, "--cfets-url", site + "/maintenance")
        try:
            finance = Api(server, "finance.sun")
            response = finance.post("/v1/rates/fetch", {"days": 3})
            assert response.status_code == 424  # not the sync server's fault: no retry as if it were down
            body = response.json()
            assert body["code"] == "fx_response_invalid" and "中国外汇交易中心" in body["message_zh"]
            assert finance.post("/v1/rates/fetch", {"days": 0}).status_code == 422
        finally:
            server.stop()


def test_an_admin_imports_a_rates_file_on_the_server(site_and_server, tmp_path):
    _site, server = site_and_server
    path = tmp_path / "rates.csv"
    path.write_text("日期,货币对,中间价\n2026-11-23,USD/CNY,7.0833\n2026-11-24,USD/CNY,70.833\n", encoding="utf-8")
    refused = server.admin("rates", "import", str(path), "--as", "rep.li")
    assert refused.returncode == 1 and "may not record exchange rates" in refused.stderr
    done = server.admin("rates", "import", str(path), "--as", "admin")
    assert done.returncode == 2  # one row not read
    assert "recorded 1 rates" in done.stdout and "Row 3:" in done.stderr and "70.833" in done.stderr
    desk = Desk(tmp_path / "desk", server, "finance.sun")
    assert (date(2026, 11, 23), Decimal("7.0833"), "csv") in cached(desk)
    assert not any(d == date(2026, 11, 24) for d, *_x in cached(desk))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_server_fetches_the_central_parity_by_itself(tmp_path, workers):
    """serve --fetch-rates-as: with no rate as new as the newest publication, the server fetches on its
    own, recorded under that finance user; a user who may not record rates is refused at start. With
    several worker processes it fetches once, from the parent process, not once per worker."""
    import time

    with cfets_site() as site:
        server = ServerProcess(tmp_path / "server", None, "--cfets-url", site, "--fetch-rates-as", "finance.sun",
                               workers=workers)
        try:
            rep = Api(server, "rep.li")
            deadline = time.monotonic() + 30
            found: list[dict] = []
            while time.monotonic() < deadline and len(found) < 5:
                found = rep.get("/v1/rates", params={"start": "2026-11-01"}).json()["rates"]
                time.sleep(0.2)
            assert [(r["rate_date"], r["rate"]) for r in found] == [(d.isoformat(), str(v)) for d, v in RECORDED]
            while time.monotonic() < deadline and "rates: fetched" not in server.log():
                time.sleep(0.1)
            time.sleep(0.5)  # a second fetcher, if there were one, would have said so by now
            assert server.log().count("rates: fetched the central parity") == 1
            refused = server.admin("serve", "--port", "1", "--fetch-rates-as", "rep.li")
            assert refused.returncode == 1 and "not a finance user or admin" in refused.stderr
        finally:
            server.stop()
