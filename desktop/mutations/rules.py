"""capture_rule.set: what evidence visits need, set by a sales manager (see desktop.capture_rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import capture_rules, errors
from desktop.errors import Label
from desktop.models import RULE_SCOPES, SEGMENTS, CaptureRule
from desktop.mutations.common import inserted, updated
from desktop.mutations.fields import Field
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import MANAGERS

RULE = Label("采集规则", "Capture rule")
SETTINGS = {
    "required_labels": Field(Label("必需照片", "Required photos"), "choices", choices=capture_rules.PHOTO_LABELS),
    "min_audio_s": Field(Label("最短录音（秒）", "Shortest recording (s)"), "number", nullable=True, low=0, high=36000),
    "photo_window_h": Field(Label("照片须在签到前后（小时）", "Photos within (hours of check-in)"), "number",
                            nullable=True, low=0, high=24 * 365),
    "max_file_mb": Field(Label("单个文件上限（MB）", "Largest file (MB)"), "number", nullable=True, low=0.1, high=500),
    "no_photo_reuse": Field(Label("禁止重复使用照片", "No photo reused"), "bool"),
    "active": Field(Label("启用", "Active"), "bool"),
}


@mutation("capture_rule.set", {
    "id": Field(Label("编号", "Id"), "id", required=True),
    "scope": Field(Label("适用范围", "Applies to"), "choice", required=True, choices=RULE_SCOPES),
    "scope_value": Field(Label("拜访类型或客户类型", "Visit type or segment"), max_len=32),
    **SETTINGS,
}, id_fields=("id",))
def set_rule(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Create the rule for a scope, or change the one that exists (whatever id it was made with: two
    managers setting the same scope offline edit one rule, in the order the server receives them)."""
    if actor.role not in MANAGERS and actor.role != "admin":
        raise errors.forbidden("修改拜访采集规则", "change the visit capture rules")
    scope, value = args["scope"], args.get("scope_value") or ""
    allowed = {"default": ("",), "visit_type": capture_rules.VISIT_TYPES, "segment": SEGMENTS}[scope]
    if value not in allowed:
        raise errors.invalid_choice("scope_value", Label("拜访类型或客户类型", "Visit type or segment"), value,
                                    list(allowed))
    if scope == "default" and args.get("active") is False:
        raise errors.invalid_value("active", "默认规则不能停用。", "The default rule cannot be switched off.")
    settings = {name: args[name] for name in SETTINGS if name in args}
    existing = session.scalars(select(CaptureRule).where(CaptureRule.scope == scope,
                                                          CaptureRule.scope_value == value)).first()
    if existing is not None:
        settings["updated_by"] = actor.id
        return updated("capture_rule", existing, settings, tuple(settings), args["at"])
    default = capture_rules.Rule()
    rule = CaptureRule(id=args["id"], scope=scope, scope_value=value,
                       required_labels=settings.get("required_labels", list(default.required_labels)),
                       min_audio_s=settings.get("min_audio_s", default.min_audio_s),
                       photo_window_h=settings.get("photo_window_h", default.photo_window_h),
                       max_file_mb=settings.get("max_file_mb", default.max_file_mb),
                       no_photo_reuse=settings.get("no_photo_reuse", default.no_photo_reuse),
                       active=settings.get("active", True), updated_by=actor.id, created_at=args["at"],
                       updated_at=args["at"], version=1)
    return inserted(session, "capture_rule", rule)
