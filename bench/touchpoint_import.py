"""CSV import of touchpoints: parse + preview + import of a large file, on a fresh database.

    python -m bench.touchpoint_import [--rows 20000] [--customers 300] [--encoding gb18030] [--chunk 250]

Builds a throw-away database with one field rep and ``--customers`` of their customers (each with
two contacts), writes a file of ``--rows`` call-log rows in ``--encoding`` (every fifth row names a
contact, one row in fifty repeats an earlier one), then times, once each:
- preview: read, decode, match customers and contacts, check every row, find duplicates;
- import: every ok row through touchpoint.log, ``--chunk`` rows per transaction;
- preview of the same file again (every row now a duplicate).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop import mutations, passwords, snapshot, timeutil
from desktop import touchpoint_import as ti
from desktop.ids import uuid7
from desktop.store import open_store

ZONE = ZoneInfo("Asia/Shanghai")
CHANNELS = ["电话", "微信", "邮件", "发送资料", "会议"]
SUMMARIES = ["询问 X200 报价，关心交期", "发送技术方案，约下周演示", "对方在外地，改天再联系", "确认样机安装时间",
             "讨论账期和汇率条款", "客户反馈设备噪音偏大", "催促合同盖章", "介绍新款激光切割机"]


def build(rows: int, customers: int, directory: Path, encoding: str) -> tuple[object, str, Path]:
    store = open_store(directory / "fieldmark.db", device_code="B1")
    now = timeutil.to_text(timeutil.utcnow())
    rep = uuid7()
    with store.writer("snapshot") as session:
        snapshot.insert_rows(session, "users", ("id", "username", "display_name", "role", "territory", "team",
                                                "manager_id", "password_hash", "active", "created_at",
                                                "updated_at", "version"),
                             [(rep, "rep", "李晓东", "field_rep", "江苏", "east1", None,
                               passwords.hash_password("bench-password"), 1, now, now, 1)])
    names = [f"苏州第{i:03d}精密机械有限公司" for i in range(customers)]
    calls = [("customer.create", {"name": name, "short_name": f"精机{i:03d}", "region": "江苏", "city": "苏州"})
             for i, name in enumerate(names)]
    outcomes = mutations.run_many(store, rep, calls)
    contact_calls = [("contact.add", {"customer_id": o.changes.entity_id, "name": f"联系人{i}-{k}",
                                      "decision_role": "user"})
                     for i, o in enumerate(outcomes) for k in range(2)]
    mutations.run_many(store, rep, contact_calls)

    rng = random.Random(7)
    start = datetime(2026, 5, 1, 8, 0)
    lines = ["客户,渠道,时间,联系人,沟通对象,内容,客户反应,下一步,下一步期限"]
    for n in range(rows):
        if n % 50 == 49:
            lines.append(lines[rng.randrange(1, len(lines))])
            continue
        i = rng.randrange(customers)
        when = start + timedelta(minutes=11 * n)
        contact = f"联系人{i}-{n % 2}" if n % 5 == 0 else ""
        name = names[i] if n % 3 else f"精机{i:03d}"
        summary = f"{rng.choice(SUMMARIES)}（第 {n} 次）"
        lines.append(f"{name},{rng.choice(CHANNELS)},{when:%Y-%m-%d %H:%M},{contact},,{summary},积极,跟进,"
                     f"{(when + timedelta(days=7)):%Y-%m-%d}")
    path = directory / "calls.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return store, rep, path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--encoding", default="gb18030")
    parser.add_argument("--chunk", type=int, default=ti.CHUNK_ROWS)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fieldmark-bench-import-") as tmp:
        store, rep, path = build(options.rows, options.customers, Path(tmp), options.encoding)
        size = path.stat().st_size

        started = time.perf_counter()
        preview = ti.preview_file(store, rep, path, ZONE)
        preview_s = time.perf_counter() - started
        counts = {status: preview.count(status) for status in (ti.OK, ti.DUPLICATE, ti.ERROR)}

        started = time.perf_counter()
        result = ti.import_rows(store, rep, preview, chunk_rows=options.chunk)
        import_s = time.perf_counter() - started

        started = time.perf_counter()
        again = ti.preview_file(store, rep, path, ZONE)
        again_s = time.perf_counter() - started
        store.close()  # type: ignore[attr-defined]

    print(f"file: {options.rows} rows, {size / 1e6:.1f} MB, {preview.encoding}; "
          f"{counts[ti.OK]} ok, {counts[ti.DUPLICATE]} duplicate, {counts[ti.ERROR]} error")
    print(f"preview (parse + match + check + duplicates): {preview_s:.2f} s")
    print(f"import ({result.imported} rows, {options.chunk} per transaction): {import_s:.2f} s "
          f"= {result.imported / import_s:,.0f} rows/s, {1000 * import_s / max(result.imported, 1):.2f} ms/row")
    print(f"total parse + preview + import: {preview_s + import_s:.2f} s")
    print(f"preview again (all duplicates: {again.count('duplicate')}): {again_s:.2f} s")


if __name__ == "__main__":
    main()
