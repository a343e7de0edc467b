"""contact.add, contact.update, contact.remove (a tombstone: the trail that mentions them stays)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from desktop import derived, errors
from desktop.errors import Label
from desktop.models import DECISION_ROLES, Contact
from desktop.mutations.common import ensure_new, get_customer, inserted, updated
from desktop.mutations.fields import Field, optional
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import can_edit_customer

CONTACT = Label("联系人", "Contact")
ID = Field(Label("编号", "Id"), "id", required=True)
DETAILS = {
    "name": Field(Label("姓名", "Name"), required=True, max_len=100),
    "title": Field(Label("职务", "Title"), max_len=100),
    "decision_role": Field(Label("决策角色", "Decision role"), "choice", required=True, choices=DECISION_ROLES),
    "phone": Field(Label("电话", "Phone"), max_len=40),
    "wechat": Field(Label("微信", "WeChat"), max_len=64),
    "email": Field(Label("邮箱", "Email"), max_len=200),
    "notes": Field(Label("备注", "Notes"), max_len=2000),
    "last_reached_at": Field(Label("最近联系时间", "Last reached"), "time", nullable=True),
}


def get_contact(session: Session, contact_id: str, field: str = "id") -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None:
        raise errors.not_found(field, CONTACT, contact_id, contact.name if contact is not None else None)
    return contact


def _check_email(args: dict[str, Any]) -> None:
    email = args.get("email")
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise errors.invalid_value("email", f"邮箱“{email}”格式不正确，应类似 name@example.com。",
                                   f"Email {email!r} is not valid; it should look like name@example.com.")


@mutation("contact.add", {"id": ID, "customer_id": Field(Label("客户", "Customer"), "id", required=True), **DETAILS},
          id_fields=("id",))
def add_contact(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    customer = get_customer(session, args["customer_id"])
    if not can_edit_customer(session, actor.user, customer):
        raise errors.forbidden("为此客户添加联系人", "add contacts to this customer")
    ensure_new(session, Contact, args["id"], CONTACT)
    _check_email(args)
    values = {k: v for k, v in args.items() if k in DETAILS and v is not None}
    contact = Contact(id=args["id"], customer_id=customer.id, created_at=args["at"], updated_at=args["at"], version=1,
                      **{"title": "", "phone": "", "wechat": "", "email": "", "notes": "", **values})
    derived.refresh(contact)
    return inserted(session, "contact", contact)


@mutation("contact.update", {"id": ID, **optional(DETAILS)})
def update_contact(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    contact = get_contact(session, args["id"])
    if not can_edit_customer(session, actor.user, get_customer(session, contact.customer_id)):
        raise errors.forbidden("修改此联系人", "change this contact")
    for name in ("name", "decision_role"):
        if name in args and not args[name]:
            raise errors.missing_field(name, DETAILS[name].label)
    _check_email(args)
    changes = updated("contact", contact, args, tuple(DETAILS), args["at"])
    derived.refresh(contact)
    return changes


@mutation("contact.remove", {"id": ID})
def remove_contact(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    contact = get_contact(session, args["id"])
    if not can_edit_customer(session, actor.user, get_customer(session, contact.customer_id)):
        raise errors.forbidden("删除此联系人", "remove this contact")
    changes = Changes("contact", contact.id, base_version=contact.version)
    contact.deleted_at = args["at"]
    contact.updated_at = args["at"]
    contact.version += 1
    changes.touch("contacts", contact.id, "delete", contact.version)
    return changes
