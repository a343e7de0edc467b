"""Where the local data lives: --data-dir if given, else the folder last chosen in the app, else the
platform's per-user data folder."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

DB_NAME = "fieldmark.db"
# Kept beside the app's settings, outside any data folder: it says which data folder to open.
CHOSEN_NAME = "data-folder.txt"


def default_data_dir() -> Path:
    return Path(user_data_dir("Fieldmark", appauthor=False))


def database_path(data_dir: Path | None) -> Path:
    return Path(data_dir or default_data_dir()) / DB_NAME


def _chosen_file() -> Path:
    return Path(user_config_dir("Fieldmark", appauthor=False)) / CHOSEN_NAME


def chosen_data_dir() -> Path | None:
    """The data folder last chosen in the app (to join a server from a new folder), or None."""
    try:
        text = _chosen_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Path(text) if text else None


def remember_data_dir(folder: Path) -> None:
    """Open this folder from now on when no --data-dir is given."""
    path = _chosen_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(str(Path(folder).resolve()) + "\n", encoding="utf-8")
    tmp.replace(path)


def is_free_for_data(folder: Path) -> bool:
    """A folder a new data folder may be made in: it does not exist yet, is empty, or holds a database."""
    folder = Path(folder)
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    return not names or DB_NAME in names
