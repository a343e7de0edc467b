"""A small HTTP proxy in front of a real server process, for tests of a network that misbehaves: it can
make pull pages small, hold a request, drop the connection without an answer, or never answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class Proxy:
    """Forwards to ``target``. ``rule(path, count)`` runs before each request (count: how many requests
    to that path so far, this one included) and returns None (forward), "drop" (close without an answer)
    or "hang" (answer nothing for ``hang_s``). ``pull_limit`` caps the page size pulls ask for."""

    def __init__(self, target: str, pull_limit: int | None = None) -> None:
        self.target = target.rstrip("/")
        self.pull_limit = pull_limit
        self.rule: Callable[[str, int], str | None] = lambda _path, _count: None
        self.hang_s = 5.0
        self.delay_s = 0.0  # before each forwarded pull, so a test can act between pages
        # False: /v1/snapshot is not found here, as on a server from before snapshots - a first pull
        # then reads the change log, page by page (what a test of drops between pages needs)
        self.snapshots = True
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                with proxy._lock:
                    count = proxy.counts[parts.path] = proxy.counts.get(parts.path, 0) + 1
                action = proxy.rule(parts.path, count)
                if parts.path == "/v1/snapshot" and not proxy.snapshots:
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                    return
                if action == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if action == "hang":
                    time.sleep(proxy.hang_s)
                    self.close_connection = True
                    return
                query = dict(parse_qsl(parts.query))
                if parts.path == "/v1/pull":
                    if proxy.pull_limit is not None:
                        query["limit"] = str(proxy.pull_limit)
                    time.sleep(proxy.delay_s)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP - {"content-encoding"}}
                answer = requests.request(self.command, proxy.target + parts.path, params=query, data=body,
                                          headers=headers, timeout=30, stream=True)
                # The bytes as the server sent them, compressed or not (zstd, gzip): a proxy passes them on.
                content = answer.raw.read(decode_content=False)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in HOP_BY_HOP - {"content-encoding"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class NotOurs:
    """A web server that is not Fieldmark: every path answers 404 with an HTML page."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _handle(self) -> None:
                page = b"<html><body><h1>404 Not Found</h1></body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
