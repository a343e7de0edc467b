"""What the visit screens show, read on the database thread: one visit with its evidence and the
checklist of its capture rule, a user's unfinished drafts, and the capture rules with who changed them.

The checklist is the rule turned into items (one per required photo label, the recording, the photo
time window, the file size limit, no reused photo, the notes), each marked met or not from the very
violations :func:`desktop.mutations.visits.check` finds, so the screen and ``visit.submit`` never
disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import capture_rules, errors, evidence_files
from desktop.blobs import BlobStore
from desktop.errors import Label
from desktop.models import Attachment, CaptureRule, Customer, Touchpoint, User
from desktop.mutations.visits import check, rules
from desktop.permissions import can_see_customer

VISIT = Label("拜访", "Visit")

# Which violation codes mean which checklist item is not met.
_CODES = {
    "audio": ("missing_audio", "audio_too_short"),
    "photo_window": ("photo_outside_window", "photo_time_unknown"),
    "max_file": ("file_too_large",),
    "no_reuse": ("photo_reused",),
}


@dataclass(frozen=True)
class AttachmentView:
    id: str
    kind: str  # "photo" or "audio"
    label: str
    filename: str
    sha256: str
    size: int
    mime: str
    duration_s: float | None
    taken_at: datetime | None
    condition: str = "ok"  # desktop.evidence_files: ok, damaged, or absent (not on this computer yet)

    @property
    def damaged(self) -> bool:
        return self.condition == "damaged"


@dataclass(frozen=True)
class Requirement:
    """One item of the checklist. ``kind``: photo (value: its label), audio (seconds), photo_window
    (hours), max_file (MB), no_reuse, notes. ``have`` is what the visit has, where a number says it
    (the longest recording's seconds)."""

    kind: str
    value: Any
    met: bool
    have: Any = None


@dataclass(frozen=True)
class VisitView:
    id: str
    customer_id: str
    customer_name: str
    user_id: str
    status: str  # "draft" or "submitted"
    editable: bool  # the viewer's own draft
    visit_type: str
    check_in_at: datetime | None
    location: str
    contact_id: str | None
    with_whom: str
    summary: str
    reaction: str
    reaction_note: str
    next_step: str
    next_step_due: datetime | None
    amends_id: str | None
    rule_id: str | None
    rule_version: int | None
    attachments: tuple[AttachmentView, ...]
    requirements: tuple[Requirement, ...]
    violations: tuple[capture_rules.Violation, ...]

    @property
    def ready(self) -> bool:
        """Every requirement is met: submitting should succeed."""
        return all(r.met for r in self.requirements)


@dataclass(frozen=True)
class DraftRow:
    id: str
    customer_id: str
    customer_name: str
    visit_type: str
    check_in_at: datetime | None
    updated_at: datetime
    attachments: int
    summary: str


@dataclass(frozen=True)
class RuleRow:
    """A capture rule as the rules page lists it; ``stored`` is False for the built-in default."""

    id: str
    scope: str
    scope_value: str
    required_labels: tuple[str, ...]
    min_audio_s: float | None
    photo_window_h: float | None
    max_file_mb: float | None
    no_photo_reuse: bool
    active: bool
    version: int
    updated_by: str
    updated_at: datetime | None
    stored: bool = True


def checklist(rule: capture_rules.Rule, violations: list[capture_rules.Violation], summary: str,
              evidence: list[AttachmentView]) -> list[Requirement]:
    """The rule's requirements, each marked met or not by the violations found."""
    codes = {v.code for v in violations}
    missing = {v.detail.get("label") for v in violations if v.code == "missing_photo"}
    items = [Requirement("photo", label, label not in missing) for label in rule.required_labels]
    if rule.min_audio_s:
        longest = max((a.duration_s or 0.0 for a in evidence if a.kind == "audio"), default=None)
        items.append(Requirement("audio", rule.min_audio_s, not codes & set(_CODES["audio"]), longest))
    if rule.photo_window_h is not None:
        items.append(Requirement("photo_window", rule.photo_window_h, not codes & set(_CODES["photo_window"])))
    if rule.max_file_mb:
        items.append(Requirement("max_file", rule.max_file_mb, not codes & set(_CODES["max_file"])))
    if rule.no_photo_reuse:
        items.append(Requirement("no_reuse", None, not codes & set(_CODES["no_reuse"])))
    items.append(Requirement("notes", None, bool(summary.strip())))  # visit.submit asks for the notes too
    return items


def load_visit(session: Session, user_id: str, visit_id: str, blobs: BlobStore | None = None) -> VisitView:
    """A visit the user may see (their own drafts; submitted visits of customers they see); with
    ``blobs``, each attachment says whether its file here is whole (desktop.evidence_files.condition)."""
    visit = session.scalars(select(Touchpoint).where(Touchpoint.id == visit_id)).first()
    viewer = session.get(User, user_id)
    if visit is None or visit.channel != "visit" or viewer is None:
        raise errors.not_found("id", VISIT, visit_id)
    customer = session.scalars(select(Customer).where(Customer.id == visit.customer_id)).one()
    if visit.status != "submitted" and visit.user_id != user_id:
        raise errors.not_found("id", VISIT, visit_id)  # a draft is its author's alone
    if visit.user_id != user_id and not can_see_customer(session, viewer, customer):
        raise errors.forbidden("查看此拜访", "see this visit")
    rows = session.scalars(select(Attachment).where(Attachment.touchpoint_id == visit.id)
                           .order_by(Attachment.created_at, Attachment.id))
    evidence = [AttachmentView(a.id, a.kind, a.label, a.filename, a.sha256, a.size, a.mime, a.duration_s, a.taken_at,
                               evidence_files.condition(blobs, a.sha256) if blobs is not None else "ok")
                for a in rows]
    editable = visit.status == "draft" and visit.user_id == user_id
    requirements: list[Requirement] = []
    violations: list[capture_rules.Violation] = []
    if editable:
        rule, violations = check(session, visit)
        requirements = checklist(rule, violations, visit.summary or "", evidence)
    return VisitView(
        id=visit.id, customer_id=customer.id, customer_name=customer.name, user_id=visit.user_id,
        status=visit.status, editable=editable, visit_type=visit.visit_type or "routine",
        check_in_at=visit.check_in_at or visit.occurred_at, location=visit.location or "",
        contact_id=visit.contact_id, with_whom=visit.with_whom or "", summary=visit.summary or "",
        reaction=visit.reaction or "unknown", reaction_note=visit.reaction_note or "",
        next_step=visit.next_step or "", next_step_due=visit.next_step_due, amends_id=visit.amends_id,
        rule_id=visit.rule_id, rule_version=visit.rule_version, attachments=tuple(evidence),
        requirements=tuple(requirements), violations=tuple(violations))


def attached(session: Session, visit_id: str, sha256: str) -> bool:
    """Whether the visit already has an attachment of this file."""
    return session.scalars(select(Attachment.id).where(Attachment.touchpoint_id == visit_id,
                                                       Attachment.sha256 == sha256)).first() is not None


def suggested_label(session: Session, visit_id: str) -> str:
    """The label a newly added photo most likely has: the first required one the draft still lacks."""
    visit = session.scalars(select(Touchpoint).where(Touchpoint.id == visit_id)).first()
    if visit is None:
        return "other"
    rule, violations = check(session, visit)
    missing = [v.detail.get("label") for v in violations if v.code == "missing_photo"]
    return next((label for label in rule.required_labels if label in missing), "other")


def drafts(session: Session, user_id: str) -> list[DraftRow]:
    """The user's unfinished visits, the most recently changed first."""
    counts = (select(Attachment.touchpoint_id, func.count().label("n"))
              .group_by(Attachment.touchpoint_id).subquery())
    query = (select(Touchpoint, Customer.name, counts.c.n)
             .join(Customer, Customer.id == Touchpoint.customer_id)
             .outerjoin(counts, counts.c.touchpoint_id == Touchpoint.id)
             .where(Touchpoint.user_id == user_id, Touchpoint.channel == "visit", Touchpoint.status == "draft")
             .order_by(Touchpoint.updated_at.desc()))
    return [DraftRow(t.id, t.customer_id, name, t.visit_type or "routine", t.check_in_at, t.updated_at, n or 0,
                     t.summary or "")
            for t, name, n in session.execute(query)]


def rule_rows(session: Session) -> list[RuleRow]:
    """Every capture rule, the default first (the built-in one when none is stored), then visit types,
    then segments."""
    names = {row.id: row.display_name for row in session.execute(select(User.id, User.display_name))}
    stored = [RuleRow(r.id, r.scope, r.scope_value, tuple(r.required_labels), r.min_audio_s, r.photo_window_h,
                      r.max_file_mb, r.no_photo_reuse, r.active, r.version, names.get(r.updated_by, ""),
                      r.updated_at)
              for r in session.scalars(select(CaptureRule))]
    if not any(r.scope == "default" for r in stored):
        d = capture_rules.Rule()
        stored.append(RuleRow("", "default", "", d.required_labels, d.min_audio_s, d.photo_window_h, d.max_file_mb,
                              d.no_photo_reuse, True, 0, "", None, stored=False))
    order = {scope: n for n, scope in enumerate(capture_rules.SCOPES)}
    return sorted(stored, key=lambda r: (order.get(r.scope, 9), r.scope_value))


def applicable_rule(session: Session, visit_type: str, customer_id: str) -> capture_rules.Rule:
    """The rule a visit of this type for this customer would be checked against."""
    customer = session.scalars(select(Customer).where(Customer.id == customer_id)).one()
    return capture_rules.choose(rules(session), visit_type, customer.segment)


def number_text(value: float | None) -> str:
    """A rule's number as the rule's own messages write it (62, 89.9; never rounded up to a limit)."""
    return "" if value is None else capture_rules._seconds(value)
