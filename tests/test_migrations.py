"""Start-up migrations on real SQLite files: new databases, populated old ones, backups, failures, refusals."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from desktop import audit, migrate, search, timeutil
from desktop.models import Base
from desktop.store import make_engine, open_store

HEAD = "0013"
PREVIOUS = "0001"
TABLES = ("users", "customers", "contacts", "touchpoints", "attachments", "device_state", "outbox", "audit_log")
SYNC_TABLES = ("sync_state", "sync_problems", "sync_rows", "sync_reread", "sync_bulk")
SEARCH_TABLES = ("customer_search", "touchpoint_search")

# ---------------------------------------------------------------------------------------------- helpers


def _build_at(path: Path, revision: str, script_location: str | None = None) -> None:
    """Create the schema at ``revision`` the way desktop.migrate runs Alembic (on our own connection)."""
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config(script_location)
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def _raw(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path))


def _revision(path: Path) -> str:
    with _raw(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _dump(path: Path, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of every core table, restricted to the given columns (those that existed at 0001)."""
    with _raw(path) as conn:
        return {table: conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY 1").fetchall()
                for table, cols in columns.items()}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_wal(path: Path) -> None:
    """Fold any WAL into the main file so that hashing the main file covers every committed byte."""
    with _raw(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


CUSTOMERS = 3
CONTACTS_PER_CUSTOMER = 3
TOUCHPOINTS_PER_CUSTOMER = 4


def _populate(path: Path) -> dict[str, object]:
    """Fill a database at revision 0001 with plain SQL, as a 0001-era Fieldmark would have left it.

    Every table gets rows; each customer has several contacts and touchpoints (the children that a
    cascading rebuild of customers would delete). Foreign keys are ON, so the rows are consistent.
    Returns the ids of the touchpoints whose summary mentions 铭牌.
    """
    t = timeutil.to_text(timeutil.utcnow())
    nameplate: list[str] = []
    with _raw(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        users = [("u-manager", "manager", "经理", "sales_manager", None),
                 ("u-rep", "rep", "代表", "field_rep", "u-manager")]
        for uid, username, display, role, manager in users:
            conn.execute("INSERT INTO users VALUES (?, ?, ?, ?, '江苏', 'east1', ?, 'scrypt$x', 1, ?, ?, 1)",
                         (uid, username, display, role, manager, t, t))
        conn.execute("INSERT INTO device_state VALUES (1, 'dev-1', 'D7', 1, ?)", (t,))
        for c in range(CUSTOMERS):
            cid = f"cust-{c}"
            conn.execute(
                "INSERT INTO customers (id, name, short_name, owner_id, region, city, address, industry, status,"
                " phone, credit_limit, notes, created_at, updated_at, deleted_at, version)"
                " VALUES (?, ?, ?, 'u-rep', '江苏', '苏州', '工业园区星湖街', '机械', 'active', '0512-1', '1000.00',"
                " '老客户', ?, ?, NULL, 1)",
                (cid, f"苏州恒通精密机械有限公司{c}", f"恒通{c}", t, t))
            for k in range(CONTACTS_PER_CUSTOMER):
                conn.execute(
                    "INSERT INTO contacts VALUES (?, ?, ?, '工程师', 'technical', '', '', '', '', NULL, ?, ?, NULL, 1)",
                    (f"{cid}-contact-{k}", cid, f"联系人{c}{k}", t, t))
            for n in range(TOUCHPOINTS_PER_CUSTOMER):
                tid = f"{cid}-tp-{n}"
                summary = "现场拜访，拍摄设备铭牌照片" if n == 0 else f"电话沟通第{n}次"
                if n == 0:
                    nameplate.append(tid)
                conn.execute(
                    "INSERT INTO touchpoints (id, customer_id, user_id, contact_id, channel, occurred_at, with_whom,"
                    " summary, reaction, reaction_note, next_step, next_step_due, status, created_at, updated_at,"
                    " version) VALUES (?, ?, 'u-rep', ?, 'visit', ?, '王工', ?, 'positive', '', '报价', NULL,"
                    " 'submitted', ?, ?, 1)",
                    (tid, cid, f"{cid}-contact-{n % CONTACTS_PER_CUSTOMER}", t, summary, t, t))
                conn.execute(
                    "INSERT INTO attachments VALUES (?, ?, 'photo', '设备铭牌照片', 'a.jpg', ?, 1024, 'image/jpeg',"
                    " NULL, ?, 31.3, 120.6, ?, 1)",
                    (f"{tid}-att", tid, hashlib.sha256(tid.encode()).hexdigest(), t, t))
        prev = audit.GENESIS
        for seq in range(1, 4):
            conn.execute(
                "INSERT INTO outbox VALUES (?, 'dev-1', ?, 'customer.create', ?, NULL, '0001', ?, 'u-rep', ?,"
                " 'pending', NULL)",
                (seq, f"mut-{seq}", json.dumps({"id": f"cust-{seq - 1}"}), t,
                 json.dumps({"rows": [["customers", f"cust-{seq - 1}", "insert", 1]]})))
            detail = {"outbox_seq": seq}
            h = audit.entry_hash(seq, timeutil.from_text(t), "u-rep", "dev-1", "customer.create", "customers",
                                 f"cust-{seq - 1}", detail, prev)
            conn.execute("INSERT INTO audit_log VALUES (?, ?, 'u-rep', 'dev-1', 'customer.create', 'customers', ?,"
                         " ?, ?, ?)", (seq, t, f"cust-{seq - 1}", json.dumps(detail), prev, h))
            prev = h
        conn.commit()
        columns = {table: _columns(conn, table) for table in TABLES}
    return {"nameplate": nameplate, "columns": columns}


@pytest.fixture
def old_db(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A populated database at the previous revision (0001), in its own folder."""
    path = tmp_path / "data" / "fieldmark.db"
    path.parent.mkdir()
    _build_at(path, PREVIOUS)
    info = _populate(path)
    assert _revision(path) == PREVIOUS
    return path, info


@pytest.fixture
def head_db(old_db: tuple[Path, dict[str, object]]) -> tuple[Path, dict[str, object]]:
    """The same populated database, migrated to head by a normal start-up and closed again."""
    path, info = old_db
    open_store(path).close()
    shutil.rmtree(path.parent / "backups")
    assert _revision(path) == HEAD
    return path, info


# ---------------------------------------------------------------------------------------------- tests


def test_new_database_is_created_at_head_without_a_backup(tmp_path):
    """An empty file is migrated to head: every table exists, it is stamped head, nothing is backed up."""
    path = tmp_path / "fresh" / "fieldmark.db"
    store = open_store(path)
    try:
        assert store.schema_version == migrate.head_revision() == HEAD
        with store.read() as s:
            names = set(inspect(s.connection()).get_table_names())
            assert s.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()
    assert set(TABLES) | set(SEARCH_TABLES) | set(SYNC_TABLES) | {"alembic_version"} <= names
    assert _revision(path) == HEAD
    assert not (path.parent / "backups").exists()


def test_populated_previous_revision_upgrades_without_losing_a_row(old_db):
    """0001 -> head (0002 rebuilds customers); every row of every table survives (no cascade), search works."""
    path, info = old_db
    columns = info["columns"]
    before = _dump(path, columns)
    assert len(before["contacts"]) == CUSTOMERS * CONTACTS_PER_CUSTOMER
    assert len(before["touchpoints"]) == len(before["attachments"]) == CUSTOMERS * TOUCHPOINTS_PER_CUSTOMER
    assert all(before[table] for table in TABLES)

    store = open_store(path)
    try:
        with store.read() as s:
            conn = s.connection()
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            segments = conn.exec_driver_sql("SELECT DISTINCT segment FROM customers").scalars().all()
            found = search.search_touchpoints(s, "铭牌")
            customers_found = search.search_customers(s, "恒通精密")
            assert audit.verify_chain(s).ok
        assert store.device() == ("dev-1", "D7")  # the existing device row was kept, not replaced
    finally:
        store.close()

    assert _revision(path) == HEAD
    assert _dump(path, columns) == before
    assert segments == ["standard"]
    assert sorted(t.id for t in found) == sorted(info["nameplate"])
    assert len(customers_found) == CUSTOMERS


def test_backup_of_the_old_database_is_made_before_migrating(old_db):
    """The pre-migration backup sits in <folder>/backups, is a valid SQLite file at 0001 with the same rows."""
    path, info = old_db
    before = _dump(path, info["columns"])
    open_store(path).close()

    backups = sorted((path.parent / "backups").iterdir())
    assert len(backups) == 1
    backup = backups[0]
    assert backup.name.startswith("fieldmark-") and backup.name.endswith(f"-{PREVIOUS}.db")
    with _raw(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert "segment" not in _columns(conn, "customers")
    assert _revision(backup) == PREVIOUS
    assert _dump(backup, info["columns"]) == before


def test_backup_database_captures_rows_still_in_the_wal(tmp_path):
    """backup_database goes through SQLite, so it sees commits a copy of the main file would miss."""
    path = tmp_path / "live.db"
    with _raw(path) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        writer.executemany("INSERT INTO notes (body) VALUES (?)", [("已检查",)] * 3)
        writer.commit()
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # these 3 rows are now in the main file
        writer.executemany("INSERT INTO notes (body) VALUES (?)", [("设备铭牌照片",)] * 5)
        writer.commit()  # these 5 only in the WAL: the writer stays open, nothing checkpoints them
        assert Path(f"{path}-wal").stat().st_size > 0

        plain = tmp_path / "plain-copy.db"
        shutil.copy(path, plain)
        backup = migrate.backup_database(path, tmp_path / "backups" / "live-backup.db")

        with _raw(plain) as conn:
            assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 3
        with _raw(backup) as conn:
            assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 8
            assert conn.execute("SELECT count(*) FROM notes WHERE body = '设备铭牌照片'").fetchone()[0] == 5


FAILING_MIGRATION = '''"""A broken migration for the tests: real damage, then an error.

Revision ID: 0099
Revises: {head}
"""

from alembic import op

revision = "0099"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts", recreate="always") as batch:
        batch.drop_column("wechat")
    op.execute("DELETE FROM touchpoints")
    op.execute("DELETE FROM customers")
    {commit}
    raise RuntimeError("simulated failure in 0099")


def downgrade():
    pass
'''


# Rolled back: SQLite's DDL is transactional, so the rollback alone undoes the damage.
# Committed: the damage is already in the file when the error comes (as after a migration that has to
# leave its transaction); only restoring the backup brings the data back.
COMMIT_DAMAGE = {
    "rolled_back": "pass",
    "committed": 'op.get_bind().connection.dbapi_connection.execute("COMMIT")',
}


@pytest.mark.parametrize("damage", sorted(COMMIT_DAMAGE))
def test_failed_migration_restores_the_backup(head_db, tmp_path, damage):
    """A migration that damages data and then fails leaves the file exactly as it was, and says so."""
    path, info = head_db
    scripts = tmp_path / "scripts"
    shutil.copytree(migrate.default_script_location(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_broken.py").write_text(
        FAILING_MIGRATION.replace("{commit}", COMMIT_DAMAGE[damage]).replace("{head}", HEAD), encoding="utf-8")
    assert migrate.head_revision(str(scripts)) == "0099"
    columns = {table: ["*"] for table in TABLES}
    before = _dump(path, columns)

    with pytest.raises(migrate.MigrationFailed) as caught:
        open_store(path, script_location=str(scripts))
    error = caught.value
    assert error.backup is not None and error.backup.exists()
    assert error.backup.parent == path.parent / "backups" and error.backup.name.endswith(f"-{HEAD}.db")
    assert "备份" in error.message_zh and "恢复" in error.message_zh and str(error.backup) in error.message_zh
    assert "backup" in error.message_en and "restored" in error.message_en
    assert str(error.backup) in error.message_en and "simulated failure in 0099" in error.message_en

    assert _revision(path) == HEAD
    assert _dump(path, columns) == before
    with _raw(path) as conn:
        assert "wechat" in _columns(conn, "contacts")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    store = open_store(path)  # the released scripts open it as if nothing happened
    try:
        assert store.schema_version == HEAD
        with store.read() as s:
            assert sorted(t.id for t in search.search_touchpoints(s, "铭牌")) == sorted(info["nameplate"])
            assert s.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()
    assert _dump(path, columns) == before


def test_database_from_a_newer_version_is_refused_untouched(tmp_path):
    """A stamp this version does not know means a newer Fieldmark wrote the file: refuse, change nothing."""
    path = tmp_path / "fieldmark.db"
    open_store(path).close()
    with _raw(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
        conn.commit()
    _no_wal(path)
    digest = _sha256(path)

    with pytest.raises(migrate.DatabaseTooNew) as caught:
        open_store(path)
    assert "0099_future" in caught.value.message_zh and "更新版本" in caught.value.message_zh
    assert "0099_future" in caught.value.message_en and "newer" in caught.value.message_en
    assert caught.value.message("zh_CN") == caught.value.message_zh
    assert caught.value.message("en") == caught.value.message_en

    _no_wal(path)
    assert _sha256(path) == digest
    assert not (tmp_path / "backups").exists()


def test_file_with_foreign_tables_is_refused_untouched(tmp_path):
    """A SQLite file with other tables and no stamp is not ours: NotAFieldmarkDatabase, bytes unchanged."""
    path = tmp_path / "notes.db"
    with _raw(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('别的程序的数据')")
        conn.commit()
    digest = _sha256(path)

    with pytest.raises(migrate.NotAFieldmarkDatabase) as caught:
        open_store(path)
    assert str(path) in caught.value.message_zh and str(path) in caught.value.message_en

    assert _sha256(path) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]
    with _raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT body FROM notes").fetchall() == [("别的程序的数据",)]


def test_migrated_schema_matches_the_models(tmp_path):
    """Autogenerate finds no difference between the migrated database and desktop.models."""
    path = tmp_path / "fieldmark.db"
    open_store(path).close()
    engine = make_engine(path)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    def ours(diff: object) -> bool:
        op = diff[0] if isinstance(diff, list) else diff
        if op[0] in ("remove_table", "add_table"):
            name = op[1].name
            return name != "alembic_version" and not name.startswith(SEARCH_TABLES)
        return True

    assert [d for d in diffs if ours(d)] == []


def test_old_backups_are_pruned(old_db):
    """After a migration only the newest KEEP_BACKUPS backups of this database remain; others' are kept."""
    path, _ = old_db
    folder = path.parent / "backups"
    folder.mkdir()
    old = [folder / f"fieldmark-202001{i:02d}T000000000000-0001.db" for i in range(1, migrate.KEEP_BACKUPS + 3)]
    for f in old:
        f.write_bytes(b"old backup")
    unrelated = folder / "other-20200101T000000000000-0001.db"
    unrelated.write_bytes(b"another database's backup")

    open_store(path).close()

    mine = sorted(folder.glob("fieldmark-*.db"))
    assert len(mine) == migrate.KEEP_BACKUPS
    new = [f for f in mine if f not in old]
    assert len(new) == 1 and _revision(new[0]) == PREVIOUS
    assert mine[:-1] == old[-(migrate.KEEP_BACKUPS - 1):]  # the oldest went, the newest stayed
    assert unrelated.exists()


def test_0006_gives_quotes_made_before_it_their_gross_amount(store, org):
    """Quotes made at 0005 had no stored gross amount: the migration computes it from their lines,
    exactly as the quote mutations do (a line of 3 x 0.335 and one of 1 x 1.005: 1.005 + 1.005 =
    2.01 after the single rounding)."""
    from desktop.models import Quote
    from tests.conftest import make_customer, run

    rep = org["rep"]
    quote_id = run(store, rep, "quote.create", customer_id=make_customer(store, rep)).changes.entity_id
    run(store, rep, "quote.line_set", quote_id=quote_id, description="A", quantity="3", unit_price="0.335",
        discount_pct="10")
    run(store, rep, "quote.line_set", quote_id=quote_id, description="B", quantity="1", unit_price="1.005")
    empty = run(store, rep, "quote.create", customer_id=make_customer(store, rep, "无行客户")).changes.entity_id
    with store.read() as s:
        assert s.get(Quote, quote_id).gross_amount == Decimal("2.01")
    path = store.path
    store.close()
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0005")
    finally:
        engine.dispose()
    with _raw(path) as conn:
        assert "gross_amount" not in _columns(conn, "quotes")
    reopened = open_store(path)  # migrates to head, as the app does at start-up
    try:
        with reopened.read() as s:
            assert s.get(Quote, quote_id).gross_amount == Decimal("2.01")
            assert s.get(Quote, empty).gross_amount == Decimal("0.00")
    finally:
        reopened.close()


def test_0008_fills_sort_keys_and_phone_digits_and_refolds_the_search_index(store, org):
    """Rows made at 0006 had no derived columns, and their search text was not NFKC-folded: the
    migration computes the columns with the mutations' own functions and rebuilds both indexes, so
    a full-width name is found by its half-width spelling and can still be renamed (its index entry
    is deleted with the text it was indexed with)."""
    from desktop import derived
    from desktop.models import Contact, Customer
    from tests.conftest import make_customer, run

    rep = org["rep"]
    customer_id = make_customer(store, rep, "ＡＢＢ重庆机械有限公司", phone="+86 138-0013-8000")
    contact_id = run(store, rep, "contact.add", customer_id=customer_id, name="曾小贤", decision_role="user",
                     phone="139 1234 5678").changes.entity_id
    path = store.path
    store.close()
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0007")
                # the index as 0007 built it: unfolded text
                conn.exec_driver_sql("INSERT INTO customer_search(customer_search) VALUES ('delete-all')")
                conn.exec_driver_sql("INSERT INTO customer_search(rowid, body) SELECT rid, ? FROM customers",
                                     (search.index_text("ＡＢＢ重庆机械有限公司"),))
    finally:
        engine.dispose()
    with _raw(path) as conn:
        assert "name_sort" not in _columns(conn, "customers") and "phone_digits" not in _columns(conn, "contacts")
    reopened = open_store(path)
    try:
        with reopened.read() as s:
            customer = s.scalars(select(Customer).where(Customer.id == customer_id)).one()
            assert (customer.name_sort, customer.name_key, customer.phone_digits) == \
                tuple(derived.customer_columns("ＡＢＢ重庆机械有限公司", "+86 138-0013-8000").values())
            assert customer.name_sort.startswith("abb!chong!qing!") and customer.phone_digits == "13800138000"
            contact = s.get(Contact, contact_id)
            assert contact.name_sort.startswith("zeng!xiao!xian ") and contact.phone_digits == "13912345678"
            assert [c.id for c in search.search_customers(s, "abb重庆")] == [customer_id]
        run(reopened, rep, "customer.update", id=customer_id, name="华东精工")
        with reopened.read() as s:
            assert search.search_customers(s, "ABB") == []
            assert [c.id for c in search.search_customers(s, "精工")] == [customer_id]
    finally:
        reopened.close()


def test_0011_keeps_open_sync_problems_and_lets_a_problem_say_it_was_overwritten(tmp_path):
    """0011 rebuilds sync_problems for its CHECK: the rows are kept, "overwritten" is accepted, an
    unknown source still is not; downgrading drops the new kind and the history table, and comes back."""
    path = tmp_path / "fieldmark.db"
    _build_at(path, "0009")
    problem = ("INSERT INTO sync_problems (outbox_seq, mutation, args, entity, entity_id, source, code, message_zh, "
               "message_en, created_at) VALUES (1, 'customer.update', '{}', 'customers', 'c1', ?, 'forbidden', "
               "'拒绝', 'Refused', '2026-12-04T00:00:00.000000Z')")
    with _raw(path) as conn:
        conn.execute("INSERT INTO outbox (seq, device_id, mutation_id, name, args, schema_version, client_time, "
                     "actor_id, changes, status) VALUES (1, 'dev-1', 'm1', 'customer.update', '{}', '0009', "
                     "'2026-12-04T00:00:00.000000Z', 'u1', '{}', 'rejected')")
        conn.execute(problem, ("rejected",))
        conn.commit()
    open_store(path).close()
    assert _revision(path) == HEAD
    with _raw(path) as conn:
        assert conn.execute("SELECT source, message_en FROM sync_problems").fetchall() == [("rejected", "Refused")]
        conn.execute(problem, ("overwritten",))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(problem, ("lost",))
        conn.commit()
        assert "field_changes" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0009")
                assert conn.exec_driver_sql("SELECT source FROM sync_problems").scalars().all() == ["rejected"]
                command.upgrade(cfg, "head")
    finally:
        engine.dispose()
