"""Offline sign-in: the password hash is kept locally, so signing in needs no network."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.errors import DomainError
from desktop.models import User
from desktop.passwords import verify_password


def sign_in(session: Session, username: str, password: str) -> User:
    """The active user with this username and password; DomainError('bad_credentials') otherwise.

    The message does not say which of the two was wrong.
    """
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise DomainError("bad_credentials", "用户名或密码不正确。", "The username or password is not correct.",
                          "password")
    return user


def users_for_sign_in(session: Session) -> list[User]:
    """Active users, for the sign-in picker, in a stable order."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.role, User.username)))
