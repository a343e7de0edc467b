"""A real sync server in its own process on a loopback port, for tests (no mock of our server)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from desktop import __version__
from desktop.ids import uuid7
from sync import protocol

STARTED = "Application startup complete."  # uvicorn's line, once per worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``fieldmark-server serve`` on 127.0.0.1, with the demo users seeded (and no other data)."""

    def __init__(self, data_dir: Path, database_url: str | None = None, *serve_options: str, workers: int = 1) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = [sys.executable, "-m", "sync.server.cli", "--data-dir", str(data_dir)]
        if database_url:
            base += ["--database-url", database_url]
        self.base = base
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        # The demo users only: each test makes the data it needs.
        subprocess.run(base + ["seed-demo", "--users-only"], check=True, capture_output=True, timeout=60)
        self.serve_options, self.workers = serve_options, workers
        self.log_path = Path(data_dir) / "server.log"
        self.start()

    def start(self) -> None:
        """Serve (again, after stop) on the same port. The server's log goes to a file (a pipe nobody
        reads would fill up and block it); a restart appends to it."""
        workers = self.workers + (self.log().count(STARTED) if self.log_path.exists() else 0)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.base + ["serve", "--port", str(self.port), "--workers", str(self.workers),
                                                         *self.serve_options], stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                # Every worker up: each says so in the log once its app is built.
                if requests.get(self.url + "/v1/health", timeout=1).ok and self.log().count(STARTED) >= workers:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server did not start: " + self.log())

    def log(self) -> str:
        """What the server has written to its log so far."""
        return self.log_path.read_text(errors="replace")

    def admin(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.base + list(args), capture_output=True, text=True, timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Api:
    """Bare HTTP calls as a device would make them."""

    def __init__(self, server: ServerProcess, username: str, password: str = "fieldmark",
                 device_id: str | None = None) -> None:
        self.server = server
        self.device_id = device_id or uuid7()
        self.headers = {protocol.APP_HEADER: __version__}
        response = self.post("/v1/auth/token", {"username": username, "password": password,
                                                "device_id": self.device_id, "device_name": f"{username}'s laptop"})
        response.raise_for_status()
        self.user_id = response.json()["user_id"]
        self.headers["Authorization"] = f"Bearer {response.json()['token']}"
        self.device_code: str = response.json()["device_code"]
        self.seq = 0

    def post(self, path: str, body: object, **kwargs) -> requests.Response:
        return requests.post(self.server.url + path, json=body, headers=self.headers, timeout=30, **kwargs)

    def push(self, *mutations: tuple[str, dict], seqs: list[int] | None = None, device_id: str | None = None,
             extra: dict | None = None) -> requests.Response:
        items = []
        for i, (name, args) in enumerate(mutations):
            if seqs is None:
                self.seq += 1
            items.append({"seq": seqs[i] if seqs else self.seq, "mutation_id": uuid7(), "name": name,
                          "args": args, "base_version": None, "schema_version": "0002",
                          "client_time": args.get("at"), **(extra or {})})
        return self.post("/v1/push", {"device_id": device_id or self.device_id, "mutations": items})

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.server.url + path, headers={**self.headers, **kwargs.pop("headers", {})},
                            timeout=30, **kwargs)

    def put_chunk(self, sha: str, offset: int, total: int, data: bytes, **kwargs) -> requests.Response:
        """One PUT of an evidence file's bytes (sync.protocol)."""
        return requests.put(self.server.url + f"/v1/blobs/{sha}", params={"offset": offset, "total": total},
                            data=data, headers={**self.headers, "Content-Type": "application/octet-stream",
                                                **kwargs.pop("headers", {})}, timeout=30, **kwargs)

    def upload(self, data: bytes, chunk: int = 1024 * 1024) -> str:
        """Send a whole file in chunks; returns its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        for offset in range(0, len(data), chunk):
            self.put_chunk(sha, offset, len(data), data[offset:offset + chunk]).raise_for_status()
        return sha

    def pull_all(self, cursor: int = 0, limit: int = 1000) -> tuple[list[dict], int]:
        changes = []
        while True:
            response = requests.get(self.server.url + "/v1/pull", params={"cursor": cursor, "limit": limit},
                                    headers=self.headers, timeout=30)
            response.raise_for_status()
            body = response.json()
            changes += body["changes"]
            cursor = body["next_cursor"]
            if not body["has_more"]:
                return changes, cursor
