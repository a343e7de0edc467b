"""The device's sync client: sign in, push the outbox, pull the server's changes (see sync.protocol).

Runs on the network worker, never on the UI thread. It holds no state of its own: the cursor, the
last success, attempt and error and the clock offset live in the database (desktop.remote), the
device token in the token store (sync.token_store). Everything it writes goes through
desktop.remote, one transaction per page or per push answer.

Transport: bodies are gzip-compressed JSON; answers come zstd-compressed (asked by Accept-Encoding,
undone by :func:`_json`, bounded), pages in the columnar form (sync.columns); every request names
the app and schema versions. A
network failure, a timeout or a 5xx (and 408/429, which also mean "later") is retried with
exponential backoff and full jitter, a bounded number of times per request; then
:class:`SyncUnavailable`, and the caller tries again later - the outbox keeps everything meanwhile.
Retrying is safe: the server answers a repeated push from its stored results, and pulls only read.
Any other 4xx is final: :class:`SyncError` with the server's code and messages; 401 is
:class:`SignInRequired`, 426 :class:`UpgradeRequired`, 403 ``device_pending``
:class:`ApprovalPending`. 410 ``device_revoked`` is :class:`DeviceRevoked`: the administrator withdrew
this device, and before raising it the client marks the data folder to be erased and forgets the
token (sync.revocation); whoever holds the store open then erases it.

Evidence files go up before the mutations that name them: before each push batch, every file an
``attachment.add`` in it names is uploaded in chunks from the store's blob folder, resuming from what
the server says it has. Each chunk is a stream (each block written has the connect timeout as its
own deadline, not the whole body) carrying about UPLOAD_SECONDS of data at the rate measured so far.
A file that still cannot go up whole holds back only what needs it: its ``attachment.add`` goes with
``upload_pending`` and the server keeps it, and what depends on it, waiting (sync.protocol), while
the rest of the queue goes on. :meth:`SyncClient.fetch_blob` brings a file down on demand
(resumable too); pulls never download files by themselves.

A weak link: a pull page that fails is asked for again with a quarter of the rows (_PullPace); each
push names, by digest, the rows its mutations wrote here, so the next pull does not bring them back.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import requests
import zstandard
from sqlalchemy import select

import desktop
from desktop import mutations, remote, reread, rows, timeutil
from desktop.blobs import BlobError, is_sha256
from desktop.models import DeviceState, OutboxEntry
from desktop.mutations.visits import MAX_FILE_BYTES
from desktop.store import Store
from sync import columns, first_pull, protocol, revocation
from sync.token_store import TokenStore, open_token_store

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({408, 429})
# Answers may come zstd-compressed (decoded by _json), else gzip (decoded by urllib3).
ACCEPT_ENCODING = "zstd, gzip"
MAX_ANSWER_BYTES = 512 * 1024 * 1024
# Evidence uploads (SyncClient._upload): each PUT carries about this many seconds of data at the rate
# measured so far; the first is small, so a slow link is measured before much is at stake.
UPLOAD_SECONDS = 8.0
UPLOAD_FIRST = 64 * 1024
UPLOAD_MIN = 16 * 1024
PULL_MIN = 50  # the smallest page a pull asks for after failed ones (SyncClient._page)
# A batch stays below what the server accepts after decompression, with room for the envelope.
BATCH_BYTES = protocol.MAX_BODY_BYTES * 9 // 10


class Progress(Protocol):
    """What sync needs from whoever shows its progress (ui.ops.Progress fits)."""

    def set(self, fraction: float, what: str = "") -> bool:
        """Report progress; False asks the job to stop at the next safe point."""
        ...


class SyncError(Exception):
    """Sync failed; ``code`` is stable, the messages say what happened in Chinese and English."""

    def __init__(self, code: str, message_zh: str, message_en: str, status: int | None = None) -> None:
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en, self.status = code, message_zh, message_en, status

    def message(self, language: str) -> str:
        return self.message_zh if language.lower().startswith("zh") else self.message_en

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


class SignInRequired(SyncError):
    """No token, or the server no longer accepts it: sign in again."""


class UpgradeRequired(SyncError):
    """The server no longer accepts this version of Fieldmark."""


class DeviceRevoked(SyncError):
    """The administrator withdrew this device (410 ``device_revoked``). Its token is gone and its folder is
    marked for erasing; close the store and call sync.revocation.erase."""


class ApprovalPending(SyncError):
    """The server's administrator has not approved this device yet (403 ``device_pending``)."""


class CursorReset(SyncError):
    """The server no longer knows this device's cursor (a restore, a change-log reset, another server):
    ``reason`` says which (sync.server.epoch); the device reads its whole scope again (desktop.reread)."""

    def __init__(self, code: str, message_zh: str, message_en: str, status: int | None = None,
                 reason: str = "", server_id: str | None = None, epoch: int | None = None) -> None:
        super().__init__(code, message_zh, message_en, status)
        self.reason, self.server_id, self.epoch = reason, server_id, epoch


class SyncUnavailable(SyncError):
    """The server could not be reached (or kept failing) after every retry; try again later.

    ``reason`` says how the last attempt failed: "timeout", "no_host" (the name does not resolve),
    "refused" (nothing answers there), "tls" (no secure connection could be made), "http" (5xx, 408,
    429) or "not_json" (a page that is not ours).
    """

    def __init__(self, code: str, message_zh: str, message_en: str, status: int | None = None,
                 reason: str = "", retry_after: float | None = None) -> None:
        super().__init__(code, message_zh, message_en, status)
        self.reason = reason
        self.retry_after = retry_after  # the server's Retry-After on the last attempt, if it said one


BAD_ADDRESS = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)


def bad_address(url: str) -> SyncError:
    """The error for an address that is not a web address at all."""
    return SyncError("bad_address", f"“{url}”不是有效的服务器地址，例如 https://fieldmark.example.com。",
                     f"“{url}” is not a valid server address; it looks like https://fieldmark.example.com.")


class SyncCancelled(Exception):
    """The user stopped sync. What was done so far is kept; the next sync continues from there."""


@dataclass
class PushReport:
    sent: int = 0
    applied: int = 0
    rejected: int = 0
    out_of_order: bool = False
    uploaded_files: int = 0  # evidence files the server has complete after this push's uploads
    uploaded_bytes: int = 0  # bytes of them sent by this push (a resumed upload sends only the rest)
    waiting: int = 0  # changes the server holds until a file they need is whole (sent again next time)
    files_on_their_way: int = 0  # files that could not go up whole this time (the next push goes on)


@dataclass
class PullReport:
    pages: int = 0
    changes: int = 0
    cursor: int = 0
    replayed: int = 0
    replay_failed: list[int] = field(default_factory=list)
    snapshot: first_pull.SnapshotReport | None = None  # a first pull's snapshot, when one was loaded


@dataclass
class SyncReport:
    push: PushReport
    pull: PullReport


def _bad_response(detail: str) -> SyncError:
    return SyncError("bad_response", f"服务器的回复无法处理：{detail}", f"The server's answer could not be used: {detail}")


class SyncClient:
    """Sync for one local store against one server. Not thread-safe: use it from one worker."""

    def __init__(self, store: Store, base_url: str, token_store: TokenStore, *,
                 timeout: tuple[float, float] = (10.0, 60.0), attempts: int = 5, backoff_s: float = 0.5,
                 max_delay_s: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random, session: requests.Session | None = None,
                 snapshots: bool = True, snapshot_rows: int = protocol.SNAPSHOT_ROWS) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.token_store = token_store
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.max_delay_s = max_delay_s
        self._sleep = sleep
        self._jitter = jitter
        self.http = session or requests.Session()
        self._offset: float | None = None
        self._policy: dict[str, Any] = {}  # the last page's answer, for the organisation's settings in it
        self._pace = _UploadPace()  # the upload rate measured so far, kept from one sync to the next
        self._server_holds = False  # the server holds upload_pending changes as waiting (its blob status says)
        self._pull_pace = _PullPace()
        self.snapshots = snapshots  # False: a first pull reads the change log like any other (tests compare)
        self.snapshot_rows = snapshot_rows  # rows per frame asked of a snapshot

    # ---- Public API

    def sign_in(self, username: str, password: str, device_name: str,
                check: Callable[[str], None] | None = None) -> str:
        """Get a token for this device as the given user and keep it; returns the user id.

        ``check(user_id)`` runs before anything is kept: when it raises, this computer stays as it was.
        """
        device_id, _code = self.store.device()
        body = {"username": username, "password": password, "device_id": device_id, "device_name": device_name}
        answer = self._recorded(lambda: self._request("POST", "/v1/auth/token", body=body, auth=False),
                                success=False)
        token, user_id = answer.get("token"), answer.get("user_id")
        if not isinstance(token, str) or not token or not isinstance(user_id, str):
            raise _bad_response("no token")
        if answer.get("device_id", device_id) != device_id:
            raise _bad_response("the token is for another device")
        if check is not None:
            check(user_id)
        self.token_store.save(token)
        changed = _other_log(remote.read_state(self.store), self.base_url, answer)
        if changed:  # the cursor is another server's, or another epoch's: never kept
            reread.begin(self.store, changed, answer.get("server_id"), answer.get("epoch"))
        remote.update_state(self.store, server_url=self.base_url, user_id=user_id)
        code = answer.get("device_code")
        if isinstance(code, str) and code:
            remote.adopt_device_code(self.store, code)
        self._adopt_policy(answer)
        return user_id

    def sign_out(self) -> None:
        """Forget the token (the outbox and the data stay)."""
        self.token_store.clear()

    def push(self, progress: Progress | None = None) -> PushReport:
        """Send the pending outbox entries in seq order, in batches; apply the server's answers."""
        return self._recorded(lambda: self._push(progress))

    def pull(self, progress: Progress | None = None) -> PullReport:
        """Fetch and apply pages of changes until there are no more, then re-apply pending changes on top."""
        return self._recorded(lambda: self._pull(progress))

    def fetch_blob(self, sha256: str) -> bool:
        """Bring an evidence file into the store's blob folder; False when the server refuses it (the
        user may not see it, or it was never uploaded). Resumes a download that stopped half way; the
        file is kept only once its content matches its SHA-256. A damaged copy here is downloaded
        again."""
        return self._fetch(sha256)

    def fetch_rates_on_server(self, days: int = 10) -> dict[str, Any]:
        """Have the server fetch the CFETS central parity of the last ``days`` days (finance and
        admins); the rates reach this desktop, and every other, with the next pull. Returns what the
        server recorded: {"recorded": n, "unchanged": n}."""
        return self._request("POST", "/v1/rates/fetch", body={"days": days})

    def rate_feed(self, pair: str, start: date, end: date) -> list[dict[str, Any]]:
        """The server's rates for ``pair`` dated ``start`` to ``end``, oldest first (sync.rate_feed)."""
        answer = self._request("GET", "/v1/rates", params={"pair": pair, "start": start.isoformat(),
                                                           "end": end.isoformat()})
        rates = answer.get("rates")
        if not isinstance(rates, list):
            raise _bad_response("no rates")
        return rates

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Push, then pull (so the server's rows already include this device's changes)."""

        def both() -> SyncReport:
            pushed = self._push(_Part(progress, 0.0, 0.5))
            return SyncReport(pushed, self._pull(_Part(progress, 0.5, 1.0)))

        return self._recorded(both)

    # ---- Push and pull

    def _push(self, progress: Progress | None) -> PushReport:
        report = PushReport()
        device_id, _code = self.store.device()
        user_id = remote.read_state(self.store).user_id
        with self.store.read() as session:
            total = mutations.pending(session)
        after = 0
        requeued = False
        while True:
            batch = self._next_batch(after)
            if not batch:
                return report
            foreign = [e.seq for e in batch if user_id is not None and e.actor_id != user_id]
            if foreign:
                # The server runs every change under the token's user; sending another user's change
                # would put it in this user's name.
                raise SyncError("other_user", f"待发送的修改（序号 {foreign[0]}）是另一位用户在本机做的，不能以当前登录用户的名义发送。",
                                f"Change {foreign[0]} waiting to be sent was made by another user on this computer; "
                                "it cannot be sent in the signed-in user's name.")
            _check(progress, report.sent / max(total, 1), "push")
            on_its_way = self._upload_files(batch, report, _Part(progress, report.sent / max(total, 1),
                                                                 (report.sent + len(batch)) / max(total, 1)))
            wrote = self._wrote(batch)
            answer = self._request("POST", "/v1/push", body={
                "device_id": device_id, "mutations": [_wire(e, wrote.get(e.seq), e.seq in on_its_way) for e in batch]})
            results = answer.get("results")
            if not isinstance(results, list) or not results:
                raise _bad_response("no results for the changes sent")
            marked = self._remote(lambda r=results: remote.mark_results(self.store, r))
            report.sent += len(batch)
            report.applied += len(marked.applied)
            report.rejected += len(marked.rejected)
            report.waiting += len(marked.waiting)
            if marked.out_of_order is not None and marked.requeued and not requeued:
                requeued = True  # the server lost answered entries (a restore): send them again, once
                after = 0
                continue
            if marked.out_of_order is not None:
                report.out_of_order = True  # the entries from there on stay pending; the next push resends them
                return report
            answered = {r["seq"] for r in results}
            if batch[0].seq not in answered:
                raise _bad_response(f"no answer for change {batch[0].seq}")
            after = max(answered)

    def _wrote(self, batch: list[OutboxEntry]) -> dict[int, list[list[str]]]:
        """For each entry whose effect is here, [table, id, digest] of the rows it wrote as they are here
        now (sync.protocol.row_digest): where the server's run writes the same, its next pull leaves
        them out. A row changed here again since (a later entry) digests otherwise and comes back."""
        wanted: dict[str, set[str]] = {}
        for entry in batch:
            if entry.changes.get("state", remote.LIVE) == remote.LIVE:
                for table, row_id, _op, _version in entry.changes.get("rows", []):
                    wanted.setdefault(table, set()).add(row_id)
        if not wanted:
            return {}
        with self.store.read() as session:
            conn = session.connection()
            here = {table: rows.read_many(conn, table, sorted(ids)) for table, ids in wanted.items()}
        out: dict[int, list[list[str]]] = {}
        for entry in batch:
            if entry.changes.get("state", remote.LIVE) != remote.LIVE:
                continue
            for table, row_id, _op, _version in entry.changes.get("rows", []):
                row = here.get(table, {}).get(row_id)
                if row is not None:
                    out.setdefault(entry.seq, []).append([table, row_id, protocol.row_digest(row)])
        return out

    # ---- Evidence files

    def _upload_files(self, batch: list[OutboxEntry], report: PushReport, progress: Progress | None) -> set[int]:
        """Make sure the server has every file the batch's ``attachment.add`` entries name; returns the
        seqs of those whose file could not go up whole now (the link failed on it after every retry).

        Those go with ``upload_pending``: the server holds each, and every later change naming what it
        names (the visit's submit, the photo's label), as "waiting" - in seq order, so per-device order
        is kept - and applies the rest of the batch; the next push sends the file on from where it
        stopped and the waiting changes again (sync.protocol). A file that fails stops the uploads of
        this batch: the link is what failed, the next file would fail the same way.

        A file missing here (which should not happen), a copy here that is damaged (checked before a
        byte is sent; desktop.blobs.BlobStore.intact reads it only if it changed since it was last
        checked), or one the server finds does not match its hash, is not sent: the mutation goes
        anyway and the server refuses it, visibly, as a sync problem that keeps the file here.
        """
        blobs = self.store.blobs
        wanted: dict[str, int] = {}
        for entry in batch:
            sha = str(entry.args.get("sha256") or "").lower() if entry.name == "attachment.add" else ""
            size = blobs.size(sha) if is_sha256(sha) and blobs.intact(sha) else None
            if size is not None:
                wanted[sha] = size
        todo: list[tuple[str, int, int]] = []
        for sha, size in wanted.items():
            received, complete = self._blob_status(sha)
            if complete:
                report.uploaded_files += 1
            else:
                todo.append((sha, size, received if received <= size else 0))
        if not todo:
            return set()
        need = sum(size - received for _sha, size, received in todo)
        sent = 0

        def step(count: int) -> None:
            nonlocal sent
            sent += count
            report.uploaded_bytes += count
            _check(progress, sent / max(need, 1), "upload")

        failed: set[str] = set()
        for sha, size, received in todo:
            if failed:
                failed.add(sha)
                continue
            try:
                if self._upload(sha, size, received, step):
                    report.uploaded_files += 1
            except SyncUnavailable:
                if not self._server_holds:  # an older server would refuse the change: stop, as it always did
                    raise
                failed.add(sha)
        report.files_on_their_way += len(failed)
        return {entry.seq for entry in batch if entry.name == "attachment.add"
                and str(entry.args.get("sha256") or "").lower() in failed}

    def _blob_status(self, sha: str) -> tuple[int, bool]:
        seen: dict[str, str] = {}
        answer = self._request("GET", f"/v1/blobs/{sha}/status", headers_out=seen)
        self._server_holds = protocol.HOLDS_UPLOAD_PENDING in seen.get(protocol.HOLDS_HEADER.lower(), "")
        received, complete = answer.get("received"), answer.get("complete")
        if not _is_count(received) or not isinstance(complete, bool):
            raise _bad_response("a file's status needs received and complete")
        return received, complete

    def _upload(self, sha: str, size: int, offset: int, step: Callable[[int], None]) -> bool:
        """Send the file from ``offset`` in chunks; True once the server has it complete. Cancelling
        stops between chunks (what was sent stays on the server for the next sync).

        Each chunk carries about UPLOAD_SECONDS of data at the rate measured on the chunks before it
        (:class:`_UploadPace`), so a chunk's answer comes back well inside the read timeout on any link
        and a dropped connection costs at most a few seconds of sending; a chunk that fails is sent
        again smaller, after asking the server where the upload stands."""
        conflicts = failures = 0
        pace = self._pace
        with self.store.blobs.path(sha).open("rb") as source:
            while True:
                step(0)  # a safe point: cancelled here, nothing is half sent
                source.seek(offset)
                data = source.read(pace.chunk())
                started = time.monotonic()
                try:
                    answer = self._request("PUT", f"/v1/blobs/{sha}", raw=data, attempts=1,
                                           params={"offset": offset, "total": size},
                                           timeout=(self.timeout[0], pace.read_timeout(len(data), self.timeout[1])))
                except SyncUnavailable as exc:
                    failures += 1
                    pace.failed()
                    if failures >= self.attempts:
                        raise
                    self._sleep(self._delay(failures, exc.retry_after))
                    offset, complete = self._blob_status(sha)  # the chunk may have arrived, its answer not
                    if complete:
                        return True
                    continue
                except SyncError as exc:
                    if exc.status == 409 and conflicts < 3:  # the server has another count: go on from its own
                        conflicts += 1
                        offset, complete = self._blob_status(sha)
                        if complete:
                            return True
                        continue
                    if exc.code in ("hash_mismatch", "too_large"):
                        return False  # the attachment.add is refused on the server and shows as a problem
                    raise
                failures = 0
                pace.sent(len(data), time.monotonic() - started)
                received, complete = answer.get("received"), answer.get("complete")
                if not _is_count(received) or not isinstance(complete, bool):
                    raise _bad_response("a chunk's answer needs received and complete")
                if complete:
                    step(max(0, size - offset))
                    return True
                if received <= offset or received > size:
                    raise _bad_response(f"the upload of {sha[:12]} did not move past byte {offset}")
                step(received - offset)
                offset = received

    def _fetch(self, sha256: str) -> bool:
        sha = sha256.lower()
        if not is_sha256(sha):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        blobs = self.store.blobs
        if blobs.has(sha):
            if blobs.intact(sha) is not False:
                return True
            blobs.remove(sha)  # a damaged copy is worth nothing: download the file again in its place
        failure = ""
        for attempt in range(1, self.attempts + 1):
            retry_after = None
            have = blobs.received(sha)  # a partial download from an earlier try, resumed
            headers = self._headers(auth=True)
            headers["Accept"] = "application/octet-stream"
            headers["Accept-Encoding"] = "identity"  # byte ranges of the file itself, not of a compressed form
            if have:
                headers["Range"] = f"bytes={have}-"
            try:
                with self.http.request("GET", f"{self.base_url}/v1/blobs/{sha}", headers=headers,
                                       timeout=self.timeout, stream=True) as response:
                    status = response.status_code
                    if status in (200, 206, 416):
                        self._receive(sha, have, response)
                        return True
                    if status == 404:
                        return False
                    if status >= 500 or status in RETRYABLE_STATUS:
                        failure = f"HTTP {status}"
                        retry_after = _seconds(response.headers.get("Retry-After"))
                    else:
                        raise self._refusal(response)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                failure = f"{type(exc).__name__}: {exc}"
            if attempt < self.attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise SyncUnavailable("unavailable", f"暂时无法从服务器下载文件（已尝试 {self.attempts} 次），稍后再试。",
                              f"The file could not be downloaded ({self.attempts} attempts: {failure}); "
                              "try again later.")

    def _receive(self, sha: str, have: int, response: requests.Response) -> None:
        """Write a download's body after the ``have`` bytes already here, then check and keep the file."""
        blobs = self.store.blobs
        status = response.status_code
        if status == 206:
            start = response.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
            if not start.isdigit() or int(start) != have:
                raise _bad_response(f"the file came from byte {start or '?'}, not {have}")
        skip = have if status == 200 else 0  # the whole file again: what is here already is skipped
        offset = have
        if status != 416:  # 416: every byte is here already, only the check is left
            for piece in response.iter_content(protocol.UPLOAD_CHUNK):
                if skip:
                    dropped = min(skip, len(piece))
                    piece, skip = piece[dropped:], skip - dropped
                if piece:
                    offset = blobs.append(sha, offset, piece, max_bytes=MAX_FILE_BYTES)
        try:
            blobs.finish(sha)
        except (BlobError, OSError) as exc:  # thrown away: the next try starts from the beginning
            raise SyncError("hash_mismatch", "下载的文件内容与其 SHA-256 不符，已丢弃，请重试。",
                            "The downloaded file does not match its SHA-256; it was thrown away, try again.") from exc

    def _next_batch(self, after: int) -> list[OutboxEntry]:
        """Pending entries after seq ``after``, in order: at most PUSH_BATCH, within the body limit."""
        with self.store.read() as session:
            entries = session.scalars(select(OutboxEntry).where(OutboxEntry.status == remote.PENDING,
                                                                OutboxEntry.seq > after)
                                      .order_by(OutboxEntry.seq).limit(protocol.PUSH_BATCH)).all()
        batch: list[OutboxEntry] = []
        size = 0
        for entry in entries:
            size += len(json.dumps(_wire(entry), ensure_ascii=False).encode("utf-8"))
            if batch and size > BATCH_BYTES:
                break
            batch.append(entry)
        return batch

    def _pull(self, progress: Progress | None) -> PullReport:
        """Pull to the end; when the server refuses the cursor (sync.protocol, "Restores and resets"),
        push what waits, then read everything again from cursor 0 (desktop.reread)."""
        try:
            return self._pull_pages(progress)
        except CursorReset as exc:
            reread.begin(self.store, exc.reason, exc.server_id, exc.epoch)
            self._push(None)
            return self._pull_pages(progress)

    def _pull_pages(self, progress: Progress | None) -> PullReport:
        # A store with nothing from the server yet loads the user's scope as a snapshot first
        # (sync.first_pull); the change log then brings what changed since.
        loaded = first_pull.run(self, _Part(progress, 0.0, 0.95)) if self.snapshots else None
        if loaded is not None:
            progress = _Part(progress, 0.95, 1.0)
        state = remote.read_state(self.store)
        report = PullReport(cursor=state.cursor, snapshot=loaded)
        origin = {"server_id": state.server_id, "epoch": state.epoch, "mark": state.cursor_mark}
        with self.store.read() as session:  # the changes made here so far: their rows need not come back
            held_through = session.get(DeviceState, 1).next_seq - 1
        if report.cursor == 0 or reread.under_way(self.store):
            held_through = 0  # a whole read: the device is to end with exactly the server's rows, its own too
        self._pull_pace = _PullPace(held_through)  # each pull starts from full pages: the link may be better now
        cancelled = False
        # The next page is fetched (and decoded) on a second thread while this one writes the current
        # page, so the server's work and ours overlap. Pages are still written one at a time, in order,
        # each with its cursor; a page fetched ahead is dropped if writing the current one fails.
        fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldmark-pull")
        try:
            ahead = fetcher.submit(self._page, report.cursor, origin)
            while True:
                changes, next_cursor, has_more, answered = ahead.result()
                if has_more and next_cursor <= report.cursor:
                    raise _bad_response(f"the cursor did not move past {report.cursor}")
                if has_more:
                    # The server gives no total; this creeps towards 1 as pages come in.
                    if progress is not None and not progress.set((report.pages + 1) / (report.pages + 2), "pull"):
                        cancelled = True  # this page is still written; no further page is asked for
                    else:
                        ahead = fetcher.submit(self._page, next_cursor, answered)
                # An empty page at the same cursor writes nothing, unless it names the log anew.
                if changes or next_cursor != report.cursor or answered != origin:
                    report.changes += self._remote(lambda c=changes, n=next_cursor, o=answered:
                                                   remote.apply_page(self.store, c, n, o))
                    origin = answered
                report.pages += 1
                report.cursor = next_cursor
                if not has_more or cancelled:
                    break
        finally:
            fetcher.shutdown(wait=False, cancel_futures=True)
        if not cancelled and reread.under_way(self.store):  # the last page of a whole re-read
            self._remote(lambda: reread.finish(self.store))
        self._adopt_policy(self._policy)
        replay = self._remote(lambda: remote.replay_pending(self.store))
        report.replayed, report.replay_failed = len(replay.replayed), replay.failed
        if cancelled:
            raise SyncCancelled()
        if progress is not None:
            progress.set(1.0, "pull")
        return report

    def _page(self, cursor: int, origin: dict[str, Any]) -> tuple[list[Any], int, bool, dict[str, Any]]:
        """One page of changes after ``cursor`` of the log ``origin`` names ({server_id, epoch, mark}),
        checked for shape: (changes, next_cursor, has_more, the log the next cursor belongs to).

        A page is all or nothing: one cut short by a dropped connection is worth nothing, and asked
        for again as it was it would be cut again. So a failed page is asked for again with a quarter
        of the ``limit`` (down to PULL_MIN), and no page of this pull asks for more than half of a
        size that failed; a page that came whole lets the next ask for twice as many, up to that
        ceiling. A link that drops every megabyte still converges, in pages that fit between drops."""
        failures = 0
        pace = self._pull_pace
        log_of: dict[str, Any] = {}
        if cursor > 0:
            log_of = {name: origin[key] for name, key in (("server", "server_id"), ("epoch", "epoch"), ("mark", "mark"))
                      if origin.get(key) is not None}
        while True:
            try:
                answer = self._request("GET", "/v1/pull", params={
                    "cursor": cursor, "limit": pace.limit, "form": "columns", "held_through": pace.held_through,
                    **log_of}, attempts=1)
                break
            except SyncUnavailable as exc:
                failures += 1
                pace.failed()
                if failures >= self.attempts:
                    raise
                self._sleep(self._delay(failures, exc.retry_after))
        pace.came()
        changes, next_cursor, has_more = answer.get("changes"), answer.get("next_cursor"), answer.get("has_more")
        if "blocks" in answer:  # the columnar form (sync.columns); a server before it sends changes
            try:
                changes = columns.decode(answer["blocks"])
            except ValueError as exc:
                raise _bad_response(str(exc)) from exc
        if not isinstance(changes, list) or not isinstance(next_cursor, int) or not isinstance(has_more, bool):
            raise _bad_response("a page needs changes, next_cursor and has_more")
        self._policy = answer
        server_id, epoch, mark = answer.get("server_id"), answer.get("epoch"), answer.get("next_mark")
        answered = {"server_id": server_id if isinstance(server_id, str) and server_id else None,
                    "epoch": epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None,
                    "mark": mark if isinstance(mark, str) and mark else None}
        return changes, next_cursor, has_more, answered

    def _adopt_policy(self, answer: dict[str, Any]) -> None:
        """Keep the organisation's offline sign-in limit when the server sends one (desktop.auth)."""
        days = answer.get("offline_days")
        if _is_count(days) and 1 <= days <= 3650 and days != remote.read_state(self.store).offline_days:
            remote.update_state(self.store, offline_days=days)

    def _remote(self, apply: Callable[[], Any]) -> Any:
        """Run a desktop.remote call, turning what it refuses into a SyncError."""
        try:
            return apply()
        except remote.RemoteDataError as exc:
            # The detail names rows by id: for the log, not for a person.
            log.warning("a page from the server was not applied: %s", exc)
            raise SyncError("bad_response", "服务器发来的一页数据本机无法采用，已跳过，本机数据保持原样。请稍后再同步；如果一直出现，"
                            "请确认 Fieldmark 已是最新版本，或把日志文件 fieldmark.log 发给管理员。",
                            "A page from the server could not be used and was not applied; nothing here changed. "
                            "Sync again later; if it keeps happening, check that this Fieldmark is up to date, "
                            "or send the log file fieldmark.log to your administrator.") from exc
        except remote.NotRewindable as exc:
            raise SyncError("push_first", "请先发送本机较早的修改，再接收服务器的数据。",
                            "Send this computer's earlier changes first, then receive the server's data.") from exc

    # ---- Recording in sync_state

    def _recorded(self, job: Callable[[], Any], *, success: bool = True) -> Any:
        """Run job, recording the attempt, then the success (when it is a sync) or the error, and the
        clock offset measured on the way."""
        self._offset = None
        remote.update_state(self.store, last_attempt_at=timeutil.utcnow())
        try:
            result = job()
        except SyncCancelled:
            self._note()
            raise
        except Exception as exc:
            error = exc.to_dict() if isinstance(exc, SyncError) else {
                "code": "error", "message_zh": f"同步出错：{exc}", "message_en": f"Sync failed: {exc}"}
            self._note(last_error={**error, "at": timeutil.to_text(timeutil.utcnow())})
            raise
        self._note(**({"last_success_at": timeutil.utcnow(), "last_error": None} if success else {}))
        return result

    def _note(self, **values: Any) -> None:
        if self._offset is not None:
            values["server_time_offset_s"] = self._offset
        if values:
            remote.update_state(self.store, **values)

    # ---- HTTP

    def _headers(self, *, auth: bool) -> dict[str, str]:
        headers = {protocol.APP_HEADER: desktop.__version__, protocol.SCHEMA_HEADER: self.store.schema_version,
                   "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        if auth:
            token = self.token_store.load()
            if not token:
                raise SignInRequired("unauthorized", "请先登录服务器。", "Sign in to the server first.")
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def health(self) -> dict[str, Any]:
        """The server's /v1/health answer, asked with fewer tries and a shorter wait than sync: someone is
        waiting for it. A SyncError("not_fieldmark") when something answers there, but not a Fieldmark server."""
        try:
            answer = self._request("GET", "/v1/health", auth=False, attempts=min(self.attempts, 2),
                                   timeout=(min(self.timeout[0], 10.0), min(self.timeout[1], 15.0)))
        except SyncUnavailable as exc:
            if exc.reason != "not_json":
                raise
            answer = {}
        except UpgradeRequired:
            raise
        except SyncError as exc:
            if exc.status is None:
                raise
            answer = {}  # 404 and the like: a web server, but this path is not ours
        if answer.get("status") != "ok" or not isinstance(answer.get("protocol"), (int, str)):
            raise SyncError("not_fieldmark", "这个地址有服务在应答，但不是 Fieldmark 服务器。请核对地址（可询问管理员）。",
                            "Something answers at this address, but it is not a Fieldmark server. Check the "
                            "address (your administrator knows it).")
        return answer

    def _request(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                 params: dict[str, Any] | None = None, auth: bool = True, raw: bytes | None = None,
                 attempts: int | None = None, timeout: tuple[float, float] | None = None,
                 headers_out: dict[str, str] | None = None) -> dict[str, Any]:
        """One JSON request with retries; ``raw`` sends bytes as they are (a file's chunk) instead of ``body``;
        ``headers_out`` receives the answer's headers (names in lower case)."""
        attempts = attempts or self.attempts
        headers = self._headers(auth=auth)
        data: bytes | None = raw
        if raw is not None:
            headers["Content-Type"] = "application/octet-stream"
        if body is not None:
            data = gzip.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)
            headers["Content-Type"] = "application/json"
            headers["Content-Encoding"] = "gzip"
        url = self.base_url + path
        failure = reason = ""
        for attempt in range(1, attempts + 1):
            retry_after = None
            sent = time.time()
            try:
                # A chunk of a file goes as a stream: http.client writes it in blocks, each with the
                # connect timeout as its deadline. Given as bytes, it would be ONE sendall whose
                # deadline is the connect timeout for the whole body: through a slow link with a
                # WAN-sized send buffer, a megabyte at 50 KiB/s is cut after 10 s, every time.
                sent_body = io.BytesIO(raw) if raw is not None else data
                response = self.http.request(method, url, data=sent_body, params=params, headers=headers,
                                             timeout=timeout or self.timeout)
            except BAD_ADDRESS as exc:
                raise bad_address(self.base_url) from exc
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                failure = f"{type(exc).__name__}: {exc}"
                reason = _failure_reason(exc)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        answer = _json(response)
                    except ValueError:
                        answer = None
                    if isinstance(answer, dict):
                        self._measure(answer, sent, time.time())
                        if headers_out is not None:
                            headers_out.update((k.lower(), v) for k, v in response.headers.items())
                        return answer
                    # Often a captive portal or a proxy's page rather than our server: a network problem.
                    failure, reason = f"HTTP {status} without a JSON object", "not_json"
                elif status >= 500 or status in RETRYABLE_STATUS:
                    failure, reason = f"HTTP {status}", "http"
                    retry_after = _seconds(response.headers.get("Retry-After"))
                else:
                    raise self._refusal(response)
            if attempt < attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise SyncUnavailable("unavailable", f"暂时无法连接服务器（已尝试 {attempts} 次）。修改都已保存在本机，稍后会再发送。",
                              f"The server could not be reached ({attempts} attempts: {failure}). "
                              "Your changes are kept on this computer and will be sent later.", reason=reason,
                              retry_after=retry_after)

    def _refusal(self, response: requests.Response) -> SyncError:
        """The final error for a 4xx; a withdrawn device's folder is marked for erasing and its token
        forgotten before anything else can happen (sync.revocation)."""
        error = _final_error(response)
        if isinstance(error, DeviceRevoked):
            revocation.note(self.store, self.token_store)
        return error

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter; a server's Retry-After is honoured up to the cap."""
        delay = self._jitter() * min(self.max_delay_s, self.backoff_s * 2 ** (attempt - 1))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay_s))
        return delay

    def _measure(self, answer: dict[str, Any], sent: float, received: float) -> None:
        """Server clock minus ours, from server_time against the middle of the request."""
        server_time = answer.get("server_time")
        if not isinstance(server_time, str):
            return
        try:
            server = timeutil.from_text(server_time).timestamp()
        except ValueError:
            return
        self._offset = round(server - (sent + received) / 2, 3)


def for_store(store: Store, base_url: str, **options: Any) -> SyncClient:
    """A client whose token lives in the keyring (or the store's data folder), named by the device."""
    device_id, _code = store.device()
    return SyncClient(store, base_url, open_token_store(store.path.parent, device_id), **options)


class _UploadPace:
    """How much of a file one PUT carries: about UPLOAD_SECONDS of data at the rate the last chunks went
    up at (their bytes over the time from sending to the answer, smoothed), between UPLOAD_MIN and
    MAX_CHUNK_BYTES; the first chunk is UPLOAD_FIRST. A failed chunk halves the next one."""

    def __init__(self) -> None:
        self.rate: float | None = None  # bytes per second
        self.size = UPLOAD_FIRST

    def chunk(self) -> int:
        return self.size

    def sent(self, count: int, seconds: float) -> None:
        measured = count / max(seconds, 1e-3)
        self.rate = measured if self.rate is None else 0.5 * self.rate + 0.5 * measured
        wanted = int(self.rate * UPLOAD_SECONDS)
        self.size = max(UPLOAD_MIN, min(protocol.MAX_CHUNK_BYTES, wanted, 4 * max(self.size, count)))

    def failed(self) -> None:
        self.size = max(UPLOAD_MIN, self.size // 2)

    def read_timeout(self, count: int, default: float) -> float:
        """Waiting for a chunk's answer: at least ``default``, and four times what the chunk should take."""
        return default if self.rate is None else max(default, 4 * count / self.rate)


class _PullPace:
    """The ``limit`` a pull asks for (SyncClient._page): a quarter after a failed page, never again above
    half of a failed size, twice as many after a page that came whole."""

    def __init__(self, held_through: int = 0) -> None:
        self.limit = self.ceiling = protocol.PULL_LIMIT
        self.held_through = held_through  # the last seq made here (sync.protocol: own rows left out)

    def failed(self) -> None:
        self.ceiling = max(PULL_MIN, self.limit // 2)
        self.limit = max(PULL_MIN, self.limit // 4)

    def came(self) -> None:
        self.limit = min(self.ceiling, self.limit * 2)


class _Part:
    """Maps a sub-job's progress 0..1 onto [start, end] of the whole."""

    def __init__(self, progress: Progress | None, start: float, end: float) -> None:
        self.progress, self.start, self.end = progress, start, end

    def set(self, fraction: float, what: str = "") -> bool:
        if self.progress is None:
            return True
        return self.progress.set(self.start + (self.end - self.start) * fraction, what)


def _check(progress: Progress | None, fraction: float, what: str) -> None:
    if progress is not None and not progress.set(fraction, what):
        raise SyncCancelled()


def _wire(entry: OutboxEntry, wrote: list[list[str]] | None = None, upload_pending: bool = False) -> dict[str, Any]:
    """An outbox row as the protocol's Mutation (with ``wrote``: the digests of the rows it wrote here;
    ``upload_pending``: its file is still on its way)."""
    mutation = {"seq": entry.seq, "mutation_id": entry.mutation_id, "name": entry.name, "args": entry.args,
                "base_version": entry.base_version, "schema_version": entry.schema_version,
                "client_time": timeutil.to_text(entry.client_time)}
    if wrote:
        mutation["wrote"] = wrote
    if upload_pending:
        mutation["upload_pending"] = True
    if entry.changes.get("requeued") == remote.REJECTED:  # refused before the server lost the record
        mutation["refused_before"] = True
    return mutation


def _failure_reason(exc: Exception) -> str:
    """SyncUnavailable.reason for a request that got no answer."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    text = str(exc)
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "no_host"
    return "refused"


def _json(response: requests.Response) -> Any:
    """A response's JSON body. urllib3 undoes gzip; zstd (which it leaves alone) is undone here, bounded:
    an answer is never allowed to expand past MAX_ANSWER_BYTES. ValueError when it is not JSON."""
    if response.headers.get("Content-Encoding", "").strip().lower() != "zstd":
        return response.json()
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(response.content)
        parts, size = [], 0
        while size <= MAX_ANSWER_BYTES and (part := reader.read(1024 * 1024)):
            parts.append(part)
            size += len(part)
        body = b"".join(parts)
    except zstandard.ZstdError as exc:
        raise ValueError(f"not valid zstd: {exc}") from exc
    if len(body) > MAX_ANSWER_BYTES:
        raise ValueError("the answer expands past the largest one expected")
    return json.loads(body)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _final_error(response: requests.Response) -> SyncError:
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    code = str(body.get("code") or f"http_{status}")
    zh = str(body.get("message_zh") or f"服务器拒绝了请求（HTTP {status}）。")
    en = str(body.get("message_en") or f"The server refused the request (HTTP {status}).")
    if status == 426:
        return UpgradeRequired(code, zh, en, status)
    if status == 409 and code == "cursor_reset":
        server_id, epoch = body.get("server_id"), body.get("epoch")
        return CursorReset(code, zh, en, status, reason=str(body.get("reason") or ""),
                           server_id=server_id if isinstance(server_id, str) else None,
                           epoch=epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None)
    if status == 401:
        return SignInRequired(code, zh, en, status)
    if status == 410 and code == "device_revoked":
        return DeviceRevoked(code, zh, en, status)
    if status == 403 and code == "device_pending":
        return ApprovalPending(code, zh, en, status)
    return SyncError(code, zh, en, status)


def _other_log(state: Any, url: str, answer: dict[str, Any]) -> str:
    """Why a sign-in's answer means the cursor held here is not this server's, or not this epoch's
    (desktop.reread's reason), or "" when it may be kept."""
    if not state.cursor and not state.server_id:
        return ""
    server_id, epoch = answer.get("server_id"), answer.get("epoch")
    if state.server_id and isinstance(server_id, str) and server_id != state.server_id:
        return reread.OTHER_SERVER
    if state.epoch is not None and isinstance(epoch, int) and epoch != state.epoch:
        return reread.NEW_EPOCH
    if not state.server_id and state.server_url and state.server_url.rstrip("/") != url.rstrip("/"):
        return reread.OTHER_SERVER  # a cursor from before servers had ids, read from another address
    return ""
