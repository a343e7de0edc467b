"""The API's requests and answers as pydantic models: request bodies are validated with them, and
with them the OpenAPI document (/openapi.json, /docs) describes every request, every answer and every
status code a route can give (sync/protocol.py has the same in prose).

Request bodies are read by the app itself (gzip, size and depth limits: sync.server.limits), then
validated here; models are strict (no "1" for 1) and ignore fields they do not name. Answers are
documented, not filtered through the models: the routes return what they build, and a field a model
does not name still travels.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from desktop.text_rules import has_invalid_code_points
from sync import protocol
from sync.server.rates import MAX_DAYS

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2})?$"
BEARER = "bearer"


def _plain_text(value: str) -> str:
    """Text a database can hold: no NUL, no lone surrogate or noncharacter."""
    if "\x00" in value or has_invalid_code_points(value):
        raise ValueError("invalid characters")
    return value


Text = Annotated[str, AfterValidator(_plain_text)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


# ---- Requests


class SignIn(Strict):
    """POST /v1/auth/token: a device signs in as a user."""

    username: Text = Field(max_length=200)
    password: Text = Field(max_length=1024)
    device_id: str = Field(description="the device's UUID, made on the device", max_length=36)
    device_name: Text = Field("", max_length=1000, description="shown to administrators (first 100 characters kept)")


class Mutation(Strict):
    """One outbox entry, as the desktop sends it. ``args`` is checked by the mutation itself; args
    nesting more than MAX_ARGS_DEPTH deep or holding numbers out of range reject that mutation alone."""

    seq: int = Field(ge=1, le=protocol.MAX_SEQ, description="the device's sequence number, 1, 2, 3...")
    mutation_id: str = Field(pattern=UUID_PATTERN)
    name: str = Field(description="e.g. customer.create; an unknown name is a rejected result, not an error")
    args: dict[str, Any]
    base_version: int | None = Field(None, ge=-protocol.MAX_INT, le=protocol.MAX_INT)
    schema_version: str | None = None
    client_time: str | None = None
    wrote: list[list[str]] | None = Field(None, description="[table, id, digest] of each row this change wrote on "
                                                             "the device: rows the server holds alike are not sent back")
    upload_pending: bool | None = Field(None, description="attachment.add whose file is still on its way: "
                                                          "answered waiting, with what names its ids")
    refused_before: bool | None = Field(None, description="the server refused this change before a restore lost "
                                                          "the record: it is recorded as refused again, never run")


class PushRequest(Strict):
    """POST /v1/push: a batch of one device's mutations, in seq order."""

    device_id: str = Field(description="the signed-in device's id")
    mutations: list[Mutation] = Field(max_length=protocol.PUSH_BATCH,
                                      description=f"at most {protocol.PUSH_BATCH} (more: 413)")


class RatesFetch(Strict):
    """POST /v1/rates/fetch: fetch the central parity of the last ``days`` days."""

    days: int = Field(10, ge=1, le=MAX_DAYS)


# ---- Answers


class ApiError(BaseModel):
    """Every refusal (4xx) and every fault (5xx: try again later)."""

    code: str = Field(description="stable, for programs: bad_request, unauthorized, too_large, ...")
    message_zh: str
    message_en: str
    field: str | None = Field(None, description="the input at fault, when there is one")
    detail: dict[str, Any] | None = None
    expected: int | None = Field(None, description="wrong_offset: the offset the upload stands at")


class Health(BaseModel):
    status: str
    version: str
    protocol: str
    server_time: str


class SignedIn(BaseModel):
    token: str
    user_id: str
    device_id: str
    device_code: str | None
    expires_at: str
    approved: bool = Field(description="false: the device waits for an administrator's approval (device_pending)")
    offline_days: int | None = Field(None, description="the organisation's limit on offline sign-in, in days, "
                                                        "since the device's last successful sync")
    server_id: str = Field(description="this server's identity: a cursor is only this server's")
    epoch: int = Field(description="the epoch of this server's change log (a new one after a restore)")


class Result(BaseModel):
    """What became of one mutation: status applied, rejected (with error), out_of_order (with expected)
    or waiting (its file is still on its way, or it names what waits for one: ``waits_on``)."""

    seq: int
    mutation_id: str
    status: str
    error: ApiError | None = None
    expected: int | None = None
    rows: list[list[str]] | None = Field(None, description="applied: the [table, id] rows the server's run wrote")
    waits_on: list[str] | None = Field(None, description="waiting: the ids it names that wait for a file")
    overwrote: list[dict[str, Any]] | None = Field(None, description="applied: fields whose value someone else had "
                                                                      "set since this change's base, now replaced")
    clock: dict[str, Any] | None = Field(None, description="the device's time was out of the plausible window: "
                                                            "what was sent, what was stored, why")


class PushAnswer(BaseModel):
    results: list[Result]
    server_time: str


class Change(BaseModel):
    seq: int
    table: str
    id: str
    op: str = Field(description="upsert (row = the row's columns) or forget")
    version: int | None = None
    row: dict[str, Any] | None = None


class PullPage(BaseModel):
    """One page: ``changes``, or with ``form=columns`` the same changes as column blocks (``blocks``,
    sync.columns)."""

    changes: list[Change] | None = Field(None, description="the page's changes (form=changes, the default)")
    blocks: list[dict[str, Any]] | None = Field(None, description="form=columns: the changes as column blocks")
    next_cursor: int
    has_more: bool
    server_time: str
    server_id: str = Field(description="send it back as ``server`` with the next cursor")
    epoch: int = Field(description="send it back as ``epoch`` with the next cursor")
    next_mark: str | None = Field(None, description="send it back as ``mark`` with the next cursor")
    offline_days: int | None = None


class RateRow(BaseModel):
    pair: str
    rate: str
    rate_date: str
    source: str
    fetched_at: str | None


class Rates(BaseModel):
    rates: list[RateRow]


class RowProblem(BaseModel):
    row: int
    column: str | None
    message_zh: str
    message_en: str


class Recorded(BaseModel):
    recorded: int
    unchanged: int
    problems: list[RowProblem]


class BlobStatus(BaseModel):
    received: int
    complete: bool


REQUEST_MODELS = (SignIn, PushRequest, RatesFetch)

# ---- What each status code means, for the document

MEANING = {
    401: "Not signed in, or the sign-in has expired or was revoked: sign in again",
    403: "Signed in, but not allowed to do this (device_pending: this device waits for an administrator's approval)",
    404: "No such thing (or not one this user may see)",
    410: "device_revoked: an administrator withdrew this device; it must erase its data and never send again",
    409: "Conflicts with what the server holds (wrong_offset: `expected` says where to continue; damaged)",
    413: "Too large (body, batch, chunk or file)",
    415: "Sent compressed where the bytes must come as they are",
    422: "The request is not valid: the message says what is wrong",
    424: "The rate source (CFETS) could not be reached or answered something unreadable",
    426: "This app is older than the server accepts: upgrade",
    500: "A fault on the server: try again later",
}


def route(*statuses: int, ok: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
          auth: bool = True, versioned: bool = True, binary: bool = False, stream: str | None = None) -> dict[str, Any]:
    """Keyword arguments for a route's decorator: its answers (``ok`` for 200, ``statuses`` for the
    refusals, always 500, 401 when ``auth``, 426 and the app-version header when ``versioned``), its
    request body (read by the route itself) and, when ``auth``, the bearer token. The route's own
    return value is not filtered through ``ok``."""
    codes = set(statuses) | {500} | ({401, 403, 410} if auth else set()) | ({426} if versioned else set())
    responses: dict[int | str, Any] = {code: {"model": ApiError, "description": MEANING[code]} for code in sorted(codes)}
    if binary:
        content = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        responses[200] = {"description": "The file", "content": content}
        responses[206] = {"description": "The part of the file asked for with Range", "content": content}
        # Starlette's own answers to a Range header, as text (not the API's error form).
        responses[400] = {"description": "The Range header is malformed", "content": {"text/plain": {"schema": {"type": "string"}}}}
        responses[416] = {"description": "The range asked for is not in the file (Content-Range: bytes */size)",
                          "content": {"text/plain": {"schema": {"type": "string"}}}}
    elif stream is not None:  # a stream of frames of our own (the snapshot: sync.server.snapshot)
        responses[200] = {"description": "The frames", "content": {stream: {"schema": {"type": "string",
                                                                                        "format": "binary"}}}}
    elif ok is not None:
        responses[200] = {"model": ok, "description": "OK"}
    extra: dict[str, Any] = {}
    if versioned:
        extra["parameters"] = [{
            "name": protocol.APP_HEADER, "in": "header", "required": False,
            "schema": {"type": "string", "pattern": r"^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}$"},
            "description": "the app's version, e.g. 0.1.0; older than the server accepts: 426"}]
    if binary:
        extra.setdefault("parameters", []).append({
            "name": "Range", "in": "header", "required": False, "schema": {"type": "string", "pattern": r"^bytes=[0-9]+-$"},
            "description": "resumes a download: bytes=N- (answered 206)"})
    if auth:
        extra["security"] = [{BEARER: []}]
    if body is not None:
        extra["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}},
            "description": f"JSON (may be sent gzip-compressed with Content-Encoding: gzip), at most "
                           f"{protocol.MAX_BODY_BYTES // 1024 // 1024} MB and {protocol.MAX_JSON_DEPTH} levels deep"}
    kwargs = {"response_model": None, "responses": responses, "openapi_extra": extra}
    return {**kwargs, "response_class": Response} if binary or stream else kwargs


def openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, with the request models and the bearer scheme in its components."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, routes=app.routes,
                           description="Fieldmark's sync protocol: see sync/protocol.py.")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in REQUEST_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    document["components"]["securitySchemes"] = {BEARER: {"type": "http", "scheme": "bearer"}}
    app.openapi_schema = document
    return document


# ---- Refusals in the API's own form

PATTERN_HINTS = {
    "sha256": ("文件标识应为 64 位十六进制的 SHA-256。", "A file is named by its SHA-256: 64 hexadecimal characters."),
    "start": ("日期应写作 2026-11-20。", "Dates are written like 2026-11-20."),
    "end": ("日期应写作 2026-11-20。", "Dates are written like 2026-11-20."),
}

def invalid(error: ValidationError | Any) -> tuple[str, str, str | None]:
    """A validation failure (pydantic's, or FastAPI's for parameters) in words: (zh, en, field at fault)."""
    found = error.errors()
    if not found:
        return "请求内容不正确。", "The request is not valid.", None
    first = found[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
    name = ".".join(loc) or "request"
    kind, ctx = first.get("type", ""), first.get("ctx") or {}
    if kind == "missing":
        zh, en = f"缺少 {name}。", f"{name} is required."
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        zh, en = f"{name} 应为整数。", f"{name} must be a whole number."
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        zh, en = f"{name} 应不小于 {bound}。", f"{name} must be at least {bound}."
    elif kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        zh, en = f"{name} 应不大于 {bound}。", f"{name} must be at most {bound}."
    elif kind == "string_pattern_mismatch" and loc and loc[-1] in PATTERN_HINTS:
        zh, en = PATTERN_HINTS[loc[-1]]
    elif kind in ("string_too_long", "too_long"):
        zh, en = f"{name} 过长。", f"{name} is too long."
    elif kind in ("string_type", "dict_type", "list_type", "bool_type", "model_type"):
        zh, en = f"{name} 的类型不正确。", f"{name} has the wrong type."
    else:
        zh, en = f"{name} 的值不正确。", f"{name} is not valid."
    return zh, en, (loc[0] if loc else None)
