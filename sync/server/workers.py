"""The server as one or several worker processes behind one address (``fieldmark-server serve --workers N``).

uvicorn's own supervisor runs the workers: the parent process binds the port, starts N processes
(each a fresh interpreter) that accept connections from the same socket, restarts one that dies and
stops them all on SIGTERM. A fresh interpreter cannot be handed an engine or an app object, so each
worker builds its app with :func:`app_from_environment`, from the settings the parent put in the
environment (:func:`export_settings`).

Nothing a worker keeps in memory is needed by another:

- pushes, rate fetches, sign-ins (device codes D1, D2, ...) and every other write are serialised by
  the database's writer lock (sync.server.db.writing: BEGIN IMMEDIATE on SQLite, an advisory lock on
  PostgreSQL); the in-process queue in front of pushes (sync.server.app) only spares threads;
- a person's chunks of one file are appended under a lock on a file in the shared blob folder
  (sync.server.blobs), whichever worker receives them;
- the schema is migrated once, by the parent, before the workers start (and a worker's own check at
  start is a no-op under the migration lock, sync.server.schema);
- the daily rate fetch (``--fetch-rates-as``) runs in the parent only, never in a worker.

Each response carries the pid of the worker that served it (:data:`WORKER_HEADER`), for diagnostics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DATA_DIR_ENV = "FIELDMARK_SERVER_DATA_DIR"
DATABASE_URL_ENV = "FIELDMARK_SERVER_DATABASE_URL"
CFETS_URL_ENV = "FIELDMARK_SERVER_CFETS_URL"
OPTIONS_ENV = "FIELDMARK_SERVER_OPTIONS"
WORKER_HEADER = "X-Fieldmark-Worker"
FACTORY = "sync.server.workers:app_from_environment"


def export_settings(data_dir: Path, database_url: str, cfets_url: str | None,
                    options: dict[str, Any] | None = None) -> None:
    """Put the app's settings where :func:`app_from_environment` reads them (inherited by the workers).
    ``options``: create_app's other keyword arguments (JSON values), the organisation's policies."""
    os.environ[OPTIONS_ENV] = json.dumps(options or {})
    os.environ[DATA_DIR_ENV] = str(Path(data_dir).resolve())
    os.environ[DATABASE_URL_ENV] = database_url
    if cfets_url:
        os.environ[CFETS_URL_ENV] = cfets_url
    else:
        os.environ.pop(CFETS_URL_ENV, None)


def app_from_environment() -> Any:
    """The app of one worker, on the settings in the environment (uvicorn calls it: ``--factory``)."""
    from sync.server.app import create_app
    from sync.server.db import database_url

    data_dir = Path(os.environ.get(DATA_DIR_ENV) or "server-data")
    url = database_url(data_dir, os.environ.get(DATABASE_URL_ENV))
    options = json.loads(os.environ.get(OPTIONS_ENV) or "{}")
    return WorkerHeader(create_app(url, data_dir, cfets_url=os.environ.get(CFETS_URL_ENV) or None, **options))


class WorkerHeader:
    """ASGI middleware: every HTTP response says which process served it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.header = (WORKER_HEADER.lower().encode("latin-1"), str(os.getpid()).encode("latin-1"))

    def __getattr__(self, name: str) -> Any:  # app.state, app.routes ... of the wrapped app
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_pid)


def serve(*, data_dir: Path, database_url: str, cfets_url: str | None, host: str, port: int, workers: int,
          options: dict[str, Any] | None = None) -> None:
    """Run the HTTP server with ``workers`` processes (1: in this process) until it is stopped."""
    import uvicorn

    export_settings(data_dir, database_url, cfets_url, options)
    uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers, log_level="info")
