"""A rate's staleness in a few words, for a header line or a table cell.

desktop.fx.calendar.RateStatus carries the full sentence ("The rate is the 2026-11-20 central parity;
2 newer publications exist …", shown by the approvals inbox); a line that also shows the rate, its
date and its source needs only the verdict: "current", "2 publications behind", "needs confirmation".
Both languages, like the calendar's own messages, so the words need no Qt.
"""

from __future__ import annotations

from desktop.fx.calendar import AHEAD, BEHIND, CONFIRM_AFTER_DAYS, CURRENT, NEEDS_CONFIRMATION, RateStatus


def _zh(language: str) -> bool:
    return language.lower().startswith("zh")


def short_text(status: RateStatus, language: str) -> str:
    """The verdict on a rate in the user's language: 已是最新 / current, 落后 2 次发布 / 2 publications behind…"""
    zh = _zh(language)
    if status.state == CURRENT:
        text = "已是最新" if zh else "current"
    elif status.state == BEHIND:
        if zh:
            text = f"落后 {status.behind} 次发布"
        else:
            text = "1 publication behind" if status.behind == 1 else f"{status.behind} publications behind"
    elif status.state == NEEDS_CONFIRMATION:
        text = (f"超过 {CONFIRM_AFTER_DAYS} 天，需要确认" if zh
                else f"more than {CONFIRM_AFTER_DAYS} days old, needs confirmation")
    elif status.state == AHEAD:
        text = "日期晚于应有的最新发布，请检查本机时间" if zh else "dated after the latest publication; check the clock"
    else:
        text = status.state
    if not status.calendar_known:
        # Without the year's holiday table the count assumes weekdays only; say so rather than be sure.
        text += "（未载入该年节假日表）" if zh else " (no holiday table for that year)"
    return text


def needs_attention(status: RateStatus) -> bool:
    """Whether the rate should be shown with a warning (anything but current)."""
    return status.state != CURRENT
