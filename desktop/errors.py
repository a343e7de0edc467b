"""Domain errors: a stable code, the field at fault, and a message in Chinese and in English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop.text_rules import printable


@dataclass(frozen=True)
class Label:
    """A name shown to users, in both languages."""

    zh: str
    en: str


class DomainError(Exception):
    """A change was refused. Nothing was written.

    ``code`` is stable (clients and the server match on it); ``field`` names the input at fault,
    or is None when the whole request is at fault; the messages say what to fix.
    """

    def __init__(self, code: str, message_zh: str, message_en: str, field: str | None = None,
                 detail: dict[str, Any] | None = None) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.detail = detail or {}

    def message(self, language: str) -> str:
        """The message in the user's language ('zh…' gives Chinese, anything else English)."""
        return self.message_zh if language.lower().startswith("zh") else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data, for the outbox and the wire."""
        return {"code": self.code, "field": self.field, "message_zh": self.message_zh,
                "message_en": self.message_en, "detail": self.detail}

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, field={self.field!r}, {self.message_en!r})"


def os_reason(exc: OSError) -> tuple[str, str]:
    """Why a file could not be read, in words (Chinese, English): the system's own text is English only."""
    if isinstance(exc, FileNotFoundError):
        return "找不到该文件，可能已被移动或删除", "the file is not there any more (moved or deleted?)"
    if isinstance(exc, PermissionError):
        return "没有读取该文件的权限", "this computer's user may not read it"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是文件", "it is a folder, not a file"
    return "读取时出错，磁盘或存储卡可能有故障", "reading it failed; the disk or memory card may be failing"



# ---- Constructors for the error classes every mutation shares

def missing_field(field: str, label: Label) -> DomainError:
    return DomainError("missing_field", f"请填写“{label.zh}”。", f"{label.en} is required.", field)


def wrong_type(field: str, label: Label, expected_zh: str, expected_en: str) -> DomainError:
    return DomainError("wrong_type", f"“{label.zh}”应为{expected_zh}。",
                       f"{label.en} must be {expected_en}.", field)


def too_long(field: str, label: Label, max_len: int, actual: int) -> DomainError:
    return DomainError("too_long", f"“{label.zh}”最多 {max_len} 个字符，当前 {actual} 个。",
                       f"{label.en} is {actual} characters long; at most {max_len} are allowed.", field,
                       {"max_len": max_len, "actual": actual})


def invalid_choice(field: str, label: Label, value: object, choices: list[str]) -> DomainError:
    allowed = ", ".join(choices)
    return DomainError("invalid_choice", f"“{label.zh}”的值 {value!r} 无效，可选：{allowed}。",
                       f"{label.en} {value!r} is not valid; choose one of: {allowed}.", field,
                       {"choices": choices})


def invalid_value(field: str | None, message_zh: str, message_en: str) -> DomainError:
    return DomainError("invalid_value", message_zh, message_en, field)


def unknown_field(field: str) -> DomainError:
    field = printable(field)  # a name sent over the wire may hold anything; the answer must encode
    return DomainError("unknown_field", f"不认识的字段“{field}”。", f"Unknown field {field!r}.", field)


def not_found(field: str, label: Label, value: object, name: str | None = None) -> DomainError:
    """A row the mutation names is not there. An id means nothing to a person, so the message never
    shows one (it stays in ``details`` for the log): a row that was here and has been removed is
    named (``name``); one never seen here is "does not exist or was removed"."""
    if name:
        return DomainError("not_found", f"{label.zh}“{name}”已被删除。", f"The {label.en.lower()} “{name}” was removed.",
                           field, {"id": value})
    return DomainError("not_found", f"找不到该{label.zh}：它不存在或已被删除。",
                       f"That {label.en.lower()} does not exist or was removed.", field, {"id": value})


def forbidden(action_zh: str, action_en: str) -> DomainError:
    return DomainError("forbidden", f"您的角色无权{action_zh}。", f"Your role may not {action_en}.")


def conflict(field: str | None, message_zh: str, message_en: str) -> DomainError:
    return DomainError("conflict", message_zh, message_en, field)
