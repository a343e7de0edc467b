"""Offline sign-in: the password hash is kept locally, so signing in needs no network."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.errors import DomainError
from desktop.models import User
from desktop.passwords import verify_password


def sign_in(session: Session, username: str | None, password: str) -> User:
    """The active user with this username and password; DomainError('bad_credentials') otherwise.

    The message does not say which of the two was wrong. Only someone who knows a disabled user's
    password learns that the user is disabled (DomainError('user_disabled')): they need to hear whom to ask.
    """
    name = (username or "").strip().lower()
    user = session.scalars(select(User).where(User.username == name)).first() if name else None
    if user is None or not verify_password(password, user.password_hash):
        raise DomainError("bad_credentials", "用户名或密码不正确。", "The username or password is not correct.",
                          "password")
    if not user.active:
        raise DomainError("user_disabled", "此用户已被停用，请联系管理员。",
                          "This user has been disabled; ask your administrator.", "username")
    return user


def users_for_sign_in(session: Session) -> list[User]:
    """Active users who can sign in on this computer, for the sign-in picker, in a stable order.

    A colleague's row pulled from the server carries no password hash (desktop.rows.MISSING): they
    cannot sign in here offline, so they are not offered.
    """
    return list(session.scalars(select(User).where(User.active.is_(True), User.password_hash != "")
                                .order_by(User.role, User.username)))
