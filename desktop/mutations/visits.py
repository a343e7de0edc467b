"""Visits with evidence: visit.save (a draft), attachment.add/remove, visit.submit, visit.discard.

A visit is a touchpoint of channel "visit". It is a draft until submitted: its author saves it as
often as needed, adds and removes photos and recordings, and submits it once the capture rule for
its visit type or customer segment is met (desktop.capture_rules). A submitted visit never changes;
a correction is a new visit that names the one it amends.

Attachments name a file already in the session's blob store (the desktop's
attachments folder, the server's uploads; desktop.blobs.SESSION_KEY) by its SHA-256. The mutation reads the file itself - its
type from its content, a photo's EXIF time and place, a recording's duration - so the server,
re-running it on the uploaded file, measures it with the same code and cannot be told otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import capture_rules, errors, media
from desktop.blobs import SESSION_KEY, BlobStore, is_sha256
from desktop.errors import DomainError, Label
from desktop.models import REACTIONS, Attachment, CaptureRule, Touchpoint
from desktop.mutations.common import by_id, ensure_new, get_customer, inserted, updated
from desktop.mutations.contacts import get_contact
from desktop.mutations.fields import Field
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.mutations.touchpoints import FUTURE_SLACK
from desktop.permissions import can_log_touchpoint

VISIT = Label("拜访", "Visit")
ATTACHMENT = Label("附件", "Attachment")
MAX_FILE_BYTES = 500 * 1024 * 1024  # beyond any rule: a file this large is a mistake

DETAILS = {
    "visit_type": Field(Label("拜访类型", "Visit type"), "choice", choices=capture_rules.VISIT_TYPES),
    "check_in_at": Field(Label("签到时间", "Check-in time"), "time", required=True),
    "location": Field(Label("地点", "Location"), max_len=200),
    "gps_lat": Field(Label("纬度", "Latitude"), "number", nullable=True, low=-90, high=90),
    "gps_lon": Field(Label("经度", "Longitude"), "number", nullable=True, low=-180, high=180),
    "contact_id": Field(Label("联系人", "Contact"), "id", nullable=True),
    "with_whom": Field(Label("沟通对象", "With whom"), max_len=200),
    "summary": Field(Label("拜访记录", "Notes"), max_len=4000),
    "reaction": Field(Label("客户反应", "Customer's reaction"), "choice", choices=REACTIONS),
    "reaction_note": Field(Label("反应说明", "Reaction details"), max_len=1000),
    "next_step": Field(Label("下一步", "Next step"), max_len=1000),
    "next_step_due": Field(Label("下一步期限", "Next step due"), "time", nullable=True),
}


def blob_store(session: Session) -> BlobStore:
    store = session.info.get(SESSION_KEY)
    if store is None:
        raise RuntimeError("this session has no blob store (desktop.store.Store.writer and the server set one)")
    return store  # type: ignore[no-any-return]


def _draft(session: Session, actor: Actor, visit_id: str, field: str = "id") -> Touchpoint:
    """The actor's own draft visit, or a DomainError saying why not."""
    visit = by_id(session, Touchpoint, visit_id)
    if visit is None or visit.channel != "visit":
        raise errors.not_found(field, VISIT, visit_id)
    if visit.user_id != actor.id:
        raise errors.forbidden("修改别人的拜访记录", "change someone else's visit")
    if visit.status != "draft":
        raise DomainError("visit_submitted", "拜访已提交，不能再修改；如需更正，请新建一条更正记录。",
                          "The visit is submitted and cannot change; record a correction instead.", field)
    return visit


def _touch(changes: Changes, row: Any, at: Any) -> None:
    row.updated_at = at
    row.version += 1
    changes.touch(row.__tablename__, row.id, "update", row.version)


@mutation("visit.save", {"id": Field(Label("编号", "Id"), "id", required=True),
                         "customer_id": Field(Label("客户", "Customer"), "id"),
                         "amends_id": Field(Label("更正的拜访", "Visit corrected"), "id"),
                         **DETAILS}, id_fields=("id",))
def save_visit(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Create the draft (customer_id required), or save it again with the values given."""
    existing = by_id(session, Touchpoint, args["id"])
    if args["check_in_at"] - args["at"] > FUTURE_SLACK:
        raise errors.invalid_value("check_in_at", "签到时间晚于现在，请检查日期和时间。",
                                   "The check-in time is in the future; check the date and time.")
    due = args.get("next_step_due")
    if due is not None and due < args["check_in_at"]:
        raise errors.invalid_value("next_step_due", "下一步期限早于签到时间。", "The next step is due before the check-in.")
    if existing is None:
        return _create(session, actor, args)
    visit = _draft(session, actor, args["id"])
    if args.get("customer_id") not in (None, visit.customer_id) or args.get("amends_id") not in (None, visit.amends_id):
        raise errors.invalid_value("customer_id", "拜访的客户和更正对象在新建后不能更改。",
                                   "A visit's customer and the visit it corrects cannot change once it is created.")
    values = _values(session, visit.customer_id, args)
    values["occurred_at"] = values.get("check_in_at", visit.check_in_at)
    return updated("visit", visit, values, tuple(values), args["at"])


def _create(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    if not args.get("customer_id"):
        raise errors.missing_field("customer_id", Label("客户", "Customer"))
    customer = get_customer(session, args["customer_id"])
    if not can_log_touchpoint(session, actor.user, customer):
        raise errors.forbidden("为此客户记录拜访", "record visits for this customer")
    ensure_new(session, Touchpoint, args["id"], VISIT)
    if args.get("amends_id"):
        original = by_id(session, Touchpoint, args["amends_id"])
        if original is None or original.channel != "visit" or original.customer_id != customer.id:
            raise errors.not_found("amends_id", Label("更正的拜访", "Visit corrected"), args["amends_id"])
        if original.status != "submitted":
            raise errors.invalid_value("amends_id", "只能更正已提交的拜访。", "Only a submitted visit can be corrected.")
    values = {"visit_type": "routine", "location": "", "with_whom": "", "summary": "", "reaction": "unknown",
              "reaction_note": "", "next_step": "", **_values(session, customer.id, args)}
    visit = Touchpoint(id=args["id"], customer_id=customer.id, user_id=actor.id, channel="visit",
                       occurred_at=args["check_in_at"], status="draft", amends_id=args.get("amends_id"),
                       created_at=args["at"], updated_at=args["at"], version=1, **values)
    return inserted(session, "visit", visit)


def _values(session: Session, customer_id: str, args: dict[str, Any]) -> dict[str, Any]:
    values = {name: args[name] for name in DETAILS if name in args}
    if values.get("contact_id"):
        contact = get_contact(session, values["contact_id"], "contact_id")
        if contact.customer_id != customer_id:
            raise errors.invalid_value("contact_id", f"联系人 {contact.name} 不属于这位客户。",
                                       f"{contact.name} is not a contact of this customer.")
        if not values.get("with_whom"):
            values["with_whom"] = contact.name
    for name in ("location", "with_whom", "summary", "reaction_note", "next_step"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


@mutation("visit.discard", {"id": Field(Label("编号", "Id"), "id", required=True)})
def discard_visit(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Throw a draft away, with its attachments (the files stay: other visits may name them)."""
    visit = _draft(session, actor, args["id"])
    changes = Changes("visit", visit.id, base_version=visit.version)
    for attachment in session.scalars(select(Attachment).where(Attachment.touchpoint_id == visit.id)):
        changes.touch("attachments", attachment.id, "delete", attachment.version + 1)
        session.delete(attachment)
    changes.touch("touchpoints", visit.id, "delete", visit.version + 1)
    session.delete(visit)
    return changes


def measure(path: Path, filename: str, size: int) -> media.MediaInfo:
    """What attachment.add reads from a file (`fieldmark evidence inspect` shows the same to support staff)."""
    if size > MAX_FILE_BYTES:
        mb, limit = f"{size / 1024 / 1024:,.0f}", MAX_FILE_BYTES // 1024 // 1024
        raise media.bad_file(filename, f"文件大小 {mb} MB，超过了 {limit} MB 的上限。",
                             f"it is {mb} MB, over the limit of {limit} MB.")
    return media.probe(path, filename)


@mutation("attachment.add", {
    "id": Field(Label("编号", "Id"), "id", required=True),
    "touchpoint_id": Field(VISIT, "id", required=True),
    "sha256": Field(Label("文件", "File"), required=True, max_len=64),
    "filename": Field(Label("文件名", "File name"), required=True, max_len=255),
    "label": Field(Label("照片类别", "Photo label"), "choice", choices=capture_rules.PHOTO_LABELS),
}, id_fields=("id",))
def add_attachment(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    visit = _draft(session, actor, args["touchpoint_id"], "touchpoint_id")
    ensure_new(session, Attachment, args["id"], ATTACHMENT)
    sha = args["sha256"].lower()
    if not is_sha256(sha):
        raise errors.invalid_value("sha256", "文件标识不正确。", "The file reference is not a SHA-256.")
    blobs = blob_store(session)
    if not blobs.has(sha):
        raise DomainError("file_missing", f"文件“{args['filename']}”还没有收到，请重新添加。",
                          f"The file {args['filename']!r} has not been received; add it again.", "attachments")
    info = measure(blobs.path(sha), args["filename"], blobs.size(sha) or 0)
    label = (args.get("label") or "other") if info.kind == "photo" else ""
    if session.scalars(select(Attachment.id).where(Attachment.touchpoint_id == visit.id,
                                                   Attachment.sha256 == sha)).first() is not None:
        raise errors.conflict("attachments", f"“{args['filename']}”已经添加过了。",
                              f"{args['filename']} is already attached to this visit.")
    attachment = Attachment(id=args["id"], touchpoint_id=visit.id, kind=info.kind, label=label,
                            filename=args["filename"], sha256=sha, size=info.size, mime=info.mime,
                            duration_s=info.duration_s, taken_at=info.taken_at, gps_lat=info.gps_lat,
                            gps_lon=info.gps_lon, created_at=args["at"], version=1)
    changes = inserted(session, "attachment", attachment)
    _touch(changes, visit, args["at"])  # the draft changed: its version says so
    return changes


@mutation("attachment.relabel", {"id": Field(ATTACHMENT, "id", required=True),
                                 "label": Field(Label("照片类别", "Photo label"), "choice", required=True,
                                                choices=capture_rules.PHOTO_LABELS)})
def relabel_attachment(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Say what a photo shows (storefront, nameplate, other) while the visit is a draft."""
    attachment = by_id(session, Attachment, args["id"])
    if attachment is None:
        raise errors.not_found("id", ATTACHMENT, args["id"])
    visit = _draft(session, actor, attachment.touchpoint_id, "id")
    if attachment.kind != "photo":
        raise errors.invalid_value("label", "只有照片需要选择类别。", "Only photos have a label.")
    if attachment.label == args["label"]:
        raise DomainError("no_change", "没有需要保存的修改。", "Nothing was changed.")
    changes = Changes("attachment", attachment.id, base_version=attachment.version)
    changes.diff["label"] = [attachment.label, args["label"]]
    attachment.label = args["label"]
    attachment.version += 1  # attachments keep no time of change: the visit's updated_at says when
    changes.touch("attachments", attachment.id, "update", attachment.version)
    _touch(changes, visit, args["at"])
    return changes


@mutation("attachment.remove", {"id": Field(ATTACHMENT, "id", required=True)})
def remove_attachment(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    attachment = by_id(session, Attachment, args["id"])
    if attachment is None:
        raise errors.not_found("id", ATTACHMENT, args["id"])
    visit = _draft(session, actor, attachment.touchpoint_id, "id")
    changes = Changes("attachment", attachment.id, base_version=attachment.version)
    changes.touch("attachments", attachment.id, "delete", attachment.version + 1)
    session.delete(attachment)
    _touch(changes, visit, args["at"])
    return changes


def rules(session: Session) -> list[capture_rules.Rule]:
    """The active capture rules, as the check takes them."""
    return [to_rule(row) for row in session.scalars(select(CaptureRule).where(CaptureRule.active))]


def to_rule(row: CaptureRule) -> capture_rules.Rule:
    return capture_rules.Rule(id=row.id, version=row.version, scope=row.scope, scope_value=row.scope_value,
                              required_labels=tuple(row.required_labels), min_audio_s=row.min_audio_s,
                              photo_window_h=row.photo_window_h, max_file_mb=row.max_file_mb,
                              no_photo_reuse=row.no_photo_reuse)


def check(session: Session, visit: Touchpoint) -> tuple[capture_rules.Rule, list[capture_rules.Violation]]:
    """The rule that applies to a visit and how the visit falls short of it (empty: it may be submitted)."""
    customer = get_customer(session, visit.customer_id)
    rule = capture_rules.choose(rules(session), visit.visit_type, customer.segment)
    attachments = list(session.scalars(select(Attachment).where(Attachment.touchpoint_id == visit.id)))
    evidence = [capture_rules.Evidence(a.id, a.kind, a.label, a.filename, a.size, a.sha256, a.duration_s, a.taken_at)
                for a in attachments]
    photos = [a.sha256 for a in attachments if a.kind == "photo"]
    reused: dict[str, Any] = {}
    if photos and rule.no_photo_reuse:
        earlier = session.execute(
            select(Attachment.sha256, Touchpoint.occurred_at)
            .join(Touchpoint, Touchpoint.id == Attachment.touchpoint_id)
            .where(Attachment.sha256.in_(photos), Attachment.kind == "photo", Touchpoint.id != visit.id,
                   Touchpoint.status == "submitted"))
        for sha, when in earlier:
            reused[sha] = min(reused[sha], when) if reused.get(sha) else when
    return rule, capture_rules.evaluate(rule, visit.check_in_at, evidence, reused)


@mutation("visit.submit", {"id": Field(VISIT, "id", required=True)})
def submit_visit(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Submit a draft that meets its capture rule; each shortfall is listed, and the draft stays as it was."""
    visit = _draft(session, actor, args["id"])
    rule, violations = check(session, visit)
    if not (visit.summary or "").strip():
        violations.insert(0, capture_rules.Violation("missing_summary", "请填写拜访记录。", "Write the visit notes."))
    if violations:
        raise DomainError(
            "evidence_rules", "拜访不能提交：" + "；".join(v.message_zh.rstrip("。") for v in violations) + "。",
            "The visit cannot be submitted: " + " ".join(v.message_en for v in violations), "attachments",
            {"violations": [{"code": v.code, "message_zh": v.message_zh, "message_en": v.message_en,
                             "attachment_id": v.attachment_id} for v in violations],
             "rule_id": rule.id, "rule_version": rule.version})
    changes = Changes("visit", visit.id, base_version=visit.version)
    changes.diff["status"] = ["draft", "submitted"]
    visit.status = "submitted"
    visit.occurred_at = visit.check_in_at or visit.occurred_at
    visit.rule_id, visit.rule_version, visit.rule_passed = rule.id, rule.version, True
    _touch(changes, visit, args["at"])
    return changes
