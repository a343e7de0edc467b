"""The device's sync client: sign in, push the outbox, pull the server's changes (see sync.protocol).

Runs on the network worker, never on the UI thread. It holds no state of its own: the cursor, the
last success, attempt and error and the clock offset live in the database (desktop.remote), the
device token in the token store (sync.token_store). Everything it writes goes through
desktop.remote, one transaction per page or per push answer.

Transport: bodies are gzip-compressed JSON; every request names the app and schema versions. A
network failure, a timeout or a 5xx (and 408/429, which also mean "later") is retried with
exponential backoff and full jitter, a bounded number of times per request; then
:class:`SyncUnavailable`, and the caller tries again later - the outbox keeps everything meanwhile.
Retrying is safe: the server answers a repeated push from its stored results, and pulls only read.
Any other 4xx is final: :class:`SyncError` with the server's code and messages; 401 is
:class:`SignInRequired`, 426 :class:`UpgradeRequired`.

Evidence files go up before the mutations that name them: before each push batch, every file an
``attachment.add`` in it names is uploaded in chunks from the store's blob folder, resuming from what
the server says it has. :meth:`SyncClient.fetch_blob` brings a file down on demand (resumable too);
pulls never download files by themselves.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import requests
from sqlalchemy import select

import desktop
from desktop import mutations, remote, timeutil
from desktop.blobs import BlobError, is_sha256
from desktop.models import OutboxEntry
from desktop.mutations.visits import MAX_FILE_BYTES
from desktop.store import Store
from sync import first_pull, protocol
from sync.token_store import TokenStore, open_token_store

RETRYABLE_STATUS = frozenset({408, 429})
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


class SyncUnavailable(SyncError):
    """The server could not be reached (or kept failing) after every retry; try again later.

    ``reason`` says how the last attempt failed: "timeout", "no_host" (the name does not resolve),
    "refused" (nothing answers there), "tls" (no secure connection could be made), "http" (5xx, 408,
    429) or "not_json" (a page that is not ours).
    """

    def __init__(self, code: str, message_zh: str, message_en: str, status: int | None = None,
                 reason: str = "") -> None:
        super().__init__(code, message_zh, message_en, status)
        self.reason = reason


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
        remote.update_state(self.store, server_url=self.base_url, user_id=user_id)
        code = answer.get("device_code")
        if isinstance(code, str) and code:
            remote.adopt_device_code(self.store, code)
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
            self._upload_files(batch, report, _Part(progress, report.sent / max(total, 1),
                                                    (report.sent + len(batch)) / max(total, 1)))
            answer = self._request("POST", "/v1/push", body={
                "device_id": device_id, "mutations": [_wire(e) for e in batch]})
            results = answer.get("results")
            if not isinstance(results, list) or not results:
                raise _bad_response("no results for the changes sent")
            marked = self._remote(lambda r=results: remote.mark_results(self.store, r))
            report.sent += len(batch)
            report.applied += len(marked.applied)
            report.rejected += len(marked.rejected)
            if marked.out_of_order is not None:
                report.out_of_order = True  # the entries from there on stay pending; the next push resends them
                return report
            answered = {r["seq"] for r in results}
            if batch[0].seq not in answered:
                raise _bad_response(f"no answer for change {batch[0].seq}")
            after = max(answered)

    # ---- Evidence files

    def _upload_files(self, batch: list[OutboxEntry], report: PushReport, progress: Progress | None) -> None:
        """Make sure the server has every file the batch's ``attachment.add`` entries name.

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
            return
        need = sum(size - received for _sha, size, received in todo)
        sent = 0

        def step(count: int) -> None:
            nonlocal sent
            sent += count
            report.uploaded_bytes += count
            _check(progress, sent / max(need, 1), "upload")

        for sha, size, received in todo:
            if self._upload(sha, size, received, step):
                report.uploaded_files += 1

    def _blob_status(self, sha: str) -> tuple[int, bool]:
        answer = self._request("GET", f"/v1/blobs/{sha}/status")
        received, complete = answer.get("received"), answer.get("complete")
        if not _is_count(received) or not isinstance(complete, bool):
            raise _bad_response("a file's status needs received and complete")
        return received, complete

    def _upload(self, sha: str, size: int, offset: int, step: Callable[[int], None]) -> bool:
        """Send the file from ``offset`` in chunks; True once the server has it complete. Cancelling
        stops between chunks (what was sent stays on the server for the next sync)."""
        conflicts = 0
        with self.store.blobs.path(sha).open("rb") as source:
            while True:
                step(0)  # a safe point: cancelled here, nothing is half sent
                source.seek(offset)
                data = source.read(protocol.UPLOAD_CHUNK)
                try:
                    answer = self._request("PUT", f"/v1/blobs/{sha}", raw=data,
                                           params={"offset": offset, "total": size})
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
                        raise _final_error(response)
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
        # A store with nothing from the server yet loads the user's scope as a snapshot first
        # (sync.first_pull); the change log then brings what changed since.
        loaded = first_pull.run(self, _Part(progress, 0.0, 0.95)) if self.snapshots else None
        if loaded is not None:
            progress = _Part(progress, 0.95, 1.0)
        report = PullReport(cursor=remote.read_state(self.store).cursor, snapshot=loaded)
        cancelled = False
        # The next page is fetched (and decoded) on a second thread while this one writes the current
        # page, so the server's work and ours overlap. Pages are still written one at a time, in order,
        # each with its cursor; a page fetched ahead is dropped if writing the current one fails.
        fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldmark-pull")
        try:
            ahead = fetcher.submit(self._page, report.cursor)
            while True:
                changes, next_cursor, has_more = ahead.result()
                if has_more and next_cursor <= report.cursor:
                    raise _bad_response(f"the cursor did not move past {report.cursor}")
                if has_more:
                    # The server gives no total; this creeps towards 1 as pages come in.
                    if progress is not None and not progress.set((report.pages + 1) / (report.pages + 2), "pull"):
                        cancelled = True  # this page is still written; no further page is asked for
                    else:
                        ahead = fetcher.submit(self._page, next_cursor)
                if changes or next_cursor != report.cursor:  # an empty page at the same cursor writes nothing
                    report.changes += self._remote(lambda c=changes, n=next_cursor: remote.apply_page(self.store, c, n))
                report.pages += 1
                report.cursor = next_cursor
                if not has_more or cancelled:
                    break
        finally:
            fetcher.shutdown(wait=False, cancel_futures=True)
        replay = self._remote(lambda: remote.replay_pending(self.store))
        report.replayed, report.replay_failed = len(replay.replayed), replay.failed
        if cancelled:
            raise SyncCancelled()
        if progress is not None:
            progress.set(1.0, "pull")
        return report

    def _page(self, cursor: int) -> tuple[list[Any], int, bool]:
        """One page of changes after ``cursor``, checked for shape: (changes, next_cursor, has_more)."""
        answer = self._request("GET", "/v1/pull", params={"cursor": cursor, "limit": protocol.PULL_LIMIT})
        changes, next_cursor, has_more = answer.get("changes"), answer.get("next_cursor"), answer.get("has_more")
        if not isinstance(changes, list) or not isinstance(next_cursor, int) or not isinstance(has_more, bool):
            raise _bad_response("a page needs changes, next_cursor and has_more")
        return changes, next_cursor, has_more

    def _remote(self, apply: Callable[[], Any]) -> Any:
        """Run a desktop.remote call, turning what it refuses into a SyncError."""
        try:
            return apply()
        except remote.RemoteDataError as exc:
            raise _bad_response(str(exc)) from exc
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
                   "Accept": "application/json"}
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
                 attempts: int | None = None, timeout: tuple[float, float] | None = None) -> dict[str, Any]:
        """One JSON request with retries; ``raw`` sends bytes as they are (a file's chunk) instead of ``body``."""
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
                response = self.http.request(method, url, data=data, params=params, headers=headers,
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
                        answer = response.json()
                    except ValueError:
                        answer = None
                    if isinstance(answer, dict):
                        self._measure(answer, sent, time.time())
                        return answer
                    # Often a captive portal or a proxy's page rather than our server: a network problem.
                    failure, reason = f"HTTP {status} without a JSON object", "not_json"
                elif status >= 500 or status in RETRYABLE_STATUS:
                    failure, reason = f"HTTP {status}", "http"
                    retry_after = _seconds(response.headers.get("Retry-After"))
                else:
                    raise _final_error(response)
            if attempt < attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise SyncUnavailable("unavailable", f"暂时无法连接服务器（已尝试 {attempts} 次）。修改都已保存在本机，稍后会再发送。",
                              f"The server could not be reached ({attempts} attempts: {failure}). "
                              "Your changes are kept on this computer and will be sent later.", reason=reason)

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


def _wire(entry: OutboxEntry) -> dict[str, Any]:
    """An outbox row as the protocol's Mutation."""
    return {"seq": entry.seq, "mutation_id": entry.mutation_id, "name": entry.name, "args": entry.args,
            "base_version": entry.base_version, "schema_version": entry.schema_version,
            "client_time": timeutil.to_text(entry.client_time)}


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
    if status == 401:
        return SignInRequired(code, zh, en, status)
    return SyncError(code, zh, en, status)
