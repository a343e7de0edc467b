"""A local stand-in for the CFETS site: serves the recorded answers in tests/data/cfets over HTTP
(the real site is not reachable from the test machines). Besides the real paths, "/paged…" answers
in two pages, "/maintenance…" with the site's maintenance page, "/slow…" after two seconds; anything
else is an HTTP 500."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from desktop.fx import cfets

DATA = Path(__file__).parent / "data" / "cfets"


def recorded(name: str) -> bytes:
    return (DATA / name).read_bytes()


class Handler(BaseHTTPRequestHandler):
    posted: list[dict[str, str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json;charset=UTF-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == cfets.LATEST_PATH:
            self._send(200, recorded("ccpr_latest.json"))
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        type(self).posted.append(form)
        if self.path == cfets.HISTORY_PATH:
            self._send(200, recorded("ccpr_his_usd.json"))
        elif self.path == "/paged" + cfets.HISTORY_PATH:
            doc = json.loads(recorded("ccpr_his_usd.json"))
            doc["data"]["pageTotal"] = 2
            if form.get("pageNum") == "2":
                doc["records"] = [{"date": "2026-11-13", "values": ["7.0750"]}]
            self._send(200, json.dumps(doc).encode())
        elif self.path == "/maintenance" + cfets.HISTORY_PATH:
            self._send(200, recorded("maintenance.html"), "text/html")
        elif self.path == "/slow" + cfets.HISTORY_PATH:
            time.sleep(2)
            self._send(200, recorded("ccpr_his_usd.json"))
        else:
            self._send(500, b"{}")


@contextmanager
def cfets_site() -> Iterator[str]:
    """Serve the recorded answers on a loopback port; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False  # type: ignore[attr-defined]
    Handler.posted = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
