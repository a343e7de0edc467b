"""What a client may send: JSON bodies nested at most MAX_JSON_DEPTH deep (checked on the bytes,
before any parser recurses), and mutation args whose nesting and numbers the server can hold.

Nothing a client sends may make the server fail (a 5xx): a request that breaks these limits is
refused as a whole with a 4xx, and a mutation whose args break them is rejected alone, like any
other refused mutation, so the rest of its batch goes on (sync.server.push).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from desktop.errors import DomainError
from sync import protocol

# A JSON string: quote, anything but a quote or a backslash, escapes. Unrolled, so it runs in linear time.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class TooDeep(ValueError):
    """The JSON text nests deeper than allowed."""


def depth(body: bytes, limit: int) -> int:
    """How deep the JSON text ``body`` nests ([ and { outside strings), counted up to ``limit`` + 1.

    A cheap scan of the bytes: strings are cut out, everything but brackets is dropped, and only the
    brackets are walked. Text that is not JSON may be counted too deep; the parser would refuse it anyway.
    """
    level = deepest = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPEN:
            level += 1
            if level > deepest:
                deepest = level
                if deepest > limit:
                    break
        else:
            level -= 1
    return deepest


def read_json(body: bytes, max_depth: int = protocol.MAX_JSON_DEPTH) -> Any:
    """``body`` (UTF-8, as JSON between systems is) parsed, once it is known to nest at most
    ``max_depth`` deep (TooDeep otherwise). Raises ValueError (UnicodeDecodeError included) for
    anything else that is not JSON.

    Only UTF-8: its multi-byte sequences hold no ASCII byte, so the scan cannot mistake part of a
    character for a quote or a bracket (in UTF-16 it could, and hide nesting from it)."""
    text = body.decode("utf-8-sig")
    if depth(body, max_depth) > max_depth:
        raise TooDeep(f"nested more than {max_depth} deep")
    try:
        return json.loads(text)
    except RecursionError as exc:  # cannot happen after the scan; kept so that it could never be a 500
        raise TooDeep(f"nested more than {max_depth} deep") from exc


def check_args(args: dict[str, Any]) -> None:
    """Refuse (DomainError) args nesting more than MAX_ARGS_DEPTH deep, or holding a whole number no
    database column holds or a number that is not finite. Walks the args without recursion."""
    stack: list[tuple[Any, int, str | None]] = [(args, 1, None)]
    while stack:
        value, level, top = stack.pop()
        if isinstance(value, dict):
            if level > protocol.MAX_ARGS_DEPTH:
                raise _too_deep(top)
            stack.extend((v, level + 1, k if top is None else top) for k, v in value.items())
        elif isinstance(value, list):
            if level > protocol.MAX_ARGS_DEPTH:
                raise _too_deep(top)
            stack.extend((v, level + 1, top) for v in value)
        elif isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        elif isinstance(value, int):
            if not -protocol.MAX_INT <= value <= protocol.MAX_INT:
                raise DomainError("invalid_value", "修改中的数字超出范围，无法保存；请改正后重新录入。",
                                  "A number in this change is too large to be kept; correct it and enter it again.",
                                  top)
        elif isinstance(value, float) and not math.isfinite(value):
            raise DomainError("invalid_value", "修改中有无效的数字（非有限值），无法保存；请改正后重新录入。",
                              "A number in this change is not a finite number; correct it and enter it again.", top)


def _too_deep(top: str | None) -> DomainError:
    limit = protocol.MAX_ARGS_DEPTH
    return DomainError("invalid_value", f"修改内容的嵌套超过 {limit} 层，无法保存。",
                       f"This change's content is nested more than {limit} levels deep and cannot be kept.", top)
