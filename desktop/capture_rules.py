"""The evidence a visit needs before it can be submitted, as data, and the check itself.

A rule applies to a visit type, to a customer segment, or to every visit (the default); the most
specific one wins: visit type, then segment, then the default. What a rule can ask for:

- photos with given labels (storefront, equipment nameplate);
- an audio recording of at least N seconds (the longest one counts);
- photos taken within N hours of the check-in (from their EXIF capture time);
- no file larger than N MB;
- no photo already used by an earlier visit (same content, same SHA-256).

The defaults are the brief's: a storefront photo, a nameplate photo and at least 90 s of audio. The
check is a pure function of the rule and the facts, so the desktop (offline, at submission) and the
server (on the files uploaded to it) run the same code and give the same answer. Each broken rule
is one :class:`Violation` whose message a rep understands, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

VISIT_TYPES = ("routine", "first", "demo", "installation", "service")
PHOTO_LABELS = ("storefront", "nameplate", "other")
LABEL_NAMES = {"storefront": ("门头照片", "a storefront photo"), "nameplate": ("设备铭牌照片", "an equipment nameplate photo"),
               "other": ("其他照片", "another photo")}
SCOPES = ("default", "visit_type", "segment")
DEFAULT_LABELS = ("storefront", "nameplate")
DEFAULT_MIN_AUDIO_S = 90.0
DEFAULT_MAX_FILE_MB = 100.0


@dataclass(frozen=True)
class Rule:
    id: str = "default"
    version: int = 1
    scope: str = "default"
    scope_value: str = ""
    required_labels: tuple[str, ...] = DEFAULT_LABELS
    min_audio_s: float | None = DEFAULT_MIN_AUDIO_S
    photo_window_h: float | None = None
    max_file_mb: float | None = DEFAULT_MAX_FILE_MB
    no_photo_reuse: bool = True


@dataclass(frozen=True)
class Evidence:
    """An attachment as the check sees it (desktop.models.Attachment has these fields)."""

    id: str
    kind: str
    label: str
    filename: str
    size: int
    sha256: str
    duration_s: float | None = None
    taken_at: datetime | None = None


@dataclass(frozen=True)
class Violation:
    code: str
    message_zh: str
    message_en: str
    attachment_id: str | None = None
    detail: dict[str, object] = field(default_factory=dict)

    def message(self, language: str) -> str:
        return self.message_zh if language.lower().startswith("zh") else self.message_en


def choose(rules: Iterable[Rule], visit_type: str, segment: str) -> Rule:
    """The rule for a visit: its visit type's, else its customer segment's, else the default."""
    by_scope = {(r.scope, r.scope_value): r for r in rules}
    return (by_scope.get(("visit_type", visit_type)) or by_scope.get(("segment", segment))
            or by_scope.get(("default", "")) or Rule())


def evaluate(rule: Rule, check_in_at: datetime | None, evidence: Sequence[Evidence],
             reused: Mapping[str, datetime | None] | None = None) -> list[Violation]:
    """Every way the visit falls short of ``rule`` (empty: it may be submitted).

    ``reused`` maps the SHA-256 of photos already used by earlier visits to when that visit happened
    (None when unknown).
    """
    out: list[Violation] = []
    photos = [e for e in evidence if e.kind == "photo"]
    labels = {p.label for p in photos}
    for label in rule.required_labels:
        if label not in labels:
            zh, en = LABEL_NAMES.get(label, (label, label))
            out.append(Violation("missing_photo", f"缺少{zh}。", f"{en[:1].upper()}{en[1:]} is required.",
                                 detail={"label": label}))
    if rule.min_audio_s:
        recordings = [e.duration_s or 0.0 for e in evidence if e.kind == "audio"]
        need = _seconds(rule.min_audio_s)
        if not recordings:
            out.append(Violation("missing_audio", f"缺少录音（至少 {need} 秒）。",
                                 f"An audio recording of at least {need} s is required."))
        elif max(recordings) < rule.min_audio_s:
            got = _seconds(max(recordings))
            out.append(Violation("audio_too_short", f"录音时长 {got} 秒，少于要求的 {need} 秒。",
                                 f"Audio is {got} s; at least {need} s required.",
                                 detail={"duration_s": max(recordings), "min_audio_s": rule.min_audio_s}))
    if rule.photo_window_h is not None:
        for photo in photos:
            out += _window(rule.photo_window_h, check_in_at, photo)
    if rule.max_file_mb:
        limit = rule.max_file_mb * 1024 * 1024
        for item in evidence:
            if item.size > limit:
                out.append(Violation("file_too_large", f"文件“{item.filename}”大小 {_mb(item.size)} MB，超过上限 "
                                     f"{_seconds(rule.max_file_mb)} MB。",
                                     f"{item.filename} is {_mb(item.size)} MB; at most "
                                     f"{_seconds(rule.max_file_mb)} MB is allowed.", item.id))
    if rule.no_photo_reuse and reused:
        for photo in photos:
            if photo.sha256 in reused:
                when = reused[photo.sha256]
                day = f" {when.date().isoformat()} " if when else ""
                out.append(Violation("photo_reused", f"照片“{photo.filename}”已在{day or '之前'}的拜访中用过，请拍摄新的照片。",
                                     f"The photo {photo.filename} was already used by an earlier visit"
                                     f"{' on' + day.rstrip() if day else ''}; take a new one.", photo.id))
    return out


def _window(hours: float, check_in_at: datetime | None, photo: Evidence) -> list[Violation]:
    if photo.taken_at is None:
        return [Violation("photo_time_unknown", f"照片“{photo.filename}”没有拍摄时间，无法确认是在拜访时拍摄的。",
                          f"The photo {photo.filename} has no capture time, so it cannot be shown to be from "
                          "this visit.", photo.id)]
    if check_in_at is None:
        return []
    apart = abs((photo.taken_at - check_in_at).total_seconds()) / 3600
    if apart <= hours:
        return []
    return [Violation("photo_outside_window",
                      f"照片“{photo.filename}”的拍摄时间与签到时间相差 {_seconds(round(apart, 1))} 小时，"
                      f"超过允许的 {_seconds(hours)} 小时。",
                      f"The photo {photo.filename} was taken {_seconds(round(apart, 1))} h from the check-in; "
                      f"at most {_seconds(hours)} h is allowed.", photo.id, {"hours_apart": round(apart, 2)})]


def _seconds(value: float) -> str:
    """62 -> "62", 89.94 -> "89.9" (never rounded up to the limit it misses)."""
    if float(value).is_integer():
        return str(int(value))
    tenths = Decimal(repr(float(value))).quantize(Decimal("0.1"), ROUND_DOWN)
    return str(tenths) if tenths else f"{value:.2f}".rstrip("0")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"
