"""The wire protocol between desktop and server (JSON over HTTPS), version 1.

    POST /v1/auth/token   {username, password, device_id, device_name}
                          -> {token, user_id, device_id, device_code, expires_at, approved, offline_days?,
                              server_id, epoch}
    POST /v1/push         {device_id, mutations: [Mutation...]}            (Authorization: Bearer)
                          -> {results: [Result...], server_time}
    GET  /v1/pull?cursor=N&limit=M&server=ID&epoch=E&mark=K[&form=columns][&held_through=S]
                          -> {changes: [Change...], next_cursor, has_more, server_id, epoch, next_mark,
                              server_time, offline_days?}
                             (form=columns: {blocks: [Block...], ...} instead of changes)

Mutation: {seq, mutation_id, name, args, base_version, schema_version, client_time, wrote?,
upload_pending?, refused_before?}, the desktop's outbox row. ``base_version`` is the version of the
changed row on the device when the change was made (the last version its user saw); ``args.at`` is
the device's clock then, which the server keeps only inside a plausible window (not over 5 minutes
ahead of its own clock, not before 2000, not before the row it is about existed - an approval not
before its quote's submission): outside it, ``at`` is replaced by the server's receipt time and the
result says so (``clock``: {sent, stored, reason}). Device times never order anything.

``wrote`` is [[table, id, digest]...]: the rows the device's own run of the mutation wrote, each with
:func:`row_digest` of the row as it is on the device when sent. The server names the device (and the
seq) on the change-log entry of every row its own run leaves with the same digest; that device's
pulls asking ``held_through=S`` (the last seq it has made, so it holds the effects of every seq up
to S) then leave the row out if its latest change is such an entry with a seq at or below S - the
device holds it as it is - while a row the server's run wrote otherwise (another rate, a colleague's
edit it had not pulled, other rows) travels as always. A whole read (cursor 0: a first pull, a
re-read after a restore) ignores ``held_through``: it sends everything. ``upload_pending``
(attachment.add only) says the device could not finish sending the file now; without it, a file not
sent whole is refused (``file_missing``). The device marks one only for a server whose blob status
answers carry ``X-Fieldmark-Holds: upload_pending`` (HOLDS_HEADER); with an older server, a file that
cannot go up stops the push as before.

Result: {seq, mutation_id, status, error?, change_seq?, rows?, waits_on?, overwrote?, clock?} where
status is "applied", "rejected" (error = {code, field, message_zh, message_en}; final, the queue moves
on), "waiting" or "out_of_order" (the server expected an earlier seq; processing of the batch stopped
there). "waiting": an attachment.add with ``upload_pending`` whose file this user has not sent whole,
and every later mutation of the device whose args name an id a waiting one names (``waits_on``: the
visit's submit, the photo's label) - held, not applied, its seq counted as processed so that the
device's later, independent mutations are applied in order behind it. The device keeps them pending
and sends them again with its next push, after sending the rest of the file; the server then tries
them again, in seq order, and answers applied or rejected (or waiting again). Per-device order is
kept: a waiting mutation and everything that depends on it keep their order among themselves, and
nothing that depends on them runs before them.

An applied result names the rows the server's run of the mutation wrote (``rows``: [[table, id]...]):
where the device's own run wrote others (approval.decide approving a quote here that the server,
under its rate, leaves waiting for the finance director), the device undoes its effect and takes the
server's rows from the pull (desktop.remote.mark_results).
``overwrote`` ([{field, user_id, old, new}...]) lists the fields whose value another device had set after
the mutation's base_version and that it has now replaced (the write still wins: server order).
Change: {seq, table, id, op, version, row} where op is "upsert" (row = the row's columns in storage
form) or "forget" (the row left the user's scope or was deleted: remove it locally).
``field_changes`` rows (the change history of customers and contacts, written by the server alone) travel
like the rest of their customer; one whose ``overwrote_mutation_id`` names a change of the device's own
tells it that change was overwritten (desktop.overwrites).
Block (form=columns, sync.columns): a run of consecutive changes of one table and op, each column
once with its rows' values in order - {table, upsert: {column: [values...]}} or {table, forget: [ids]};
the columns the device derives (desktop.derived) are left out and made again on the device. A
customer costs a third of what it did on the wire (docs/PERFORMANCE.md).

A device that holds nothing yet (cursor 0) first reads the user's whole scope as a snapshot, then
the change log from the snapshot's head:

    GET  /v1/snapshot?after=TOKEN&limit=M&frames=zstd|gzip   (Authorization: Bearer; all optional)
                          -> 200 application/x-fieldmark-frames: a stream of frames, each a 4-byte
                             big-endian length and that many bytes of compressed JSON - zstd when
                             ``frames=zstd`` (the desktop asks it), else gzip; the reader tells them
                             apart by their magic bytes:
                             {kind: "start", head, total, server_time}
                             {kind: "rows", table, columns: [name...], rows: [[value...]...], token}...
                             {kind: "end", next_cursor, server_id, epoch, next_mark}

Tables come in SYNCED_TABLES order, each in id order, at most ``limit`` (capped at SNAPSHOT_ROWS)
rows a frame, values in storage form as in a Change's row (a password hash is "" but for its owner).
``total`` counts the rows still to come in this answer; ``head`` and ``next_cursor`` are the
change-log head of the snapshot the rows were read in (one read transaction for the whole answer).
A stream that breaks is asked again with the last frame's ``token`` as ``after``: it goes on after
that row, from a newer snapshot, and its ``next_cursor`` stays the first answer's head, so the
change-log pull that follows brings everything that changed meanwhile (sync.server.snapshot). A
server without the route answers 404; the device then pulls the change log from cursor 0.

A page holds at most PULL_LIMIT change-log entries (``limit`` is capped there). A row travels with
the rows it refers to, in the same page, unless the server knows the device holds them as they are
(sync.server.changes.page), so every page applies on its own. A page is all or nothing: a device
whose page was cut short asks for it again with a smaller ``limit`` (sync.client), so a link that
drops every megabyte still converges.

Answers (pages, push results) of 1 KiB or more are compressed as the request accepts:
``Content-Encoding: zstd`` when Accept-Encoding names zstd (the desktop's does), else gzip when it
names gzip; request bodies are gzip (``Content-Encoding: gzip``).

Restores and resets. The cursor stays a whole number - a seq of the server's change log - but it means
something only for the log it was read from, so it travels with three fields: the server's id (made
once, by its migration s0010), the epoch of its log (raised by ``fieldmark-server epoch new`` after a
restore from a backup or a change-log reset) and ``mark``, a fingerprint of the log entry the cursor
stands on. Every pull answer returns them for ``next_cursor`` (``next_mark``); the device keeps them
with the cursor (sync_state) and sends them with its next pull. A cursor above 0 is refused - 409
``cursor_reset`` with ``reason``, ``server_id``, ``epoch`` and both messages - when it is another
server's (``other_server``), of an earlier epoch (``new_epoch``), past the last entry here
(``past_head``), or no longer on the entry it was issued on (``rewritten``: a restore after which new
changes took the old numbers, nobody having run ``epoch new``). A cursor of 0 is never refused; a
request without the fields (an older desktop) gets the head check. Refused, the device pushes what
waits, reads its whole scope again from 0 and removes the rows the server no longer has - never its own
changes waiting to be sent, which are undone and applied again as after any page (desktop.reread). A
sign-in whose answer names another server or epoch than the cursor's does the same.

A push whose first seq is above the one the server expects (``out_of_order`` with ``expected`` lower
than the seq sent) means the server lost changes it had answered (a restore): the device queues its
entries from ``expected`` on again, as they are, and sends them in order (desktop.remote.mark_results).
One the server had refused goes with ``"refused_before": true``: the server records it as refused
(``refused_before``) and never runs it, so a change whose refusal the user settled cannot come back.

Evidence files (photos, recordings) travel beside the mutations, by SHA-256, before the
``attachment.add`` that names them (Authorization: Bearer on each):

    GET  /v1/blobs/{sha256}/status          -> {received, complete}
    PUT  /v1/blobs/{sha256}?offset=N&total=T   raw bytes (application/octet-stream), at most
                                               MAX_CHUNK_BYTES; T is the file's size
                                            -> {received, complete}
    GET  /v1/blobs/{sha256}                 the file (``Range: bytes=N-`` resumes: 206)

``received`` counts the bytes this user has sent of the file; an upload resumes there. How much
one PUT carries is the device's choice (at most MAX_CHUNK_BYTES): the desktop sends a few seconds of
data at the rate it measured, starting small, as a stream (sync.client._UploadPace). A chunk at
another offset is answered 409 ``wrong_offset`` with ``expected``; a chunk already received (a
resend after a lost answer) is accepted and changes nothing. The chunk that reaches T finishes the
upload: the content is checked against its name (a mismatch: 422 ``hash_mismatch``, what was
received is thrown away) and kept once for everyone. A chunk over MAX_CHUNK_BYTES or a T over the
largest file a visit may hold (desktop.mutations.visits.MAX_FILE_BYTES) is 413 ``too_large``. The
server counts a file as this user's only once they have sent all of its bytes, even when someone
else sent the same file before: knowing a hash is not having the file. A download is allowed to
whoever sent the file or may see a touchpoint with an attachment naming it; anyone else gets 404,
as for a file that does not exist.

Every request carries the app version and the schema version in headers; an app older than the
server accepts is answered 426 with a message asking to upgrade. Errors are JSON
{code, message_zh, message_en} with a 4xx status, plus ``field`` (the input at fault) where there is
one, ``expected`` for wrong_offset and ``reason``, ``server_id``, ``epoch`` for cursor_reset; a 5xx
(same form, code ``server_error``) means "try again later". Every answer names
the server process that gave it (``X-Fieldmark-Worker``: its pid), for diagnostics only.

Devices. A device id is registered by its first token request and bound to that user. A device an
administrator revoked (``fieldmark-server device revoke``) is answered **410** ``device_revoked`` on
every request with its token and on every token request with the right password (a wrong one is
``bad_credentials``, as for anyone): the device must erase its data and its token (sync.revocation)
and never sends again; a new installation registers as a new device. Where the server approves
devices (``serve --approve-devices``), a new device gets a token (``approved: false``) but every other
request is **403** ``device_pending`` until ``fieldmark-server device approve``. 401 ``unauthorized``
(an expired or unknown token, a disabled user) means: sign in again. ``offline_days``, when the server
sends it (``serve --offline-days``), is the organisation's limit on offline sign-in since the device's
last successful sync (desktop.auth).

Limits: nothing a client sends can make the server answer 5xx. A JSON body is UTF-8, at most
MAX_BODY_BYTES (after gzip) and nests at most MAX_JSON_DEPTH deep, checked on the bytes before it is
parsed (sign-in included): more is 413 / 422. Every whole number a client sends is bounded: ``cursor``
0..MAX_INT, ``limit`` 1..MAX_INT (then capped at PULL_LIMIT), ``seq`` 1..MAX_SEQ, ``offset`` and
``total`` 0..MAX_INT, ``days`` 1..366, rate dates 1900-01-01..9999-12-31; outside them, or of the
wrong type (in a JSON body strictly: "1" is not 1, nor is 1.0), the request is 422. Within a push, a mutation whose args nest
more than MAX_ARGS_DEPTH deep, or hold a number beyond MAX_INT or one that is not finite, is rejected
alone (``invalid_value``, final like any rejection); the rest of the batch goes on. The OpenAPI
document (/openapi.json, sync.server.api_models) describes every request, answer and status code.

"""

from __future__ import annotations

import hashlib
import json
from typing import Any

PROTOCOL = "1"
APP_HEADER = "X-Fieldmark-App"
SCHEMA_HEADER = "X-Fieldmark-Schema"
# On a blob's status answer: the server holds an attachment.add marked upload_pending as "waiting"
# (an older server refuses it as file_missing, so a desktop only marks one for a server that says so).
HOLDS_HEADER, HOLDS_UPLOAD_PENDING = "X-Fieldmark-Holds", "upload_pending"
MIN_APP_VERSION = (0, 1, 0)
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_JSON_DEPTH = 64  # how deep a request's JSON may nest ([ and {), checked before it is parsed
MAX_ARGS_DEPTH = 32  # how deep one mutation's args may nest (deeper: that mutation alone is rejected)
MAX_INT = 2**63 - 1  # the largest whole number a client may send anywhere (a 64-bit database integer)
MAX_SEQ = 2**31 - 1  # the largest mutation seq (server_processed.seq is a 32-bit integer on PostgreSQL)
PUSH_BATCH = 200
PULL_LIMIT = 20000
MAX_CHUNK_BYTES = 4 * 1024 * 1024  # one PUT of an evidence file
UPLOAD_CHUNK = 1024 * 1024  # a download's read size (uploads size their chunks by the link: sync.client)

SNAPSHOT_ROWS = 20000  # rows per frame of a first pull (GET /v1/snapshot)
SNAPSHOT_MEDIA_TYPE = "application/x-fieldmark-frames"

APPLIED, REJECTED, OUT_OF_ORDER, WAITING = "applied", "rejected", "out_of_order", "waiting"
UPSERT, FORGET = "upsert", "forget"

# Tables that travel, in the order a page must be applied in (parents before children).
SYNCED_TABLES = ("users", "capture_rules", "customers", "contacts", "touchpoints", "attachments", "products",
                 "exchange_rates", "approval_policies", "quotes", "quote_lines", "approvals", "field_changes")


def row_digest(row: dict[str, Any]) -> str:
    """What a Mutation's ``wrote`` names a row by: a digest of its columns in storage form, the same on
    the device and the server for the same values (a value of another type or form digests otherwise,
    and the row is simply sent back)."""
    text = json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def parse_version(text: str) -> tuple[int, ...]:
    """'0.1.0' -> (0, 1, 0); anything unparsable sorts as the oldest version."""
    try:
        return tuple(int(part) for part in text.split("."))
    except (AttributeError, ValueError):
        return (0,)
