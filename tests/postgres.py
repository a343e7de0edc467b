"""A real PostgreSQL for the tests: the one named by FIELDMARK_TEST_PG_URL, else a private cluster
started here (Debian's postgresql package, installed by scripts/system-deps.sh) in a temporary folder,
run as the ``postgres`` user because PostgreSQL refuses to run as root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--", *args] if runuser else ["su", "postgres", "-c", " ".join(args)]


class PostgresCluster:
    """A throw-away cluster on a free loopback port; ``database()`` makes a new empty database."""

    def __init__(self) -> None:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not (initdb and pg_ctl):
            raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs the postgresql "
                               "package) or set FIELDMARK_TEST_PG_URL")
        self.pg_ctl = pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="fieldmark-pg-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        subprocess.run(_as_postgres([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        subprocess.run(_as_postgres([pg_ctl, "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "start",
                                     "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                                           "-c fsync=on -c max_connections=200"]),
                       check=True, capture_output=True, timeout=120)
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._count = 0

    def database(self) -> str:
        import psycopg

        self._count += 1
        name = f"fieldmark_test_{self._count}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(_as_postgres([self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


class ExternalPostgres:
    def __init__(self, url: str) -> None:
        self.url = url
        self._count = 0

    def database(self) -> str:
        import psycopg

        self._count += 1
        name = f"fieldmark_test_{os.getpid()}_{self._count}_{int(time.time())}"
        plain = self.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        pass


def start() -> PostgresCluster | ExternalPostgres:
    url = os.environ.get("FIELDMARK_TEST_PG_URL")
    return ExternalPostgres(url) if url else PostgresCluster()
