"""Device tokens: issued for a username and password, stored only as hashes, refused once revoked or expired.

A revoked device stays revoked: it is refused a new token, and every request with its token is
answered ``device_revoked`` (410), on which the desktop erases its data (sync.revocation). Where the
organisation approves devices (``fieldmark-server serve --approve-devices``), a device registering
gets a token but nothing else until an administrator approves it (``device_pending``, 403).
"""

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


def device_revoked() -> DomainError:
    """The answer to a device an administrator withdrew (a lost laptop, someone who left)."""
    return DomainError("device_revoked",
                       "这台电脑已被管理员停用，不能再登录或同步；本机的 Fieldmark 数据将被删除。如有疑问，请联系管理员。",
                       "Your administrator has withdrawn this computer: it can no longer sign in or sync, and "
                       "its Fieldmark data is erased from it. Ask your administrator if you have questions.")


def device_pending() -> DomainError:
    """The answer to a device registered where devices need approval, before an administrator approved it."""
    return DomainError("device_pending",
                       "这台电脑已在服务器上登记，正在等待管理员批准；批准之前不会收到或发送数据。"
                       "请联系管理员批准，然后再点“连接”。",
                       "This computer is registered with the server and is waiting for your administrator's "
                       "approval; it receives and sends no data until then. Ask your administrator to approve "
                       "it, then press Connect again.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, username: str, password: str, device_id: str, device_name: str, *,
          approve_devices: bool = False) -> tuple[str, Device]:
    """A new token for this device after checking the password (same check as offline sign-in).

    A revoked device is refused (``device_revoked``, only once the password was right). A new device
    id is a new device: approved at once, or, with ``approve_devices``, waiting for an administrator.
    """
    user = auth.sign_in(session, username, password)
    if not is_uuid(device_id):
        raise DomainError("invalid_value", "设备编号无效。", "The device id is not valid.", "device_id")
    device = session.get(Device, device_id)
    if device is not None and device.user_id != user.id:
        # A device id is bound to the user who registered it: another user may not take over its
        # sequence numbers (that would let one device replay another's queue).
        raise DomainError("forbidden", "此设备已属于其他用户。", "This device belongs to another user.")
    if device is not None and device.revoked_at is not None:
        raise device_revoked()
    token = secrets.token_urlsafe(32)
    now = timeutil.utcnow()
    if device is None:
        device = Device(id=device_id, user_id=user.id, name=device_name[:100], code=next_code(session),
                        token_hash=token_hash(token), created_at=now, expires_at=now + TOKEN_LIFETIME,
                        revoked_at=None, approved_at=None if approve_devices else now, last_seen_at=now)
        session.add(device)
    else:
        device.token_hash = token_hash(token)
        device.name = device_name[:100] or device.name
        device.expires_at = now + TOKEN_LIFETIME
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


def authenticate(session: Session, token: str, *, approve_devices: bool = False) -> tuple[User, Device]:
    """The user and device behind a bearer token; else DomainError 'device_revoked' (the device must
    erase its data), 'unauthorized' (sign in again) or, with ``approve_devices``, 'device_pending'."""
    device = session.scalars(select(Device).where(Device.token_hash == token_hash(token))).first()
    now = timeutil.utcnow()
    if device is not None and device.revoked_at is not None:
        raise device_revoked()
    if device is None or device.expires_at <= now:
        raise DomainError("unauthorized", "登录已失效，请重新登录。", "Your sign-in has expired; sign in again.")
    user = session.get(User, device.user_id)
    if user is None or not user.active:
        raise DomainError("unauthorized", "该用户已停用。", "This user has been disabled.")
    if approve_devices and device.approved_at is None:
        raise device_pending()
    return user, device
