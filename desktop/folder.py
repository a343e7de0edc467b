"""What a data folder holds, for joining a server: nothing yet, demo or other local data, or a server's data;
and erasing what it holds when the server withdrew the device (sync.revocation)."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from desktop.errors import DomainError
from desktop.models import AuditEntry, SyncState, User
from desktop.paths import DB_NAME
from desktop.store import Store

NEW, DEMO, LOCAL, HALF_JOINED, JOINED = "new", "demo", "local", "half_joined", "joined"

# Written when the server says the device was withdrawn, removed last once everything it names is gone:
# an app closed (or killed) in between erases at its next start instead of opening the data again.
ERASE_MARK = "erase-requested"
# What a data folder holds that a withdrawn device erases: the database with its journal files, the
# evidence files, their thumbnails and the backups made before upgrades (copies of the database). The
# log and a company.json header are not the organisation's data and stay.
DATABASE_FILES = ("", "-wal", "-shm", "-journal")  # suffixes of the database's own name
ERASED_FOLDERS = ("attachments", "thumbnails", "backups")


@dataclass(frozen=True)
class Folder:
    """The folder's kind (NEW, DEMO, LOCAL, HALF_JOINED, JOINED), its server, who joined it, how many users."""

    kind: str
    server_url: str | None
    username: str | None
    users: int


def inspect(store: Store) -> Folder:
    """Read what the folder holds. A join is finished once a sync succeeded (its first full pull)."""
    with store.read() as session:
        state = session.get(SyncState, 1)
        users = session.scalar(select(func.count()).select_from(User)) or 0
        url = state.server_url if state is not None else None
        username = None
        if state is not None and state.user_id:
            username = session.scalar(select(User.username).where(User.id == state.user_id))
        if url:
            kind = JOINED if state is not None and state.last_success_at is not None else HALF_JOINED
        elif not users:
            kind = NEW
        else:
            demo = session.scalar(select(AuditEntry.seq).where(AuditEntry.action == "snapshot.load",
                                                               AuditEntry.entity_id == "demo").limit(1))
            kind = DEMO if demo is not None else LOCAL
    return Folder(kind, url, username, users)


def same_server(a: str | None, b: str | None) -> bool:
    """Two addresses of one server: scheme and host compared without case, a trailing slash ignored."""
    if not a or not b:
        return False
    left, right = urlsplit(a.strip().rstrip("/")), urlsplit(b.strip().rstrip("/"))
    return (left.scheme.lower(), (left.hostname or "").lower(), left.port, left.path) == \
        (right.scheme.lower(), (right.hostname or "").lower(), right.port, right.path)


def check_join(folder: Folder, url: str) -> None:
    """Refuse, in both languages, a join that would mix a server's data with what the folder holds."""
    if folder.kind == DEMO:
        raise DomainError("demo_folder",
                          "此数据文件夹装有演示数据，不能连接服务器。请选择或新建一个空文件夹，再从那里连接。",
                          "This data folder holds the demo organisation, and a demo folder cannot join a "
                          "server. Choose or create a new, empty folder and connect from there.", "url")
    if folder.kind == LOCAL:
        raise DomainError("local_folder",
                          "此数据文件夹已有本机数据（不是来自服务器），不能连接服务器。请选择或新建一个空文件夹。",
                          "This data folder already holds data made on this computer (not from a server), "
                          "so it cannot join a server. Choose or create a new, empty folder.", "url")
    if folder.kind in (JOINED, HALF_JOINED) and not same_server(folder.server_url, url):
        raise DomainError("other_server",
                          f"此数据文件夹已连接到另一台服务器（{folder.server_url}）。"
                          "要连接新服务器，请选择或新建一个空文件夹。",
                          f"This data folder is joined to another server ({folder.server_url}). To join a "
                          "different server, choose or create a new, empty folder.", "url",
                          {"server_url": folder.server_url})


def check_user(store: Store, user_id: str, username: str) -> None:
    """Refuse a server user whose username a different local user already has (the pull would clash)."""
    with store.read() as session:
        clash = session.scalar(select(User.id).where(User.username == username.strip().lower(),
                                                     User.id != user_id))
    if clash is not None:
        raise DomainError("username_taken",
                          f"此文件夹中已有另一个名为“{username}”的用户（来自其他数据），不能与服务器的同名用户合并。"
                          "请选择或新建一个空文件夹。",
                          f"This folder already holds another user named “{username}” (from other data), "
                          "who cannot be merged with the server's user of that name. Choose or create a new, "
                          "empty folder.", "username")


def request_erase(data_dir: Path, device_id: str) -> None:
    """Mark the folder to be erased (the device the server withdrew is named, for its keyring entry)."""
    mark = Path(data_dir) / ERASE_MARK
    temporary = mark.with_name(mark.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(device_id + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, mark)


def erase_requested(data_dir: Path) -> str | None:
    """The device id of a pending erase of this folder ("" when unreadable), or None when none is pending."""
    try:
        return (Path(data_dir) / ERASE_MARK).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""


def erase_files(data_dir: Path, db_name: str = DB_NAME, also: tuple[str, ...] = ()) -> None:
    """Remove the folder's data (the database and its journal files, ERASED_FOLDERS and the names in
    ``also``), then the erase mark. The store must be closed. An OSError leaves the mark, so the next
    start tries again."""
    folder = Path(data_dir)
    for name in (*(db_name + suffix for suffix in DATABASE_FILES), *also):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    for name in ERASED_FOLDERS:
        if (folder / name).exists():
            shutil.rmtree(folder / name)
    with contextlib.suppress(FileNotFoundError):
        (folder / ERASE_MARK).unlink()
