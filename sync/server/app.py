"""The HTTP API (FastAPI). OpenAPI at /docs. See sync/protocol.py for the messages."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from desktop import __version__, timeutil
from desktop.errors import DomainError
from desktop.fx.rates import normalise_pair
from desktop.ids import is_uuid
from sync import columns, fx_fetch, protocol
from sync.server import api_models, auth, changes, encoding, epoch, limits, push, snapshot
from sync.server import blobs as server_blobs
from sync.server import rates as rate_feed
from sync.server.db import create_schema, make_engine, reading, writing

STATUS = {"unauthorized": 401, "bad_credentials": 401, "user_disabled": 403, "forbidden": 403, "too_large": 413,
          # a withdrawn device: 410 tells it to erase its data (sync.protocol); one waiting for approval: 403
          "device_revoked": 410, "device_pending": 403,
          "upgrade_required": 426,
          # the rate source, not the caller, is at fault; 424 rather than 502 so that clients do not
          # retry it as if this server were unreachable, and show the message as it stands
          "fx_source_unreachable": 424, "fx_source_error": 424, "fx_response_invalid": 424}
# The rate feed's dates: wide enough for any rate, narrow enough that date arithmetic never overflows.
RATE_DATES = (date(1900, 1, 1), date(9999, 12, 31))


class ApiError(Exception):
    def __init__(self, code: str, message_zh: str, message_en: str, status: int = 400) -> None:
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en, self.status = code, message_zh, message_en, status


def _bad(message_zh: str, message_en: str) -> ApiError:
    return ApiError("bad_request", message_zh, message_en, 422)


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > protocol.MAX_BODY_BYTES:
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
        return limits.read_json(body)
    except limits.TooDeep as exc:
        raise _bad(f"请求内容的嵌套超过 {protocol.MAX_JSON_DEPTH} 层。",
                   f"The request body is nested more than {protocol.MAX_JSON_DEPTH} levels deep.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad("请求内容不是有效的 JSON。", "The request body is not valid JSON.") from exc


def _validated(model: type[BaseModel], body: Any) -> Any:
    """``body`` once it has the shape of ``model`` (api_models); a 422 naming what is wrong otherwise."""
    try:
        model.model_validate(body)
    except ValidationError as exc:
        zh, en, _field = api_models.invalid(exc)
        raise _bad(zh, en) from exc
    return body


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
    try:
        api_models.PushRequest.model_validate(body)
    except ValidationError:
        valid = False
    else:
        valid = all(is_uuid(item["mutation_id"]) for item in items)
    if not valid:
        raise _bad(f"修改项格式不正确：需要 device_id，以及每项的 seq（1 到 {protocol.MAX_SEQ} 的整数）、mutation_id、name 和 args。",
                   f"A push needs a device_id, and each mutation seq (a whole number from 1 to {protocol.MAX_SEQ}), "
                   "mutation_id, name and args.")
    return body["device_id"], items


async def _chunk_body(request: Request) -> bytes:
    """A blob chunk's raw bytes, refused (413) as soon as it passes MAX_CHUNK_BYTES."""
    if request.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        raise ApiError("unsupported_encoding", "文件内容应原样发送，不要压缩。",
                       "Send a file's bytes as they are, not compressed.", 415)
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > protocol.MAX_CHUNK_BYTES:
        raise server_blobs.chunk_too_large()
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > protocol.MAX_CHUNK_BYTES:
            raise server_blobs.chunk_too_large()
    return bytes(body)


def _rate_date(text: str, default: date) -> date:
    try:
        day = date.fromisoformat(text) if text else default
    except ValueError:
        raise _bad("日期应写作 2026-11-20。", "Dates are written like 2026-11-20.") from None
    if not RATE_DATES[0] <= day <= RATE_DATES[1]:
        raise _bad(f"日期应在 {RATE_DATES[0]} 到 {RATE_DATES[1]} 之间。",
                   f"Dates must be from {RATE_DATES[0]} to {RATE_DATES[1]}.")
    return day


def _error_handlers(app: FastAPI) -> None:
    """Every answer that is not a route's own in the API's error form ({code, message_zh, message_en}):
    FastAPI's refusals of parameters (422), Starlette's unknown paths and methods (404, 405), and any
    fault (500, "try again later"; uvicorn logs its traceback: the answer carries none)."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        zh, en, field = api_models.invalid(exc)
        return JSONResponse({"code": "bad_request", "message_zh": zh, "message_en": en, "field": field},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            body = {"code": "not_found", "message_zh": "没有这个地址。", "message_en": "No such address."}
        elif exc.status_code == 405:
            body = {"code": "method_not_allowed", "message_zh": "这个地址不接受此类请求。",
                    "message_en": "This address does not take this kind of request."}
        else:
            body = {"code": f"http_{exc.status_code}", "message_zh": "请求未被接受。", "message_en": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _fault(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"code": "server_error", "message_zh": "服务器出了问题，请稍后再试。",
                             "message_en": "The server ran into a problem; try again later."}, status_code=500)


_SHA256 = PathParam(pattern=api_models.SHA256_PATTERN, description="the file's SHA-256, 64 hexadecimal characters")


def create_app(engine: Engine | str, data_dir: Path | str, *, cfets_url: str | None = None,
               approve_devices: bool = False, offline_days: int | None = None) -> FastAPI:
    """The API on an engine (or a database URL), creating the schema if needed. Evidence files are
    kept in ``<data_dir>/blobs``, whichever database the server uses. ``cfets_url``: where the
    central parity is fetched from (CFETS itself unless given). ``approve_devices``: a new device gets
    nothing until an administrator approves it. ``offline_days``: the organisation's limit on offline
    sign-in since a desktop's last contact, sent to every desktop (None: each desktop's own setting)."""
    if isinstance(engine, str):
        engine = make_engine(engine)
    create_schema(engine)
    app = FastAPI(title="Fieldmark sync server", version=__version__)
    app.openapi = lambda: api_models.openapi(app)  # type: ignore[method-assign]
    _error_handlers(app)
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

    @app.exception_handler(epoch.CursorReset)
    async def _cursor_reset(_request: Request, exc: epoch.CursorReset) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=STATUS.get(exc.code, 422))

    @app.get("/v1/health", **api_models.route(ok=api_models.Health, auth=False, versioned=False))
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "protocol": protocol.PROTOCOL,
                "server_time": timeutil.to_text(timeutil.utcnow())}

    @app.post("/v1/auth/token", **api_models.route(401, 403, 410, 413, 422, ok=api_models.SignedIn, body=api_models.SignIn,
                                                   auth=False))
    async def token(request: Request) -> dict[str, Any]:
        _check_version(request)
        body = await _json_body(request)
        _validated(api_models.SignIn, body)
        return await run_in_threadpool(_issue, body)  # scrypt and a write: never on the event loop

    def _issue(body: dict[str, Any]) -> dict[str, Any]:
        with writing(engine) as session:
            issued, device = auth.issue(session, body["username"], body["password"], body["device_id"],
                                        str(body.get("device_name", "")), approve_devices=approve_devices)
            here = epoch.identity(session)
            return {"token": issued, "user_id": device.user_id, "device_id": device.id,
                    "device_code": device.code, "expires_at": timeutil.to_text(device.expires_at),
                    "approved": device.approved_at is not None or not approve_devices,
                    "server_id": here.server_id, "epoch": here.epoch, **policy}

    # Pushes wait for their turn here, in arrival order, holding neither a thread nor a database
    # connection: the database serialises writers anyway, and pulls, sign-ins and health checks are
    # served meanwhile. The database work itself runs on the thread pool, never on the event loop.
    # This queue is one process's only: across worker processes (sync.server.workers) the database's
    # writer lock (sync.server.db.writing) is what serialises, and nothing relies on this one for more.
    pushes = asyncio.Lock()
    policy = {"offline_days": offline_days} if offline_days is not None else {}

    def _authenticate(token_: str) -> tuple[Any, Any]:
        with reading(engine) as session:
            return auth.authenticate(session, token_, approve_devices=approve_devices)

    @app.post("/v1/push", **api_models.route(403, 413, 422, ok=api_models.PushAnswer, body=api_models.PushRequest))
    async def push_(request: Request) -> Response:
        _check_version(request)
        token_ = _token(request)
        body = await _json_body(request)
        device_id, items = _mutation_items(body)
        user, device = await run_in_threadpool(_authenticate, token_)
        if device_id != device.id:
            raise ApiError("forbidden", "不能替其他设备发送修改。", "A device may only send its own changes.", 403)
        async with pushes:
            results = await run_in_threadpool(push.push, engine, user.id, device.id, items, blobs)
        return await run_in_threadpool(encoding.json_response, request, {
            "results": results, "server_time": timeutil.to_text(timeutil.utcnow())})

    @app.get("/v1/rates", **api_models.route(422, ok=api_models.Rates))
    def rates_(request: Request, pair: str = Query("USD/CNY", max_length=20),
               start: str = Query("", pattern=api_models.DATE_PATTERN, description="YYYY-MM-DD; default: end - 29 days"),
               end: str = Query("", pattern=api_models.DATE_PATTERN, description="YYYY-MM-DD; default: today")
               ) -> dict[str, Any]:
        """The rate feed: the rates the server holds for a pair and span (default: the last 30 days)."""
        _check_version(request)
        token_ = _token(request)
        _authenticate(token_)
        last = _rate_date(end, rate_feed.today())
        first = _rate_date(start, max(last - timedelta(days=29), RATE_DATES[0]))
        return {"rates": rate_feed.history(engine, normalise_pair(pair), first, last)}

    @app.post("/v1/rates/fetch", **api_models.route(403, 413, 422, 424, ok=api_models.Recorded,
                                                    body=api_models.RatesFetch))
    async def rates_fetch(request: Request) -> dict[str, Any]:
        """Fetch the central parity from CFETS here and keep it for every desktop (finance, admins)."""
        _check_version(request)
        token_ = _token(request)
        body = await _json_body(request)
        days = _validated(api_models.RatesFetch, body).get("days", 10)
        user, _device = await run_in_threadpool(_authenticate, token_)

        def fetcher(pair: str, first: date, last: date) -> list[Any]:
            return fx_fetch.fetch_history(pair, first, last, **({"base_url": cfets_url} if cfets_url else {}))

        async with pushes:  # one writer at a time, like a push
            result = await run_in_threadpool(rate_feed.fetch, engine, user.id, days, fetcher)
        return result.to_dict()

    @app.get("/v1/pull", **api_models.route(409, 422, ok=api_models.PullPage))
    def pull(request: Request,
             cursor: int = Query(0, ge=0, le=protocol.MAX_INT, description="next_cursor of the page before; 0 at first"),
             limit: int = Query(protocol.PULL_LIMIT, ge=1, le=protocol.MAX_INT,
                                description=f"entries per page, capped at {protocol.PULL_LIMIT}"),
             server: str = Query("", max_length=64, description="server_id of the answer the cursor came from"),
             epoch_: int | None = Query(None, alias="epoch", ge=0, le=protocol.MAX_INT,
                                        description="epoch of the answer the cursor came from"),
             mark: str = Query("", max_length=32, description="next_mark of the answer the cursor came from"),
             held_through: int = Query(0, ge=0, le=protocol.MAX_INT,
                                       description="the last seq this device made: rows its own changes wrote "
                                                   "as they are here are left out (not on a whole read, cursor 0)"),
             form: str = Query("changes", pattern="^(changes|columns)$",
                               description="columns: the page as column blocks (sync.columns)")
             ) -> Response:
        _check_version(request)
        token_ = _token(request)
        limit = max(1, min(limit, protocol.PULL_LIMIT))
        with reading(engine) as session:
            user, device = auth.authenticate(session, token_, approve_devices=approve_devices)
            here = epoch.check(session, max(cursor, 0), server, epoch_, mark)  # CursorReset: 409
            # A whole read (cursor 0: a first pull, a re-read after a restore) sends everything: the
            # device is to end with exactly the server's rows, its own included.
            found, next_cursor, has_more = changes.page(session, user, max(cursor, 0), limit, device.id,
                                                        held_through if cursor > 0 else 0)
            next_mark = epoch.mark(session, next_cursor)
        # Encoded here rather than by FastAPI, which would walk every value of a large page first.
        page: dict[str, Any] = {"blocks": columns.encode(found)} if form == "columns" else {"changes": found}
        return encoding.json_response(request, {**page, "next_cursor": next_cursor, "has_more": has_more,
                                                "server_id": here.server_id, "epoch": here.epoch, "next_mark": next_mark,
                                                "server_time": timeutil.to_text(timeutil.utcnow()), **policy})

    @app.get("/v1/snapshot", **api_models.route(422, stream=protocol.SNAPSHOT_MEDIA_TYPE))
    def snapshot_(request: Request,
                  after: str | None = Query(None, max_length=200, description="the token of the last frame "
                                                                              "written: where to continue"),
                  limit: int = Query(protocol.SNAPSHOT_ROWS, ge=1, le=protocol.MAX_INT,
                                     description=f"rows per frame, capped at {protocol.SNAPSHOT_ROWS}"),
                  frames: str = Query("gzip", pattern="^(gzip|zstd)$",
                                      description="how each frame is compressed")) -> Response:
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
        return StreamingResponse(snapshot.frames(engine, user.id, after, rows_per_frame=rows, zstd=frames == "zstd"),
                                 media_type=protocol.SNAPSHOT_MEDIA_TYPE)

    # Evidence files (sync.server.blobs). Sync routes run on the thread pool; the upload reads its
    # body on the event loop and hands the file and database work to the pool.

    @app.get("/v1/blobs/{sha256}/status", **api_models.route(422, ok=api_models.BlobStatus))
    def blob_status(request: Request, sha256: str = _SHA256) -> JSONResponse:
        _check_version(request)
        user, _device = _authenticate(_token(request))
        return JSONResponse(blobs.status(engine, user, sha256),
                            headers={protocol.HOLDS_HEADER: protocol.HOLDS_UPLOAD_PENDING})

    @app.put("/v1/blobs/{sha256}", **api_models.route(409, 413, 415, 422, ok=api_models.BlobStatus))
    async def blob_put(request: Request, sha256: str = _SHA256,
                       offset: int = Query(ge=0, le=protocol.MAX_INT, description="where this chunk starts"),
                       total: int = Query(ge=0, le=protocol.MAX_INT, description="the file's size in bytes")
                       ) -> dict[str, Any]:
        _check_version(request)
        token_ = _token(request)
        user, device = await run_in_threadpool(_authenticate, token_)
        data = await _chunk_body(request)
        return await run_in_threadpool(blobs.put, engine, user, device.id, sha256, offset, total, data)

    @app.get("/v1/blobs/{sha256}", **api_models.route(404, 409, 422, binary=True))
    def blob_get(request: Request, sha256: str = _SHA256) -> Response:
        _check_version(request)
        user, _device = _authenticate(_token(request))
        path = blobs.readable(engine, user, sha256)
        return FileResponse(path, media_type="application/octet-stream")  # answers Range with 206

    return app
