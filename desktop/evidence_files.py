"""Evidence files on this computer: adding one (size first, then a streamed copy), finding a damaged
copy, repairing it from the original, and removing files no attachment needs any more.

Adding refuses a file over :data:`desktop.mutations.visits.MAX_FILE_BYTES` by its size on disk, before
a byte is copied or hashed, and names the file, its size and the limit. The copy reads a chunk at a
time (desktop.blobs.CHUNK), so its memory does not grow with the file.

A kept file is *damaged* when its bytes no longer match its SHA-256 (a disk fault, someone editing the
data folder). The visit screens ask :func:`condition` for every attachment they show (a file is read
once, and again only when it changed on disk); adding the original file again rewrites the copy
(desktop.blobs.BlobStore.add_file replaces it), and :func:`repair` does it for one attachment named
by its hash, refusing any other file.

:func:`sweep` removes files nothing names: no attachment row, no outbox entry still to be sent,
rejected and kept as a sync problem, or undone to be applied again - so a change that may run again
(here or on the server, whose upload comes from this copy) always finds its file. An entry the
server applied, whose attachment was removed since, no longer needs it: the server has its own. A file written in the last :data:`GRACE` is left alone too: it may belong to
an ``attachment.add`` about to run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from desktop import remote
from desktop.blobs import BlobError, BlobStore, BlobTooLarge, is_sha256
from desktop.errors import DomainError
from desktop.media import bad_file
from desktop.models import Attachment, OutboxEntry
from desktop.mutations.visits import MAX_FILE_BYTES
from desktop.store import Store

GRACE = timedelta(hours=1)
OK, DAMAGED, ABSENT = "ok", "damaged", "absent"
# Progress of a copy: (bytes copied, bytes in all); returning False cancels it.
Report = Callable[[int, int], bool]


@dataclass(frozen=True)
class Added:
    sha256: str
    size: int
    repaired: bool  # the kept copy had been found damaged, and this copy made it whole


@dataclass(frozen=True)
class Swept:
    removed: int
    freed_bytes: int
    leftovers: int  # temporary files of stopped copies and downloads


def mb_text(size: int) -> str:
    """A size in MB as people read it: one decimal below 10 MB, none above."""
    mb = size / 1024 / 1024
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:,.0f} MB"


def too_large(name: str, size: int, limit: int = MAX_FILE_BYTES) -> DomainError:
    """The refusal of a file over the limit: the file, its size, the limit."""
    plain = bad_file(name, f"文件大小 {mb_text(size)}，超过了 {mb_text(limit)} 的上限。请压缩或分段后再添加。",
                     f"it is {mb_text(size)}, over the limit of {mb_text(limit)}. Compress or split it, "
                     "then add it again.")
    return DomainError("file_too_large", plain.message_zh, plain.message_en, plain.field,
                       {"size": size, "limit": limit})


def add(blobs: BlobStore, path: Path, report: Report | None = None) -> Added:
    """Copy a file into the blob store (size checked first); repairs a damaged copy of the same file.
    ``report`` returning False stops the copy with desktop.blobs.CopyCancelled, keeping nothing."""
    path = Path(path)
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if total > MAX_FILE_BYTES:
        raise too_large(path.name, total)
    step = (lambda done: report(done, total)) if report is not None else None
    try:
        sha, size = blobs.add_file(path, max_bytes=MAX_FILE_BYTES, step=step)
    except BlobTooLarge as exc:  # it grew while being copied
        raise too_large(path.name, exc.size) from exc
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return Added(sha, size, repaired=blobs.take_repaired(sha))


def repair(blobs: BlobStore, sha256: str, path: Path, filename: str, report: Report | None = None) -> None:
    """Rewrite the kept copy of ``sha256`` from ``path``, which must be that very file."""
    path = Path(path)
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    step = (lambda done: report(done, total)) if report is not None else None
    try:
        blobs.add_file(path, max_bytes=MAX_FILE_BYTES, step=step, expect=sha256)
    except BlobTooLarge as exc:
        raise too_large(path.name, exc.size) from exc
    except BlobError as exc:
        raise DomainError("not_the_original", f"“{path.name}”不是“{filename}”的原文件（内容不同），没有用它修复。",
                          f"{path.name!r} is not the original of {filename!r} (its content differs); "
                          "nothing was changed.", "attachments") from exc
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    blobs.take_repaired(sha256)


def condition(blobs: BlobStore, sha256: str) -> str:
    """OK, DAMAGED (the copy here no longer matches its hash) or ABSENT (not on this computer)."""
    intact = blobs.intact(sha256) if is_sha256(sha256) else None
    if intact is None:
        return ABSENT
    if not intact:
        return DAMAGED
    return OK


def damaged(store: Store, *, full: bool = True) -> list[tuple[str, str]]:
    """(file name, sha256) of every attachment whose copy here is damaged; ``full`` reads every file
    again, even those unchanged on disk since they were last checked (to find a failing disk)."""
    with store.read() as session:
        named = session.execute(select(Attachment.sha256, Attachment.filename).distinct()).all()
    found = []
    for sha, filename in named:
        if store.blobs.intact(sha, full=full) is False:
            found.append((filename, sha))
    return found


def needed(store: Store) -> set[str]:
    """Every file something on this computer names: attachments, and the ``attachment.add`` entries
    that may run again (not yet applied by the server, or applied and undone here since)."""
    with store.read() as session:
        names = set(session.scalars(select(Attachment.sha256)))
        entries = session.execute(select(OutboxEntry.args, OutboxEntry.status, OutboxEntry.changes)
                                  .where(OutboxEntry.name == "attachment.add"))
        for args, status, changes in entries:
            if status == remote.APPLIED and (changes or {}).get("state", remote.LIVE) == remote.LIVE:
                continue
            sha = str(args.get("sha256") or "").lower()
            if is_sha256(sha):
                names.add(sha)
    return names


def sweep(store: Store, *, now: float | None = None) -> Swept:
    """Remove kept files nothing names (and their thumbnails), and stale temporary files."""
    from desktop.thumbnails import for_store  # thumbnails imports media's Pillow side: only when sweeping

    now = time.time() if now is None else now
    cutoff = now - GRACE.total_seconds()
    keep = needed(store)
    thumbs = for_store(store)
    removed = freed = 0
    for sha in list(store.blobs.kept()):
        if sha in keep or _mtime(store.blobs.path(sha)) > cutoff:
            continue
        freed += store.blobs.remove(sha)
        thumbs.forget(sha)
        removed += 1
    leftovers = 0
    for path in list(store.blobs.leftovers()):
        if _mtime(path) <= cutoff:
            path.unlink(missing_ok=True)
            leftovers += 1
    return Swept(removed, freed, leftovers)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # gone or unreadable: not ours to remove


def _unreadable(path: Path, exc: OSError) -> DomainError:
    why = exc.strerror or str(exc)
    return bad_file(path.name, f"无法读取（{why}）。", f"it cannot be read ({why}).")
