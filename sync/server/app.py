"""The HTTP API (FastAPI). OpenAPI at /docs. See sync/protocol.py for the messages."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from desktop import __version__, timeutil
from desktop.errors import DomainError
from desktop.fx.rates import normalise_pair
from desktop.ids import is_uuid
from sync import fx_fetch, protocol
from sync.server import auth, changes, push, snapshot
from sync.server import blobs as server_blobs
from sync.server import rates as rate_feed
from sync.server.db import create_schema, make_engine, reading, writing

STATUS = {"unauthorized": 401, "bad_credentials": 401, "user_disabled": 403, "forbidden": 403, "too_large": 413,
          "upgrade_required": 426,
          # the rate source, not the caller, is at fault; 424 rather than 502 so that clients do not
          # retry it as if this server were unreachable, and show the message as it stands
          "fx_source_unreachable": 424, "fx_source_error": 424, "fx_response_invalid": 424}
# Pages are compressed when the client accepts it (requests does). Measured on a page of touchpoints:
# level 1 shrinks it 5.5x in a third of the time of level 9 (6.8x).
PULL_GZIP_FROM = 1024
PULL_GZIP_LEVEL = 1


class ApiError(Exception):
    def __init__(self, code: str, message_zh: str, message_en: str, status: int = 400) -> None:
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en, self.status = code, message_zh, message_en, status


def _bad(message_zh: str, message_en: str) -> ApiError:
    return ApiError("bad_request", message_zh, message_en, 422)


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > protocol.MAX_BODY_BYTES:
        raise ApiError("too_large", "请求内容过大。", "The request is too large.", 413)
    body = await request.body()
    if len(body) > protocol.MAX_BODY_BYTES:
        raise ApiError("too_large", "请求内容过大。", "The request is too large.", 413)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            # Bounded: a small compressed body must not expand into gigabytes.
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, protocol.MAX_BODY_BYTES + 1)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise _bad("请求内容无法解压。", "The request body is not valid gzip.") from exc
        if len(body) > protocol.MAX_BODY_BYTES:
            raise ApiError("too_large", "请求内容过大。", "The request is too large.", 413)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad("请求内容不是有效的 JSON。", "The request body is not valid JSON.") from exc


def _check_version(request: Request) -> None:
    app_version = request.headers.get(protocol.APP_HEADER)
    if app_version is not None and protocol.parse_version(app_version) < protocol.MIN_APP_VERSION:
        minimum = ".".join(map(str, protocol.MIN_APP_VERSION))
        raise ApiError("upgrade_required", f"您的 Fieldmark 版本过旧（{app_version}），请升级到 {minimum} 或更新版本。",
                       f"Your Fieldmark ({app_version}) is too old; please upgrade to {minimum} or later.", 426)


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise ApiError("unauthorized", "请先登录。", "Sign in first.", 401)
    return header[7:].strip()


def _mutation_items(body: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(body, dict) or not isinstance(body.get("mutations"), list):
        raise _bad("请求应包含 device_id 和 mutations 列表。", "The request needs a device_id and a list of mutations.")
    items = body["mutations"]
    if len(items) > protocol.PUSH_BATCH:
        raise ApiError("too_large", f"每次最多发送 {protocol.PUSH_BATCH} 项修改。",
                       f"Send at most {protocol.PUSH_BATCH} mutations at a time.", 413)
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("seq"), int) and not isinstance(item["seq"], bool)
                and item["seq"] >= 1 and is_uuid(item.get("mutation_id")) and isinstance(item.get("name"), str)
                and isinstance(item.get("args"), dict)):
            raise _bad("修改项格式不正确：需要 seq（正整数）、mutation_id、name 和 args。",
                       "A mutation needs seq (a positive whole number), mutation_id, name and args.")
    return str(body.get("device_id", "")), items


async def _chunk_body(request: Request) -> bytes:
    """A blob chunk's raw bytes, refused (413) as soon as it passes MAX_CHUNK_BYTES."""
    if request.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        raise ApiError("unsupported_encoding", "文件内容应原样发送，不要压缩。",
                       "Send a file's bytes as they are, not compressed.", 415)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > protocol.MAX_CHUNK_BYTES:
        raise server_blobs.chunk_too_large()
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > protocol.MAX_CHUNK_BYTES:
            raise server_blobs.chunk_too_large()
    return bytes(body)


def _whole_number(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise _bad(f"需要参数 {name}（非负整数）。", f"The parameter {name} (a whole number, 0 or more) is required.")
    return int(value)


def create_app(engine: Engine | str, data_dir: Path | str, *, cfets_url: str | None = None) -> FastAPI:
    """The API on an engine (or a database URL), creating the schema if needed. Evidence files are
    kept in ``<data_dir>/blobs``, whichever database the server uses. ``cfets_url``: where the
    central parity is fetched from (CFETS itself unless given)."""
    if isinstance(engine, str):
        engine = make_engine(engine)
    create_schema(engine)
    app = FastAPI(title="Fieldmark sync server", version=__version__)
    app.state.engine = engine
    blobs = server_blobs.ServerBlobs(Path(data_dir) / "blobs")
    app.state.blobs = blobs

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en},
                            status_code=exc.status)

    @app.exception_handler(server_blobs.Refused)
    async def _refused(_request: Request, exc: server_blobs.Refused) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=STATUS.get(exc.code, 422))

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "protocol": protocol.PROTOCOL,
                "server_time": timeutil.to_text(timeutil.utcnow())}

    @app.post("/v1/auth/token")
    async def token(request: Request) -> dict[str, Any]:
        _check_version(request)
        body = await _json_body(request)
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str)
                                                 for k in ("username", "password", "device_id")):
            raise _bad("需要用户名、密码和设备编号。", "username, password and device_id are required.")
        return await run_in_threadpool(_issue, body)  # scrypt and a write: never on the event loop

    def _issue(body: dict[str, Any]) -> dict[str, Any]:
        with writing(engine) as session:
            issued, device = auth.issue(session, body["username"], body["password"], body["device_id"],
                                        str(body.get("device_name", "")))
            return {"token": issued, "user_id": device.user_id, "device_id": device.id,
                    "device_code": device.code, "expires_at": timeutil.to_text(device.expires_at)}

    # Pushes wait for their turn here, in arrival order, holding neither a thread nor a database
    # connection: the database serialises writers anyway, and pulls, sign-ins and health checks are
    # served meanwhile. The database work itself runs on the thread pool, never on the event loop.
    pushes = asyncio.Lock()

    def _authenticate(token_: str) -> tuple[Any, Any]:
        with reading(engine) as session:
            return auth.authenticate(session, token_)

    @app.post("/v1/push")
    async def push_(request: Request) -> dict[str, Any]:
        _check_version(request)
        token_ = _token(request)
        body = await _json_body(request)
        device_id, items = _mutation_items(body)
        user, device = await run_in_threadpool(_authenticate, token_)
        if device_id != device.id:
            raise ApiError("forbidden", "不能替其他设备发送修改。", "A device may only send its own changes.", 403)
        async with pushes:
            results = await run_in_threadpool(push.push, engine, user.id, device.id, items, blobs)
        return {"results": results, "server_time": timeutil.to_text(timeutil.utcnow())}

    @app.get("/v1/rates")
    def rates_(request: Request, pair: str = "USD/CNY", start: str = "", end: str = "") -> dict[str, Any]:
        """The rate feed: the rates the server holds for a pair and span (default: the last 30 days)."""
        _check_version(request)
        token_ = _token(request)
        with reading(engine) as session:
            auth.authenticate(session, token_)
        try:
            last = date.fromisoformat(end) if end else rate_feed.today()
            first = date.fromisoformat(start) if start else last - timedelta(days=29)
        except ValueError:
            raise _bad("日期应写作 2026-11-20。", "Dates are written like 2026-11-20.") from None
        return {"rates": rate_feed.history(engine, normalise_pair(pair), first, last)}

    @app.post("/v1/rates/fetch")
    async def rates_fetch(request: Request) -> dict[str, Any]:
        """Fetch the central parity from CFETS here and keep it for every desktop (finance, admins)."""
        _check_version(request)
        token_ = _token(request)
        body = await _json_body(request)
        days = body.get("days", 10) if isinstance(body, dict) else None
        if not isinstance(days, int) or isinstance(days, bool):
            raise _bad("需要天数（days）。", "days is required.")
        user, _device = await run_in_threadpool(_authenticate, token_)

        def fetcher(pair: str, first: date, last: date) -> list[Any]:
            return fx_fetch.fetch_history(pair, first, last, **({"base_url": cfets_url} if cfets_url else {}))

        async with pushes:  # one writer at a time, like a push
            result = await run_in_threadpool(rate_feed.fetch, engine, user.id, days, fetcher)
        return result.to_dict()

    @app.get("/v1/pull")
    def pull(request: Request, cursor: int = 0, limit: int = protocol.PULL_LIMIT) -> Response:
        _check_version(request)
        token_ = _token(request)
        limit = max(1, min(limit, protocol.PULL_LIMIT))
        with reading(engine) as session:
            user, _device = auth.authenticate(session, token_)
            found, next_cursor, has_more = changes.page(session, user, max(cursor, 0), limit)
        # Encoded here rather than by FastAPI, which would walk every value of a large page first.
        body = json.dumps({"changes": found, "next_cursor": next_cursor, "has_more": has_more,
                           "server_time": timeutil.to_text(timeutil.utcnow())},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {}
        if len(body) > PULL_GZIP_FROM and "gzip" in request.headers.get("accept-encoding", "").lower():
            body = gzip.compress(body, compresslevel=PULL_GZIP_LEVEL, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="application/json", headers=headers)

    @app.get("/v1/snapshot")
    def snapshot_(request: Request, after: str | None = None, limit: int = protocol.SNAPSHOT_ROWS) -> Response:
        """A first pull: the user's whole scope from one read snapshot, streamed (sync.server.snapshot)."""
        _check_version(request)
        user, _device = _authenticate(_token(request))
        if after is not None:
            try:
                snapshot.parse_token(after)
            except snapshot.BadToken:
                raise _bad("无法继续上次中断的下载，请重新同步。",
                           "The interrupted download cannot be continued from there; sync again.") from None
        rows = max(1, min(limit, protocol.SNAPSHOT_ROWS))
        return StreamingResponse(snapshot.frames(engine, user.id, after, rows_per_frame=rows),
                                 media_type=protocol.SNAPSHOT_MEDIA_TYPE)

    # Evidence files (sync.server.blobs). Sync routes run on the thread pool; the upload reads its
    # body on the event loop and hands the file and database work to the pool.

    @app.get("/v1/blobs/{sha256}/status")
    def blob_status(request: Request, sha256: str) -> dict[str, Any]:
        _check_version(request)
        user, _device = _authenticate(_token(request))
        return blobs.status(engine, user, sha256)

    @app.put("/v1/blobs/{sha256}")
    async def blob_put(request: Request, sha256: str) -> dict[str, Any]:
        _check_version(request)
        token_ = _token(request)
        offset, total = _whole_number(request, "offset"), _whole_number(request, "total")
        user, device = await run_in_threadpool(_authenticate, token_)
        data = await _chunk_body(request)
        return await run_in_threadpool(blobs.put, engine, user, device.id, sha256, offset, total, data)

    @app.get("/v1/blobs/{sha256}")
    def blob_get(request: Request, sha256: str) -> Response:
        _check_version(request)
        user, _device = _authenticate(_token(request))
        path = blobs.readable(engine, user, sha256)
        return FileResponse(path, media_type="application/octet-stream")  # answers Range with 206

    return app
