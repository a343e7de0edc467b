"""Reading the whole scope again when the cursor no longer means anything to the server.

A cursor is a position in one server's change log, in one epoch of it (sync.protocol, "Restores and
resets"). When the server answers that this device's cursor is not one of its own any more - it was
restored from a backup, its change log was reset, or it is another server - or the device signs in to
another server or epoch, what the device holds can no longer be brought up to date change by change:
rows it read may be gone from the server, and rows the server made again under the same numbers were
never sent. So the device reads everything again, from cursor 0, and afterwards holds exactly the
server's rows:

- :func:`begin` (one transaction): the cursor goes back to 0, the server's id, epoch and mark are
  forgotten, every row held now is noted in ``sync_reread``, and ``sync_state.reset_notice`` says why;
- each page (desktop.remote.apply_page) crosses off the rows it sends: the server still has those;
- :func:`finish`, once the last page is written: the rows still noted are rows the server no longer
  has, and are removed. Local changes waiting to be sent are never lost: they are undone first
  (desktop.remote's rewind, from their before-images) and applied again afterwards by
  desktop.remote.replay_pending, like after any page; one that no longer applies becomes a sync
  problem and stays in the outbox. Only rows that came from the server are ever removed.

An interrupted re-read (a crash, a lost connection, Stop) keeps its pages and its notes, and the next
pull goes on from the cursor it reached; :func:`finish` runs when a pull reaches the end.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from desktop import audit, timeutil
from desktop.models import DATA_TABLES, OutboxEntry
from desktop.remote import LIVE, PENDING, _note_forgotten, _rewind, _state, _state_of
from desktop.snapshot import SYSTEM_ACTOR

# Why a re-read began: the server's reason (sync.server.epoch), or the device's own at sign-in.
OTHER_SERVER, NEW_EPOCH, PAST_HEAD, REWRITTEN = "other_server", "new_epoch", "past_head", "rewritten"

_RESTORED = ("服务器已从备份恢复，本机已重新读取全部数据。",
             "The server was restored from a backup; this computer has read all its data again.")
_DONE = {
    OTHER_SERVER: ("已连接到另一台服务器，本机已重新读取全部数据。",
                   "This computer is connected to another server and has read all its data again."),
    NEW_EPOCH: _RESTORED, PAST_HEAD: _RESTORED, REWRITTEN: _RESTORED,
}
_UNDER_WAY = ("服务器已从备份恢复或已更换，本机正在重新读取全部数据。",
              "The server was restored from a backup or replaced; this computer is reading all its data again.")
_UNDER_WAY_DETAIL = ("未完成的部分会在下次同步时继续。尚未发送的修改都已保留。",
                     "What is left continues at the next sync. Changes not yet sent are kept.")


# Rows that record other rows' changes (a customer's history): they go with what they record, and
# the user is told of the records themselves, not of their history.
UNCOUNTED = frozenset({"field_changes"})


def _done_detail(removed: int) -> tuple[str, str]:
    zh = "尚未发送的修改都已保留并发送。"
    en = "Changes not yet sent were kept and sent."
    if removed:
        zh += f"服务器上已没有的 {removed} 条记录已从本机移除（也可能是服务器的变更记录已重置）。"
        en += (f" {removed} record(s) the server no longer has were removed from this computer (its change log "
               "may also have been reset).")
    return zh, en


def begin(store: Any, reason: str, server_id: str | None = None, epoch: int | None = None) -> None:
    """Start reading everything again, for ``reason``: cursor 0, every row held noted as in doubt."""
    device_id, _code = store.device()
    with store.writer("sync") as session:
        conn = session.connection()
        state = _state(session)
        held = 0
        for table in DATA_TABLES:
            held += conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO sync_reread (table_name, row_id) SELECT ?, id FROM {table}", (table,)).rowcount
        before = state.cursor
        state.cursor, state.server_id, state.epoch, state.cursor_mark = 0, None, None, None
        reason = reason if reason in _DONE else NEW_EPOCH
        state.reset_notice = {"code": "cursor_reset", "reason": reason, "message_zh": _UNDER_WAY[0],
                              "message_en": _UNDER_WAY[1], "detail_zh": _UNDER_WAY_DETAIL[0],
                              "detail_en": _UNDER_WAY_DETAIL[1], "at": timeutil.to_text(timeutil.utcnow()),
                              "done_at": None, "removed": 0}
        audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=device_id,
                     action="sync.reread", entity="sync", entity_id="pull",
                     detail={"reason": reason, "cursor": before, "server_id": server_id, "epoch": epoch,
                             "held": held})


def under_way(store: Any) -> bool:
    """Whether a re-read has begun and not finished."""
    with store.read() as session:
        state = _state(session)
        return bool(state.reset_notice) and not state.reset_notice.get("done_at")


def finish(store: Any) -> int:
    """After the last page of a re-read: remove the rows the server no longer has; returns how many.

    Pending local changes are undone first when anything is removed (their effects may sit on those
    rows, or create rows under them); call desktop.remote.replay_pending afterwards to apply them again.
    """
    device_id, _code = store.device()
    with store.writer("sync") as session:
        conn = session.connection()
        state = _state(session)
        notice = dict(state.reset_notice or {})
        if not notice or notice.get("done_at"):
            return 0
        gone: dict[str, list[str]] = {}
        for table, row_id in conn.exec_driver_sql("SELECT table_name, row_id FROM sync_reread").all():
            gone.setdefault(table, []).append(row_id)
        removed = 0
        if gone:
            live = [e for e in session.scalars(select(OutboxEntry).where(OutboxEntry.status == PENDING)
                                               .order_by(OutboxEntry.seq)) if _state_of(e) == LIVE]
            _rewind(session, live)
            for table in reversed(DATA_TABLES):  # children first; ON DELETE CASCADE takes what hangs off
                count = conn.exec_driver_sql(
                    f"DELETE FROM {table} WHERE id IN (SELECT row_id FROM sync_reread WHERE table_name = ?)",
                    (table,)).rowcount
                removed += count if table not in UNCOUNTED else 0
            conn.exec_driver_sql("DELETE FROM sync_reread")
            _note_forgotten(session)
        zh, en = _DONE.get(str(notice.get("reason")), _RESTORED)
        detail_zh, detail_en = _done_detail(removed)
        state.reset_notice = {**notice, "message_zh": zh, "message_en": en, "detail_zh": detail_zh,
                              "detail_en": detail_en, "done_at": timeutil.to_text(timeutil.utcnow()),
                              "removed": removed}
        audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=device_id,
                     action="sync.reread.done", entity="sync", entity_id="pull",
                     detail={"reason": notice.get("reason"), "removed": removed,
                             "by_table": {table: len(ids) for table, ids in gone.items()}})
        return removed


def dismiss(store: Any) -> None:
    """The user has read the notice of a finished re-read: the window stops showing it."""
    with store.writer("sync") as session:
        state = _state(session)
        if state.reset_notice and state.reset_notice.get("done_at"):
            state.reset_notice = None
