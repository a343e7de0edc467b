"""The server's identity and epoch, and the check of the cursor a device sends (sync.protocol,
"Restores and resets").

A cursor is a change-log seq, and means something only for the log it was read from. A restore from a
backup rewinds the log and hands the lost numbers out again to other changes; a change-log reset empties
it; another server has a log of its own. So every cursor travels with the server's id, the epoch of its
log and a mark of the log entry it stands on, and a cursor is accepted only when all three still hold:

- ``other_server``: the id is another server's (a new server at the same address);
- ``new_epoch``: the operator started a new epoch since (``fieldmark-server epoch new``, after a restore
  or a reset);
- ``past_head``: the cursor is past the last entry here - it was issued before a restore or a reset,
  even though nobody said so;
- ``rewritten``: the entry the cursor stands on is not the one it was issued on (a restore after which
  new changes took the old numbers again, nobody having said so either).

Refused, the device is answered 409 ``cursor_reset`` and reads its whole scope again from cursor 0.
A cursor of 0 is always accepted. A request without the id and epoch (a desktop from before them) gets
the checks it can: the head, and the mark when it sends one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from desktop import timeutil
from sync.server.models import ChangeLogEntry, ServerIdentity

OTHER_SERVER, NEW_EPOCH, PAST_HEAD, REWRITTEN = "other_server", "new_epoch", "past_head", "rewritten"

_MESSAGES = {
    OTHER_SERVER: ("这是另一台服务器，本机读取的数据来自之前的服务器。本机将先发送尚未发送的修改，再重新读取全部数据。",
                   "This is another server than the one this computer read its data from. It sends its changes "
                   "not yet sent, then reads all its data again."),
    NEW_EPOCH: ("服务器已从备份恢复（或其变更记录已重置）。本机将先发送尚未发送的修改，再重新读取全部数据。",
                "The server was restored from a backup (or its change log was reset). This computer sends its "
                "changes not yet sent, then reads all its data again."),
}
_MESSAGES[PAST_HEAD] = _MESSAGES[REWRITTEN] = _MESSAGES[NEW_EPOCH]


class CursorReset(Exception):
    """The cursor a device sent is not one of this server's epoch: answered 409 ``cursor_reset``."""

    status = 409

    def __init__(self, reason: str, identity: ServerIdentity) -> None:
        super().__init__(reason)
        self.reason, self.server_id, self.epoch = reason, identity.server_id, identity.epoch

    def to_dict(self) -> dict[str, Any]:
        zh, en = _MESSAGES[self.reason]
        return {"code": "cursor_reset", "reason": self.reason, "message_zh": zh, "message_en": en,
                "server_id": self.server_id, "epoch": self.epoch}


def identity(session: Session) -> ServerIdentity:
    """This server's identity row (made by migration s0010)."""
    found = session.get(ServerIdentity, 1)
    if found is None:  # only a hand-edited database lacks it
        raise RuntimeError("server_identity is empty: the database was not made by fieldmark-server")
    return found


def new_epoch(engine: Engine, note: str = "") -> ServerIdentity:
    """Start a new epoch: every cursor issued so far is refused from now on (after a restore or a reset)."""
    from sync.server.db import writing

    with writing(engine) as session:
        found = identity(session)
        found.epoch += 1
        found.epoch_started_at = timeutil.utcnow()
        found.note = note[:500]
        session.flush()
        session.expunge(found)
        return found


def mark(session: Session, seq: int) -> str:
    """A short fingerprint of the change-log entry ``seq`` ("" for 0 or an entry that is not there)."""
    if seq <= 0:
        return ""
    log = ChangeLogEntry.__table__
    found = session.execute(select(log.c.table_name, log.c.row_id, log.c.committed_at)
                            .where(log.c.seq == seq)).first()
    if found is None:
        return ""
    table, row_id, committed_at = found
    text = f"{seq}|{table}|{row_id}|{timeutil.to_text(committed_at)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def check(session: Session, cursor: int, server_id: str | None, epoch: int | None, cursor_mark: str | None
          ) -> ServerIdentity:
    """This server's identity, once the cursor is found to be one of its epoch; else CursorReset."""
    found = identity(session)
    if cursor <= 0:
        return found
    if server_id and server_id != found.server_id:
        raise CursorReset(OTHER_SERVER, found)
    if epoch is not None and epoch != found.epoch:
        raise CursorReset(NEW_EPOCH, found)
    head = session.scalar(select(func.max(ChangeLogEntry.seq))) or 0
    if cursor > head:
        raise CursorReset(PAST_HEAD, found)
    if cursor_mark and mark(session, cursor) != cursor_mark:
        raise CursorReset(REWRITTEN, found)
    return found
