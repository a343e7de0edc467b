"""Sync through a weak link: a visit's evidence going up, and a rep-sized pull over a link that drops.

    python -m bench.sync_weak_link evidence [--kib-s 50] [--latency-ms 300] [--mb 1,2,3]
    python -m bench.sync_weak_link pull [--customers 3000] [--touchpoints 5] [--kib-s 400]
                                        [--latency-ms 300] [--drop-every-kib 1024]

Both run a real server process (tests/server_process.py) behind bench/throttle_proxy.py, and a desktop
whose connections have a WAN-sized send buffer (256 KiB, bench.throttle_proxy.wan_session).

``evidence``: a rep records a visit offline with one photo of each size in ``--mb`` and submits it;
then ``SyncClient.push()`` through the link is timed. The bare baseline, from the same run, is the
files' bytes over the link's bandwidth: the least any upload can take.

``pull``: the server holds ``--customers`` customers of one rep, each with ``--touchpoints`` visits
(written by the rep's own desktop over plain loopback, not timed). A second desktop of the same rep
then pulls everything through the link with a drop after every ``--drop-every-kib``: it must
complete with the same rows. Printed: time, pages, drops, and the wire bytes (what the proxy
carried back) per customer and per touchpoint, beside the JSON size of the same changes and the
bytes over bandwidth as the baseline.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.throttle_proxy import Link, ThrottleProxy, wan_session
from desktop import mutations, timeutil
from desktop.models import Customer, Touchpoint
from desktop.store import open_store
from sync.client import SyncClient
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


def pull(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = ServerProcess(root / "server")
        try:
            writer, user = _desk(root / "writer", server.url)
            store = writer.store
            at = timeutil.to_text(timeutil.utcnow().replace(microsecond=0))
            started = time.monotonic()
            for i in range(args.customers):
                customer = mutations.run(store, user, "customer.create", {
                    "name": f"苏州恒通精密机械{i}号", "region": "江苏", "city": "苏州",
                    "phone": f"0512-6{i:07d}"}).changes.entity_id
                for j in range(args.touchpoints):
                    mutations.run(store, user, "touchpoint.log", {
                        "customer_id": customer, "channel": "call", "occurred_at": at,
                        "summary": f"电话跟进第{j + 1}次，确认报价和交期"})
                if i % 500 == 499:
                    writer.push()
            writer.push()
            print(f"data: {args.customers} customers x {args.touchpoints} touchpoints written and pushed in "
                  f"{time.monotonic() - started:.0f} s (not timed)")
            api = Api(server, REP)
            plain, _cursor = api.pull_all(limit=20000)
            json_bytes = len(json.dumps({"changes": plain}, ensure_ascii=False, separators=(",", ":")).encode())
            link = Link(args.kib_s * 1024, args.latency_ms / 1000,
                        args.drop_every_kib * 1024 if args.drop_every_kib else None)
            with ThrottleProxy(("127.0.0.1", server.port), link) as proxy:
                reader, _ = _desk(root / "reader", proxy.url, session=wan_session(), sleep=lambda _s: None)
                proxy.reset_counts()
                started = time.monotonic()
                report = reader.pull()
                elapsed = time.monotonic() - started
                wire, cuts = proxy.down_bytes, proxy.cuts
            with reader.store.read() as s:
                customers = s.scalar(select(func.count()).select_from(Customer))
                touchpoints = s.scalar(select(func.count()).select_from(Touchpoint))
            print(f"pull through {args.kib_s:g} KiB/s, {args.latency_ms:g} ms, drop every "
                  f"{args.drop_every_kib or '-'} KiB: {elapsed:.1f} s, {report.pages} pages, {cuts} drops, "
                  f"{customers} customers and {touchpoints} touchpoints here "
                  f"({'complete' if customers == args.customers else 'INCOMPLETE'})")
            rows = args.customers * (1 + args.touchpoints)
            print(f"  wire bytes down {wire / 1024:.0f} KiB (drops included): {wire / rows:.1f} per row "
                  f"(customer or touchpoint); uncompressed JSON {json_bytes / rows:.1f} per row")
            print(f"  baseline bytes / bandwidth: {wire / link.bandwidth:.1f} s")
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
    down.add_argument("--touchpoints", type=int, default=5)
    down.add_argument("--kib-s", type=float, default=400.0)
    down.add_argument("--latency-ms", type=float, default=300.0)
    down.add_argument("--drop-every-kib", type=int, default=1024)
    args = parser.parse_args()
    (evidence if args.what == "evidence" else pull)(args)


if __name__ == "__main__":
    main()
