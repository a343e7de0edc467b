"""A sync problem in words: its title, each field's label and values as the user knows them.

desktop.problem_views reads the labels and the rows the change's ids name; this turns them into the
user's language, zone and formats with the same helpers the rest of the windows use (ui.labels). No
id, hash or stored code comes out of here: an id becomes what it names, or "not on this computer".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop import timeutil
from desktop.media_audio import AUDIO_TYPES
from desktop.problem_views import REFERENCES, Item, ProblemView, Ref
from ui import labels

_AUDIO_SUFFIXES = frozenset(AUDIO_TYPES.values())
SHORT = 10  # characters of a customer's name kept in a title


def _decision_name(value: str) -> str:
    names = {"approve": QCoreApplication.translate("sync_problems", "Approve"), "reject": QCoreApplication.translate("sync_problems", "Reject")}
    return names.get(value, value)


def _status_name(value: str) -> str:
    return labels.customer_status_name(value)


CHOICES: dict[str, Callable[[str], str]] = {
    "channel": labels.channel_name, "decision_role": labels.decision_role_name, "reaction": labels.reaction_name,
    "segment": labels.segment_name, "status": _status_name, "label": labels.photo_label_name,
    "visit_type": labels.visit_type_name, "currency": labels.currency_name, "role": labels.role_name,
    "decision": _decision_name, "scope": lambda value: labels.rule_scope_name(value),
}


def is_recording(filename: str) -> bool:
    return PurePath(filename).suffix.lower() in _AUDIO_SUFFIXES


def _short(name: str, limit: int = SHORT) -> str:
    return name if len(name) <= limit else name[:limit] + "…"


def as_time(value: Any) -> datetime | None:
    """A time from args (ISO text with a zone) or a stored row (naive UTC text or datetime)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return timeutil.from_text(value)
        except (ValueError, OverflowError):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return None
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def ref_text(ref: Ref | None, refs: dict[str, Ref | None], short: bool = False) -> str:
    """What a referenced row is to a person: a name, a quote number, "Visit 2026-12-04 12:31 · 南京佳美…"."""
    if ref is None:
        return QCoreApplication.translate("sync_problems", "(no longer on this computer)")
    if ref.table == "touchpoints":
        name = _short(ref.name) if short else ref.name
        what = QCoreApplication.translate("sync_problems", "Visit") if ref.channel == "visit" else labels.channel_name(ref.channel)
        return f"{what} {labels.local_time(ref.at)} · {name}".strip(" ·")
    if ref.table == "quotes" and ref.revision > 1:
        return QCoreApplication.translate("sync_problems", "%1 revision %2").replace("%1", ref.name).replace("%2", str(ref.revision))
    if ref.table == "contacts" and ref.parent:
        parent = refs.get(ref.parent)
        return f"{ref.name} · {parent.name}" if parent is not None else ref.name
    if ref.table == "attachments":
        visit = refs.get(ref.parent)
        return f"{ref.name} · {ref_text(visit, refs, short)}"
    return ref.name


def value_text(item: Item, value: Any, refs: dict[str, Ref | None]) -> str:
    """One value of a field as the dialogs show it ("" for none)."""
    if value is None or value == "":
        return ""
    kind = item.kind
    if kind == "id":
        if item.key in REFERENCES and isinstance(value, str):
            return ref_text(refs.get(value), refs)
        return ""
    if kind == "time":
        return labels.local_time(as_time(value))
    if kind == "bool":
        return QCoreApplication.translate("sync_problems", "Yes") if value in (True, 1, "1", "true") else QCoreApplication.translate("sync_problems", "No")
    if kind == "choice":
        return CHOICES.get(item.key, str)(str(value))
    if kind == "choices" and isinstance(value, list):
        return "、".join(labels.photo_label_name(str(v)) for v in value)
    if kind == "objects" and isinstance(value, list):
        return QCoreApplication.translate("sync_problems", "Items: %1").replace("%1", str(len(value)))
    if kind in ("money", "decimal"):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        if item.key.endswith("_pct"):
            return labels.percent_text(amount) + "%"
        if kind == "money" or item.key == "unit_price":
            return labels.money_text(amount)
        return f"{amount.normalize():f}"
    if kind == "number" and isinstance(value, float):
        return f"{value:g}"
    return str(value)


def field_label(item: Item, language: str) -> str:
    return item.label.zh if language.lower().startswith("zh") else item.label.en


def shown_items(view: ProblemView) -> list[Item]:
    """The fields worth a row: a recording has no photo label."""
    args = view.problem.args or {}
    recording = view.problem.mutation == "attachment.add" and is_recording(str(args.get("filename") or ""))
    return [item for item in view.items if not (recording and item.key == "label")]


def title(view: ProblemView) -> str:
    """What the change was about, in words: "Add recording visit95.amr to Visit 2026-12-04 12:31 · 南京佳美…"."""
    problem = view.problem
    name, args, refs = problem.mutation, dict(problem.args or {}), view.refs
    own = refs.get(args["id"]) if isinstance(args.get("id"), str) and args["id"] in refs else None

    def ref(key: str) -> Ref | None:
        value = args.get(key)
        return refs.get(value) if isinstance(value, str) else None

    if name == "attachment.add":
        filename = str(args.get("filename") or "")
        if is_recording(filename):
            text = QCoreApplication.translate("sync_problems", "Add recording %1 to %2")
        else:
            text = QCoreApplication.translate("sync_problems", "Add photo %1 to %2")
        return text.replace("%1", filename).replace("%2", ref_text(ref("touchpoint_id"), refs, short=True))
    subject = ""
    if name.startswith("customer."):  # by the name known here; a refused rename is in the table
        subject = own.name if own is not None else str(args.get("name") or "")
    elif name.startswith("contact."):
        subject = own.name if own is not None else str(args.get("name") or "")
        customer = ref("customer_id") or (refs.get(own.parent) if own and own.parent else None)
        if customer is not None:
            subject = f"{subject} · {customer.name}" if subject else customer.name
    elif name == "touchpoint.log":
        customer = ref("customer_id")
        when = labels.local_time(as_time(args.get("occurred_at")))
        subject = " · ".join(p for p in (labels.channel_name(str(args.get("channel") or "")), when,
                                          customer.name if customer else "") if p)
    elif name.startswith(("visit.", "follow_up.", "attachment.")):
        if own is not None:
            subject = ref_text(own, refs, short=True)
        elif name == "visit.save" and ref("customer_id") is not None:
            customer = ref("customer_id")
            when = labels.local_time(as_time(args.get("check_in_at")))
            visit = QCoreApplication.translate("sync_problems", "Visit")
            subject = f"{visit} {when} · {_short(customer.name if customer else '')}"
    elif name.startswith("quote.") or name == "approval.decide":
        quote = own or ref("quote_id") or ref("source_id")
        subject = quote.name if quote is not None else str(args.get("number") or "")
    elif name.startswith(("user.", "product.")):
        subject = str(args.get("display_name") or args.get("name") or (own.name if own else ""))
    heading = labels.mutation_title(name)
    return QCoreApplication.translate("sync_problems", "%1: %2").replace("%1", heading).replace("%2", subject) if subject else heading
