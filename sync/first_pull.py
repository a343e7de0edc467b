"""A device's first pull: the server's snapshot of the user's scope, streamed into bare tables.

:func:`run` is what :class:`sync.client.SyncClient` does before the change-log pull when the store
holds nothing yet (cursor 0, no business row) or a snapshot load is under way
(desktop.bulk_pull.wanted). It asks ``GET /v1/snapshot`` (``after=`` the last token written, to go
on after a stop), reads the answer's frames (``sync.protocol``: a 4-byte big-endian length, then
gzip-compressed JSON) on a second thread and decodes them there - JSON, checks, search texts
(desktop.bulk_pull.prepare) - while this thread writes the previous frame, and hands each to
desktop.bulk_pull: one transaction per frame, then the indexes and the cursor (the snapshot's
change-log head) at the end. The change-log pull then goes on from that cursor.

A broken stream (a dropped connection, a timeout, a 5xx) is asked again from the last token
written, with the client's backoff, ``attempts`` times in a row without a frame written in between;
then :class:`sync.client.SyncUnavailable`. Cancel stops between frames. Whenever the load stops
before its end (cancel, error), desktop.bulk_pull.restore makes the indexes again for what was
loaded, so the rows already here are quick to browse (they are searchable as they arrive); the next sync
continues from the token. A crash is handled the same way when the store is next opened.

A server without the route (404 before any frame) leaves the store as it was: the change-log pull
brings everything, as it did before snapshots existed.

Progress is reported as "download" (rows loaded of the server's count) from 0 to 0.9 and "index"
while the indexes are made; the window estimates the time left from it (ui.status_bar).
"""

from __future__ import annotations

import gzip
import json
import queue
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
import urllib3
import zstandard

from desktop import bulk_pull
from sync import protocol

if TYPE_CHECKING:
    from sync.client import Progress, SyncClient

MAX_FRAME_BYTES = 64 * 1024 * 1024  # a frame of SNAPSHOT_ROWS rows is a few MB compressed
LOADED_SHARE = 0.9  # of the first pull's progress; the rest is making the indexes


@dataclass
class SnapshotReport:
    rows: int = 0  # rows loaded (over every answer of this load)
    frames: int = 0  # rows frames written by this run
    wire_bytes: int = 0  # compressed bytes received by this run
    cursor: int = 0  # where the change-log pull goes on


class _Cut(Exception):
    """The answer ended before its end frame."""


def _exactly(raw: Any, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        part = raw.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _decompress(data: bytes) -> bytes:
    """A frame's JSON, zstd (asked for) or gzip (a server that does not know zstd frames), by its magic."""
    if data[:4] == ZSTD_MAGIC:
        parts, size = [], 0
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            while part := reader.read(1 << 20):
                parts.append(part)
                size += len(part)
                if size > MAX_FRAME_BYTES:  # bounded: a small frame must not expand into gigabytes
                    raise ValueError("a snapshot frame is larger than any the server makes")
        return b"".join(parts)
    return gzip.decompress(data)


def decode(data: bytes) -> dict[str, Any]:
    """One frame's bytes as its message; a rows frame checked and made ready to write (search texts
    made) by desktop.bulk_pull.prepare. Pure work, done on the reading thread."""
    frame = json.loads(_decompress(data))
    if not isinstance(frame, dict):
        raise ValueError("a frame must be a JSON object")
    if frame.get("kind") == "rows":
        frame["prepared"] = bulk_pull.prepare(frame.get("table"), frame.get("columns"), frame.get("rows"),
                                              frame.get("token"))
        del frame["rows"]
    return frame


def _frames(response: requests.Response, counted: list[int]) -> Iterator[dict[str, Any]]:
    """The answer's frames, decoded, as they are read; ends where the answer ends (the caller knows
    whether the end frame came)."""
    raw = response.raw
    while True:
        head = _exactly(raw, 4)
        if not head:
            return
        if len(head) < 4:
            raise _Cut("the answer was cut inside a frame")
        (size,) = struct.unpack(">I", head)
        if size > MAX_FRAME_BYTES:
            raise ValueError(f"a frame of {size} bytes is larger than any the server sends")
        data = _exactly(raw, size)
        if len(data) < size:
            raise _Cut("the answer was cut inside a frame")
        counted[0] += 4 + size
        yield decode(data)


def _ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Items of ``items`` produced on a second thread, at most ``depth`` ahead of the consumer."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    thread = threading.Thread(target=produce, name="fieldmark-snapshot", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()


RETRY = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
         urllib3.exceptions.HTTPError, _Cut, OSError)


def run(client: SyncClient, progress: Progress | None) -> SnapshotReport | None:
    """Load the server's snapshot if the store wants one (see the module); None when it does not, or
    the server has none to give (the change-log pull does it all then)."""
    store = client.store
    if not bulk_pull.wanted(store):
        return None
    try:
        return _run(client, progress)
    except BaseException:
        bulk_pull.restore(store)
        raise


def _run(client: SyncClient, progress: Progress | None) -> SnapshotReport | None:
    from sync.client import (
        BAD_ADDRESS,
        RETRYABLE_STATUS,
        SyncCancelled,
        SyncUnavailable,
        _bad_response,
        _failure_reason,
        bad_address,
    )

    store = client.store
    state = bulk_pull.current(store)
    after = state.token if state is not None else None
    report = SnapshotReport(rows=state.loaded if state is not None else 0)
    failures, failure, reason = 0, "", ""
    # Frames are all or nothing, like pages: after a break with no frame written, ask for frames of a
    # quarter of the rows (down to FRAME_MIN), so a link that drops every megabyte still gets them through.
    rows = client.snapshot_rows
    while True:
        params: dict[str, Any] = {"limit": rows, "frames": "zstd"}
        if after is not None:
            params["after"] = after
        retry_after = None
        try:
            response = client.http.get(client.base_url + "/v1/snapshot", params=params, stream=True,
                                       headers=client._headers(auth=True), timeout=client.timeout)
        except BAD_ADDRESS as exc:
            raise bad_address(client.base_url) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            failure, reason = f"{type(exc).__name__}: {exc}", _failure_reason(exc)
        else:
            status = response.status_code
            if status == 404 and after is None and bulk_pull.current(store) is None:
                response.close()
                return None
            if status >= 500 or status in RETRYABLE_STATUS:
                failure, reason = f"HTTP {status}", "http"
                response.close()
            elif not 200 <= status < 300:
                raise client._refusal(response)  # a withdrawn device's folder is marked for erasing first
            elif not response.headers.get("Content-Type", "").startswith(protocol.SNAPSHOT_MEDIA_TYPE):
                # Often a captive portal or a proxy's page rather than our server: a network problem.
                failure, reason = f"HTTP {status} without snapshot frames", "not_json"
                response.close()
            else:
                counted = [0]
                try:
                    for frame in _ahead(_frames(response, counted)):
                        kind = frame.get("kind")
                        if kind == "start":
                            at = bulk_pull.start(store, frame.get("head"), frame.get("total"))
                            report.rows = at.loaded
                            _report(progress, at, SyncCancelled)
                        elif kind == "rows":
                            at = bulk_pull.write(store, frame["prepared"])
                            after, report.rows = at.token, at.loaded
                            report.frames += 1
                            failures = 0  # something was done: the next break gets every attempt again
                            _report(progress, at, SyncCancelled)
                        elif kind == "end":
                            if progress is not None:
                                progress.set(LOADED_SHARE, "index")
                            server_id, epoch, mark = frame.get("server_id"), frame.get("epoch"), frame.get("next_mark")
                            origin = {"server_id": server_id if isinstance(server_id, str) and server_id else None,
                                      "epoch": epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None,
                                      "mark": mark if isinstance(mark, str) and mark else None}
                            done = bulk_pull.finish(store, frame.get("next_cursor"), origin)
                            report.cursor, report.rows = done.head, done.loaded
                            return report
                        else:
                            raise bulk_pull.BulkError(f"unknown frame {kind!r}")
                    raise _Cut("the answer ended before its end frame")
                except bulk_pull.BulkError as exc:
                    raise _bad_response(str(exc)) from exc
                except (ValueError, TypeError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError) as exc:  # unreadable
                    raise _bad_response(f"a snapshot frame: {exc}") from exc
                except RETRY as exc:
                    failure, reason = f"{type(exc).__name__}: {exc}", "timeout" if "timed out" in str(exc) else "refused"
                finally:
                    report.wire_bytes += counted[0]
                    counted[0] = 0
                    response.close()
        failures += 1
        rows = max(FRAME_MIN, rows // 4)
        if failures >= client.attempts:
            raise SyncUnavailable("unavailable", f"暂时无法连接服务器（已尝试 {failures} 次）。已下载的数据都已保存，下次同步会接着下载。",
                                  f"The server could not be reached ({failures} attempts: {failure}). What was "
                                  "downloaded is kept; the next sync continues from there.", reason=reason)
        client._sleep(client._delay(failures, retry_after))


FRAME_MIN = 50  # the fewest rows per frame a first pull asks for after breaks


def _report(progress: Progress | None, at: bulk_pull.Progress, cancelled: type[Exception]) -> None:
    if progress is None:
        return
    fraction = LOADED_SHARE * (at.loaded / at.total if at.total else 0.0)
    if not progress.set(min(fraction, LOADED_SHARE), "download"):
        raise cancelled()

