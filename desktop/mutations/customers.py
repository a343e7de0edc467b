"""customer.create, customer.update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import derived, errors
from desktop.errors import Label
from desktop.models import CUSTOMER_STATUSES, SEGMENTS, Customer, User
from desktop.mutations.common import CUSTOMER, ensure_new, get_customer, inserted, updated
from desktop.mutations.fields import Field, optional
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import OWNERS, can_assign_owner, can_edit_customer
from desktop.text_rules import clean_name, name_key

OWNER = Label("负责人", "Owner")

PROFILE = {
    "name": Field(Label("客户名称", "Customer name"), required=True, max_len=200),
    "short_name": Field(Label("简称", "Short name"), max_len=50),
    "owner_id": Field(OWNER, "id"),
    "region": Field(Label("省份/区域", "Region"), max_len=32),
    "city": Field(Label("城市", "City"), max_len=32),
    "address": Field(Label("地址", "Address"), max_len=300),
    "industry": Field(Label("行业", "Industry"), max_len=64),
    "segment": Field(Label("客户类型", "Segment"), "choice", choices=SEGMENTS),
    "status": Field(Label("状态", "Status"), "choice", choices=CUSTOMER_STATUSES),
    "phone": Field(Label("电话", "Phone"), max_len=40),
    "credit_limit": Field(Label("信用额度", "Credit limit"), "money", nullable=True),
    "notes": Field(Label("备注", "Notes"), max_len=4000),
}
EDITABLE = tuple(PROFILE)


def _owner(session: Session, actor: Actor, owner_id: str) -> User:
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise errors.not_found("owner_id", OWNER, owner_id)
    if owner.role not in OWNERS:
        raise errors.invalid_value("owner_id", f"{owner.display_name} 的角色不能担任客户负责人。",
                                   f"{owner.display_name}'s role cannot own customers.")
    if not can_assign_owner(actor.user, owner):
        raise errors.forbidden("把客户分配给其他团队的人", "assign customers to someone outside your team")
    return owner


def _no_duplicate_name(session: Session, name: str, except_id: str | None = None) -> None:
    # Compared folded (text_rules.name_key): ＡＢＢ（中国） and "ABB (中国)" are the same company.
    query = select(Customer.name).where(Customer.name_key == name_key(name), Customer.deleted_at.is_(None))
    if except_id is not None:
        query = query.where(Customer.id != except_id)
    existing = session.scalars(query).first()
    if existing is not None:
        if existing == name:
            raise errors.conflict("name", f"客户名称“{name}”已被其他客户使用。",
                                  f"A customer named {name!r} already exists.")
        raise errors.conflict("name", f"客户名称“{name}”与已有客户“{existing}”相同（仅全角/半角、空格或大小写不同）。",
                              f"{name!r} is the same name as the existing customer {existing!r} "
                              "(it differs only in width, spacing or case).")


@mutation("customer.create", {"id": Field(Label("编号", "Id"), "id", required=True), **PROFILE}, id_fields=("id",))
def create_customer(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if actor.role not in OWNERS and actor.role != "admin":
        raise errors.forbidden("新建客户", "create customers")
    ensure_new(session, Customer, args["id"], CUSTOMER)
    args["name"] = clean_name(args["name"])
    _no_duplicate_name(session, args["name"])
    owner = _owner(session, actor, args.get("owner_id") or actor.id)
    values = {k: v for k, v in args.items() if k in PROFILE and v is not None}
    values["owner_id"] = owner.id
    customer = Customer(id=args["id"], created_at=args["at"], updated_at=args["at"], version=1,
                        **{"short_name": "", "region": "", "city": "", "address": "", "industry": "",
                           "segment": "standard", "status": "active", "phone": "", "notes": "", **values})
    derived.refresh(customer)
    return inserted(session, "customer", customer)


@mutation("customer.update", {"id": Field(CUSTOMER, "id", required=True),
                              **optional(PROFILE)})
def update_customer(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    customer = get_customer(session, args["id"], "id")
    if not can_edit_customer(session, actor.user, customer):
        raise errors.forbidden("修改此客户", "change this customer")
    if "name" in args:
        if not args["name"]:
            raise errors.missing_field("name", PROFILE["name"].label)
        args["name"] = clean_name(args["name"])
        if not args["name"]:  # nothing but invisible characters
            raise errors.missing_field("name", PROFILE["name"].label)
        _no_duplicate_name(session, args["name"], customer.id)
    if "owner_id" in args:
        if args["owner_id"] is None:
            raise errors.missing_field("owner_id", OWNER)
        if args["owner_id"] != customer.owner_id:
            _owner(session, actor, args["owner_id"])
    for name in ("segment", "status"):
        if name in args and args[name] is None:
            raise errors.missing_field(name, PROFILE[name].label)
    changes = updated("customer", customer, args, EDITABLE, args["at"])
    derived.refresh(customer)
    return changes
