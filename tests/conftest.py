"""Shared fixtures: a real SQLite store per test (copied from one migrated template), a small organisation."""

from __future__ import annotations

import faulthandler
import gc
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Settings, caches (compiled translations) and default data folders of the app go to a throw-away home.
_HOME = tempfile.mkdtemp(prefix="fieldmark-tests-")
for _name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
    os.environ[_name] = os.path.join(_HOME, _name.lower())

from desktop import derived, integrity, mutations, passwords, snapshot, timeutil  # noqa: E402
from desktop.ids import uuid7  # noqa: E402
from desktop.store import Store, open_store  # noqa: E402
from tests.app_windows import contexts, no_chosen_folder  # noqa: E402, F401 - fixtures of the window tests

PASSWORD = "s3cret-pass"
# pytest-timeout (120 s, pyproject.toml) needs the GIL to act, and a native call that hangs holding it
# (Qt Multimedia's FFmpeg backend did, in QMediaPlayer.stop) blocks it too. faulthandler's watchdog is
# a C thread: past this many seconds it prints every thread's stack and ends the run, so a hang costs
# CI minutes, not its whole time limit.
WATCHDOG_S = 300


_collector = None


@pytest.fixture(autouse=True)
def _widgets_die_on_the_gui_thread(request: pytest.FixtureRequest):
    """Garbage is collected on the GUI thread only, as in the app (ui.gc_guard): otherwise a collection
    on a worker thread (the database thread allocates all the time) may destroy a parentless test
    widget there, which Qt does not allow; it crashed or deadlocked a run now and then. From the first
    Qt test on, the automatic collector is off: a test with widgets is collected in full after it, any
    other test by the collector's thresholds, here on the main thread."""
    global _collector
    if _collector is None and "qtbot" in request.fixturenames:
        from ui.gc_guard import GuiThreadCollector

        request.getfixturevalue("qapp")
        _collector = GuiThreadCollector()
    yield
    if "qtbot" in request.fixturenames:
        gc.collect()
    elif _collector is not None:
        _collector.check()


@pytest.fixture(autouse=True)
def _native_hang_watchdog(request: pytest.FixtureRequest):
    # pytest keeps a copy of the real stderr for faulthandler; captured output would die with the process
    from _pytest.faulthandler import fault_handler_stderr_fd_key

    fd = request.config.stash.get(fault_handler_stderr_fd_key, None)
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, **({"file": fd} if fd is not None else {}))
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database migrated to head, made once per run and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "fieldmark.db"
    open_store(path, device_code="D1").close()
    return path


@pytest.fixture
def store(template_db: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """A fresh migrated store. After the test, every row change in it must be accounted for by the
    outbox and the audit chain must verify (tests that tamper on purpose are marked ``tampers``)."""
    path = tmp_path / "fieldmark.db"
    shutil.copy(template_db, path)
    s = open_store(path)
    yield s
    if request.node.get_closest_marker("tampers") is None:
        with s.read() as session:
            assert integrity.check(session) == []
    s.close()


@dataclass
class Org:
    """A small organisation: ids by username."""

    ids: dict[str, str]

    def __getitem__(self, username: str) -> str:
        return self.ids[username]


ORG_USERS = [
    # username, role, territory, team
    ("admin", "admin", "", ""),
    ("manager", "sales_manager", "江苏", "east1"),
    ("kad", "key_account_director", "上海", "east1"),
    ("rep", "field_rep", "江苏", "east1"),
    ("rep2", "field_rep", "江苏", "east1"),
    ("otherrep", "field_rep", "浙江", "east2"),
    ("othermanager", "sales_manager", "浙江", "east2"),
    ("channel", "channel_manager", "安徽", "east2"),
    ("finance", "finance", "", "fin"),
    ("cfo", "finance_director", "", "fin"),
    ("service", "service_engineer", "江苏", "svc"),
]


@pytest.fixture(scope="session")
def password_hash() -> str:
    return passwords.hash_password(PASSWORD)


@pytest.fixture
def org(store: Store, password_hash: str) -> Org:
    """Users of every role, loaded as a server snapshot (the desktop receives users, it does not create them)."""
    now = timeutil.to_text(timeutil.utcnow())
    ids = {name: uuid7() for name, *_ in ORG_USERS}
    # name_sort as the server computes it and a snapshot carries it
    rows = [(ids[name], name, name.title(), role, territory, team, None, password_hash, 1, now, now, 1,
             derived.user_columns(name.title())["name_sort"]) for name, role, territory, team in ORG_USERS]
    with store.writer("snapshot") as session:
        snapshot.insert_rows(session, "users", ("id", "username", "display_name", "role", "territory", "team",
                                                "manager_id", "password_hash", "active", "created_at",
                                                "updated_at", "version", "name_sort"), rows)
    return Org(ids)


def run(store: Store, actor: str, mutation: str, /, **args: Any) -> mutations.Outcome:
    """Run one mutation as the given user id."""
    return mutations.run(store, actor, mutation, args)


def make_customer(store: Store, actor: str, name: str = "苏州恒通精密机械有限公司", /, **extra: Any) -> str:
    extra.setdefault("region", "江苏")
    extra.setdefault("city", "苏州")
    return run(store, actor, "customer.create", name=name, **extra).changes.entity_id


@contextmanager
def local_time_zone(zone: str):
    """Run with the process's local time zone set to ``zone``, for Python and Qt alike."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.fixture
def shanghai_time():
    """Local time is UTC+8 (no daylight saving)."""
    with local_time_zone("Asia/Shanghai"):
        yield


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL for the session. Outside CI a machine without one skips those tests; in CI
    (CI=true) that is an error, never a skip."""
    from tests import postgres as pg

    try:
        cluster = pg.start()
    except Exception as exc:  # noqa: BLE001 - the reason is reported either way
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL here: {exc}")
    yield cluster
    cluster.stop()


def replay_outbox(store: Store, template_db: Path, path: Path) -> Store:
    """A fresh database at ``path`` holding ``store``'s users, onto which every outbox entry of ``store``
    has been run again through the registry, as the server does during sync."""
    import copy

    from sqlalchemy import select

    from desktop.models import OutboxEntry

    replica = open_store(shutil.copy(template_db, path))
    with store.read() as s:
        users = s.connection().exec_driver_sql("SELECT * FROM users").fetchall()
        entries = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
    with replica.writer("snapshot") as s:
        s.connection().exec_driver_sql(f"INSERT INTO users VALUES ({', '.join('?' * len(users[0]))})",
                                       [tuple(u) for u in users])
    with replica.writer("mutation") as s:
        for entry in entries:
            actor = mutations.registry.load_actor(s, entry.actor_id, "server")
            mutations.execute(s, actor, entry.name, copy.deepcopy(entry.args))
            s.flush()
    return replica


def table_rows(store: Store, table: str) -> list[Any]:
    """Every row of a table, all columns, by id."""
    with store.read() as s:
        return s.connection().exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").fetchall()
