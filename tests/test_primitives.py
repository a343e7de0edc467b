"""Ids, times, money and password hashes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from desktop import passwords, timeutil
from desktop.ids import is_uuid, uuid7, uuid7_from
from desktop.types import money


def test_uuid7_is_version_7_unique_and_increasing():
    ids = [uuid7() for _ in range(20_000)]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    ms = int(ids[0].replace("-", "")[:12], 16)
    assert abs(ms / 1000 - datetime.now(UTC).timestamp()) < 5


def test_uuid7_from_encodes_the_given_time():
    when = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    value = uuid7_from(int(when.timestamp() * 1000), (1 << 74) - 1)
    parsed = uuid.UUID(value)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and is_uuid(value)
    assert int(value.replace("-", "")[:12], 16) == int(when.timestamp() * 1000)


def test_is_uuid_rejects_non_canonical_text():
    assert not is_uuid("not-a-uuid") and not is_uuid(None) and not is_uuid(uuid7().upper())


def test_times_are_stored_as_sortable_utc_text():
    beijing = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 27, 9, 15, tzinfo=beijing)
    text = timeutil.to_text(local)
    assert text == "2026-11-27T01:15:00.000000Z"
    assert timeutil.from_text(text) == local
    with pytest.raises(ValueError):
        timeutil.to_text(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        timeutil.from_text("2026-01-01T00:00:00")


def test_money_rounds_half_up_to_cents():
    assert money("2.675") == Decimal("2.68") and money("-2.675") == Decimal("-2.68")
    assert money(3) == Decimal("3.00")


def test_password_hash_verifies_only_the_right_password():
    stored = passwords.hash_password("正确的密码")
    assert stored.startswith("scrypt$") and "正确的密码" not in stored
    assert passwords.verify_password("正确的密码", stored)
    assert not passwords.verify_password("wrong", stored)
    assert not passwords.verify_password("正确的密码", "garbage")
    assert passwords.hash_password("x") != passwords.hash_password("x")  # salted
