"""The wire protocol between desktop and server (JSON over HTTPS), version 1.

    POST /v1/auth/token   {username, password, device_id, device_name}
                          -> {token, user_id, device_id, expires_at}
    POST /v1/push         {device_id, mutations: [Mutation...]}            (Authorization: Bearer)
                          -> {results: [Result...], server_time}
    GET  /v1/pull?cursor=N&limit=M[&form=columns][&held_through=S]
                          -> {changes: [Change...], next_cursor, has_more, server_time}
                             (form=columns: {blocks: [Block...], ...} instead of changes)

Mutation: {seq, mutation_id, name, args, base_version, schema_version, client_time, wrote?,
upload_pending?}, the desktop's outbox row. ``wrote`` is [[table, id, digest]...]: the rows the
device's own run of the mutation wrote, each with :func:`row_digest` of the row as it is on the
device when sent. The server names the device (and the seq) on the change-log entry of every row
its own run leaves with the same digest; that device's pulls asking ``held_through=S`` (the last
seq it has made, so it holds the effects of every seq up to S) then leave the row out if its
latest change is such an entry with a seq at or below S - the device holds it as it is -
while a row the server's run wrote otherwise (another rate, a colleague's edit it had not pulled,
other rows) travels as always. ``upload_pending`` (attachment.add only) says the device could not
finish sending the file now; without it, a file not sent whole is refused (``file_missing``). The
device marks one only for a server whose blob status answers carry ``X-Fieldmark-Holds:
upload_pending`` (HOLDS_HEADER); with an older server, a file that cannot go up stops the push as
before.

Result: {seq, mutation_id, status, error?, change_seq?, rows?, waits_on?} where status is
"applied", "rejected" (error = {code, field, message_zh, message_en}; final, the queue moves on),
"waiting" or "out_of_order" (the server expected an earlier seq; processing of the batch stopped
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
Change: {seq, table, id, op, version, row} where op is "upsert" (row = the row's columns in storage
form) or "forget" (the row left the user's scope or was deleted: remove it locally).
Block (form=columns, sync.columns): a run of consecutive changes of one table and op, each column
once with its rows' values in order - {table, upsert: {column: [values...]}} or {table, forget: [ids]};
the columns the device derives (desktop.derived) are left out and made again on the device. A
customer costs a third of what it did on the wire (docs/PERFORMANCE.md).

A page holds at most PULL_LIMIT change-log entries (``limit`` is capped there). A row travels with
the rows it refers to, in the same page, unless the server knows the device holds them as they are
(sync.server.changes.page), so every page applies on its own. A page is all or nothing: a device
whose page was cut short asks for it again with a smaller ``limit`` (sync.client), so a link that
drops every megabyte still converges.

Answers (pages, push results) of 1 KiB or more are compressed as the request accepts:
``Content-Encoding: zstd`` when Accept-Encoding names zstd (the desktop's does), else gzip when it
names gzip; request bodies are gzip (``Content-Encoding: gzip``).

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
{code, message_zh, message_en} with a 4xx status; a 5xx means "try again later".
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
PUSH_BATCH = 200
PULL_LIMIT = 20000
MAX_CHUNK_BYTES = 4 * 1024 * 1024  # one PUT of an evidence file
UPLOAD_CHUNK = 1024 * 1024  # a download's read size (uploads size their chunks by the link: sync.client)

APPLIED, REJECTED, OUT_OF_ORDER, WAITING = "applied", "rejected", "out_of_order", "waiting"
UPSERT, FORGET = "upsert", "forget"

# Tables that travel, in the order a page must be applied in (parents before children).
SYNCED_TABLES = ("users", "capture_rules", "customers", "contacts", "touchpoints", "attachments", "products",
                 "exchange_rates", "approval_policies", "quotes", "quote_lines", "approvals")


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
