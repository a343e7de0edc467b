"""Files kept by content: each under its SHA-256, written once, never changed, shared by every row that
names it. The desktop keeps its evidence in ``<data folder>/attachments``; the server keeps uploads in
``<server data>/blobs`` with the same class, and receives them in chunks that resume where they stopped.

A file becomes visible under its hash only complete and checked: it is written to a temporary name,
flushed to disk, and renamed (atomic on one file system). A crash leaves at most a temporary file,
never a half file under a real hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

CHUNK = 1024 * 1024
SESSION_KEY = "fieldmark.blobs"  # session.info key: the BlobStore whose files attachments name
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(ValueError):
    """A chunk or a finished upload that does not fit (wrong offset, wrong hash, too large)."""


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(SHA256.match(value))


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # ---- complete files

    def path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise BlobError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return is_sha256(sha256) and self.path(sha256).is_file()

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except (OSError, BlobError):
            return None

    def add_file(self, source: Path, *, max_bytes: int | None = None) -> tuple[str, int]:
        """Copy a file in, hashing it on the way; returns (sha256, size). A file already kept is not
        copied twice."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=".in-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, Path(source).open("rb") as src:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobError(f"larger than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            self._place(tmp, sha)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)

    def add_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            fd, tmp_name = tempfile.mkstemp(prefix=".in-", dir=self.root)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self._place(Path(tmp_name), sha)
        return sha

    def _place(self, tmp: Path, sha: str) -> None:
        final = self.path(sha)
        if final.is_file():
            tmp.unlink(missing_ok=True)
            return
        final.parent.mkdir(exist_ok=True)
        os.replace(tmp, final)

    # ---- uploads in chunks (the server's side)

    def _partial(self, sha256: str) -> Path:
        self.path(sha256)  # checks the name
        return self.root / "partial" / sha256

    def received(self, sha256: str) -> int:
        """Bytes of ``sha256`` received so far: its full size once complete, else what a resumed
        upload should continue from."""
        done = self.size(sha256)
        if done is not None:
            return done
        try:
            return self._partial(sha256).stat().st_size
        except OSError:
            return 0

    def append(self, sha256: str, offset: int, data: bytes, *, max_bytes: int) -> int:
        """Add a chunk at ``offset`` (which must be what was received so far); returns the new total.
        A chunk already received (a resend after a lost answer) is accepted and changes nothing."""
        if self.has(sha256):
            return self.received(sha256)
        partial = self._partial(sha256)
        partial.parent.mkdir(exist_ok=True)
        have = partial.stat().st_size if partial.exists() else 0
        if offset + len(data) <= have:
            return have  # all of it is here already
        if offset != have:
            raise BlobError(f"expected the chunk at byte {have}, not {offset}")
        if have + len(data) > max_bytes:
            raise BlobError(f"larger than {max_bytes} bytes")
        with partial.open("ab") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        return have + len(data)

    def finish(self, sha256: str) -> int:
        """Check a complete upload against its name and keep it; returns its size. A file whose content
        does not match its hash is thrown away (the upload starts again)."""
        if self.has(sha256):
            return self.received(sha256)
        partial = self._partial(sha256)
        digest = hashlib.sha256()
        with partial.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise BlobError("the content does not match its SHA-256; send it again")
        size = partial.stat().st_size
        self._place(partial, sha256)
        return size

    def copy_out(self, sha256: str, target: Path) -> None:
        shutil.copyfile(self.path(sha256), target)
