"""Sync through a weak link: a visit's evidence going up, and a rep-sized pull over a link that drops.

    python -m bench.sync_weak_link evidence [--kib-s 50] [--latency-ms 300] [--mb 1,2,3]
    python -m bench.sync_weak_link pull [--customers 3000] [--touchpoints 30000] [--kib-s 400]
                                        [--latency-ms 300] [--drop-every-kib 1024]
    python -m bench.sync_weak_link digests [--mutations 2000] [--rounds 4]

Both run a real server process (tests/server_process.py) behind bench/throttle_proxy.py, and a desktop
whose connections have a WAN-sized send buffer (256 KiB, bench.throttle_proxy.wan_session).

``evidence``: a rep records a visit offline with one photo of each size in ``--mb`` and submits it;
then ``SyncClient.push()`` through the link is timed. The bare baseline, from the same run, is the
files' bytes over the link's bandwidth: the least any upload can take.

``pull``: the server holds the demo generator's organisation at ``--customers`` customers and
``--touchpoints`` touchpoints (with their contacts; bench.sync_pull builds and caches it), and a
fresh desktop signed in as finance.sun (who sees every customer) pulls everything through the link,
cut after every ``--drop-every-kib``: it must complete. Printed: each table's bytes per row as the
server encodes a page (zstd) beside gzip level 1 (what pages were before), the pull's time, pages
and drops, the wire bytes the link carried back per customer, and those bytes over the bandwidth as
the baseline.

``digests``: what the ``wrote`` digests cost a push (no link): the same pushes of touchpoint.log
with and without a digest per mutation, alternated, on one server.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

import zstandard
from sqlalchemy import func, select

from bench.sync_pull import DATA, USER, build_server
from bench.throttle_proxy import Link, ThrottleProxy, wan_session
from desktop import mutations, timeutil
from desktop.ids import uuid7
from desktop.models import Customer, Touchpoint
from desktop.store import open_store
from sync import columns, protocol
from sync.client import SyncClient, SyncError
from sync.server import encoding
from sync.token_store import FileTokenStore
from tests import media_files as mf
from tests.server_process import Api, ServerProcess

REP = "rep.li"


def _desk(folder: Path, url: str, **options: object) -> tuple[SyncClient, str]:
    store = open_store(folder / "fieldmark.db")
    client = SyncClient(store, url, FileTokenStore(folder / "token"), **options)  # type: ignore[arg-type]
    return client, client.sign_in(REP, "fieldmark", "bench")


def evidence(args: argparse.Namespace) -> None:
    sizes = [int(float(mb) * 1024 * 1024) for mb in args.mb.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = ServerProcess(root / "server")
        link = Link(args.kib_s * 1024, args.latency_ms / 1000)
        try:
            with ThrottleProxy(("127.0.0.1", server.port), link) as proxy:
                client, user = _desk(root / "rep", proxy.url, session=wan_session())
                client.sync()
                store = client.store
                check_in = timeutil.utcnow().replace(microsecond=0)
                customer = mutations.run(store, user, "customer.create", {
                    "name": "苏州恒通精密机械", "region": "江苏", "city": "苏州"}).changes.entity_id
                visit = mutations.run(store, user, "visit.save", {
                    "customer_id": customer, "check_in_at": timeutil.to_text(check_in),
                    "summary": "拜访采购部", "next_step": "下周报价"}).changes.entity_id
                total = 0
                for i, size in enumerate(sizes):
                    taken = check_in.replace(tzinfo=None)
                    path = mf.photo(root / "media" / f"photo{i}.jpg", taken=taken, noise_bytes=size)
                    sha, got = store.blobs.add_file(path)
                    total += got
                    mutations.run(store, user, "attachment.add", {"touchpoint_id": visit, "sha256": sha,
                                                                  "filename": path.name})
                proxy.reset_counts()
                started = time.monotonic()
                report = client.push()
                elapsed = time.monotonic() - started
                baseline = total / link.bandwidth
                print(f"evidence: {len(sizes)} photos, {total / 1024 / 1024:.2f} MiB, through "
                      f"{args.kib_s:g} KiB/s, {args.latency_ms:g} ms one way, 256 KiB send buffer")
                print(f"  push (uploads + mutations): {elapsed:.1f} s; applied {report.applied}, "
                      f"files {report.uploaded_files}")
                print(f"  baseline bytes / bandwidth: {baseline:.1f} s   ratio {elapsed / baseline:.2f}x")
                print(f"  wire up {proxy.up_bytes / 1024 / 1024:.2f} MiB, down {proxy.down_bytes / 1024:.1f} KiB")
        finally:
            server.stop()


def _sizes(changes: list[dict]) -> dict[str, tuple[int, float, float, float]]:
    """Per table: (rows, bytes per row as a page of its changes alone: columnar zstd - what is sent now -,
    the same changes as objects zstd, and as objects gzip level 1 - what was sent before)."""
    out = {}
    zstd = zstandard.ZstdCompressor(level=encoding.ZSTD_LEVEL)
    for table in dict.fromkeys(c["table"] for c in changes):
        mine = [c for c in changes if c["table"] == table]
        objects = encoding.dumps({"changes": mine})
        blocks = encoding.dumps({"blocks": columns.encode(mine)})
        out[table] = (len(mine), len(zstd.compress(blocks)) / len(mine), len(zstd.compress(objects)) / len(mine),
                      len(gzip.compress(objects, compresslevel=encoding.GZIP_LEVEL, mtime=0)) / len(mine))
    return out


def pull(args: argparse.Namespace) -> None:
    server_dir = DATA / f"sync-server-{args.customers}-{args.touchpoints}"
    build_server(server_dir, args.customers, args.touchpoints)
    server = ServerProcess(server_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            api = Api(server, USER)
            plain, _cursor = api.pull_all(limit=5000)
            json_bytes = len(encoding.dumps({"changes": plain}))
            print(f"data: {args.customers} customers, {args.touchpoints} touchpoints (demo generator), pulled as "
                  f"{USER}; {len(plain)} changes, {json_bytes / 1024 / 1024:.1f} MiB of JSON")
            print(f"  bytes per row, a page of one table: columns zstd-{encoding.ZSTD_LEVEL} (now) | objects "
                  f"zstd-{encoding.ZSTD_LEVEL} | objects gzip-{encoding.GZIP_LEVEL} (before)")
            for table, (count, now, objects, before) in _sizes(plain).items():
                print(f"  {table:12} {count:7} rows: {now:6.1f} | {objects:6.1f} | {before:6.1f}")
            link = Link(args.kib_s * 1024, args.latency_ms / 1000,
                        args.drop_every_kib * 1024 if args.drop_every_kib else None)
            with ThrottleProxy(("127.0.0.1", server.port), link) as proxy:
                client = SyncClient(open_store(root / "desk" / "fieldmark.db"), proxy.url,
                                    FileTokenStore(root / "token"), session=wan_session(), sleep=lambda _s: None,
                                    attempts=args.attempts)
                client.sign_in(USER, "fieldmark", "bench")
                proxy.reset_counts()
                started = time.monotonic()
                try:
                    report = client.pull()
                    outcome = f"{report.pages} pages"
                except SyncError as exc:
                    outcome = f"FAILED ({exc.message_en[:120]})"
                elapsed = time.monotonic() - started
                wire, cuts = proxy.down_bytes, proxy.cuts
            with client.store.read() as s:
                customers = s.scalar(select(func.count()).select_from(Customer))
                touchpoints = s.scalar(select(func.count()).select_from(Touchpoint))
            print(f"pull through {args.kib_s:g} KiB/s, {args.latency_ms:g} ms one way, drop every "
                  f"{args.drop_every_kib or '-'} KiB: {elapsed:.1f} s, {outcome}, {cuts} drops; here now "
                  f"{customers} customers, {touchpoints} touchpoints")
            print(f"  wire bytes down {wire / 1024:.0f} KiB (what the drops cut included); "
                  f"{wire / max(customers, 1):.1f} per customer pulled (with its share of everything else)")
            print(f"  baseline bytes / bandwidth: {wire / link.bandwidth:.1f} s")
        finally:
            server.stop()


def digests(args: argparse.Namespace) -> None:
    """A push's cost with and without ``wrote`` digests, rounds alternated (loopback, no link)."""
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "server")
        try:
            api = Api(server, REP)
            at = timeutil.to_text(timeutil.utcnow())
            customer_id = uuid7()
            api.push(("customer.create", {"id": customer_id, "name": "苏州恒通精密机械", "at": at})).raise_for_status()

            def push(count: int, with_digests: bool) -> float:
                started = time.perf_counter()
                for _batch in range(0, count, protocol.PUSH_BATCH):
                    items = []
                    for _i in range(protocol.PUSH_BATCH):
                        api.seq += 1
                        touchpoint = uuid7()
                        items.append({"seq": api.seq, "mutation_id": uuid7(), "name": "touchpoint.log",
                                      "args": {"id": touchpoint, "customer_id": customer_id, "channel": "call",
                                               "occurred_at": at, "summary": "电话跟进，确认报价", "at": at},
                                      "base_version": None, "schema_version": "0002", "client_time": at,
                                      **({"wrote": [["touchpoints", touchpoint, "0" * 32]]} if with_digests else {})})
                    answer = api.post("/v1/push", {"device_id": api.device_id, "mutations": items})
                    answer.raise_for_status()
                    assert all(r["status"] == protocol.APPLIED for r in answer.json()["results"])
                return time.perf_counter() - started

            print(f"push of {args.mutations} touchpoint.log in batches of {protocol.PUSH_BATCH}, loopback:")
            for _round in range(args.rounds):
                bare, digested = push(args.mutations, False), push(args.mutations, True)
                print(f"  without digests {bare:.2f} s, with {digested:.2f} s ({digested / bare:.2f}x)")
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    up = sub.add_parser("evidence")
    up.add_argument("--kib-s", type=float, default=50.0)
    up.add_argument("--latency-ms", type=float, default=300.0)
    up.add_argument("--mb", default="1,2,3")
    down = sub.add_parser("pull")
    down.add_argument("--customers", type=int, default=3000)
    down.add_argument("--touchpoints", type=int, default=30000)
    down.add_argument("--attempts", type=int, default=5)
    down.add_argument("--kib-s", type=float, default=400.0)
    down.add_argument("--latency-ms", type=float, default=300.0)
    down.add_argument("--drop-every-kib", type=int, default=1024)
    cost = sub.add_parser("digests")
    cost.add_argument("--mutations", type=int, default=2000)
    cost.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    {"evidence": evidence, "pull": pull, "digests": digests}[args.what](args)


if __name__ == "__main__":
    main()
