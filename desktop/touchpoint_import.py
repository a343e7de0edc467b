"""Bulk import of touchpoints from a CSV file (call logs, chat exports); the format is in docs/csv-import.md.

Two steps, both plain functions of the store so they run on the database thread and in tests alike:

1. :func:`preview_file` reads the file (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030/GBK as
   Chinese Excel writes it), maps the header to fields, matches each row's customer and contact, reads
   its times in the user's zone and checks it with ``touchpoint.log``'s own declared fields. Each row
   comes back either with the args it would be logged with, as a duplicate, or with its problems
   (row number, column, message in Chinese and English). Nothing is written.
2. :func:`import_rows` logs the rows that are ok through the mutation path, a chunk per transaction,
   reporting to a progress object between chunks; a cancel keeps the chunks already committed.

A duplicate is a row whose (customer, channel, time to the minute, summary) is already in the
database or on an earlier row of the file, so importing the same file twice adds nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import csv_import, errors, mutations, timeutil
from desktop.csv_import import (  # noqa: F401 (RowProblem, write_error_report...: part of this module's API)
    IN_BATCH,
    MAX_BYTES,
    MAX_ROWS,
    REPORT_HEADER,
    Column,
    ParsedFile,
    ProgressLike,
    RowProblem,
    decode,
    write_error_report,
)
from desktop.errors import DomainError, Label
from desktop.models import Contact, Customer, Touchpoint, User
from desktop.mutations.touchpoints import FUTURE_SLACK
from desktop.permissions import CUSTOMER_FACING, visible_customers
from desktop.store import Store
from desktop.text_rules import name_key

MUTATION = "touchpoint.log"
FIELDS = mutations.REGISTRY[MUTATION].fields
CHUNK_ROWS = 250  # rows per transaction: a cancel waits for at most one chunk

OK, DUPLICATE, ERROR, IMPORTED = "ok", "duplicate", "error", "imported"


# ---- The columns

COLUMNS: tuple[Column, ...] = (
    Column("customer", Label("客户", "customer"), ("客户", "客户名称", "客户名", "customer", "customername"), True),
    Column("channel", Label("渠道", "channel"), ("渠道", "沟通渠道", "沟通方式", "channel"), True),
    Column("occurred_at", Label("时间", "occurred_at"),
           ("时间", "发生时间", "沟通时间", "通话时间", "日期时间", "occurredat", "time", "when", "datetime"), True),
    Column("contact", Label("联系人", "contact"), ("联系人", "联系人姓名", "contact", "contactname")),
    Column("with_whom", Label("沟通对象", "with_whom"), ("沟通对象", "withwhom")),
    Column("summary", Label("内容", "summary"), ("内容", "沟通内容", "摘要", "纪要", "summary", "content", "whatwassaid"),
           True),
    Column("reaction", Label("客户反应", "reaction"), ("客户反应", "反应", "reaction", "customersreaction",
                                                   "customerreaction")),
    Column("reaction_note", Label("反应说明", "reaction_note"), ("反应说明", "reactionnote", "reactiondetails")),
    Column("next_step", Label("下一步", "next_step"), ("下一步", "下一步计划", "nextstep")),
    Column("next_step_due", Label("下一步期限", "next_step_due"), ("下一步期限", "期限", "截止日期", "nextstepdue", "due")),
)
_BY_KEY = {c.key: c for c in COLUMNS}
# The mutation's field each column feeds (the customer and contact columns become ids).
_FIELD_COLUMN = {"customer_id": "customer", "contact_id": "contact", "channel": "channel",
                 "occurred_at": "occurred_at", "with_whom": "with_whom", "summary": "summary",
                 "reaction": "reaction", "reaction_note": "reaction_note", "next_step": "next_step",
                 "next_step_due": "next_step_due"}

CHANNEL_VALUES = {
    "call": ("电话", "通话", "来电", "去电", "打电话", "call", "phone", "phonecall", "telephone"),
    "wechat": ("微信", "wechat", "weixin"),
    "email": ("邮件", "邮箱", "电子邮件", "email", "mail"),
    "file_sent": ("发送资料", "发送文件", "资料", "文件", "filesent", "file"),
    "meeting": ("会议", "开会", "meeting"),
    "visit": ("拜访", "上门拜访", "面访", "visit"),  # recognised only to say why it cannot be imported
}
REACTION_VALUES = {
    "positive": ("积极", "正面", "positive"),
    "neutral": ("中立", "中性", "一般", "neutral"),
    "negative": ("消极", "负面", "negative"),
    "unknown": ("未知", "unknown"),
}


_key = csv_import.header_key
_CHANNEL = {_key(alias): code for code, aliases in CHANNEL_VALUES.items() for alias in aliases}
_REACTION = {_key(alias): code for code, aliases in REACTION_VALUES.items() for alias in aliases}


def may_import(user: User | None) -> bool:
    """Whether this user's role logs touchpoints at all (which customers, each row decides)."""
    return user is not None and (user.role == "admin" or user.role in CUSTOMER_FACING)


# ---- What a preview holds

@dataclass
class PreviewRow:
    """One data row of the file and what importing it would do."""

    row: int
    customer: str  # as typed
    channel: str  # as typed
    time_text: str  # as typed
    occurred_at: datetime | None  # read in the user's zone, UTC
    summary: str
    status: str = OK  # ok | duplicate | error, and imported once logged
    args: dict[str, Any] | None = None  # touchpoint.log args, when ok
    customer_name: str = ""  # the customer it matched
    channel_code: str | None = None
    problems: list[RowProblem] = field(default_factory=list)
    duplicate_of: int | None = None  # the earlier row it repeats, or 0: already in the database
    key: tuple[str, str, str, str] | None = None  # (customer id, channel, minute, summary)


@dataclass
class Preview:
    """What importing a file would do, row by row."""

    path: str
    encoding: str
    columns: list[str]  # the header as written
    headers: dict[str, str]  # column key -> its header as written
    ignored_columns: list[str]  # header cells that name no field: their cells are not imported
    rows: list[PreviewRow]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def importable(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.status == OK]

    @property
    def problems(self) -> list[RowProblem]:
        return [p for r in self.rows for p in r.problems if r.status == ERROR]


@dataclass
class ImportResult:
    """What an import did. Counts cover the whole file: preview and import time together."""

    imported: int = 0
    duplicates: int = 0
    errors: int = 0
    not_attempted: int = 0  # ok rows left after a cancel or a failure
    cancelled: bool = False
    failure: Exception | None = None  # an unexpected error that stopped the import (what was done is kept)
    imported_rows: list[int] = field(default_factory=list)
    late_duplicates: list[int] = field(default_factory=list)  # found in the database at import time
    refused: list[RowProblem] = field(default_factory=list)  # rows the mutation refused at import time
    last_outcome: mutations.Outcome | None = None


# ---- Reading the file

def parse_csv(data: bytes) -> ParsedFile:
    """Decode and split a file; refuses (DomainError) a file that cannot be imported at all."""
    return csv_import.parse_csv(data, COLUMNS)


# ---- Times

_TIME = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
                   r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6}))?)?)?"
                   r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?")


def parse_time(text: str, zone: tzinfo | None) -> tuple[datetime, bool] | None:
    """(UTC time, whether a time of day was given), or None for text that is not a date.

    Accepts 2026-11-20 14:30, 2026/11/20 14:30:05, 2026/1/5 9:05, 2026年11月20日 14:30, ISO 8601
    (2026-11-20T14:30:00+08:00, …Z). Without an offset the time is local to ``zone`` (None: this
    computer's zone).
    """
    value = unicodedata.normalize("NFKC", text).strip()
    value = value.replace("年", "-").replace("月", "-").replace("日", " ").replace("时", ":").replace("点", ":")
    value = value.replace("秒", "").replace("分", ":").strip().rstrip(":")
    match = _TIME.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None
    if offset is not None:
        zone_text = "+00:00" if offset == "Z" else offset
        if len(zone_text) == 3:
            zone_text += ":00"
        elif ":" not in zone_text:
            zone_text = zone_text[:3] + ":" + zone_text[3:]
        try:
            aware = datetime.fromisoformat(naive.isoformat() + zone_text)
        except ValueError:
            return None
    elif zone is None:
        aware = naive.astimezone()  # the C library's rules for this computer's zone, daylight saving included
    else:
        aware = naive.replace(tzinfo=zone)
    try:
        return aware.astimezone(UTC), hour is not None
    except (OverflowError, ValueError):
        return None


def _minute(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


# ---- The preview

def preview_file(store: Store, user_id: str, path: str | Path, zone: tzinfo | None, *,
                 progress: ProgressLike | None = None, now: datetime | None = None) -> Preview:
    """Read ``path`` and say, row by row, what importing it as ``user_id`` would do. Writes nothing.

    A file that cannot be imported at all (encoding, missing columns, too large) raises DomainError.
    """
    parsed = parse_csv(csv_import.read_file(path))
    with store.read() as session:
        user = session.get(User, user_id)
        return build_preview(session, user, parsed, zone, path=str(path), progress=progress, now=now)


def build_preview(session: Session, user: User | None, parsed: ParsedFile, zone: tzinfo | None, *,
                  path: str = "", progress: ProgressLike | None = None, now: datetime | None = None) -> Preview:
    """The preview of an already parsed file for ``user``."""
    if not may_import(user) or user is None or not user.active:
        raise errors.forbidden("记录触点", "log touchpoints")
    now = now or timeutil.utcnow()
    headers = {key: parsed.header[index] for index, key in parsed.mapping.items()}

    def column(key: str) -> str:
        return headers.get(key) or _BY_KEY[key].label.zh

    rows: list[PreviewRow] = []
    cells_of: list[dict[str, str]] = []
    for number, cells in parsed.records:
        values = parsed.values(cells)
        row = PreviewRow(number, values.get("customer", ""), values.get("channel", ""), values.get("occurred_at", ""),
                         None, values.get("summary", ""))
        extra = parsed.extra_cells_problem(number, cells)
        if extra is not None:
            row.problems.append(extra)
        rows.append(row)
        cells_of.append(values)

    customers = _CustomerIndex(session, user, {r.customer for r in rows if r.customer})
    contacts = _ContactIndex(session, {c.id for c in customers.matched.values()})
    total = max(len(rows), 1)
    for position, (row, values) in enumerate(zip(rows, cells_of, strict=True)):
        if progress is not None and position % 1000 == 0:
            if not progress.set(0.9 * position / total, ""):
                raise DomainError("cancelled", "已取消。", "Cancelled.")
        _check_row(row, values, column, customers, contacts, zone, now)
    _mark_duplicates(session, rows)
    if progress is not None:
        progress.set(1.0, "")
    return Preview(path, parsed.encoding, parsed.header, headers, parsed.ignored, rows)


@dataclass(frozen=True)
class _Customer:
    id: str
    name: str


class _CustomerIndex:
    """The customers a file's names match: exact name first, then a unique short name, among the
    customers the user may log touchpoints for."""

    def __init__(self, session: Session, user: User, names: set[str]) -> None:
        self.by_name: dict[str, list[_Customer]] = {}
        self.by_short: dict[str, list[_Customer]] = {}
        query = select(Customer.id, Customer.name, Customer.short_name).where(
            Customer.deleted_at.is_(None), visible_customers(user))
        for customer_id, name, short_name in session.execute(query):
            customer = _Customer(customer_id, name)
            self.by_name.setdefault(_name_key(name), []).append(customer)
            if short_name.strip():
                self.by_short.setdefault(_name_key(short_name), []).append(customer)
        self.matched: dict[str, _Customer] = {}
        self.outcome: dict[str, tuple[str, str] | _Customer] = {}
        unmatched: list[str] = []
        for name in names:
            key = _name_key(name)
            found = self.by_name.get(key) or self.by_short.get(key) or []
            if len(found) == 1:
                self.matched[name] = found[0]
                self.outcome[name] = found[0]
            elif len(found) > 1:
                self.outcome[name] = (f"有 {len(found)} 个客户都叫“{name}”：请写客户全称。",
                                      f"{len(found)} customers are called {name}; write the full name.")
            else:
                unmatched.append(name)
        elsewhere = _existing_names(session, unmatched)
        for name in unmatched:
            if name in elsewhere:
                self.outcome[name] = (f"客户“{name}”不在您可记录触点的客户中。",
                                      f"Customer {name} is not one you may log touchpoints for.")
            else:
                self.outcome[name] = (f"找不到客户“{name}”", f"no customer named {name}")


def _name_key(name: str) -> str:
    # Full-width and half-width brackets, spaces and invisible characters: the same name to the person
    # typing it, as for the duplicate check of customer names.
    return name_key(name)


def _existing_names(session: Session, names: list[str]) -> set[str]:
    """Which of these names (or short names) belong to a live customer, whoever may see it."""
    found: set[str] = set()
    for start in range(0, len(names), IN_BATCH):
        batch = names[start:start + IN_BATCH]
        for name, short in session.execute(select(Customer.name, Customer.short_name).where(
                Customer.deleted_at.is_(None), (Customer.name.in_(batch)) | (Customer.short_name.in_(batch)))):
            found.update({name, short})
    return found


class _ContactIndex:
    """Live contacts of the matched customers, by normalised name."""

    def __init__(self, session: Session, customer_ids: set[str]) -> None:
        self.by_customer: dict[str, dict[str, list[Contact]]] = {}
        ids = sorted(customer_ids)
        for start in range(0, len(ids), IN_BATCH):
            query = select(Contact).where(Contact.customer_id.in_(ids[start:start + IN_BATCH]),
                                          Contact.deleted_at.is_(None))
            for contact in session.scalars(query):
                self.by_customer.setdefault(contact.customer_id, {}).setdefault(
                    _name_key(contact.name), []).append(contact)

    def find(self, customer_id: str, name: str) -> list[Contact]:
        return self.by_customer.get(customer_id, {}).get(_name_key(name), [])


def _check_row(row: PreviewRow, values: dict[str, str], column: Callable[[str], str], customers: _CustomerIndex,
               contacts: _ContactIndex, zone: tzinfo | None, now: datetime) -> None:
    """Fill in the row's args, or its problems (every one of them, not just the first)."""
    problems = row.problems

    def problem(key: str, zh: str, en: str) -> None:
        problems.append(RowProblem(row.row, column(key), zh, en))

    args: dict[str, Any] = {}
    customer: _Customer | None = None
    if row.customer:
        outcome = customers.outcome[row.customer]
        if isinstance(outcome, _Customer):
            customer = outcome
            row.customer_name = customer.name
            args["customer_id"] = customer.id
        else:
            problem("customer", *outcome)
    else:
        problem("customer", "请填写客户名称。", "The customer is missing.")

    channel = _CHANNEL.get(_key(row.channel)) if row.channel else None
    if not row.channel:
        problem("channel", "请填写渠道。", "The channel is missing.")
    elif channel is None:
        allowed_zh = "电话、微信、邮件、发送资料、会议"
        problem("channel", f"渠道“{row.channel}”无效，可选：{allowed_zh}。",
                f"Channel {row.channel!r} is not valid; use one of: call, wechat, email, file_sent, meeting.")
    elif channel == "visit":
        problem("channel", "拜访不能从文件导入：拜访需要现场凭证（照片、签到），请通过拜访记录录入。",
                "Visits cannot be imported from a file: a visit needs evidence from the site (photos, check-in); "
                "record it through visit capture.")
    else:
        row.channel_code = channel
        args["channel"] = channel

    when_text = values.get("occurred_at", "")
    if not when_text:
        problem("occurred_at", "请填写时间。", "The time is missing.")
    else:
        when = parse_time(when_text, zone)
        if when is None:
            problem("occurred_at", f"看不懂时间“{when_text}”，请写成 2026-11-20 14:30 这样的格式。",
                    f"The time {when_text!r} is not understood; write it like 2026-11-20 14:30.")
        elif not when[1]:
            problem("occurred_at", f"时间“{when_text}”缺少几点几分。",
                    f"The time {when_text!r} has a date but no time of day.")
        elif when[0] - now > FUTURE_SLACK:
            problem("occurred_at", f"时间“{when_text}”晚于现在，请检查日期和时间。",
                    f"The time {when_text!r} is in the future; check the date and time.")
        else:
            row.occurred_at = when[0]
            args["occurred_at"] = timeutil.to_text(when[0])

    args["summary"] = values.get("summary", "")
    for key in ("with_whom", "reaction_note", "next_step"):
        if values.get(key):
            args[key] = values[key]

    reaction_text = values.get("reaction", "")
    if reaction_text:
        reaction = _REACTION.get(_key(reaction_text))
        if reaction is None:
            problem("reaction", f"客户反应“{reaction_text}”无效，可选：积极、中立、消极、未知。",
                    f"Reaction {reaction_text!r} is not valid; use one of: positive, neutral, negative, unknown.")
        else:
            args["reaction"] = reaction

    due_text = values.get("next_step_due", "")
    if due_text:
        due = parse_time(due_text, zone)
        if due is None:
            problem("next_step_due", f"看不懂下一步期限“{due_text}”，请写成 2026-11-30 这样的格式。",
                    f"The next step due {due_text!r} is not understood; write it like 2026-11-30.")
        else:
            due_at, has_time = due
            if not has_time:  # a due *date*: by the end of that local day, as in the Log touchpoint dialog
                local = due_at.astimezone(zone) if zone is not None else due_at.astimezone()
                end = datetime.combine(local.date(), time(23, 59, 59))
                due_at = (end.replace(tzinfo=zone) if zone is not None else end.astimezone()).astimezone(UTC)
            if row.occurred_at is not None and due_at < row.occurred_at:
                problem("next_step_due", "下一步期限早于发生时间。",
                        "The next step is due before the touchpoint happened.")
            else:
                args["next_step_due"] = timeutil.to_text(due_at)

    contact_text = values.get("contact", "")
    if contact_text and customer is not None:
        found = contacts.find(customer.id, contact_text)
        if len(found) == 1:
            args["contact_id"] = found[0].id
        elif found:
            problem("contact", f"客户“{customer.name}”有 {len(found)} 位联系人都叫“{contact_text}”：请把姓名写在“沟通对象”列。",
                    f"{customer.name} has {len(found)} contacts called {contact_text}; put the name in the "
                    "with_whom column instead.")
        else:
            problem("contact", f"“{contact_text}”不是客户“{customer.name}”的联系人：请先添加联系人，或把姓名写在“沟通对象”列。",
                    f"{contact_text} is not a contact of {customer.name}; add the contact first, or put the name "
                    "in the with_whom column instead.")

    # The mutation's own declared checks (required, length, control characters) on what would be sent.
    checked_fields = set(args) | {"summary"}
    for name in sorted(checked_fields):
        spec = FIELDS.get(name)
        if spec is None:
            continue
        try:
            spec.parse(name, args[name])
        except DomainError as exc:
            if name == "summary" and exc.code == "missing_field":
                problem("summary", "请填写沟通内容。", "What was said (summary) is missing.")
            else:
                problem(_FIELD_COLUMN.get(name, name), exc.message_zh, exc.message_en)

    if problems:
        row.status = ERROR
        return
    row.args = args
    assert row.occurred_at is not None
    row.key = (args["customer_id"], args["channel"], _minute(row.occurred_at), args["summary"])


def _existing_keys(session: Session, rows: Iterable[PreviewRow]) -> set[tuple[str, str, str, str]]:
    """The duplicate keys of the touchpoints already stored for these rows' customers and minutes."""
    rows = [r for r in rows if r.key is not None and r.occurred_at is not None]
    if not rows:
        return set()
    low = min(r.occurred_at for r in rows if r.occurred_at)
    high = max(r.occurred_at for r in rows if r.occurred_at)
    low = low.replace(second=0, microsecond=0)
    high = high.replace(second=0, microsecond=0) + timedelta(minutes=1)
    ids = sorted({r.key[0] for r in rows if r.key})
    keys: set[tuple[str, str, str, str]] = set()
    for start in range(0, len(ids), IN_BATCH):
        query = select(Touchpoint.customer_id, Touchpoint.channel, Touchpoint.occurred_at, Touchpoint.summary).where(
            Touchpoint.customer_id.in_(ids[start:start + IN_BATCH]),
            Touchpoint.occurred_at >= low, Touchpoint.occurred_at < high)
        for customer_id, channel, occurred_at, summary in session.execute(query):
            keys.add((customer_id, channel, _minute(occurred_at), summary.strip()))
    return keys


def _mark_duplicates(session: Session, rows: list[PreviewRow]) -> None:
    stored = _existing_keys(session, rows)
    first: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        if row.status != OK or row.key is None:
            continue
        if row.key in stored:
            row.status, row.duplicate_of, row.args = DUPLICATE, 0, None
        elif row.key in first:
            row.status, row.duplicate_of, row.args = DUPLICATE, first[row.key], None
        else:
            first[row.key] = row.row


def duplicate_note(row: PreviewRow) -> tuple[str, str]:
    """Why a duplicate row is skipped, (zh, en)."""
    if row.duplicate_of:
        return (f"与第 {row.duplicate_of} 行相同，跳过。", f"Same as row {row.duplicate_of}; skipped.")
    return ("已记录过相同的触点，跳过。", "This touchpoint is already logged; skipped.")


# ---- The import

def import_rows(store: Store, user_id: str, preview: Preview, progress: ProgressLike | None = None, *,
                language: str = "en", chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Log the preview's ok rows as ``user_id``, one transaction per chunk.

    Before each chunk the rows are checked against the database again (something may have been
    logged since the preview) and progress is reported; a cancel stops there, keeping what was
    committed. A row the mutation refuses is reported and the rest of its chunk is logged.
    """
    rows = preview.importable
    result = ImportResult(duplicates=preview.count(DUPLICATE), errors=preview.count(ERROR))
    total = len(rows)
    chinese = language.lower().startswith("zh")
    done = 0
    for start in range(0, total, chunk_rows):
        what = f"已导入 {result.imported} / {total} 行" if chinese else f"{result.imported} of {total} rows imported"
        if progress is not None and not progress.set(done / total if total else 0.0, what):
            result.cancelled = True
            break
        chunk = rows[start:start + chunk_rows]
        done += len(chunk)
        with store.read() as session:
            stored = _existing_keys(session, chunk)
        pending = []
        for row in chunk:
            if row.key in stored:
                row.status, row.duplicate_of, row.args = DUPLICATE, 0, None
                result.late_duplicates.append(row.row)
                result.duplicates += 1
            else:
                pending.append(row)
        try:
            _log_chunk(store, user_id, pending, result, preview.headers)
        except Exception as exc:  # noqa: BLE001 - returned with the counts: what was committed is kept and said
            result.failure = exc
            done -= len(chunk)
            break
    result.not_attempted = total - done
    if progress is not None and not result.cancelled and result.failure is None:
        progress.set(1.0, f"已导入 {result.imported} 行" if chinese else f"{result.imported} rows imported")
    return result


def _log_chunk(store: Store, user_id: str, pending: list[PreviewRow], result: ImportResult,
               headers: dict[str, str]) -> None:
    chunk = csv_import.run_chunk(store, user_id, [(MUTATION, dict(r.args or {})) for r in pending])
    for index, exc in chunk.refused:
        bad = pending[index]
        # A refusal by permission is about the row's customer.
        field_name = exc.field or ("customer_id" if exc.code == "forbidden" else "")
        column = headers.get(_FIELD_COLUMN.get(field_name, ""), "")
        bad.status, bad.args = ERROR, None
        bad.problems.append(RowProblem(bad.row, column, exc.message_zh, exc.message_en))
        result.refused.append(bad.problems[-1])
        result.errors += 1
    result.imported += len(chunk.committed)
    for index in chunk.committed:
        pending[index].status = IMPORTED
        result.imported_rows.append(pending[index].row)
    if chunk.last_outcome is not None:
        result.last_outcome = chunk.last_outcome
