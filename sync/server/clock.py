"""Device times the server will store: the time of a change (``at``) inside a plausible window.

Every mutation carries ``at``, the device's clock when the change was made; the mutations store it as
created/updated/decided times. The server never orders anything by it (fields take the last write in
server order), but it keeps it, so it must be believable. The window is:

- not more than FUTURE_SLACK ahead of the server's clock at receipt;
- not before EARLIEST (2000-01-01: a device whose clock was reset);
- not before the row the change is about existed (FLOORS: a customer's or contact's creation, a
  quote's submission for an approval).

A time outside it is **clamped**, never refused: it is replaced by the server's receipt time (the
change surely happened before the server received it, and after its row existed), and the push
result says so (``clock``: the time sent, the time stored, why). The change itself is the user's and
is kept; the time was the device clock's. Times a user types (a touchpoint's ``occurred_at``, a
visit's check-in) are checked by their mutations against ``at``, so against a believable clock; one
left at "now" on a device whose clock runs ahead (within NOW_SLACK of ``at``) is moved with ``at``
(``clock.moved`` says from what to what), since "now" was the device clock's too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from desktop import timeutil
from desktop.ids import is_uuid
from desktop.models import Contact, Customer, Quote
from desktop.mutations.common import by_id

FUTURE_SLACK = timedelta(minutes=5)
# Times a user usually leaves at "now" (the device's clock): moved with ``at`` when that runs ahead.
NOW_FIELDS = ("occurred_at",)
NOW_SLACK = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# mutation -> (argument naming the row, its model, the column before which the change cannot be)
FLOORS: dict[str, tuple[str, type, str]] = {
    "customer.update": ("id", Customer, "created_at"),
    "contact.add": ("customer_id", Customer, "created_at"),
    "contact.update": ("id", Contact, "created_at"),
    "contact.remove": ("id", Contact, "created_at"),
    "touchpoint.log": ("customer_id", Customer, "created_at"),
    "approval.decide": ("quote_id", Quote, "submitted_at"),
}


def plausible(session: Any, name: str, args: Any, received: datetime) -> tuple[Any, datetime, dict[str, Any] | None]:
    """The args with ``at`` inside the window, the time to keep as the device's, and the note when
    ``at`` was replaced (None when it stood). Args whose ``at`` does not parse are left for the
    mutation's own check to refuse."""
    if not isinstance(args, dict) or not isinstance(args.get("at"), str):
        return args, received, None
    try:
        at = timeutil.from_text(args["at"])
    except (ValueError, OverflowError):
        return args, received, None
    reason = None
    if at - received > FUTURE_SLACK:
        reason = "future"
    elif at < EARLIEST:
        reason = "too_early"
    else:
        floor = _floor(session, name, args)
        if floor is not None and at < floor:
            reason = "before_row"
    if reason is None:
        return args, at, None
    stored = timeutil.to_text(received)
    note: dict[str, Any] = {"sent": args["at"], "stored": stored, "reason": reason}
    out = {**args, "at": stored}
    if reason == "future":
        out = _now_as_received(out, args, at, received, note)
    return out, received, note


def _now_as_received(out: dict[str, Any], args: dict[str, Any], at: datetime, received: datetime,
                     note: dict[str, Any]) -> dict[str, Any]:
    """A device whose clock runs ahead logs "now" in its own time: a time the user left at "now"
    (within NOW_SLACK of ``at``) is the moment the change was made, which the server knows better - its
    receipt time - so it moves with ``at`` and the note says so. A time typed far from "now" is the
    user's, and left for the mutation to judge."""
    for name in NOW_FIELDS:
        text = args.get(name)
        if not isinstance(text, str):
            continue
        try:
            when = timeutil.from_text(text)
        except (ValueError, OverflowError):
            continue
        if abs(when - at) <= NOW_SLACK:
            moved = timeutil.to_text(received + (when - at))
            out[name] = moved
            note.setdefault("moved", {})[name] = {"sent": text, "stored": moved}
    return out


def _floor(session: Any, name: str, args: dict[str, Any]) -> datetime | None:
    spec = FLOORS.get(name)
    if spec is None:
        return None
    arg, model, column = spec
    row_id = args.get(arg)
    if not is_uuid(row_id):  # anything else is the mutation's to refuse (and may not reach a query)
        return None
    row = by_id(session, model, row_id)
    value = getattr(row, column, None) if row is not None else None
    return value if isinstance(value, datetime) else None
