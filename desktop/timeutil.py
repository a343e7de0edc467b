"""Times are stored in UTC as fixed-width ISO-8601 text, so they sort as strings; shown in the user's zone."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_text(value: datetime) -> str:
    """Serialise an aware datetime as UTC text; naive datetimes are refused because their zone is unknown."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the time zone is unknown")
    # isoformat pads the year to four digits; strftime("%Y") does not (year 5 -> "5-01-01..."), which
    # breaks sorting and makes the text unreadable by from_text.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_text(text: str) -> datetime:
    """Parse UTC text written by to_text, or any ISO-8601 time with an offset."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return value.astimezone(UTC)
