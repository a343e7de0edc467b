"""The server's own tables, beside the business tables it shares with the desktop (desktop.models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop.types import UTCDateTime


class ServerBase(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Device(ServerBase):
    """A desktop installation signed in as a user; only the hash of its token is kept."""

    __tablename__ = "server_devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)  # users.id (a separate metadata: no FK)
    name: Mapped[str] = mapped_column(String(100), default="")
    # Short and unique, given at registration: the middle part of the quote numbers the device makes.
    code: Mapped[str | None] = mapped_column(String(16), index=True, unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Withdrawn by an administrator (fieldmark-server device revoke): it never signs in again, and its
    # next contact is answered 410 device_revoked, on which it erases its data (docs/design-sync-server.md).
    revoked_at: Mapped[datetime | None]
    # None: registered while the server asks for approval (serve --approve-devices), not approved yet.
    approved_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class Processed(ServerBase):
    """The stored result of each (device, seq): a repeated push gets the same answer, never a twin -
    except a "waiting" one, which is tried again when the device sends it again (sync.server.push)."""

    __tablename__ = "server_processed"
    __table_args__ = (UniqueConstraint("device_id", "seq", name="uq_processed_device_seq"),
                      # a device's waiting mutations, asked for at each of its pushes (sync.server.push)
                      Index("ix_processed_device_status", "device_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int]
    mutation_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]]
    processed_at: Mapped[datetime]  # the server's clock when it received the mutation
    client_time: Mapped[datetime | None]  # the device's time of the change, once found plausible (sync.server.clock)


class ChangeLogEntry(ServerBase):
    """One changed row, in commit order. ``customer_id`` is the scope key for customer-linked rows;
    ``device_id`` names the device that holds the row as written (see below), else it is null."""

    __tablename__ = "server_change_log"
    __table_args__ = (Index("ix_change_log_row", "table_name", "row_id"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str | None] = mapped_column(String(36))
    committed_at: Mapped[datetime]
    # The device whose pushed mutation (``device_seq``) wrote the row as that device's own run of it
    # did (the digests it sent matched: sync.protocol, "wrote"): its pulls leave the entry out while
    # it still holds that mutation - a device restored from an older backup does not, and is sent it.
    device_id: Mapped[str | None] = mapped_column(String(36))
    device_seq: Mapped[int | None]


class Upload(ServerBase):
    """A person who sent the server a whole evidence file (hash-checked); the file itself is kept once,
    under its SHA-256, in the server's blob folder. Only someone who sent the bytes, or who may see a
    visit naming the file, may download it (sync.server.blobs)."""

    __tablename__ = "server_uploads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # users.id (no FK, as above)
    device_id: Mapped[str] = mapped_column(String(36))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime]


class ServerIdentity(ServerBase):
    """Who this server is and which epoch of its change log runs (one row, made by migration s0010).

    Every cursor a device holds carries both (sync.server.epoch): a cursor of another server, or of an
    earlier epoch (before a restore from a backup or a change-log reset, ``fieldmark-server epoch new``),
    is answered ``cursor_reset`` and the device reads its whole scope again.
    """

    __tablename__ = "server_identity"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_id: Mapped[str] = mapped_column(String(36))
    epoch: Mapped[int]
    epoch_started_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(500), default="")  # what the operator said when it began
