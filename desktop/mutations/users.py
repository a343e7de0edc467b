"""user.create, user.update, user.set_password. Passwords arrive already hashed (desktop.passwords)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import derived, errors
from desktop.errors import Label
from desktop.models import ROLES, User
from desktop.mutations.common import ensure_new, inserted, updated
from desktop.mutations.fields import Field, optional
from desktop.mutations.registry import Actor, Changes, mutation

USER = Label("用户", "User")
USERNAME = re.compile(r"^[a-z0-9_.-]{2,64}$")
PASSWORD_HASH = Field(Label("密码", "Password"), required=True, max_len=200)
PROFILE = {
    "display_name": Field(Label("姓名", "Display name"), required=True, max_len=100),
    "role": Field(Label("角色", "Role"), "choice", required=True, choices=ROLES),
    "territory": Field(Label("区域", "Territory"), max_len=64),
    "team": Field(Label("团队", "Team"), max_len=64),
    "manager_id": Field(Label("上级", "Manager"), "id", nullable=True),
    "active": Field(Label("启用", "Active"), "bool"),
}


def _check_hash(value: str) -> None:
    if not value.startswith("scrypt$"):
        raise errors.invalid_value("password_hash", "密码必须先加密再保存。", "Passwords must be hashed before storing.")


def _check_manager(session: Session, manager_id: str | None) -> None:
    if manager_id is not None and session.get(User, manager_id) is None:
        raise errors.not_found("manager_id", Label("上级", "Manager"), manager_id)


@mutation("user.create", {"id": Field(Label("编号", "Id"), "id", required=True),
                          "username": Field(Label("用户名", "Username"), required=True, max_len=64),
                          "password_hash": PASSWORD_HASH, **PROFILE}, id_fields=("id",))
def create_user(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if actor.role != "admin":
        raise errors.forbidden("新建用户", "create users")
    ensure_new(session, User, args["id"], USER)
    username = args["username"].lower()
    if not USERNAME.match(username):
        raise errors.invalid_value("username", "用户名只能包含小写字母、数字和 _ . -，长度 2–64。",
                                   "A username has 2-64 lower-case letters, digits or _ . - characters.")
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise errors.conflict("username", f"用户名“{username}”已被使用。", f"The username {username!r} is taken.")
    _check_hash(args["password_hash"])
    _check_manager(session, args.get("manager_id"))
    user = User(id=args["id"], username=username, display_name=args["display_name"], role=args["role"],
                territory=args.get("territory", ""), team=args.get("team", ""), manager_id=args.get("manager_id"),
                password_hash=args["password_hash"], active=args.get("active", True),
                created_at=args["at"], updated_at=args["at"], version=1)
    derived.refresh(user)
    return inserted(session, "user", user)


@mutation("user.update", {"id": Field(USER, "id", required=True),
                          **optional(PROFILE)})
def update_user(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if actor.role != "admin":
        raise errors.forbidden("修改用户", "change users")
    user = session.get(User, args["id"])
    if user is None:
        raise errors.not_found("id", USER, args["id"])
    if args.get("active") is False and user.id == actor.id:
        raise errors.invalid_value("active", "不能停用自己的账号。", "You cannot disable your own account.")
    for name in ("display_name", "role"):
        if name in args and not args[name]:
            raise errors.missing_field(name, PROFILE[name].label)
    _check_manager(session, args.get("manager_id"))
    changes = updated("user", user, args, tuple(PROFILE), args["at"])
    derived.refresh(user)
    return changes


@mutation("user.set_password", {"id": Field(USER, "id", required=True), "password_hash": PASSWORD_HASH})
def set_password(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if actor.id != args["id"] and actor.role != "admin":
        raise errors.forbidden("修改他人的密码", "change someone else's password")
    user = session.get(User, args["id"])
    if user is None:
        raise errors.not_found("id", USER, args["id"])
    _check_hash(args["password_hash"])
    changes = Changes("user", user.id, base_version=user.version)
    user.password_hash = args["password_hash"]
    user.updated_at = args["at"]
    user.version += 1
    changes.diff["password_hash"] = ["***", "***"]  # the audit says it changed, never what to
    changes.touch("users", user.id, "update", user.version)
    return changes
