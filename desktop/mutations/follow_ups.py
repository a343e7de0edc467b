"""follow_up.done / follow_up.postpone / follow_up.hand_over: only a follow-up's owner closes it
(desktop.follow_ups); the owner's manager may also hand it over."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from desktop import errors
from desktop.errors import DomainError, Label
from desktop.follow_ups import DONE, OPEN
from desktop.models import Touchpoint, User
from desktop.mutations.common import by_id, get_customer, updated
from desktop.mutations.fields import Field
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import MANAGERS, can_log_touchpoint

FOLLOW_UP = Label("跟进事项", "Follow-up")
ID = Field(FOLLOW_UP, "id", required=True)
DONE_IN = Label("完成它的触点", "Touchpoint that did it")


def open_follow_up(session: Session, follow_up_id: str, field: str = "id") -> Touchpoint:
    """The open follow-up (a touchpoint's next step), or a DomainError saying why it cannot be closed."""
    row = by_id(session, Touchpoint, follow_up_id)
    if row is None or not row.follow_up:
        raise errors.not_found(field, FOLLOW_UP, follow_up_id)
    if row.follow_up != OPEN:
        raise DomainError("follow_up_closed", "这项跟进已经关闭了。", "This follow-up is already closed.", field)
    return row


def _owner_only(actor: Actor, row: Touchpoint, action_zh: str, action_en: str) -> None:
    if actor.id != row.follow_up_owner_id:
        raise DomainError("forbidden", f"只有这项跟进的负责人才能{action_zh}。",
                          f"Only the follow-up's owner may {action_en} it.")


def close_done(session: Session, actor: Actor, row: Touchpoint, done_in: Touchpoint | None, at: Any,
               field: str = "done_in_id") -> Changes:
    """Mark the owner's open follow-up done (by ``done_in``, when named), as one change to its row."""
    _owner_only(actor, row, "标记完成", "mark done")
    if done_in is not None:
        if done_in.customer_id != row.customer_id or done_in.status != "submitted" or done_in.id == row.id:
            raise errors.invalid_value(field, "完成它的触点须是同一客户的另一条已提交触点。",
                                       "The touchpoint that did it must be another submitted one of the same customer.")
    values = {"follow_up": DONE, "follow_up_closed_at": at, "follow_up_closed_by": actor.id,
              "follow_up_done_in": done_in.id if done_in is not None else None}
    return updated("follow_up", row, values, tuple(values), at)


@mutation("follow_up.done", {"id": ID, "done_in_id": Field(DONE_IN, "id")})
def mark_done(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    row = open_follow_up(session, args["id"])
    done_in = None
    if args.get("done_in_id"):
        done_in = by_id(session, Touchpoint, args["done_in_id"])
        if done_in is None:
            raise errors.not_found("done_in_id", DONE_IN, args["done_in_id"])
    return close_done(session, actor, row, done_in, args["at"])


@mutation("follow_up.postpone", {"id": ID, "due": Field(Label("新的期限", "New due date"), "time", required=True)})
def postpone(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Move the due date; the follow-up stays open."""
    row = open_follow_up(session, args["id"])
    _owner_only(actor, row, "推迟", "postpone")
    if args["due"] <= args["at"]:
        raise errors.invalid_value("due", "新的期限已经过去，请选择今天以后的日期。",
                                   "The new due date has passed; choose a date after today.")
    if args["due"] == row.next_step_due:
        raise DomainError("no_change", "没有需要保存的修改。", "Nothing was changed.", "due")
    return updated("follow_up", row, {"next_step_due": args["due"]}, ("next_step_due",), args["at"])


def may_hand_over(user: User, owner: User | None) -> bool:
    """The owner, their manager (named as such, or a manager of their team), or an admin."""
    if user.role == "admin":
        return True
    if owner is None:
        return False
    if user.id == owner.id or owner.manager_id == user.id:
        return True
    return user.role in MANAGERS and bool(user.team) and owner.team == user.team


@mutation("follow_up.hand_over", {"id": ID, "to_user_id": Field(Label("交给", "Hand over to"), "id", required=True)})
def hand_over(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Give the follow-up to someone else, who becomes its owner; it stays open with its due date."""
    row = open_follow_up(session, args["id"])
    owner = session.get(User, row.follow_up_owner_id) if row.follow_up_owner_id else None
    if not may_hand_over(actor.user, owner):
        raise DomainError("forbidden", "只有这项跟进的负责人或其经理才能转交它。",
                          "Only the follow-up's owner or their manager may hand it over.")
    target = session.get(User, args["to_user_id"])
    if target is None or not target.active:
        raise errors.not_found("to_user_id", Label("用户", "User"), args["to_user_id"])
    if target.id == row.follow_up_owner_id:
        raise errors.invalid_value("to_user_id", f"{target.display_name} 已经是这项跟进的负责人。",
                                   f"{target.display_name} already owns this follow-up.")
    customer = get_customer(session, row.customer_id)
    if not can_log_touchpoint(session, target, customer):
        raise errors.invalid_value("to_user_id", f"{target.display_name} 不负责客户 {customer.name}，不能接手这项跟进。",
                                   f"{target.display_name} does not work with {customer.name} and cannot take it.")
    return updated("follow_up", row, {"follow_up_owner_id": target.id}, ("follow_up_owner_id",), args["at"])
