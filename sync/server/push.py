"""Applying pushed mutations: idempotent per (device, seq), in order, re-checked under the real user."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from desktop import mutations, timeutil
from desktop.blobs import SESSION_KEY
from desktop.errors import DomainError
from desktop.ids import is_uuid
from desktop.models import User
from desktop.mutations import common
from desktop.mutations import quotes as quote_mutations
from desktop.mutations.registry import REGISTRY, Actor, load_actor
from desktop.text_rules import printable
from sync import protocol
from sync.server import auth, changes, clock, history, limits, rescope
from sync.server.blobs import ServerBlobs, UserBlobs
from sync.server.db import writing
from sync.server.models import Device, Processed


def push(engine: Engine, user_id: str, device_id: str, items: list[dict[str, Any]],
         blobs: ServerBlobs) -> list[dict[str, Any]]:
    """Process a batch in order, in one serialised transaction; stop at the first item out of order.

    Each mutation runs in its own savepoint, so it is atomic on its own: its business rows, its change
    log entries and its stored result are kept together, or (rejected) only the result is. The batch
    commits once, which makes a queue of thousands cheap; if the batch fails as a whole (a crash, a
    server fault), nothing of it was committed and the device sends it again.

    The batch's session holds every row it reads or writes (common.hold_rows): the customer that
    fifty touchpoints hang off is read once, and the rows a mutation wrote give its change-log
    entries without being read back. Which seqs were processed before, and which of the new ids
    already exist, are asked once for the whole batch.

    ``attachment.add`` measures the file it names from the server's uploads, as the desktop does from
    its own folder; only files this user sent count (sync.server.blobs.UserBlobs), so naming a file
    never sent, or sent only by someone else, is refused (file_missing).
    """
    results: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    claims: list[tuple[dict[str, Any], str, int]] = []  # (log entry, the device's digest of its row, seq)
    processed: list[dict[str, Any]] = []
    with writing(engine) as session:
        common.hold_rows(session)
        session.info[SESSION_KEY] = UserBlobs(blobs, session, user_id)
        device = session.get(Device, device_id)
        session.info[quote_mutations.DEVICE_CODES] = auth.device_codes(device) if device is not None else frozenset()
        last = session.scalar(select(func.max(Processed.seq)).where(Processed.device_id == device_id)) or 0
        done: dict[int, dict[str, Any]] = dict(session.execute(  # type: ignore[arg-type]
            select(Processed.seq, Processed.result).where(Processed.device_id == device_id,
                                                          Processed.seq.in_({i["seq"] for i in items}))).all())
        # Waiting ones sent again are tried again; those not in this batch still block what names their ids.
        retried = {seq for seq, result in done.items() if result.get("status") == protocol.WAITING
                   and result.get("mutation_id") == next(i["mutation_id"] for i in items if i["seq"] == seq)}
        blocked = _still_waiting(session, device_id, retried)
        actor = load_actor(session, user_id, device_id)
        fresh = [item for item in items if item["seq"] not in done or item["seq"] in retried]
        common.note_new_ids(session, _new_ids(fresh))
        history.preload(session, fresh)
        user_blobs = session.info[SESSION_KEY]
        for item in items:
            again = item["seq"] in retried
            if item["seq"] in done and not again:  # a resend after a lost acknowledgement: the same answer, no twin
                results.append(done[item["seq"]])
                continue
            if not again and item["seq"] != last + 1:
                results.append({"seq": item["seq"], "mutation_id": item["mutation_id"],
                                "status": protocol.OUT_OF_ORDER, "expected": last + 1})
                break
            received = timeutil.utcnow()
            client_time = received
            names = _named_ids(item)
            if item.get("refused_before") is True:
                # Refused before a restore lost the record (the device says so): refused again, never run.
                result = _refused_before(item)
            elif names & blocked or _file_on_its_way(item, user_blobs):
                blocked |= names
                result = {"seq": item["seq"], "mutation_id": item["mutation_id"], "status": protocol.WAITING,
                          "waits_on": sorted(names)}
            else:
                result, client_time = _apply(session, actor, item, log, claims, received)
            results.append(result)
            if again:
                session.execute(update(Processed).where(Processed.device_id == device_id, Processed.seq == item["seq"])
                                .values(status=result["status"], result=result, processed_at=timeutil.utcnow()))
                continue
            processed.append({"device_id": device_id, "seq": item["seq"], "mutation_id": item["mutation_id"],
                              "name": printable(item["name"])[:64], "status": result["status"], "result": result,
                              "processed_at": received, "client_time": client_time})
            last = item["seq"]
        _mark_held(session, claims, device_id)
        # Bulk inserts at the end: the log keeps the mutations' order, and no ORM object per row.
        history.write(session)
        changes.write(session, log)
        if processed:
            session.execute(insert(Processed), processed)
    return results


def _refused_before(item: dict[str, Any]) -> dict[str, Any]:
    """The answer to a change this server refused before it was restored from a backup (a device only
    ever asks for its own change not to happen, so it is taken at its word)."""
    return {"seq": item["seq"], "mutation_id": item["mutation_id"], "status": protocol.REJECTED,
            "error": {"code": "refused_before", "field": None,
                      "message_zh": "服务器之前已拒绝此修改（随后服务器从备份恢复），不再执行。",
                      "message_en": "The server refused this change before it was restored from a backup; it is "
                                    "not run again."}}


def _named_ids(item: dict[str, Any]) -> set[str]:
    """The ids a mutation's arguments name (the rows it makes or acts on, the visit a photo is added to)."""
    return {value for value in item["args"].values() if isinstance(value, str) and is_uuid(value)}


def _file_on_its_way(item: dict[str, Any], user_blobs: UserBlobs) -> bool:
    """An attachment.add whose file the device says it is still sending, and this user has not sent whole."""
    if item["name"] != "attachment.add" or item.get("upload_pending") is not True:
        return False
    sha = item["args"].get("sha256")
    return not (isinstance(sha, str) and user_blobs.has(sha.lower()))


def _still_waiting(session: Session, device_id: str, retried: set[int]) -> set[str]:
    """The ids that this device's waiting mutations not tried again now name: what names them waits too."""
    out: set[str] = set()
    for seq, result in session.execute(select(Processed.seq, Processed.result).where(
            Processed.device_id == device_id, Processed.status == protocol.WAITING)):
        if seq not in retried:
            out.update(str(i) for i in result.get("waits_on", []))
    return out


def _claims(entries: list[dict[str, Any]], item: dict[str, Any]) -> list[tuple[dict[str, Any], str, int]]:
    """The entries of rows the mutation's ``wrote`` names, with the digest the device sent."""
    wrote = item.get("wrote")
    if not isinstance(wrote, list) or not wrote:
        return []
    claimed = {(str(w[0]), str(w[1])): str(w[2]) for w in wrote if isinstance(w, list) and len(w) == 3}
    return [(entry, claimed[(entry["table_name"], entry["row_id"])], item["seq"]) for entry in entries
            if (entry["table_name"], entry["row_id"]) in claimed]


def _mark_held(session: Session, claims: list[tuple[dict[str, Any], str, int]], device_id: str) -> None:
    """Name the device (and the seq) on the entries of rows that are, at the end of the batch, as the
    device said its rows are (sync.protocol.row_digest of the row in storage form, read as a pull
    sends it): one read per table for the whole batch. The device's digests are of its rows when it
    sent the batch, after all its changes, so it is the batch's end the rows are compared at."""
    wanted: dict[str, set[str]] = {}
    for entry, _digest, _seq in claims:
        wanted.setdefault(entry["table_name"], set()).add(entry["row_id"])
    found = {table: changes.stored_rows(session, table, ids) for table, ids in wanted.items()}
    digests = {(table, row_id): protocol.row_digest(row) for table, got in found.items() for row_id, row in got.items()}
    for entry, digest, seq in claims:
        if digests.get((entry["table_name"], entry["row_id"])) == digest:
            entry["device_id"], entry["device_seq"] = device_id, seq


def _new_ids(items: Any) -> list[str]:
    """The ids the items' mutations are to create (their id fields, made on the device)."""
    out = []
    for item in items:
        spec = REGISTRY.get(item["name"])
        if spec is not None:
            out += [value for name in spec.id_fields if is_uuid(value := item["args"].get(name))]
    return out


def _apply(session: Session, actor: Actor, item: dict[str, Any], log: list[dict[str, Any]],
           claims: list[tuple[dict[str, Any], str, int]], received: Any) -> tuple[dict[str, Any], Any]:
    """One mutation under the authenticated user (never a user named in the payload); its change-log
    entries are added to ``log`` only if it was applied, and to ``claims`` with the digest the
    device sent for the row (``wrote``), if it sent one. Returns the result and the device's time of
    the change as kept (sync.server.clock: an implausible one is replaced by ``received``)."""
    result: dict[str, Any] = {"seq": item["seq"], "mutation_id": item["mutation_id"]}
    overwrites: list[dict[str, Any]] = []
    client_time = received
    try:
        limits.check_args(item["args"])  # nesting and numbers the server can hold: else rejected alone
        args, client_time, note = clock.plausible(session, item["name"], copy.deepcopy(item["args"]), received)
        if note is not None:
            result["clock"] = note
        with session.begin_nested():
            outcome = mutations.execute(session, actor, item["name"], args)
            session.flush()
            common.not_new(session, [r.id for r in outcome.rows])
            made, overwrites = history.record(session, actor, item, outcome, received, client_time)
            mine = []
            for table in dict.fromkeys(r.table for r in outcome.rows):
                mine += changes.entries(session, table, [r.id for r in outcome.rows if r.table == table])
            mine += history.log_entries(made)
            if outcome.entity == "customer" and "owner_id" in outcome.diff:
                mine += changes.customer_tree(session, outcome.entity_id)
            if outcome.entity == "user" and rescope.moved_by(outcome.diff):
                user = common.by_id(session, User, outcome.entity_id)
                if user is not None:
                    mine += rescope.user_changed(session, user, outcome.diff)
        log.extend(mine)
        history.keep(session, made)
        claims.extend(_claims(mine, item))
        result["status"] = protocol.APPLIED
        # What this run wrote: a device whose own run wrote other rows takes the server's (protocol).
        result["rows"] = [[r.table, r.id] for r in outcome.rows]
        if overwrites:  # fields whose value someone else had set since this change's base, now replaced
            result["overwrote"] = overwrites
    except DomainError as exc:  # final: stored like an application, so the queue moves on
        result["status"] = protocol.REJECTED
        result["error"] = exc.to_dict()
    return result, client_time
