"""Talking to the server from the shell: one SyncClient per store, sync on the network thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from desktop import remote
from sync.client import SyncClient
from sync.token_store import open_token_store
from ui.context import AppContext


def client_for(context: AppContext, url: str | None = None) -> SyncClient | None:
    """The context's SyncClient, made (or remade for another URL) on first use; None with no server."""
    if url is None:
        url = remote.read_state(context.store).server_url
    if not url:
        return None
    client = getattr(context, "sync_client", None)
    if client is None or client.base_url != url.rstrip("/"):
        device_id, _code = context.store.device()
        client = SyncClient(context.store, url, open_token_store(context.store.path.parent, device_id))
        context.sync_client = client
    return client


def run_sync(context: AppContext, job: Callable[[SyncClient], Any], client: SyncClient,
             done: Callable[[Future[Any]], None]) -> None:
    """Run job(client) on the network thread; the status bar says so meanwhile; views refresh after."""
    context.sig_sync_started.emit()

    def finished(future: Future[Any]) -> None:
        context.sig_sync_finished.emit()
        context.tasks.sig_data_changed.emit(None)
        done(future)

    context.tasks.run_net(lambda: job(client), finished)
