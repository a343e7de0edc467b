"""Stored choice values and times as users read them: translated names, local and relative times.

The database keeps ``visit``, ``decision_maker``, UTC times; screens show "Visit", "Decision maker"
and the user's local time. The translate calls spell out every source string so that lupdate finds them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtCore import QCoreApplication


def channel_name(channel: str) -> str:
    names = {
        "visit": QCoreApplication.translate("labels", "Visit"),
        "call": QCoreApplication.translate("labels", "Call"),
        "wechat": QCoreApplication.translate("labels", "WeChat"),
        "email": QCoreApplication.translate("labels", "Email"),
        "file_sent": QCoreApplication.translate("labels", "File sent"),
        "meeting": QCoreApplication.translate("labels", "Meeting"),
    }
    return names.get(channel, channel)


def decision_role_name(role: str) -> str:
    names = {
        "decision_maker": QCoreApplication.translate("labels", "Decision maker"),
        "technical": QCoreApplication.translate("labels", "Technical evaluator"),
        "purchasing": QCoreApplication.translate("labels", "Purchasing"),
        "user": QCoreApplication.translate("labels", "User"),
        "influencer": QCoreApplication.translate("labels", "Influencer"),
    }
    return names.get(role, role)


def reaction_name(reaction: str) -> str:
    names = {
        "positive": QCoreApplication.translate("labels", "Positive"),
        "neutral": QCoreApplication.translate("labels", "Neutral"),
        "negative": QCoreApplication.translate("labels", "Negative"),
        "unknown": QCoreApplication.translate("labels", "Unknown"),
    }
    return names.get(reaction, reaction)


def segment_name(segment: str) -> str:
    names = {
        "key_account": QCoreApplication.translate("labels", "Key account"),
        "standard": QCoreApplication.translate("labels", "Standard"),
        "channel": QCoreApplication.translate("labels", "Channel"),
        "prospect": QCoreApplication.translate("labels", "Prospect"),
    }
    return names.get(segment, segment)


def customer_status_name(status: str) -> str:
    names = {
        "active": QCoreApplication.translate("labels", "Active"),
        "dormant": QCoreApplication.translate("labels", "Dormant"),
        "lost": QCoreApplication.translate("labels", "Lost"),
    }
    return names.get(status, status)


def local_time(value: datetime | None) -> str:
    """An aware time in the user's zone, to the minute; "" for None."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else ""


def local_date(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d") if value is not None else ""


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words: "just now", "5 minutes ago", "3 days ago"; a date beyond a month."""
    if value is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    if seconds < 60:  # also a time slightly in the future (clocks disagree)
        return QCoreApplication.translate("labels", "just now")
    minutes = int(seconds // 60)
    if minutes < 60:
        return QCoreApplication.translate("labels", "%n minute(s) ago", "", minutes)
    hours = minutes // 60
    if hours < 24:
        return QCoreApplication.translate("labels", "%n hour(s) ago", "", hours)
    days = hours // 24
    if days < 31:
        return QCoreApplication.translate("labels", "%n day(s) ago", "", days)
    return local_date(value)


def money_text(value: Decimal | None) -> str:
    """An amount with thousands separators and two decimals ("1,250,000.50"), as both zh_CN and en write it."""
    return "" if value is None else f"{value:,.2f}"


def role_name(role: str) -> str:
    """A user's role, as people in the company name it."""
    names = {
        "field_rep": QCoreApplication.translate("roles", "Field rep"),
        "key_account_director": QCoreApplication.translate("roles", "Key-account director"),
        "channel_manager": QCoreApplication.translate("roles", "Channel manager"),
        "sales_manager": QCoreApplication.translate("roles", "Sales manager"),
        "finance": QCoreApplication.translate("roles", "Finance"),
        "finance_director": QCoreApplication.translate("roles", "Finance director"),
        "service_engineer": QCoreApplication.translate("roles", "Service engineer"),
        "admin": QCoreApplication.translate("roles", "Administrator"),
    }
    return names.get(role, role)


def cut_text(shown: int, total: int, more: bool = False) -> str:
    """A list cut at ``shown`` rows of ``total``: "最近 500 条，共 2,456 条" / "Latest 500 of 2,456";
    ``more``: there are more than ``total`` ("共 10,000 多条" / "of more than 10,000")."""
    text = QCoreApplication.translate("labels", "Latest %1 of more than %2") if more else \
        QCoreApplication.translate("labels", "Latest %1 of %2")
    return text.replace("%1", f"{shown:,}").replace("%2", f"{total:,}")


def mutation_title(name: str) -> str:
    """The change in words (every registered mutation has them; a test keeps it so)."""
    names = {
        "customer.create": QCoreApplication.translate("sync_problems", "New customer"),
        "customer.update": QCoreApplication.translate("sync_problems", "Customer changed"),
        "contact.add": QCoreApplication.translate("sync_problems", "New contact"),
        "contact.update": QCoreApplication.translate("sync_problems", "Contact changed"),
        "touchpoint.log": QCoreApplication.translate("sync_problems", "Touchpoint logged"),
        "follow_up.done": QCoreApplication.translate("sync_problems", "Follow-up done"),
        "follow_up.postpone": QCoreApplication.translate("sync_problems", "Follow-up postponed"),
        "follow_up.hand_over": QCoreApplication.translate("sync_problems", "Follow-up handed over"),
        "visit.save": QCoreApplication.translate("sync_problems", "Visit saved"),
        "visit.submit": QCoreApplication.translate("sync_problems", "Visit submitted"),
        "visit.discard": QCoreApplication.translate("sync_problems", "Visit draft discarded"),
        "attachment.add": QCoreApplication.translate("sync_problems", "Photo or recording added"),
        "attachment.relabel": QCoreApplication.translate("sync_problems", "Photo label changed"),
        "attachment.remove": QCoreApplication.translate("sync_problems", "Photo or recording removed"),
        "capture_rule.set": QCoreApplication.translate("sync_problems", "Visit rule changed"),
        "quote.create": QCoreApplication.translate("sync_problems", "New quote"),
        "quote.update": QCoreApplication.translate("sync_problems", "Quote changed"),
        "quote.line_set": QCoreApplication.translate("sync_problems", "Quote line changed"),
        "quote.line_remove": QCoreApplication.translate("sync_problems", "Quote line removed"),
        "quote.submit": QCoreApplication.translate("sync_problems", "Quote submitted"),
        "quote.copy": QCoreApplication.translate("sync_problems", "Quote copied"),
        "quote.revise": QCoreApplication.translate("sync_problems", "Quote revised"),
        "approval.decide": QCoreApplication.translate("sync_problems", "Quote approval decision"),
        "quote.mark_sent": QCoreApplication.translate("sync_problems", "Quote marked as sent"),
        "quote.withdraw": QCoreApplication.translate("sync_problems", "Quote withdrawn"),
        "contact.remove": QCoreApplication.translate("sync_problems", "Contact removed"),
        "product.create": QCoreApplication.translate("sync_problems", "New product"),
        "product.update": QCoreApplication.translate("sync_problems", "Product changed"),
        "user.create": QCoreApplication.translate("sync_problems", "New user"),
        "user.update": QCoreApplication.translate("sync_problems", "User changed"),
        "user.set_password": QCoreApplication.translate("sync_problems", "Password changed"),
        "policy.set": QCoreApplication.translate("sync_problems", "Approval policy changed"),
        "rate.record": QCoreApplication.translate("sync_problems", "Exchange rate recorded"),
    }
    return names.get(name, QCoreApplication.translate("sync_problems", "Other change"))


def visit_type_name(visit_type: str) -> str:
    names = {
        "routine": QCoreApplication.translate("labels", "Routine visit"),
        "first": QCoreApplication.translate("labels", "First visit"),
        "demo": QCoreApplication.translate("labels", "Demonstration"),
        "installation": QCoreApplication.translate("labels", "Installation"),
        "service": QCoreApplication.translate("labels", "Service visit"),
    }
    return names.get(visit_type, visit_type)


def photo_label_name(label: str) -> str:
    """What a photo shows, as the rules ask for it."""
    names = {
        "storefront": QCoreApplication.translate("labels", "Storefront"),
        "nameplate": QCoreApplication.translate("labels", "Equipment nameplate"),
        "other": QCoreApplication.translate("labels", "Other photo"),
    }
    return names.get(label, label)


def rule_scope_name(scope: str, value: str = "") -> str:
    """Which visits a capture rule applies to: "Default", "Visit type: Demonstration", "Segment: Key account"."""
    if scope == "visit_type":
        return QCoreApplication.translate("labels", "Visit type: %1").replace("%1", visit_type_name(value))
    if scope == "segment":
        return QCoreApplication.translate("labels", "Segment: %1").replace("%1", segment_name(value))
    return QCoreApplication.translate("labels", "Default (all visits)")


def duration_text(seconds: float | None) -> str:
    """A recording's length as m:ss ("1:35"); "" when unknown."""
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def size_text(size: int) -> str:
    """A file size in KB or MB, one decimal for MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def rule_result_name(rule_passed: bool | None) -> str:
    """A visit's capture-rule result: passed, not passed, or never checked (older data, imports)."""
    if rule_passed is None:
        return QCoreApplication.translate("labels", "Not checked")
    if rule_passed:
        return QCoreApplication.translate("labels", "Passed")
    return QCoreApplication.translate("labels", "Not passed")


def percent_text(value: Decimal | None) -> str:
    """A percentage to at most three places, so 0.8049% never reads as the 0.80% it exceeds ("0.805")."""
    if value is None:
        return ""
    text = f"{value.quantize(Decimal('0.001'), rounding=ROUND_HALF_UP):f}".rstrip("0").rstrip(".")
    return text or "0"


def quote_status_name(status: str) -> str:
    names = {
        "draft": QCoreApplication.translate("labels", "Draft"),
        "awaiting_approval": QCoreApplication.translate("labels", "Awaiting approval"),
        "approved": QCoreApplication.translate("labels", "Approved"),
        "rejected": QCoreApplication.translate("labels", "Rejected"),
        "sent": QCoreApplication.translate("labels", "Sent"),
        "superseded": QCoreApplication.translate("labels", "Superseded"),
    }
    return names.get(status, status)


def currency_name(currency: str) -> str:
    names = {
        "CNY": QCoreApplication.translate("labels", "CNY"),
        "USD": QCoreApplication.translate("labels", "USD"),
    }
    return names.get(currency, currency)
