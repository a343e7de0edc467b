"""Where the device token lives: the OS keyring when there is a usable one, else a private file.

The token lets anyone holding it push and pull as this device's user, so it is never written to the
database (which is backed up and copied around). The keyring (macOS Keychain, Windows Credential
Locker, the Secret Service on Linux desktops) is preferred; where there is none - a headless
machine, a minimal Linux session - the token goes into ``<data folder>/device-token`` created with
mode 0600, readable by the user alone (on Windows the per-user data folder's ACL does that job).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

SERVICE = "Fieldmark"
FILE_NAME = "device-token"


class TokenStore(Protocol):
    """Keeps one secret: the token of this device."""

    def load(self) -> str | None: ...

    def save(self, token: str) -> None: ...

    def clear(self) -> None: ...


class KeyringTokenStore:
    """The token in the OS keyring, under service "Fieldmark" and an account naming this device."""

    def __init__(self, account: str, backend: KeyringBackend | None = None) -> None:
        self.account = account
        self._keyring = backend or keyring.get_keyring()

    def load(self) -> str | None:
        return self._keyring.get_password(SERVICE, self.account)

    def save(self, token: str) -> None:
        self._keyring.set_password(SERVICE, self.account, token)

    def clear(self) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(SERVICE, self.account)


class FileTokenStore:
    """The token in a file only its owner may read (0600), replaced atomically on save."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> str | None:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return None
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(self.path, 0o600)  # someone widened it: take it back before reading the secret
        token = self.path.read_text(encoding="utf-8").strip()
        return token or None

    def save(self, token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        # O_EXCL + 0600 at creation: the secret is never in a file others could open, not even briefly.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # the umask can only remove bits; this makes the mode exact
            os.write(fd, token.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def usable_keyring() -> KeyringBackend | None:
    """The OS keyring backend when one really works here, else None.

    keyring falls back to a backend that refuses everything (priority 0) when it finds none; a
    backend that is present but cannot be reached (no D-Bus session, say) fails the probe read.
    """
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or float(getattr(backend, "priority", 0)) <= 0:
            return None
        backend.get_password(SERVICE, "probe")
    except Exception:  # noqa: BLE001 - any failure means "not usable here"; the file is the answer
        return None
    return backend


def open_token_store(data_dir: Path, account: str) -> TokenStore:
    """The keyring when usable (account names the device), else the 0600 file in the data folder."""
    backend = usable_keyring()
    if backend is not None:
        return KeyringTokenStore(account, backend)
    return FileTokenStore(Path(data_dir) / FILE_NAME)
