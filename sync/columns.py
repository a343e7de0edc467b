"""The columnar form of a pull page (``GET /v1/pull?...&form=columns``, sync.protocol).

A page's changes, in their order, are cut into blocks: a block is a run of consecutive changes of
one table and one op (and, for upserts, the same columns). An upsert block holds each column once,
with the values of its rows in order: ``{"table": "customers", "upsert": {"id": [...], "name": [...],
...}}``; a forget block the ids: ``{"table": "customers", "forget": [...]}``. Nothing is repeated per
row - no key, no envelope (the id and version are the row's own columns) - and a column of one
table's values compresses far better than rows mixing every column (docs/PERFORMANCE.md).

Columns the device derives from others (desktop.derived: the sort key, the folded name and the
phone's digits of customers, contacts and users) do not travel: :func:`decode` computes them with the
same functions the server's mutations used. They are a third of what a customer costs on the wire.
"""

from __future__ import annotations

from typing import Any

from desktop import derived
from sync import protocol

# Derived columns, and the function (of the row) that makes them again on the device.
DERIVED: dict[str, tuple[tuple[str, ...], Any]] = {
    "customers": (("name_sort", "name_key", "phone_digits"),
                  lambda row: derived.customer_columns(row["name"], row.get("phone") or "")),
    "contacts": (("name_sort", "phone_digits"), lambda row: derived.contact_columns(row["name"], row.get("phone") or "")),
    "users": (("name_sort",), lambda row: derived.user_columns(row["display_name"])),
}


def encode(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changes (sync.protocol's Change) as blocks, in the same order."""
    blocks: list[dict[str, Any]] = []
    shape: tuple[Any, ...] = ()
    for change in changes:
        table, op = change["table"], change["op"]
        if op == protocol.FORGET:
            if shape != (table, op):
                shape = (table, op)
                blocks.append({"table": table, "forget": []})
            blocks[-1]["forget"].append(change["id"])
            continue
        row = change["row"]
        skip = DERIVED[table][0] if table in DERIVED else ()
        names = tuple(name for name in row if name not in skip)
        if shape != (table, op, names):
            shape = (table, op, names)
            blocks.append({"table": table, "upsert": {name: [] for name in names}})
        columns = blocks[-1]["upsert"]
        for name in names:
            columns[name].append(row[name])
    return blocks


def decode(blocks: Any) -> list[dict[str, Any]]:
    """Blocks back into changes ({table, id, op, version, row}; no seq), derived columns made here.
    ValueError for blocks that are not of this form."""
    if not isinstance(blocks, list):
        raise ValueError("blocks must be a list")
    changes: list[dict[str, Any]] = []
    for block in blocks:
        table = block.get("table") if isinstance(block, dict) else None
        if not isinstance(table, str):
            raise ValueError(f"a block needs a table: {block!r:.80}")
        if "forget" in block:
            ids = block["forget"]
            if not isinstance(ids, list):
                raise ValueError(f"{table}: forget must be a list of ids")
            changes += [{"table": table, "id": row_id, "op": protocol.FORGET, "version": None, "row": None}
                        for row_id in ids]
            continue
        columns = block.get("upsert")
        if not isinstance(columns, dict) or not columns or not all(isinstance(v, list) for v in columns.values()):
            raise ValueError(f"{table}: an upsert block needs its columns as lists")
        names = list(columns)
        lengths = {len(values) for values in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"{table}: the columns of a block must have the same length")
        make = DERIVED[table][1] if table in DERIVED and all(n in columns for n in _needs(table)) else None
        for values in zip(*columns.values(), strict=True):
            row = dict(zip(names, values, strict=True))
            if make is not None:
                try:
                    row.update(make(row))
                except (TypeError, AttributeError) as exc:
                    raise ValueError(f"{table}: {exc}") from exc
            changes.append({"table": table, "id": row.get("id"), "op": protocol.UPSERT,
                            "version": row.get("version"), "row": row})
    return changes


def _needs(table: str) -> tuple[str, ...]:
    return ("display_name",) if table == "users" else ("name",)
