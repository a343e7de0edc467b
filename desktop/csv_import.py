"""What every CSV import shares: reading the bytes, mapping the header, per-row problems, the error report,
and committing a chunk of mutations whose refused rows are left out.

desktop.touchpoint_import and desktop.product_import each declare their columns and check their rows;
the file format rules common to both are in docs/csv-import.md.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from desktop import errors, mutations
from desktop.errors import DomainError, Label
from desktop.store import Store

MAX_BYTES = 64 * 1024 * 1024
MAX_ROWS = 100_000
IN_BATCH = 500  # values per SQL IN (...), well under SQLite's variable limit


class ProgressLike(Protocol):
    """What a long job reports to: ``set`` returns False once the user asked to stop."""

    def set(self, fraction: float, what: str = "") -> bool: ...


@dataclass(frozen=True)
class Column:
    key: str
    label: Label
    aliases: tuple[str, ...]
    required: bool = False


def header_key(text: str) -> str:
    """Header and choice text as compared: NFKC, lower case, no spaces, underscores, dashes, quotes,
    asterisks or trailing "(…)" hint."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"\([^()]*\)$", "", text)
    return re.sub(r"[\s_\-'’*]", "", text)


def aliases_index(values: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{compared text: code} for a table of {code: the texts that mean it}."""
    return {header_key(alias): code for code, aliases in values.items() for alias in aliases}


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot be imported: spreadsheet row number (the header is row 1), column, message."""

    row: int
    column: str  # the header as written in the file, or the column's name when the file has none
    message_zh: str
    message_en: str

    def message(self, language: str) -> str:
        return self.message_zh if language.lower().startswith("zh") else self.message_en

    def text(self, language: str) -> str:
        """The message with its row, e.g. 第 12 行：找不到客户“苏州恒通” / Row 12: no customer named 苏州恒通."""
        if language.lower().startswith("zh"):
            return f"第 {self.row} 行：{self.message_zh}"
        return f"Row {self.row}: {self.message_en}"


@dataclass
class ParsedFile:
    encoding: str
    header: list[str]
    mapping: dict[int, str]  # cell index -> column key
    ignored: list[str]
    records: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)

    def values(self, cells: list[str]) -> dict[str, str]:
        """A record's cells by column key, trimmed ("" for a cell the row does not have)."""
        return {key: cells[index].strip() if index < len(cells) else "" for index, key in self.mapping.items()}

    def extra_cells_problem(self, number: int, cells: list[str]) -> RowProblem | None:
        """A row with more cells than there are columns: usually a comma outside quotes."""
        extra = [c for i, c in enumerate(cells) if i >= len(self.header) and c.strip()]
        if not extra:
            return None
        return RowProblem(number, "", f"这一行比列名多出 {len(extra)} 个单元格：内容里的逗号要放在英文双引号中。",
                          f"This row has {len(extra)} more cell(s) than there are columns; a comma inside a text "
                          "must be within double quotes.")


def file_error(zh: str, en: str) -> DomainError:
    return errors.invalid_value(None, zh, en)


def read_file(path: str | Path) -> bytes:
    """The file's bytes, or a DomainError saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise file_error(f"无法读取文件：{exc.strerror or exc}", f"The file cannot be read: {exc.strerror or exc}") \
            from None


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): BOMs first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    for bom, codec, name in ((b"\xff\xfe", "utf-16-le", "UTF-16"), (b"\xfe\xff", "utf-16-be", "UTF-16")):
        if data.startswith(bom):
            return data[2:].decode(codec), name
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise file_error("无法识别文件的编码：请另存为“CSV UTF-8（逗号分隔）”后重试。",
                         "The file's encoding is not recognised; save it as \"CSV UTF-8 (comma delimited)\" "
                         "and try again.") from None


def parse_csv(data: bytes, columns: Sequence[Column]) -> ParsedFile:
    """Decode and split a file, mapping its header to ``columns``; refuses (DomainError) a file that
    cannot be imported at all."""
    if len(data) > MAX_BYTES:
        raise file_error(f"文件过大（超过 {MAX_BYTES // (1024 * 1024)} MB），请拆分后分批导入。",
                         f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it and import the parts.")
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise file_error(f"文件不是有效的 CSV：{exc}", f"The file is not valid CSV: {exc}") from None
    numbered = [(number, cells) for number, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    if not numbered:
        raise file_error("文件是空的。", "The file is empty.")
    by_key = {c.key: c for c in columns}
    by_header = {header_key(alias): c.key for c in columns for alias in c.aliases}
    _header_row, header = numbered[0]
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        key = by_header.get(header_key(cell))
        if key is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if key in mapping.values():
            raise file_error(f"有两列都是“{by_key[key].label.zh}”：请删除其中一列。",
                             f"Two columns are both {by_key[key].label.en!r}; remove one of them.")
        mapping[index] = key
    missing = [c for c in columns if c.required and c.key not in mapping.values()]
    if missing:
        raise file_error(
            "缺少必需的列：" + "、".join(c.label.zh for c in missing) + "。第一行应为列名，见导入说明。",
            "Required columns are missing: " + ", ".join(c.label.en for c in missing)
            + ". The first row must hold the column names; see the import guide.")
    body = numbered[1:]
    if len(body) > MAX_ROWS:
        raise file_error(f"文件有 {len(body)} 行，一次最多导入 {MAX_ROWS} 行，请拆分后分批导入。",
                         f"The file has {len(body)} rows; at most {MAX_ROWS} can be imported at once. "
                         "Split it and import the parts.")
    return ParsedFile(encoding, [c.strip() for c in header], mapping, ignored, body)


# ---- Committing a chunk

@dataclass
class ChunkOutcome:
    """What one chunk did: the calls committed (by index), those refused, the last outcome."""

    committed: list[int]
    refused: list[tuple[int, DomainError]]
    last_outcome: mutations.Outcome | None


def run_chunk(store: Store, user_id: str, calls: Sequence[tuple[str, dict[str, Any]]]) -> ChunkOutcome:
    """Run ``calls`` as one transaction through the mutation path. A call the mutation refuses is left
    out and the others are run again, so one bad row does not take its chunk with it. Anything but a
    refusal of one call propagates (nothing of this chunk is then written)."""
    pending = list(range(len(calls)))
    refused: list[tuple[int, DomainError]] = []
    while pending:
        try:
            outcomes = mutations.run_many(store, user_id, [(calls[i][0], dict(calls[i][1])) for i in pending])
        except DomainError as exc:
            index = exc.detail.get("index")
            if not isinstance(index, int) or not 0 <= index < len(pending):
                raise
            refused.append((pending.pop(index), exc))
            continue
        return ChunkOutcome(pending, refused, outcomes[-1] if outcomes else None)
    return ChunkOutcome([], refused, None)


# ---- The error report

REPORT_HEADER = {"zh": ("行", "列", "问题"), "en": ("row", "column", "message")}


def write_error_report(path: str | Path, problems: Iterable[RowProblem], language: str) -> int:
    """Write the problems as CSV (row, column, message) in UTF-8 with a BOM, which Excel opens as such.

    Returns how many were written.
    """
    lang = "zh" if language.lower().startswith("zh") else "en"
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_HEADER[lang])
        for problem in problems:
            writer.writerow([problem.row, problem.column, problem.message(lang)])
            count += 1
    return count
