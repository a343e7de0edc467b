"""Thumbnails of evidence photos, cached on disk beside the blob store.

``<data folder>/thumbnails/<sha256>-<px>.jpg``: made from the photo the first time it is asked for
(desktop.media.thumbnail: upright, at most ``px`` on the longer side, JPEG whatever the original -
HEIC included), read from disk afterwards. A blob is immutable (its name is its content), so a
cached thumbnail never goes stale. The cache is disposable: deleting the folder only costs the
time to make the thumbnails again.

No thumbnail is made from a damaged copy (desktop.evidence_files), so none has to be forgotten
once the copy is repaired.

A photo whose file has not reached this computer yet (a visit synced from another desktop, its
evidence still on the server) has no thumbnail: :meth:`ThumbnailCache.get` returns None.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import media
from desktop.blobs import BlobStore, is_sha256

if TYPE_CHECKING:
    from desktop.store import Store

FOLDER = "thumbnails"


class ThumbnailError(ValueError):
    """The photo is here but cannot be read (damaged, or not a picture)."""


class ThumbnailCache:
    def __init__(self, blobs: BlobStore, root: Path) -> None:
        self.blobs = blobs
        self.root = Path(root)

    def path(self, sha256: str, px: int) -> Path:
        if not is_sha256(sha256):
            raise ThumbnailError(f"not a SHA-256: {sha256!r}")
        if px <= 0:
            raise ValueError(f"px must be positive, not {px}")
        return self.root / f"{sha256}-{px}.jpg"

    def get(self, sha256: str, px: int = 256) -> Path | None:
        """The thumbnail's file, made now if needed; None when the photo is not on this computer yet.

        Safe to call from any thread and from two at once: a thumbnail is written to a temporary
        file and renamed into place, so a reader never sees half a file.
        """
        target = self.path(sha256, px)
        if target.is_file():
            return target
        if not self.blobs.has(sha256):
            return None
        if self.blobs.intact(sha256) is False:  # read once per change on disk (desktop.blobs)
            raise ThumbnailError(f"{sha256}: the copy here is damaged (its content no longer matches its SHA-256)")
        try:
            data = media.thumbnail(self.blobs.path(sha256), px)
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for damaged files
            raise ThumbnailError(f"{sha256}: {exc or type(exc).__name__}") from exc
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".thumb-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return target

    def forget(self, sha256: str) -> None:
        """Drop every cached size of one photo."""
        for path in self.root.glob(f"{sha256}-*.jpg"):
            path.unlink(missing_ok=True)


def for_store(store: Store) -> ThumbnailCache:
    """The cache of a desktop store: ``thumbnails/`` beside its database and its ``attachments/``."""
    return ThumbnailCache(store.blobs, store.path.parent / FOLDER)
