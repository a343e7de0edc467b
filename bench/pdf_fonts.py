"""Quote PDFs with rare characters: what the font chain costs.

    python -m bench.pdf_fonts [--runs 20]

A 200-line quote built in memory (no database), rendered into memory three ways, each over ``--runs``
runs after one untimed run, in one process:
- **baseline**: reportlab alone laying out the same 200 rows (bench.quotes's plain table);
- **plain text**: the quote as a Chinese company's usually is, every character in the main font;
- **rare text**: the same quote with an Extension B customer, an Extension A contact and an Extension
  B word plus an emoji in every line's description, so every description switches fonts.
Also the one-off cost of loading the fonts, timed in a fresh interpreter: the main one (every process
that prints pays it) and the three fallbacks (only a process printing rare characters does).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal

from bench.quotes import _baseline_table
from bench.visit_review import pct, timed
from desktop.pdf import Company, Customer, QuoteDocument, QuoteLine, render_quote

LINES = 200
_DESCRIPTIONS = ("数控车床主轴组件（含轴承、密封件及安装调试服务），适用于CK6150系列", "液压站 7.5kW", "导轨防护罩",
                 "Spare parts kit for annual maintenance")


def quote(rare: bool) -> QuoteDocument:
    """A 200-line CNY draft; with ``rare``, fallback characters in the customer and every line."""
    lines = []
    for i in range(1, LINES + 1):
        description = _DESCRIPTIONS[i % 4] + (" 𠀀𪚥型 👍" if rare else "")
        price = Decimal("1280.00") + Decimal(i)
        lines.append(QuoteLine(i, f"HT-{1000 + i}", description, Decimal(2), "套", price, Decimal(0), price * 2))
    total = sum((line.net for line in lines), Decimal(0))
    doc = QuoteDocument(
        company=Company("上海菲尔德工业设备有限公司", "上海市闵行区申长路 988 号", "021-6408 8800"),
        quote_number="Q20261204-D1-0001", version=1, issued=date(2026, 12, 4), valid_until=date(2027, 1, 3),
        customer=Customer("苏州恒通精密机械有限公司", "王建国", "江苏省苏州市"), currency="CNY", lines=lines,
        subtotal=total, discount=Decimal(0), vat_rate=Decimal("0.13"), vat_amount=(total * Decimal("0.13")),
        total=total * Decimal("1.13"), approval_status="草稿 Draft", fully_approved=False)
    return replace(doc, customer=Customer("𠀀𪚥测试有限公司", "王䶮", "北京")) if rare else doc


def _render(doc: QuoteDocument) -> bytes:
    buffer = io.BytesIO()
    render_quote(doc, buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf_fonts")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    load = subprocess.run([sys.executable, "-c", "import time; from desktop.pdf import fonts; t = time.perf_counter();"
                           " fonts.register_fonts(main_only=True); m = time.perf_counter(); fonts.register_fonts();"
                           " print((m - t) * 1000, (time.perf_counter() - m) * 1000)"],
                          capture_output=True, text=True, check=True)
    main_ms, fallback_ms = (float(v) for v in load.stdout.split())
    print(f"loading the main font (once per process): {main_ms:.0f} ms; the three fallbacks, when needed: "
          f"{fallback_ms:.0f} ms")
    plain, rare = quote(False), quote(True)
    for name, fn in (("baseline: reportlab alone, the 200 rows", lambda: _baseline_table(plain)),
                     ("200-line quote, plain text", lambda: _render(plain)),
                     ("200-line quote, rare text in every line", lambda: _render(rare))):
        times, data = timed(fn, args.runs)
        print(f"{name}: median {statistics.median(times):.0f} ms, p95 {pct(times, 95):.0f} ms, "
              f"{len(data) // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
