"""The local store's tables, as typed SQLAlchemy 2 models.

Conventions:
- ``id`` is a UUIDv7 string made on the device; it is what other tables and the server refer to.
- Tables that are full-text searched also have ``rid``, an INTEGER PRIMARY KEY, because the search
  index is keyed by an integer rowid that must survive VACUUM (an implicit rowid would not).
- ``version`` counts the changes made to a row; each change is one outbox entry (see mutations).
- Times are aware datetimes stored as UTC text; money is Decimal stored as text.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop.types import DecimalText, Money, UTCDateTime

ROLES = ("field_rep", "key_account_director", "channel_manager", "sales_manager", "finance",
         "finance_director", "service_engineer", "admin")
CHANNELS = ("visit", "call", "wechat", "email", "file_sent", "meeting")
DECISION_ROLES = ("decision_maker", "technical", "purchasing", "user", "influencer")
REACTIONS = ("positive", "neutral", "negative", "unknown")
SEGMENTS = ("key_account", "standard", "channel", "prospect")
CUSTOMER_STATUSES = ("active", "dormant", "lost")
TOUCHPOINT_STATUSES = ("draft", "submitted")
ATTACHMENT_KINDS = ("photo", "audio", "document")
RULE_SCOPES = ("default", "visit_type", "segment")
OUTBOX_STATUSES = ("pending", "applied", "rejected")
PROBLEM_SOURCES = ("rejected", "replay", "overwritten")
CURRENCIES = ("CNY", "USD")
QUOTE_STATUSES = ("draft", "awaiting_approval", "approved", "rejected", "sent", "superseded")
DECISIONS = ("approve", "reject")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    # float spelled out: SQLAlchemy 2.1 maps it to Double, the migrations (and 2.0) to Float.
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money(), dict[str, Any]: JSON(), float: Float()}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_users_role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    territory: Mapped[str] = mapped_column(String(64), default="")
    team: Mapped[str] = mapped_column(String(64), default="")
    manager_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)
    # Derived from display_name by the mutations (desktop.sort_keys.person_key): lists sort by it.
    name_sort: Mapped[str] = mapped_column(Text, default="", server_default="")


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(_in("segment", SEGMENTS), name="ck_customers_segment"),
        CheckConstraint(_in("status", CUSTOMER_STATUSES), name="ck_customers_status"),
        Index("ix_customers_owner", "owner_id"),
        Index("ix_customers_name", "name"),
        Index("ix_customers_region_city", "region", "city"),
        Index("ix_customers_name_sort", "name_sort"),
        Index("ix_customers_name_key", "name_key"),
        Index("ix_customers_phone_digits", "phone_digits"),
    )

    rid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(50), default="")
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    region: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    industry: Mapped[str] = mapped_column(String(64), default="")
    segment: Mapped[str] = mapped_column(String(16), default="standard")
    status: Mapped[str] = mapped_column(String(16), default="active")
    phone: Mapped[str] = mapped_column(String(40), default="")
    credit_limit: Mapped[Decimal | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    # Derived by the mutations (desktop.text_rules, desktop.sort_keys), on the device and the server alike:
    # the pinyin sort key, the name as the duplicate check compares it, the phone's digits for search.
    name_sort: Mapped[str] = mapped_column(Text, default="", server_default="")
    name_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone_digits: Mapped[str] = mapped_column(Text, default="", server_default="")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(_in("decision_role", DECISION_ROLES), name="ck_contacts_decision_role"),
        Index("ix_contacts_customer", "customer_id"),
        Index("ix_contacts_phone_digits", "phone_digits"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")
    decision_role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(40), default="")
    wechat: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    last_reached_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    # Derived by the mutations, as on Customer.
    name_sort: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone_digits: Mapped[str] = mapped_column(Text, default="", server_default="")


class Touchpoint(Base):
    """One step of the process trail: who reached whom, how, when, what was said and how it landed."""

    __tablename__ = "touchpoints"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="ck_touchpoints_channel"),
        CheckConstraint(_in("reaction", REACTIONS), name="ck_touchpoints_reaction"),
        CheckConstraint(_in("status", TOUCHPOINT_STATUSES), name="ck_touchpoints_status"),
        Index("ix_touchpoints_customer_time", "customer_id", "occurred_at"),
        Index("ix_touchpoints_user_time", "user_id", "occurred_at"),
        Index("ix_touchpoints_channel_time", "channel", "occurred_at"),
        Index("ix_touchpoints_follow_up", "follow_up_owner_id", "follow_up", "next_step_due"),
    )

    rid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    with_whom: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    reaction: Mapped[str] = mapped_column(String(16), default="unknown")
    reaction_note: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    next_step_due: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)
    # Visits (channel "visit"; desktop.mutations.visits): what kind of visit, when and where the rep
    # checked in, the visit it corrects, and the capture rule (id, version) it was checked against at
    # submission - rule_passed is null for touchpoints no rule checked (other channels, imports).
    visit_type: Mapped[str] = mapped_column(String(16), default="", server_default="")
    check_in_at: Mapped[datetime | None]
    location: Mapped[str] = mapped_column(String(200), default="", server_default="")
    gps_lat: Mapped[float | None]
    gps_lon: Mapped[float | None]
    amends_id: Mapped[str | None] = mapped_column(ForeignKey("touchpoints.id"))
    rule_id: Mapped[str | None] = mapped_column(String(36))
    rule_version: Mapped[int | None]
    rule_passed: Mapped[bool | None]
    # The follow-up a dated next step asks for (desktop.mutations.follow_ups): "open" until its owner
    # closes it ("done"), "" when the touchpoint set none. Postponing moves next_step_due; handing
    # over changes the owner. done_in is the touchpoint that did it, when the owner named one.
    follow_up: Mapped[str] = mapped_column(String(8), default="", server_default="")
    follow_up_owner_id: Mapped[str | None] = mapped_column(String(36))
    follow_up_closed_at: Mapped[datetime | None]
    follow_up_closed_by: Mapped[str | None] = mapped_column(String(36))
    follow_up_done_in: Mapped[str | None] = mapped_column(String(36))


class CaptureRule(Base):
    """What evidence a visit needs (desktop.capture_rules), set by a sales manager, synced to every desktop.

    One row per scope: the default, a visit type, or a customer segment. ``version`` counts its edits;
    a visit records the (id, version) it was checked against.
    """

    __tablename__ = "capture_rules"
    __table_args__ = (
        CheckConstraint(_in("scope", RULE_SCOPES), name="ck_capture_rules_scope"),
        UniqueConstraint("scope", "scope_value", name="uq_capture_rules_scope"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str] = mapped_column(String(32), default="")
    required_labels: Mapped[list[str]] = mapped_column(JSON)
    min_audio_s: Mapped[float | None]
    photo_window_h: Mapped[float | None]
    max_file_mb: Mapped[float | None]
    no_photo_reuse: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class Attachment(Base):
    """Metadata of a content-addressed file (photo, audio, document) kept under the data folder."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("kind", ATTACHMENT_KINDS), name="ck_attachments_kind"),
        Index("ix_attachments_touchpoint", "touchpoint_id"),
        Index("ix_attachments_sha256", "sha256"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    touchpoint_id: Mapped[str] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(32), default="")
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(String(100))
    duration_s: Mapped[float | None]
    taken_at: Mapped[datetime | None]
    gps_lat: Mapped[float | None]
    gps_lon: Mapped[float | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class Product(Base):
    """Something quoted: a unit and a list price in CNY or USD. Synced to every desktop."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint(_in("currency", CURRENCIES), name="ck_products_currency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    list_price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class ExchangeRate(Base):
    """A cached exchange rate: how many units of the quote currency one unit of the base is worth
    (``USD/CNY`` 7.1234), for a date, from a named source. Synced to every desktop."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("pair", "rate_date", "source", name="uq_exchange_rates_pair_date_source"),
        Index("ix_exchange_rates_pair_date", "pair", "rate_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pair: Mapped[str] = mapped_column(String(7))
    rate: Mapped[Decimal] = mapped_column(DecimalText())
    rate_date: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, the date the source gives the rate for
    source: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class ApprovalPolicy(Base):
    """Which approvals a quote needs: ordered rules as data (desktop.approval_policy), set by the
    finance director. One row per named policy; ``version`` counts its edits and a submitted quote
    records the (id, version) it was checked against. Synced to every desktop."""

    __tablename__ = "approval_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class Quote(Base):
    """One version (``revision``) of a quote. Totals are stored only as desktop.quote_math computes them
    from the lines, every time a line or a term that feeds them changes.

    ``version`` counts changes to the row (as on every table); ``revision`` is the quote's version as
    the customer sees it: revising makes a new row with the same number and the next revision, and the
    old row becomes ``superseded``. ``approval_round`` counts submissions: only approvals of the current
    round count.
    """

    __tablename__ = "quotes"
    __table_args__ = (
        CheckConstraint(_in("currency", CURRENCIES), name="ck_quotes_currency"),
        CheckConstraint(_in("status", QUOTE_STATUSES), name="ck_quotes_status"),
        UniqueConstraint("number", "revision", name="uq_quotes_number_revision"),
        Index("ix_quotes_customer", "customer_id"),
        Index("ix_quotes_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("quotes.id"))
    copied_from_id: Mapped[str | None] = mapped_column(String(36))  # may be another customer's: no reference
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    currency: Mapped[str] = mapped_column(String(3))
    vat_pct: Mapped[Decimal] = mapped_column(DecimalText())
    discount_pct: Mapped[Decimal] = mapped_column(DecimalText())  # the overall discount
    valid_until: Mapped[str | None] = mapped_column(String(10))
    terms: Mapped[str] = mapped_column(Text, default="")
    drawing_version: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    locked_rate: Mapped[Decimal | None] = mapped_column(DecimalText())
    locked_rate_date: Mapped[str | None] = mapped_column(String(10))
    locked_rate_source: Mapped[str | None] = mapped_column(String(64))
    policy_id: Mapped[str | None] = mapped_column(String(36))
    policy_version: Mapped[int | None]
    approval_round: Mapped[int] = mapped_column(default=0)
    required: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # approvals required at submission, with reasons
    gross_amount: Mapped[Decimal] = mapped_column(server_default="0.00")  # before any discount
    subtotal: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    net_amount: Mapped[Decimal]
    vat_amount: Mapped[Decimal]
    total: Mapped[Decimal]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class QuoteLine(Base):
    """A line of a quote, priced in the quote's currency; ``net`` is stored only as computed."""

    __tablename__ = "quote_lines"
    __table_args__ = (Index("ix_quote_lines_quote", "quote_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(16), default="")
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    unit_price: Mapped[Decimal] = mapped_column(DecimalText())  # up to 4 places: 0.0125 per screw
    discount_pct: Mapped[Decimal] = mapped_column(DecimalText())
    net: Mapped[Decimal]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class Approval(Base):
    """One decision on one submission of a quote: who (and in which role), which rules it answers,
    approve or reject, why, and the quote's row version it was made on. Never changed afterwards."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(_in("decision", DECISIONS), name="ck_approvals_decision"),
        Index("ix_approvals_quote", "quote_id", "round"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    quote_version: Mapped[int]
    round: Mapped[int]
    approver_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    rules: Mapped[list[str]] = mapped_column(JSON)
    # Everything the round required at this decision (what fired before and what the policy and rate
    # required then), with reasons: a requirement stays in force for the rest of the round.
    required: Mapped[list[dict[str, Any]]] = mapped_column(JSON, server_default="[]")
    decision: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class DeviceState(Base):
    """This installation's identity and the next outbox sequence number (a single row)."""

    __tablename__ = "device_state"
    __table_args__ = (CheckConstraint("singleton = 1", name="ck_device_state_singleton"),)

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    device_id: Mapped[str] = mapped_column(String(36))
    device_code: Mapped[str] = mapped_column(String(16))
    next_seq: Mapped[int] = mapped_column(default=1)
    next_quote_seq: Mapped[int] = mapped_column(default=1, server_default=text("1"))  # desktop.quotes.number
    created_at: Mapped[datetime]


class OutboxEntry(Base):
    """A mutation made on this device, durable from the moment it was made, waiting to be sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="ck_outbox_status"),
        Index("ix_outbox_status", "status", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    device_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]]
    base_version: Mapped[int | None]
    schema_version: Mapped[str] = mapped_column(String(32))
    client_time: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(String(36))
    changes: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    result: Mapped[dict[str, Any] | None]


class AuditEntry(Base):
    """Append-only, hash-chained record of who did what and when. See desktop.audit."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SyncState(Base):
    """Where this device stands with the server (a single row, made by the migration). See desktop.remote.

    The device token is not here: it lives in the OS keyring or a private file (sync.token_store).
    """

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("singleton = 1", name="ck_sync_state_singleton"),)

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    server_url: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[str | None] = mapped_column(String(36))  # who signed this device in
    cursor: Mapped[int] = mapped_column(default=0, server_default=text("0"))  # last change-log seq applied
    last_success_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[dict[str, Any] | None]  # {code, message_zh, message_en, at}
    server_time_offset_s: Mapped[float | None]  # server clock minus ours, shown when large, never used to order
    # The organisation's limit on offline sign-in since last_success_at, when the server sends one (0012);
    # otherwise the app's own setting applies (desktop.auth.offline_limit).
    offline_days: Mapped[int | None]
    # Which change log the cursor was read from (migration 0010, desktop.reread): the server's id, the
    # epoch of its log, and a mark of the entry the cursor stands on; sent with every pull.
    server_id: Mapped[str | None] = mapped_column(String(36))
    epoch: Mapped[int | None]
    cursor_mark: Mapped[str | None] = mapped_column(String(32))
    # Why this device last read its whole scope again (desktop.reread): {code, reason, message_zh,
    # message_en, detail_zh, detail_en, at, done_at, removed}; None once the user dismissed it.
    reset_notice: Mapped[dict[str, Any] | None]


class SyncProblem(Base):
    """A local change the server refused, or that no longer applies on top of the server's rows.

    Keeps the user's version (the mutation's args) beside the server's version of the row, so nothing
    the user entered is lost and the two can be shown side by side. Open while ``resolved_at`` is null.
    """

    __tablename__ = "sync_problems"
    __table_args__ = (
        CheckConstraint(_in("source", PROBLEM_SOURCES), name="ck_sync_problems_source"),
        Index("ix_sync_problems_open", "resolved_at", "outbox_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_seq: Mapped[int] = mapped_column(ForeignKey("outbox.seq"))
    mutation: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]]
    entity: Mapped[str] = mapped_column(String(32), default="")  # table of the row the change is about
    entity_id: Mapped[str] = mapped_column(String(36), default="")
    server_row: Mapped[dict[str, Any] | None]
    # rejected: by the server; replay: failed here; overwritten: applied, then replaced by someone's edit
    # made without seeing it (args: the user's overwritten values, server_row: the row as it is now)
    source: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class SyncedRow(Base):
    """The version at which the server last sent a row, when that is not 1; null once it said forget.

    What lets desktop.integrity account for rows whose versions were counted on the server (see there).
    """

    __tablename__ = "sync_rows"
    __table_args__ = {"sqlite_with_rowid": False}

    table_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int | None]


class FieldChange(Base):
    """One field of a customer or contact changed by an applied update, as the server recorded it: who,
    when (the server's receipt time beside the device's), old and new value. Made by the server only
    (sync.server.history) and sent to the devices that may see the customer; never written here by a
    mutation. ``field`` is null for the row's creation.

    An overwrite is a change whose old value someone else had written after the version this change
    was made on (``base_version``), unseen by its author: ``overwrote_user_id`` lost their value (the
    old value) and ``overwrote_mutation_id`` names their change, so their device can tell it is theirs.
    """

    __tablename__ = "field_changes"
    __table_args__ = (
        Index("ix_field_changes_customer", "customer_id", "changed_at"),
        Index("ix_field_changes_field", "table_name", "row_id", "field", "row_version"),
        Index("ix_field_changes_device", "table_name", "row_id", "device_id", "row_version"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(String(32))  # customers | contacts
    row_id: Mapped[str] = mapped_column(String(36))
    row_version: Mapped[int]  # the row's version this change made
    base_version: Mapped[int | None]  # the version its author's device had when the change was made
    # The server's version its author had really seen: base_version, less the device's own changes of
    # the row it was numbered on top of (sync.server.history)
    seen_version: Mapped[int | None]
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[str] = mapped_column(String(36))
    changed_at: Mapped[datetime]  # the server's clock when it received the change: what orders them
    client_time: Mapped[datetime]  # the device's time of the change, within the plausible window
    overwrote_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    overwrote_mutation_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(default=1)  # never changes: a record


class RereadRow(Base):
    """While the device reads its whole scope again (desktop.reread), a row it held before that the
    server has not sent since; those left when the re-read ends are rows the server no longer has."""

    __tablename__ = "sync_reread"
    __table_args__ = {"sqlite_with_rowid": False}

    table_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class SyncBulk(Base):
    """A first pull under way (desktop.bulk_pull): one row while the server's snapshot is being loaded.

    ``dropped`` keeps the SQL of the secondary indexes set aside for the load, so that they
    are made again exactly as they were - at the end, or after a crash, when the store is next opened.
    """

    __tablename__ = "sync_bulk"
    __table_args__ = (CheckConstraint("singleton = 1", name="ck_sync_bulk_singleton"),)

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    token: Mapped[str | None] = mapped_column(String(200))  # the last frame written: where to continue
    head: Mapped[int]  # the change-log head of the server's first snapshot: the cursor at the end
    total: Mapped[int]  # rows to load, as the server counted them
    loaded: Mapped[int]  # rows loaded so far
    started_at: Mapped[datetime]
    dropped: Mapped[list[str]] = mapped_column(JSON)  # CREATE INDEX statements set aside during the load
    set_aside: Mapped[bool]  # whether they are set aside now (false once made again after a stop)
    resumed: Mapped[bool]  # read from more than one answer (snapshot): rows may dangle until the end


# Tables whose rows are business data: every change to them goes through a mutation
# (or, for rows the server already holds, through desktop.snapshot).
DATA_TABLES = ("users", "capture_rules", "customers", "contacts", "touchpoints", "attachments", "products",
               "exchange_rates", "approval_policies", "quotes", "quote_lines", "approvals", "field_changes")
