"""Where the local data lives: the platform's per-user data folder unless --data-dir says otherwise."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir

DB_NAME = "fieldmark.db"


def default_data_dir() -> Path:
    return Path(user_data_dir("Fieldmark", appauthor=False))


def database_path(data_dir: Path | None) -> Path:
    return Path(data_dir or default_data_dir()) / DB_NAME
