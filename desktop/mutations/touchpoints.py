"""touchpoint.log: one step of the trail. Touchpoints are append-only once submitted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from desktop import errors, follow_ups
from desktop.errors import Label
from desktop.models import CHANNELS, REACTIONS, Touchpoint
from desktop.mutations.common import ensure_new, get_customer, inserted
from desktop.mutations.contacts import get_contact
from desktop.mutations.fields import Field
from desktop.mutations.follow_ups import close_done, open_follow_up
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import can_log_touchpoint

TOUCHPOINT = Label("触点记录", "Touchpoint")
# A device clock may run a little fast; a touchpoint far in the future is a typing mistake.
FUTURE_SLACK = timedelta(minutes=10)
# Before this, a time is a device clock that was reset or a slip of the keyboard, not a touchpoint.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@mutation("touchpoint.log", {
    "id": Field(Label("编号", "Id"), "id", required=True),
    "customer_id": Field(Label("客户", "Customer"), "id", required=True),
    "channel": Field(Label("渠道", "Channel"), "choice", required=True, choices=CHANNELS),
    "occurred_at": Field(Label("发生时间", "When"), "time", required=True),
    "contact_id": Field(Label("联系人", "Contact"), "id"),
    "with_whom": Field(Label("沟通对象", "With whom"), max_len=200),
    "summary": Field(Label("沟通内容", "What was said"), required=True, max_len=4000),
    "reaction": Field(Label("客户反应", "Customer's reaction"), "choice", choices=REACTIONS),
    "reaction_note": Field(Label("反应说明", "Reaction details"), max_len=1000),
    "next_step": Field(Label("下一步", "Next step"), max_len=1000),
    "next_step_due": Field(Label("下一步期限", "Next step due"), "time"),
    # The owner's open follow-up on this customer that this touchpoint did, closed with it (never implied).
    "closes_follow_up_id": Field(Label("同时完成的跟进", "Follow-up it completes"), "id"),
}, id_fields=("id",))
def log_touchpoint(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if args["channel"] == "visit":  # a visit is only worth something with its evidence (desktop.mutations.visits)
        raise errors.invalid_value("channel", "拜访须通过“记录拜访”提交，并附上要求的照片和录音。",
                                   "Visits are recorded with “Record visit”, with the photos and recording they need.")
    customer = get_customer(session, args["customer_id"])
    if not can_log_touchpoint(session, actor.user, customer):
        raise errors.forbidden("为此客户记录触点", "log touchpoints for this customer")
    ensure_new(session, Touchpoint, args["id"], TOUCHPOINT)
    if args["occurred_at"] - args["at"] > FUTURE_SLACK:  # a difference cannot overflow; a sum near 9999 can
        raise errors.invalid_value("occurred_at", "发生时间晚于现在，请检查日期和时间。",
                                   "The time is in the future; check the date and time.")
    if args["occurred_at"] < EARLIEST:
        raise errors.invalid_value("occurred_at", "发生时间早于 2000 年，请检查日期。",
                                   "The time is before 2000; check the date.")
    due = args.get("next_step_due")
    if due is not None and due < args["occurred_at"]:
        raise errors.invalid_value("next_step_due", "下一步期限早于发生时间。",
                                   "The next step is due before the touchpoint happened.")
    contact = None
    if args.get("contact_id"):
        contact = get_contact(session, args["contact_id"], "contact_id")
        if contact.customer_id != customer.id:
            raise errors.invalid_value("contact_id", f"联系人 {contact.name} 不属于客户 {customer.name}。",
                                       f"{contact.name} is not a contact of {customer.name}.")
    touchpoint = Touchpoint(
        id=args["id"], customer_id=customer.id, user_id=actor.id, contact_id=contact.id if contact else None,
        channel=args["channel"], occurred_at=args["occurred_at"],
        with_whom=args.get("with_whom") or (contact.name if contact else ""),
        summary=args["summary"], reaction=args.get("reaction") or "unknown",
        reaction_note=args.get("reaction_note", ""), next_step=args.get("next_step", ""), next_step_due=due,
        status="submitted", created_at=args["at"], updated_at=args["at"], version=1,
    )
    follow_ups.open_for(touchpoint)
    changes = inserted(session, "touchpoint", touchpoint)
    if args.get("closes_follow_up_id"):
        # Through the follow-up's own rule (owner only, same customer), in this same transaction.
        done = close_done(session, actor, open_follow_up(session, args["closes_follow_up_id"], "closes_follow_up_id"),
                          touchpoint, args["at"], "closes_follow_up_id")
        changes.rows += done.rows
    if contact is not None and (contact.last_reached_at is None or contact.last_reached_at < args["occurred_at"]):
        contact.last_reached_at = args["occurred_at"]
        contact.updated_at = args["at"]
        contact.version += 1
        changes.touch("contacts", contact.id, "update", contact.version)
    return changes
