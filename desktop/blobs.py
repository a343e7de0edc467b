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
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

CHUNK = 1024 * 1024
SESSION_KEY = "fieldmark.blobs"  # session.info key: the BlobStore whose files attachments name
SHA256 = re.compile(r"^[0-9a-f]{64}$")
TEMP_PREFIX = ".in-"
# Called with the bytes copied so far; returning False stops the copy (the user cancelled).
Step = Callable[[int], bool]


class BlobError(ValueError):
    """A chunk or a finished upload that does not fit (wrong offset, wrong hash, too large)."""


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(SHA256.match(value))


class BlobTooLarge(BlobError):
    """A file over the size limit, found by its size on disk before a byte of it was copied."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, larger than {limit} bytes")
        self.size, self.limit = size, limit


class CopyCancelled(Exception):
    """The copy was stopped by its caller's step function; nothing was kept."""


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # Files whose content was checked against their name, by their (size, mtime, inode) then: a file
        # changed on disk since (someone edited the data folder) has another stamp and is read again.
        # A fault that leaves the stamp alone (a bad disk sector) is found by verify(full=True).
        self._checked: dict[str, tuple[int, int, int]] = {}
        self._damaged: set[str] = set()  # found damaged and not rewritten since
        self._repaired: set[str] = set()  # found damaged, then rewritten from the original
        self._lock = threading.Lock()

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

    def add_file(self, source: Path, *, max_bytes: int | None = None, step: Step | None = None,
                 expect: str | None = None) -> tuple[str, int]:
        """Copy a file in, hashing it on the way, a chunk at a time; returns (sha256, size).

        ``max_bytes`` is checked on the file's size before anything is read (BlobTooLarge), and again
        while copying (a file still growing). The fresh copy replaces a kept file of the same hash:
        adding the original again is how a damaged copy is repaired. ``expect``: the hash the file
        must have (a repair); another content raises BlobError and nothing is kept.
        """
        source = Path(source)
        if max_bytes is not None:
            declared = source.stat().st_size
            if declared > max_bytes:
                raise BlobTooLarge(declared, max_bytes)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLarge(size, max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                    if step is not None and not step(size):
                        raise CopyCancelled()
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            if expect is not None and sha != expect:
                raise BlobError("the file's content is not the one kept under that SHA-256")
            self._place(tmp, sha, replace=True)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)

    def add_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self._place(Path(tmp_name), sha)
        return sha

    def _place(self, tmp: Path, sha: str, *, replace: bool = False) -> None:
        """Move a checked temporary file under its hash. ``replace``: over a kept file too (its bytes
        are the same unless the kept one is damaged; a rename is cheaper than reading it to know)."""
        final = self.path(sha)
        if final.is_file() and not replace:
            tmp.unlink(missing_ok=True)
            return
        final.parent.mkdir(exist_ok=True)
        os.replace(tmp, final)
        self._stamp(sha)
        with self._lock:
            if sha in self._damaged:
                self._damaged.discard(sha)
                self._repaired.add(sha)

    def adopt(self, checked: Path, sha256: str) -> None:
        """Keep a file already checked against its name, from elsewhere on this file system (a rename):
        over a kept copy that is damaged, else dropped when the same file is kept already."""
        self._place(Path(checked), sha256, replace=self.intact(sha256) is False)

    # ---- checking kept files

    def _stamp_of(self, sha256: str) -> tuple[int, int, int] | None:
        try:
            st = self.path(sha256).stat()
        except (OSError, BlobError):
            return None
        return st.st_size, st.st_mtime_ns, st.st_ino

    def _stamp(self, sha256: str) -> None:
        stamp = self._stamp_of(sha256)
        with self._lock:
            if stamp is None:
                self._checked.pop(sha256, None)
            else:
                self._checked[sha256] = stamp

    def intact(self, sha256: str, *, full: bool = False) -> bool | None:
        """Whether the kept file's content still matches its name (None: no such file). Read once, a
        chunk at a time, and again only when the file changed on disk, or with ``full``."""
        stamp = self._stamp_of(sha256)
        if stamp is None:
            return None
        with self._lock:
            if not full and self._checked.get(sha256) == stamp:
                return True
        digest = hashlib.sha256()
        try:
            with self.path(sha256).open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return False  # there, but unreadable: as good as damaged
        ok = digest.hexdigest() == sha256
        with self._lock:
            if ok:
                self._checked[sha256] = stamp
            else:
                self._checked.pop(sha256, None)
                self._damaged.add(sha256)
        return ok

    def take_repaired(self, sha256: str) -> bool:
        """Whether the file was found damaged and then rewritten (once: the answer is not kept)."""
        with self._lock:
            if sha256 in self._repaired:
                self._repaired.discard(sha256)
                return True
            return False

    def kept(self) -> Iterator[str]:
        """The hashes of every file kept here."""
        for folder in self.root.iterdir():
            if len(folder.name) == 2 and folder.is_dir():
                for path in folder.iterdir():
                    if is_sha256(path.name) and path.name.startswith(folder.name):
                        yield path.name

    def remove(self, sha256: str) -> int:
        """Delete a kept file; returns the bytes freed (0 when it was not here)."""
        size = self.size(sha256) or 0
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return 0
        with self._lock:
            self._checked.pop(sha256, None)
            self._damaged.discard(sha256)
        return size

    def leftovers(self) -> Iterator[Path]:
        """Temporary files of copies and partial transfers (a crash or a stopped download leaves them)."""
        yield from self.root.glob(TEMP_PREFIX + "*")
        partial = self.root / "partial"
        if partial.is_dir():
            yield from partial.iterdir()

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
