"""Many devices pushing at once to a real server process over loopback HTTP.

    python -m bench.sync_concurrent [--devices 50] [--mutations 200] [--batch 20] [--postgres] [--workers 1 4]

Starts ``fieldmark-server`` on SQLite (or on a private PostgreSQL cluster with --postgres). With
``--workers 1 4`` the whole measurement runs once per count, one after the other in the same run, each
on a fresh server with that many worker processes (``serve --workers N``) and a fresh database. Each
device is one sign-in of a demo user who may own customers (several devices per user, as when a
rep has a laptop and a tablet); before the clock starts it signs in, creates its own customer and
encodes its N touchpoint.log mutations into request bodies of ``--batch`` mutations.

Then every device pushes its queue at once: one thread per device, each with its own HTTP
connection, sending its batches one after the other as the desktop does (the next batch after the
answer to the previous one). Batches of 20 rather than the desktop's 200 (sync.protocol.PUSH_BATCH)
give ten requests per device and so a latency distribution worth the name; ``--batch 200`` measures
the desktop's size. Threads, not processes: the bodies are encoded up front, so a client thread
only sends bytes and waits, and the client stays light on a machine it shares with the server.

Printed: request latency p50 / p95 / max, total throughput, and errors (any non-2xx answer, any
failed request, any result that is not "applied"); meanwhile a further thread asks /v1/health every
50 ms, to show that the server still answers other requests while it writes. The baseline,
measured in the same run before the storm, is one device pushing the same queue alone.

After the push storm, every device pulls everything it may see from cursor 0, all at once (pages of
1,000, gzip): reading, encoding and compressing pages is the work that more worker processes share
out, where pushes all wait for the database's one writer lock.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from desktop import __version__, timeutil
from desktop.ids import uuid7
from desktop.mutations import prepare
from sync import protocol
from tests import postgres
from tests.server_process import Api, ServerProcess

# Demo users who may own customers (customer.create) and log touchpoints.
USERS = ("rep.li", "rep.zhang", "rep.liu", "rep.huang", "channel.zhao", "manager.wang", "manager.zhou", "kad.chen")


class Device:
    """One sign-in with its queue encoded as request bodies."""

    def __init__(self, server: ServerProcess, username: str, number: int, mutations: int, batch: int) -> None:
        self.api = Api(server, username)
        customer = prepare("customer.create", {"name": f"并发测试客户 {number} 号"})
        response = self.api.push(("customer.create", customer))
        response.raise_for_status()
        assert response.json()["results"][0]["status"] == protocol.APPLIED
        items = []
        for i in range(mutations):
            self.api.seq += 1
            args = prepare("touchpoint.log", {
                "customer_id": customer["id"], "channel": "call", "summary": f"设备 {number} 第 {i} 次拜访，沟通交期",
                "occurred_at": timeutil.to_text(timeutil.utcnow())})
            items.append({"seq": self.api.seq, "mutation_id": uuid7(), "name": "touchpoint.log", "args": args,
                          "base_version": None, "schema_version": "0002", "client_time": args["at"]})
        self.bodies = [json.dumps({"device_id": self.api.device_id, "mutations": items[start:start + batch]},
                                  ensure_ascii=False).encode("utf-8")
                       for start in range(0, len(items), batch)]
        self.url = server.url + "/v1/push"
        self.headers = {**self.api.headers, "Content-Type": "application/json"}
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self, start: threading.Barrier | None = None) -> None:
        with requests.Session() as http:
            if start is not None:
                start.wait()
            for body in self.bodies:
                began = time.perf_counter()
                try:
                    response = http.post(self.url, data=body, headers=self.headers, timeout=300)
                except requests.RequestException as exc:
                    self.latencies.append(time.perf_counter() - began)
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                self.latencies.append(time.perf_counter() - began)
                if not response.ok:
                    self.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
                    continue
                self.errors += [f"seq {r['seq']}: {r['status']}" for r in response.json()["results"]
                                if r["status"] != protocol.APPLIED]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_concurrent")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--mutations", type=int, default=200, help="per device")
    parser.add_argument("--batch", type=int, default=20, help=f"mutations per request (desktop: {protocol.PUSH_BATCH})")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="server worker processes; several counts are measured one after the other")
    args = parser.parse_args(argv)
    cluster = postgres.start() if args.postgres else None
    failed = False
    try:
        for workers in args.workers:
            failed |= measure(args, cluster, workers)
    finally:
        if cluster:
            cluster.stop()
    return 1 if failed else 0


def measure(args: argparse.Namespace, cluster: postgres.PostgresCluster | postgres.ExternalPostgres | None,
            workers: int) -> bool:
    """One measurement on a fresh server with ``workers`` processes; prints it, returns whether anything failed."""
    folder = Path(tempfile.mkdtemp(prefix="fieldmark-bench-"))
    server = ServerProcess(folder, cluster.database() if cluster else None, workers=workers)
    kind = "PostgreSQL" if cluster else "SQLite"
    try:
        alone = Device(server, USERS[0], 0, args.mutations, args.batch)
        began = time.perf_counter()
        alone.run()
        alone_time = time.perf_counter() - began
        assert not alone.errors, alone.errors[:5]

        devices = [Device(server, USERS[n % len(USERS)], n + 1, args.mutations, args.batch)
                   for n in range(args.devices)]
        start = threading.Barrier(args.devices + 1)
        threads = [threading.Thread(target=d.run, args=(start,)) for d in devices]
        for thread in threads:
            thread.start()
        health: list[float] = []
        health_errors = 0
        start.wait()
        began = time.perf_counter()
        with requests.Session() as http:
            while any(t.is_alive() for t in threads):
                asked = time.perf_counter()
                try:
                    if not http.get(server.url + "/v1/health", headers={protocol.APP_HEADER: __version__},
                                    timeout=60).ok:
                        health_errors += 1
                except requests.RequestException:
                    health_errors += 1
                health.append(time.perf_counter() - asked)
                time.sleep(0.05)
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        pulled, pull_times, pull_elapsed = pull_storm(devices)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    latencies = [x for d in devices for x in d.latencies]
    errors = [e for d in devices for e in d.errors]
    total = args.devices * args.mutations
    ms = 1000
    print(f"{kind}, {workers} worker{'s' if workers > 1 else ''}: {args.devices} devices x {args.mutations} "
          f"touchpoint.log mutations, batches of {args.batch} ({len(latencies)} requests)")
    print(f"  baseline, one device alone: {args.mutations} mutations in {alone_time:.2f} s, request latency "
          f"p50 {statistics.median(alone.latencies) * ms:.0f} ms, max {max(alone.latencies) * ms:.0f} ms")
    print(f"  all at once: {total:,} mutations in {elapsed:.1f} s ({total / elapsed:,.0f}/s); request latency "
          f"p50 {statistics.median(latencies) * ms:.0f} ms, p95 {percentile(latencies, 0.95) * ms:.0f} ms, "
          f"max {max(latencies) * ms:.0f} ms; errors: {len(errors)}")
    print(f"  /v1/health meanwhile: {len(health)} requests, p50 {statistics.median(health) * ms:.1f} ms, "
          f"p95 {percentile(health, 0.95) * ms:.1f} ms, max {max(health) * ms:.1f} ms; errors: {health_errors}",
          flush=True)
    print(f"  then every device pulls everything it may see, all at once: {pulled:,} changes in "
          f"{pull_elapsed:.1f} s; per device p50 {statistics.median(pull_times):.2f} s, "
          f"max {max(pull_times):.2f} s", flush=True)
    for error in errors[:10]:
        print("   ", error)
    return bool(errors or health_errors)


def pull_storm(devices: list[Device]) -> tuple[int, list[float], float]:
    """Every device pulls from cursor 0 at once (pages of 1,000, gzip): changes pulled, each device's
    time, the time of all."""
    counts = [0] * len(devices)
    times = [0.0] * len(devices)
    start = threading.Barrier(len(devices) + 1)

    def pull(n: int) -> None:
        start.wait()
        began = time.perf_counter()
        counts[n] = len(devices[n].api.pull_all(limit=1000)[0])
        times[n] = time.perf_counter() - began

    threads = [threading.Thread(target=pull, args=(n,)) for n in range(len(devices))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return sum(counts), times, time.perf_counter() - began


if __name__ == "__main__":
    raise SystemExit(main())
