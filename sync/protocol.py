"""The wire protocol between desktop and server (JSON over HTTPS), version 1.

    POST /v1/auth/token   {username, password, device_id, device_name}
                          -> {token, user_id, device_id, expires_at}
    POST /v1/push         {device_id, mutations: [Mutation...]}            (Authorization: Bearer)
                          -> {results: [Result...], server_time}
    GET  /v1/pull?cursor=N&limit=M
                          -> {changes: [Change...], next_cursor, has_more, server_time}

Mutation: {seq, mutation_id, name, args, base_version, schema_version, client_time}, exactly the
desktop's outbox row. Result: {seq, mutation_id, status, error?, change_seq?, rows?} where status is
"applied", "rejected" (error = {code, field, message_zh, message_en}; final, the queue moves on) or
"out_of_order" (the server expected an earlier seq; processing of the batch stopped there). An
applied result names the rows the server's run of the mutation wrote (``rows``: [[table, id]...]):
where the device's own run wrote others (approval.decide approving a quote here that the server,
under its rate, leaves waiting for the finance director), the device undoes its effect and takes the
server's rows from the pull (desktop.remote.mark_results).
Change: {seq, table, id, op, version, row} where op is "upsert" (row = the row's columns in storage
form) or "forget" (the row left the user's scope or was deleted: remove it locally).

A device that holds nothing yet (cursor 0) first reads the user's whole scope as a snapshot, then
the change log from the snapshot's head:

    GET  /v1/snapshot?after=TOKEN&limit=M   (Authorization: Bearer; both parameters optional)
                          -> 200 application/x-fieldmark-frames: a stream of frames, each a 4-byte
                             big-endian length and that many bytes of gzip-compressed JSON:
                             {kind: "start", head, total, server_time}
                             {kind: "rows", table, columns: [name...], rows: [[value...]...], token}...
                             {kind: "end", next_cursor}

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
(sync.server.changes.page), so every page applies on its own. The answer is gzip-compressed
(``Content-Encoding: gzip``) when the request accepts it.

Evidence files (photos, recordings) travel beside the mutations, by SHA-256, before the
``attachment.add`` that names them (Authorization: Bearer on each):

    GET  /v1/blobs/{sha256}/status          -> {received, complete}
    PUT  /v1/blobs/{sha256}?offset=N&total=T   raw bytes (application/octet-stream), at most
                                               MAX_CHUNK_BYTES; T is the file's size
                                            -> {received, complete}
    GET  /v1/blobs/{sha256}                 the file (``Range: bytes=N-`` resumes: 206)

``received`` counts the bytes this user has sent of the file; an upload resumes there. A chunk at
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

PROTOCOL = "1"
APP_HEADER = "X-Fieldmark-App"
SCHEMA_HEADER = "X-Fieldmark-Schema"
MIN_APP_VERSION = (0, 1, 0)
MAX_BODY_BYTES = 5 * 1024 * 1024
PUSH_BATCH = 200
PULL_LIMIT = 20000
MAX_CHUNK_BYTES = 4 * 1024 * 1024  # one PUT of an evidence file
UPLOAD_CHUNK = 1024 * 1024  # what the desktop sends per PUT
SNAPSHOT_ROWS = 20000  # rows per frame of a first pull (GET /v1/snapshot)
SNAPSHOT_MEDIA_TYPE = "application/x-fieldmark-frames"

APPLIED, REJECTED, OUT_OF_ORDER = "applied", "rejected", "out_of_order"
UPSERT, FORGET = "upsert", "forget"

# Tables that travel, in the order a page must be applied in (parents before children).
SYNCED_TABLES = ("users", "capture_rules", "customers", "contacts", "touchpoints", "attachments", "products",
                 "exchange_rates", "approval_policies", "quotes", "quote_lines", "approvals")


def parse_version(text: str) -> tuple[int, ...]:
    """'0.1.0' -> (0, 1, 0); anything unparsable sorts as the oldest version."""
    try:
        return tuple(int(part) for part in text.split("."))
    except (AttributeError, ValueError):
        return (0,)
