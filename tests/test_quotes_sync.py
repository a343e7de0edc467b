"""Quotes through the real sync server: the server re-runs the quote mutations under the pushing user,
refuses a stale or self-made approval, and sends quotes only to those who may see their customer."""

from __future__ import annotations

import itertools

import pytest

from desktop.mutations import prepare
from sync import protocol
from tests.server_process import Api, ServerProcess

_numbers = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    yield process
    process.stop()


def call(mutation: str, /, **args) -> tuple[str, dict]:
    return mutation, prepare(mutation, args)


def results(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(r["status"], (r.get("error") or {}).get("code")) for r in response.json()["results"]]


def test_a_quote_is_approved_on_the_server_and_seen_only_within_its_customers_scope(server):
    rep, finance = Api(server, "rep.li"), Api(server, "finance.sun")
    customer = call("customer.create", name=f"昆山精工{next(_numbers)}号", region="江苏", city="昆山")
    number = f"Q20261128-D7-{next(_numbers):04d}"
    quote = call("quote.create", customer_id=customer[1]["id"], number=number)
    line = call("quote.line_set", quote_id=quote[1]["id"], description="数控车床", quantity="2",
                unit_price="0.125")
    submit = call("quote.submit", id=quote[1]["id"])
    assert results(rep.push(customer, quote, line, submit)) == [("applied", None)] * 4
    # the quote is at version 3 (created, a line, submitted)
    stale = call("approval.decide", quote_id=quote[1]["id"], quote_version=2, decision="approve")
    own = call("approval.decide", quote_id=quote[1]["id"], quote_version=3, decision="approve")
    assert results(rep.push(own)) == [("rejected", "forbidden")]
    twin = call("quote.create", customer_id=customer[1]["id"], number=number)
    assert results(rep.push(twin)) == [("rejected", "conflict")]
    right = call("approval.decide", quote_id=quote[1]["id"], quote_version=3, decision="approve")
    assert results(finance.push(stale, right)) == [("rejected", "stale_version"), ("applied", None)]

    def rows(api: Api, table: str) -> dict[str, dict]:
        changes, _ = api.pull_all()
        return {c["id"]: c["row"] for c in changes if c["table"] == table and c["op"] == protocol.UPSERT}

    stored = rows(finance, "quotes")[quote[1]["id"]]
    assert (stored["status"], stored["number"], stored["total"]) == ("approved", number, "0.28")
    assert [a["decision"] for a in rows(rep, "approvals").values() if a["quote_id"] == quote[1]["id"]] == ["approve"]
    assert line[1]["id"] in rows(rep, "quote_lines")
    other = Api(server, "rep.liu")  # another team's rep
    assert quote[1]["id"] not in rows(other, "quotes")
    assert line[1]["id"] not in rows(other, "quote_lines")
