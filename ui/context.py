"""What every window and page shares: the store, the worker threads, the signed-in user, the language."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal

from desktop.models import User
from desktop.store import Store
from ui.ops import TaskManager
from ui.sync_actions import SyncController


class AppContext(QObject):
    """The application's state, passed to every page instead of globals."""

    sig_user_changed = Signal(object)
    """The signed-in user changed (a desktop.models.User, or None after signing out)."""
    sig_sync_started = Signal()
    """A sync with the server began (on the network thread)."""
    sig_sync_finished = Signal()
    """A sync ended, well or not; desktop.remote.read_state says how."""

    def __init__(self, store: Store, language: str) -> None:
        super().__init__()
        self.store = store
        self.tasks = TaskManager(store)
        self.user: User | None = None
        self.language = language
        self.sync_client = None  # a sync.client.SyncClient, made on the network thread once a server is configured
        self.sync_client_options: dict[str, Any] = {}  # passed to SyncClient (tests: fewer attempts, short timeouts)
        self.sync = SyncController(self)
        """Every sync goes through it: background, Sync now, signing in (ui.sync_actions)."""

    def settings(self) -> QSettings:
        return QSettings()

    def set_user(self, user: User | None) -> None:
        self.user = user
        self.sig_user_changed.emit(user)

    @property
    def user_id(self) -> str:
        assert self.user is not None, "no one is signed in"
        return self.user.id
