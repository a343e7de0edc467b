"""A weak link on loopback: a TCP proxy with a bandwidth, a latency, a send buffer, and drops.

    python -m bench.throttle_proxy --target 127.0.0.1:8765 [--port 0] [--kib-s 50] [--latency-ms 300]
                                   [--drop-every-kib 1024]

Each direction of each connection is a link of its own:

- **bandwidth**: bytes leave at ``bandwidth`` bytes a second, one after the other;
- **latency**: each byte arrives ``latency`` seconds after it left (one way);
- **drops**: after every ``drop_every`` bytes carried by one connection (both directions), the
  connection is cut (both sides reset, nothing more delivered) - a mobile link losing its carrier.

The proxy takes the next 16 KiB from a sender only when the link is about to be free, and its own sockets have small kernel buffers (SO_RCVBUF, SO_SNDBUF of 16 KiB), so what a
sender has written but the far end has not read sits in **the sender's send buffer**, as over a WAN.
On loopback that buffer is no model of a WAN: Linux grows it to megabytes, so a ``sendall`` of a
whole megabyte returns at once. :func:`wan_session` gives a ``requests.Session`` whose sockets have
the send buffer of a WAN connection (SO_SNDBUF, 256 KiB by default): with it, a write takes as long
as the link needs, less what the buffer holds - which is what makes timeouts behave as in the field.

The proxy runs an asyncio loop on a thread of its own (:class:`ThrottleProxy`, a context manager), so
tests and bench scripts drive it from ordinary code. It counts the bytes it delivered each way
(``up_bytes``: towards the target; ``down_bytes``: back): the wire bytes of whatever went through.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection

KERNEL_BUFFER = 16 * 1024  # the proxy's own socket buffers: small, so that the sender's buffer is the buffer
READ_SIZE = 16 * 1024


@dataclass
class Link:
    bandwidth: float  # bytes per second
    latency: float = 0.0  # seconds, one way
    drop_every: int | None = None  # bytes carried by one connection before it is cut



WAN_SEND_BUFFER = 256 * 1024


def wan_session(send_buffer: int = WAN_SEND_BUFFER) -> requests.Session:
    """A requests session whose connections have a WAN-sized kernel send buffer (Linux doubles the
    value set, and reports the doubled size)."""
    options = [*HTTPConnection.default_socket_options, (socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer // 2)]

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: object, **kwargs: object) -> None:
            kwargs["socket_options"] = options
            super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]

    session = requests.Session()
    session.mount("http://", Adapter())
    return session


class _Connection:
    """One proxied connection: two paced directions sharing a byte budget before the cut."""

    def __init__(self, proxy: ThrottleProxy, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 server: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.proxy = proxy
        self.client, self.server = client, server
        self.carried = 0
        self.cut = False

    async def run(self) -> None:
        up = asyncio.ensure_future(self._direction(self.client[0], self.server[1], "up"))
        down = asyncio.ensure_future(self._direction(self.server[0], self.client[1], "down"))
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if self.cut:
            for task in (up, down):
                task.cancel()
        await asyncio.gather(up, down, return_exceptions=True)
        for _reader, writer in (self.client, self.server):
            _close(writer, abort=self.cut)

    async def _direction(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, way: str) -> None:
        link = self.proxy.link
        queue: deque[tuple[float, bytes]] = deque()  # (time it arrives, bytes) in flight
        free_at = 0.0  # when the link has finished sending what it was given
        more = asyncio.Event()
        done = False

        async def read() -> None:
            nonlocal free_at, done
            loop = asyncio.get_running_loop()
            try:
                while True:
                    # Take the next bytes only when the link is about to be free: what the sender wrote
                    # meanwhile waits in its own send buffer. Bytes already sent travel for ``latency``.
                    ahead = free_at - loop.time() - READ_SIZE / link.bandwidth
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                    data = await source.read(READ_SIZE)
                    if not data:
                        break
                    free_at = max(free_at, loop.time()) + len(data) / link.bandwidth
                    queue.append((free_at + link.latency, data))
                    more.set()
            except (ConnectionError, OSError):
                pass
            finally:
                done = True
                more.set()

        reader = asyncio.ensure_future(read())
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not queue:
                    if done:
                        break
                    more.clear()
                    await more.wait()
                    continue
                arrives, data = queue[0]
                wait = arrives - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                queue.popleft()
                if link.drop_every is not None and self.carried + len(data) >= link.drop_every:
                    data = data[:max(0, link.drop_every - self.carried)]
                    self.cut = True
                if data:
                    sink.write(data)
                    self.carried += len(data)
                    self.proxy._count(way, len(data))
                    await sink.drain()
                if self.cut:
                    self.proxy.cuts += 1
                    return
            if sink.can_write_eof():
                sink.write_eof()
        except (ConnectionError, OSError):
            pass
        finally:
            reader.cancel()


def _close(writer: asyncio.StreamWriter, *, abort: bool) -> None:
    transport = writer.transport
    if abort:
        transport.abort()
    else:
        transport.close()


class ThrottleProxy:
    """Forwards 127.0.0.1:<port> to ``target`` (host, port) through a :class:`Link` per direction.

    ``link`` may be changed while it runs (new connections and new reads see the new values)."""

    def __init__(self, target: tuple[str, int], link: Link, port: int = 0) -> None:
        self.target, self.link = target, link
        self.up_bytes = self.down_bytes = 0
        self.connections = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Set before listen(): accepted sockets inherit the buffer sizes (and the window they announce).
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, KERNEL_BUFFER)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_BUFFER)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="throttle-proxy", daemon=True)
        self._thread.start()
        self._started.wait(10)

    def _count(self, way: str, count: int) -> None:
        with self._lock:
            if way == "up":
                self.up_bytes += count
            else:
                self.down_bytes += count

    def reset_counts(self) -> None:
        with self._lock:
            self.up_bytes = self.down_bytes = 0
            self.connections = self.cuts = 0

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._accept, sock=self._listener, limit=READ_SIZE))
        self._started.set()
        self._loop.run_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._forward(reader, writer)
        except asyncio.CancelledError:  # the proxy is stopping
            writer.transport.abort()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            writer.transport.abort()
            return
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            upstream.setsockopt(socket.SOL_SOCKET, option, KERNEL_BUFFER)
        upstream.setblocking(False)
        server = await asyncio.open_connection(sock=upstream, limit=READ_SIZE)
        await _Connection(self, (reader, writer), server).run()

    def stop(self) -> None:
        def shut() -> None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.call_later(0.05, self._loop.stop)

        if self._loop.is_running():
            self._loop.call_soon_threadsafe(shut)
            self._thread.join(5)

    def __enter__(self) -> ThrottleProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="host:port to forward to")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--kib-s", type=float, default=50.0)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--drop-every-kib", type=int, default=0)
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    link = Link(args.kib_s * 1024, args.latency_ms / 1000, args.drop_every_kib * 1024 or None)
    proxy = ThrottleProxy((host, int(port)), link, args.port)
    print(f"{proxy.url} -> {args.target}: {args.kib_s:g} KiB/s, {args.latency_ms:g} ms, "
          f"drop every {args.drop_every_kib or '-'} KiB", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        proxy.stop()


if __name__ == "__main__":
    main()
