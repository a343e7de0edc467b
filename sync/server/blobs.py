"""Evidence files on the server: resumable uploads in chunks, and downloads for the people who may see them.

Files live once, under their SHA-256, in ``<server data>/blobs`` (desktop.blobs.BlobStore), whichever
database the server uses. Each person's upload is received in their own staging folder
(``blobs/incoming/<user id>``) and checked against its name when its last byte arrives; only then is
it kept (if nobody kept it before) and the person recorded in ``server_uploads``. So an upload that
two people send at once cannot interleave, and a person who only knows a file's hash cannot claim
the file: ``status`` says "complete" to someone only once they have sent every byte of it.

Push (sync.server.push) names files through :class:`UserBlobs`, which holds exactly the files the
pushing user sent: an ``attachment.add`` naming any other file is refused as ``file_missing``.

Files nothing names any more - an upload whose ``attachment.add`` was refused or never came, a draft's
photo the user removed before it was submitted - are removed by :meth:`ServerBlobs.sweep`
(``fieldmark-server blobs sweep``), once no attachment names them and their last upload is older than
:data:`SWEEP_GRACE`: a desktop uploads a file just before it pushes the change naming it, and one
that lost its connection in between pushes it at its next sync; a file swept meanwhile is only sent
again.

Everything here blocks (files, database): the routes call it on the thread pool, never on the
event loop. The wire format is in sync/protocol.py.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from desktop import timeutil
from desktop.blobs import BlobError, BlobStore, is_sha256
from desktop.models import Attachment, Customer, Touchpoint, User
from desktop.mutations.visits import MAX_FILE_BYTES
from desktop.permissions import visible_customers
from sync import protocol
from sync.server.db import reading, writing
from sync.server.models import Upload

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# Chunks of one person's upload of one file are written one at a time (a resend racing the
# original would otherwise append twice), whichever worker process receives them: a thread lock
# within the process, then an exclusive flock on a lock file in the blob folder, which the workers
# share. Striped by a stable hash: a fixed set of locks and files, nothing that grows.
STRIPES = 64
_LOCKS = [threading.Lock() for _ in range(STRIPES)]
SWEEP_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Swept:
    removed: int
    freed_bytes: int
    leftovers: int  # uploads stopped half way, older than the grace period


@dataclass
class Refused(Exception):
    """A blob request the server turns down: a 4xx with a code, both languages and any extra fields."""

    code: str
    message_zh: str
    message_en: str
    status: int = 400
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message_en)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en, **self.extra}


def _mb(size: int) -> int:
    return size // 1024 // 1024


def not_found() -> Refused:
    """The one answer for a file that does not exist and for one the user may not see."""
    return Refused("not_found", "没有找到这个文件。", "No such file.", 404)


def check_name(sha256: str) -> str:
    sha = sha256.lower()
    if not is_sha256(sha):
        raise Refused("bad_request", "文件标识应为 64 位十六进制的 SHA-256。",
                      "A file is named by its SHA-256: 64 hexadecimal characters.", 422)
    return sha


def chunk_too_large() -> Refused:
    limit = _mb(protocol.MAX_CHUNK_BYTES)
    return Refused("too_large", f"每次最多发送 {limit} MB 的文件内容。", f"Send at most {limit} MB of a file at a time.",
                   413)


class ServerBlobs:
    """The server's blob folder: kept files, and each person's uploads under way."""

    def __init__(self, root: Path) -> None:
        self.store = BlobStore(root)
        self._incoming = Path(root) / "incoming"
        self._locks = Path(root) / "locks"  # not a kept file's folder: those are named by two characters

    def incoming(self, user_id: str) -> BlobStore:
        """Where ``user_id``'s uploads are received until they are complete and checked."""
        return BlobStore(self._incoming / user_id)

    # ---- status and upload

    def status(self, engine: Engine, user: User, sha256: str) -> dict[str, Any]:
        """How much of the file the server has from this user: {received, complete}."""
        sha = check_name(sha256)
        with reading(engine) as session:
            sent = _sent(session, user.id, sha)
        if sent and self.whole(sha):
            return {"received": self.store.size(sha), "complete": True}
        return {"received": self.incoming(user.id).received(sha), "complete": False}

    def whole(self, sha256: str) -> bool:
        """The file is kept here and its content still matches its name (read again only when it
        changed on disk: desktop.blobs.BlobStore.intact). A damaged copy counts as not here, so the
        next person who sends the file replaces it."""
        return bool(self.store.intact(sha256))

    def put(self, engine: Engine, user: User, device_id: str, sha256: str, offset: int, total: int,
            data: bytes) -> dict[str, Any]:
        """Add a chunk at ``offset`` of a file of ``total`` bytes; the last chunk finishes the upload."""
        sha = check_name(sha256)
        if total > MAX_FILE_BYTES:
            limit = _mb(MAX_FILE_BYTES)
            raise Refused("too_large", f"文件超过 {limit} MB，不能上传。", f"The file is larger than {limit} MB.", 413)
        if total < 1 or offset < 0 or offset + len(data) > total or (not data and offset < total):
            raise Refused("bad_request", "分块的位置或文件大小不正确。",
                          "The chunk's offset or the file's total size does not fit.", 422)
        if len(data) > protocol.MAX_CHUNK_BYTES:
            raise chunk_too_large()
        with reading(engine) as session:
            sent = _sent(session, user.id, sha)
        if sent and self.whole(sha):
            return {"received": self.store.size(sha), "complete": True}  # a resend of the last chunk
        incoming = self.incoming(user.id)
        with self._upload_lock(user.id, sha):
            with reading(engine) as session:  # finished by another request while this one waited?
                sent = _sent(session, user.id, sha)
            if sent and self.whole(sha):
                return {"received": self.store.size(sha), "complete": True}
            try:  # a chunk wholly received already (a resend after a lost answer) changes nothing
                received = incoming.append(sha, offset, data, max_bytes=total)
            except BlobError as exc:  # not where the upload stands: say where it does
                raise _wrong_offset(incoming.received(sha), offset) from exc
            if received < total:
                return {"received": received, "complete": False}
            try:
                size = incoming.finish(sha)  # a mismatch throws what was received away
            except BlobError as exc:
                raise Refused("hash_mismatch", "收到的文件内容与其 SHA-256 不符，已丢弃，请重新发送。",
                              "The file received does not match its SHA-256; it was thrown away, send it again.",
                              422) from exc
            self._keep(incoming, sha)
            # Recorded before the lock is let go: a request waiting for it then sees the upload done.
            with writing(engine) as session:
                if not _sent(session, user.id, sha):
                    session.add(Upload(sha256=sha, user_id=user.id, device_id=device_id, size=size,
                                       uploaded_at=timeutil.utcnow()))
        return {"received": size, "complete": True}

    @contextmanager
    def _upload_lock(self, user_id: str, sha: str) -> Iterator[None]:
        """Held while one person's chunk of one file is written: one writer across threads and worker
        processes on this machine (the lock files are in the blob folder)."""
        stripe = zlib.crc32(f"{user_id}/{sha}".encode()) % STRIPES
        with _LOCKS[stripe]:
            if fcntl is None:  # not on Linux: one process only (docs/deploy.md)
                yield
                return
            self._locks.mkdir(parents=True, exist_ok=True)
            with open(self._locks / f"{stripe:02d}", "a+b") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # let go when the file is closed
                yield

    def _keep(self, incoming: BlobStore, sha: str) -> None:
        """Move a checked upload into the kept files (same folder tree, so a rename): over a damaged
        copy, else dropped when the file is kept already."""
        self.store.adopt(incoming.path(sha), sha)

    # ---- files nothing names

    def sweep(self, engine: Engine, *, now: float | None = None, grace: timedelta = SWEEP_GRACE) -> Swept:
        """Remove kept files no attachment names whose last upload (and the file itself) is older
        than ``grace``, with their upload records; and uploads stopped half way as long ago."""
        now = time.time() if now is None else now
        cutoff = now - grace.total_seconds()
        since = timeutil.utcnow() - timedelta(seconds=time.time() - cutoff)
        with reading(engine) as session:
            named = set(session.scalars(select(Attachment.sha256).distinct()))
            recent = set(session.scalars(select(Upload.sha256).group_by(Upload.sha256)
                                         .having(func.max(Upload.uploaded_at) > since)))
        removed, freed, gone = 0, 0, []
        for sha in list(self.store.kept()):
            if sha in named or sha in recent or _mtime(self.store.path(sha)) > cutoff:
                continue
            with writing(engine) as session:
                # Named since the list was read (a push under way)? Then it stays.
                if session.scalars(select(Attachment.id).where(Attachment.sha256 == sha).limit(1)).first():
                    continue
                session.execute(delete(Upload).where(Upload.sha256 == sha))
                freed += self.store.remove(sha)
            removed += 1
            gone.append(sha)
        leftovers = 0
        if self._incoming.is_dir():
            for person in self._incoming.iterdir():
                for path in list(BlobStore(person).leftovers()):
                    if _mtime(path) <= cutoff:
                        path.unlink(missing_ok=True)
                        leftovers += 1
        return Swept(removed, freed, leftovers)

    # ---- download

    def readable(self, engine: Engine, user: User, sha256: str) -> Path:
        """The file's path if this user may download it; else :func:`not_found` (whether or not it exists)."""
        sha = check_name(sha256)
        if not self.store.has(sha):
            raise not_found()
        with reading(engine) as session:
            if not may_download(session, user, sha):
                raise not_found()
        if not self.whole(sha):
            raise Refused("damaged", "服务器上这个文件的副本已损坏，暂时无法下载；有原文件的人再次添加并同步后即可恢复。",
                          "The server's copy of this file is damaged and cannot be downloaded now; it is "
                          "whole again once someone with the original adds it again and syncs.", 409)
        return self.store.path(sha)

    def damaged(self) -> list[str]:
        """Every kept file whose content no longer matches its name, each read in full."""
        return [sha for sha in self.store.kept() if self.store.intact(sha, full=True) is False]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # gone or unreadable: left alone


def _sent(session: Session, user_id: str, sha: str) -> bool:
    return session.get(Upload, (sha, user_id)) is not None


def _wrong_offset(expected: int, offset: int) -> Refused:
    return Refused("wrong_offset", f"服务器已收到该文件的前 {expected} 字节，请从那里继续发送（而不是第 {offset} 字节）。",
                   f"The server has the first {expected} bytes of this file; continue from there, not from "
                   f"byte {offset}.", 409, {"expected": expected})


def may_download(session: Session, user: User, sha: str) -> bool:
    """Whoever sent the file, or may see a touchpoint with an attachment naming it
    (desktop.permissions, in its SQL form)."""
    if _sent(session, user.id, sha):
        return True
    seen = (select(Attachment.id).join(Touchpoint, Touchpoint.id == Attachment.touchpoint_id)
            .join(Customer, Customer.id == Touchpoint.customer_id)
            .where(Attachment.sha256 == sha, visible_customers(user)).limit(1))
    return session.scalars(seen).first() is not None


class UserBlobs:
    """The files one person has sent, as the mutations ask for them (has, size, path): what push puts in
    ``session.info[desktop.blobs.SESSION_KEY]``. A file someone else sent is not there for them."""

    def __init__(self, blobs: ServerBlobs, session: Session, user_id: str) -> None:
        # A damaged copy is not there (ServerBlobs.whole): the desktop sends the file again first.
        self._store, self._session, self._user_id = blobs.store, session, user_id
        self._known: dict[str, bool] = {}

    def has(self, sha256: str) -> bool:
        if not is_sha256(sha256):
            return False
        if sha256 not in self._known:
            self._known[sha256] = (_sent(self._session, self._user_id, sha256)
                                   and bool(self._store.intact(sha256)))
        return self._known[sha256]

    def size(self, sha256: str) -> int | None:
        return self._store.size(sha256) if self.has(sha256) else None

    def path(self, sha256: str) -> Path:
        return self._store.path(sha256)
