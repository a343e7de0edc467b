"""policy.set: the quote approval policy, ordered rules as data (desktop.approval_policy).

Only the finance director (or an admin) sets it. One policy row per name; quotes use the one named
``default``, or the built-in default rules while no row exists. Each change bumps the row's version,
and a submitted quote records the (id, version) it was checked against.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import approval_policy, errors
from desktop.errors import Label
from desktop.models import ApprovalPolicy
from desktop.mutations.common import ensure_new, inserted, updated
from desktop.mutations.fields import Field
from desktop.mutations.registry import Actor, Changes, mutation

POLICY = Label("审批规则", "Approval policy")
DEFAULT_NAME = "default"


def current(session: Session) -> tuple[ApprovalPolicy | None, list[approval_policy.Rule]]:
    """The policy quotes are checked against now: its row (None: the built-in default) and its rules."""
    row = session.scalars(select(ApprovalPolicy).where(ApprovalPolicy.name == DEFAULT_NAME)).first()
    return row, approval_policy.parse(row.rules if row is not None else approval_policy.DEFAULT_RULES)


@mutation("policy.set", {
    "id": Field(Label("编号", "Id"), "id", required=True),
    "name": Field(Label("名称", "Name"), max_len=64),
    "rules": Field(Label("规则", "Rules"), "objects", required=True),
}, id_fields=("id",))
def set_policy(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if actor.role not in ("finance_director", "admin"):
        raise errors.forbidden("修改报价审批规则", "change the quote approval policy")
    rules = [rule.to_dict() for rule in approval_policy.parse(args["rules"])]
    name = args.get("name") or DEFAULT_NAME
    existing = session.scalars(select(ApprovalPolicy).where(ApprovalPolicy.name == name)).first()
    if existing is not None:
        names = ("rules", "updated_by") if existing.rules != rules else ("rules",)  # the same rules: no change
        return updated("approval_policy", existing, {"rules": rules, "updated_by": actor.id}, names, args["at"])
    ensure_new(session, ApprovalPolicy, args["id"], POLICY)
    row = ApprovalPolicy(id=args["id"], name=name, rules=rules, updated_by=actor.id, created_at=args["at"],
                         updated_at=args["at"], version=1)
    return inserted(session, "approval_policy", row)
