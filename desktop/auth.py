"""Offline sign-in: the password hash is kept locally, so signing in needs no network.

A desktop joined to a server signs in offline only within a number of days of its last successful
contact with the server (``sync_state.last_success_at``): the organisation's value when the server sent
one (``sync_state.offline_days``), else the app's own setting, 30 days unless changed. Past it, only
signing in online (which syncs, and so starts the count again) lets the user in: a laptop that was
lost, and revoked on the server meanwhile, cannot be opened offline for ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import timeutil
from desktop.errors import DomainError
from desktop.models import SyncState, User
from desktop.passwords import verify_password

OFFLINE_DAYS = 30  # the app's setting unless changed ("signin/offline_days") and the server sends none


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


def offline_limit(state: SyncState | None, setting: int | None = None) -> int:
    """Days of offline sign-in since the last contact: the server's value, else the app's setting, else 30."""
    for days in (state.offline_days if state is not None else None, setting):
        if isinstance(days, int) and days >= 1:
            return days
    return OFFLINE_DAYS


def check_offline_window(session: Session, setting: int | None = None, now: datetime | None = None) -> None:
    """Refuse offline sign-in on a synced desktop whose last contact with the server is too long ago
    (DomainError('offline_too_long')). A folder that never synced (demo or local data) has no limit."""
    state = session.get(SyncState, 1)
    if state is None or not state.server_url or state.last_success_at is None:
        return
    days = offline_limit(state, setting)
    now = now or timeutil.utcnow()
    elapsed = now - state.last_success_at
    if elapsed <= timedelta(days=days):
        return
    last = state.last_success_at.astimezone().date().isoformat()
    raise DomainError("offline_too_long",
                      f"这台电脑已有 {elapsed.days} 天没有连接服务器（上次连接：{last}），超过了允许离线登录的 "
                      f"{days} 天。请连接网络，然后点“连接服务器…”在线登录。",
                      f"This computer has not been in touch with the server for {elapsed.days} days (last "
                      f"contact {last}), longer than the {days} days within which you may sign in offline. "
                      "Connect to the network, then press “Connect to server…” to sign in online.")


def sign_in_offline(session: Session, username: str | None, password: str, setting: int | None = None,
                    now: datetime | None = None) -> User:
    """:func:`sign_in`, then :func:`check_offline_window` (only once the password was right: someone
    without it learns nothing of the folder)."""
    user = sign_in(session, username, password)
    check_offline_window(session, setting, now)
    return user
