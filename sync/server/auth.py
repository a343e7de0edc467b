"""Device tokens: issued for a username and password, stored only as hashes, refused once revoked or expired."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import auth, timeutil
from desktop.errors import DomainError
from desktop.ids import is_uuid, provisional_device_code
from desktop.models import User
from sync.server.models import Device

TOKEN_LIFETIME = timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, username: str, password: str, device_id: str, device_name: str) -> tuple[str, Device]:
    """A new token for this device after checking the password (same check as offline sign-in)."""
    user = auth.sign_in(session, username, password)
    if not is_uuid(device_id):
        raise DomainError("invalid_value", "设备编号无效。", "The device id is not valid.", "device_id")
    device = session.get(Device, device_id)
    if device is not None and device.user_id != user.id:
        # A device id is bound to the user who registered it: another user may not take over its
        # sequence numbers (that would let one device replay another's queue).
        raise DomainError("forbidden", "此设备已属于其他用户。", "This device belongs to another user.")
    token = secrets.token_urlsafe(32)
    now = timeutil.utcnow()
    if device is None:
        device = Device(id=device_id, user_id=user.id, name=device_name[:100], code=next_code(session),
                        token_hash=token_hash(token), created_at=now, expires_at=now + TOKEN_LIFETIME,
                        revoked_at=None, last_seen_at=now)
        session.add(device)
    else:
        device.token_hash = token_hash(token)
        device.name = device_name[:100] or device.name
        device.expires_at = now + TOKEN_LIFETIME
        device.revoked_at = None
        device.code = device.code or next_code(session)
    return token, device


def next_code(session: Session) -> str:
    """The code for a device registering now: D1, D2, ... in registration order. Sign-ins run in the
    server's serialised writing transaction, so two devices cannot take the same number."""
    taken = session.scalar(select(func.count()).select_from(Device).where(Device.code.is_not(None))) or 0
    code = f"D{taken + 1}"
    while session.scalar(select(Device.id).where(Device.code == code)) is not None:  # a gap from a deletion
        taken += 1
        code = f"D{taken + 1}"
    return code


def device_codes(device: Device) -> frozenset[str]:
    """The codes a device's quote numbers may carry: the one the server gave it, and the provisional
    one it used before it first signed in (desktop.ids.provisional_device_code)."""
    return frozenset(c for c in (device.code, provisional_device_code(device.id)) if c)


def authenticate(session: Session, token: str) -> tuple[User, Device]:
    """The user and device behind a bearer token, or DomainError('unauthorized')."""
    device = session.scalars(select(Device).where(Device.token_hash == token_hash(token))).first()
    now = timeutil.utcnow()
    if device is None or device.revoked_at is not None or device.expires_at <= now:
        raise DomainError("unauthorized", "登录已失效，请重新登录。", "Your sign-in has expired or was revoked; sign in again.")
    user = session.get(User, device.user_id)
    if user is None or not user.active:
        raise DomainError("unauthorized", "该用户已停用。", "This user has been disabled.")
    return user, device
