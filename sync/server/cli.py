"""fieldmark-server: run the sync server, and administer its users and devices.

    fieldmark-server [--data-dir DIR] [--database-url URL] [serve] [--host 127.0.0.1] [--port 8765] [--workers N]
                     [--approve-devices] [--offline-days N]
    fieldmark-server migrate
    fieldmark-server user add NAME --role ROLE [--territory T] [--team T] [--display-name N] [--password P]
    fieldmark-server user disable NAME
    fieldmark-server device list
    fieldmark-server device approve DEVICE        (its id or its code, D3)
    fieldmark-server device revoke DEVICE         (the device erases its data at its next contact)
    fieldmark-server seed-demo [--users-only]
    fieldmark-server epoch show
    fieldmark-server epoch new [--note TEXT]     after restoring a backup or resetting the change log

Restoring a backup (docs/design-sync-server.md, "Restores and resets"): stop every server process,
put the backup in place (the SQLite file, or pg_restore into the database), run ``epoch new``, start
the server. Every desktop then sends what it has not sent, reads its whole scope again, and removes
the rows the server no longer has (never its own changes waiting to be sent).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from desktop import derived, passwords, timeutil
from desktop.demo import vocabulary
from desktop.ids import uuid7
from desktop.models import ROLES, User
from sync.server import changes, rescope, workers
from sync.server.db import create_schema, database_url, make_engine, reading, writing
from sync.server.models import Device


def _add_user(session, username: str, role: str, *, display_name: str, territory: str = "", team: str = "",
              password: str, manager_id: str | None = None) -> User:
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise SystemExit(f"user {username!r} already exists")
    now = timeutil.utcnow()
    user = User(id=uuid7(), username=username, display_name=display_name, role=role, territory=territory,
                team=team, manager_id=manager_id, password_hash=passwords.hash_password(password), active=True,
                created_at=now, updated_at=now, version=1)
    derived.refresh(user)
    session.add(user)
    session.flush()
    changes.record(session, "users", [user.id])
    return user


def seed_demo(engine) -> int:
    """The desktop's demo organisation's people (same usernames, roles, teams and password)."""
    made = 0
    with writing(engine) as session:
        ids: dict[str, str] = {}
        for username, display, role, territory, team, manager in vocabulary.DEMO_USERS:
            existing = session.scalars(select(User).where(User.username == username)).first()
            if existing is not None:
                ids[username] = existing.id
                continue
            user = _add_user(session, username, role, display_name=display, territory=territory, team=team,
                             password=vocabulary.DEMO_PASSWORD, manager_id=ids.get(manager) if manager else None)
            ids[username] = user.id
            made += 1
    return made


def _update_user(engine, args: argparse.Namespace) -> int:
    """Change a person; the customers whose visibility that moves are announced again (sync.server.rescope)."""
    with writing(engine) as session:
        found = session.scalars(select(User).where(User.username == args.name.lower())).first()
        if found is None:
            print(f"no user {args.name!r}", file=sys.stderr)
            return 1
        given = {"role": args.role, "territory": args.territory, "team": args.team, "display_name": args.display_name}
        wanted: dict[str, object] = {name: value for name, value in given.items() if value is not None}
        if args.manager is not None:
            manager = session.scalars(select(User).where(User.username == args.manager.lower())).first()
            if args.manager and manager is None:
                print(f"no user {args.manager!r}", file=sys.stderr)
                return 1
            wanted["manager_id"] = manager.id if manager is not None else None
        diff = {name: [getattr(found, name), value] for name, value in wanted.items() if getattr(found, name) != value}
        if not diff:
            print(f"nothing to change for {args.name}")
            return 0
        for name, (_before, value) in diff.items():
            setattr(found, name, value)
        derived.refresh(found)  # a new display name sorts by its own pinyin
        found.version += 1
        found.updated_at = timeutil.utcnow()
        session.flush()
        changes.record(session, "users", [found.id])
        changes.write(session, rescope.user_changed(session, found, diff))
    print(f"updated {args.name}: {', '.join(sorted(diff))}")
    return 0


def device_state(device: Device) -> str:
    """What ``device list`` says of a device: revoked, pending (waiting for approval) or active. A device
    registered before the server asked for approval, or while it did not, counts as approved."""
    if device.revoked_at is not None:
        return "revoked"
    return "pending" if device.approved_at is None else "active"


def _find_device(session, key: str) -> Device | None:
    """A device by its id or its code (D3, as ``device list`` shows it); None, said on stderr, when none."""
    found = session.get(Device, key) or session.scalars(select(Device).where(Device.code == key.upper())).first()
    if found is None:
        print(f"no device {key}", file=sys.stderr)
    return found


def _daily_fetch(engine, args: argparse.Namespace):
    """The background fetch of ``serve --fetch-rates-as USER`` (None, said on stderr, for an unknown
    user or one who may not record rates)."""
    from sync import fx_fetch
    from sync.server import rates

    with reading(engine) as session:
        user = session.scalars(select(User).where(User.username == args.fetch_rates_as.lower())).first()
    if user is None or not rates.may_record(user):
        print(f"--fetch-rates-as: {args.fetch_rates_as!r} is not a finance user or admin here", file=sys.stderr)
        return None
    base = {"base_url": args.cfets_url} if args.cfets_url else {}
    return rates.DailyFetch(engine, user.id, lambda pair, first, last: fx_fetch.fetch_history(pair, first, last,
                                                                                              **base))


def _rates(engine, args: argparse.Namespace) -> int:
    """Import a rates file or fetch the central parity as a finance user or admin (sync.server.rates)."""
    from desktop.errors import DomainError
    from sync import fx_fetch
    from sync.server import rates

    with reading(engine) as session:
        user = session.scalars(select(User).where(User.username == args.as_user.lower())).first()
    if user is None:
        print(f"no user {args.as_user!r}", file=sys.stderr)
        return 1
    try:
        if args.action == "import":
            result = rates.import_file(engine, user.id, args.file.read_bytes())
        else:
            base = {"base_url": args.cfets_url} if args.cfets_url else {}
            result = rates.fetch(engine, user.id, args.days,
                                 lambda pair, first, last: fx_fetch.fetch_history(pair, first, last, **base))
    except (DomainError, OSError) as exc:
        print(exc.message_en if isinstance(exc, DomainError) else str(exc), file=sys.stderr)
        return 1
    for problem in result.problems:
        print(problem.text("en"), file=sys.stderr)
    print(f"recorded {result.recorded} rates, {result.unchanged} already held, {len(result.problems)} rows not read")
    return 0 if not result.problems else 2


def _serve(engine, url: str, args: argparse.Namespace) -> int:
    """The HTTP server, in this process or in ``--workers`` processes (sync.server.workers). The schema
    was migrated already, here, before any worker starts; the daily rate fetch runs here too, in the
    one parent process, never in a worker."""
    count = getattr(args, "workers", 1)
    if count < 1:
        print("--workers: at least 1", file=sys.stderr)
        return 2
    if getattr(args, "fetch_rates_as", None):
        fetcher = _daily_fetch(engine, args)
        if fetcher is None:
            return 1
        fetcher.start()
    offline_days = getattr(args, "offline_days", None)
    if offline_days is not None and not 1 <= offline_days <= 3650:
        print("--offline-days: a number of days from 1 to 3650", file=sys.stderr)
        return 2
    engine.dispose()  # the workers open their own connections
    workers.serve(data_dir=args.data_dir, database_url=url, cfets_url=getattr(args, "cfets_url", None),
                  options={"approve_devices": getattr(args, "approve_devices", False), "offline_days": offline_days},
                  host=getattr(args, "host", "127.0.0.1"), port=getattr(args, "port", 8765), workers=count)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldmark-server", description="Fieldmark's central sync server.")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get(workers.DATA_DIR_ENV) or "server-data"),
                        help=f"the evidence files, and the SQLite database if no URL is given (${workers.DATA_DIR_ENV})")
    parser.add_argument("--database-url", default=os.environ.get(workers.DATABASE_URL_ENV) or None,
                        help=f"e.g. postgresql+psycopg://user:pw@host/db (${workers.DATABASE_URL_ENV})")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the HTTP server (the default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes serving the one address (docs/deploy.md: about one per core)")
    serve.add_argument("--cfets-url", default=None, help="where to fetch the central parity (CFETS by default)")
    serve.add_argument("--fetch-rates-as", default=None, metavar="USER",
                       help="fetch the central parity by itself after each publication, recorded as this finance "
                            "user or admin")
    serve.add_argument("--approve-devices", action="store_true",
                       help="a newly registered device gets no data until 'device approve' (the organisation's "
                            "policy; devices registered before stay as they are)")
    serve.add_argument("--offline-days", type=int, default=None, metavar="N",
                       help="desktops allow offline sign-in only within N days of their last contact with this "
                            "server (sent to every desktop; without it each desktop's own setting, 30 by default)")
    sub.add_parser("migrate", help="bring the database to this version's schema, then stop (before an upgrade's start)")
    user = sub.add_parser("user").add_subparsers(dest="action", required=True)
    add = user.add_parser("add")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--territory", default="")
    add.add_argument("--team", default="")
    add.add_argument("--display-name", default=None)
    add.add_argument("--password", default=None, help="asked for when not given")
    disable = user.add_parser("disable")
    disable.add_argument("name")
    update = user.add_parser("update", help="change a person's role, team, territory or manager")
    update.add_argument("name")
    update.add_argument("--role", choices=ROLES)
    update.add_argument("--territory")
    update.add_argument("--team")
    update.add_argument("--manager", help="the manager's username ('' for none)")
    update.add_argument("--display-name")
    device = sub.add_parser("device").add_subparsers(dest="action", required=True)
    device.add_parser("list", help="every device: its code, user, name, state (active, pending, revoked), last seen")
    approve = device.add_parser("approve", help="let a device registered under --approve-devices receive data")
    approve.add_argument("device_id", metavar="DEVICE", help="its id or its code (D3)")
    revoke = device.add_parser("revoke", help="withdraw a device for good (a lost laptop): it can never sign in "
                                              "again, and erases its Fieldmark data at its next contact")
    revoke.add_argument("device_id", metavar="DEVICE", help="its id or its code (D3)")
    seed = sub.add_parser("seed-demo", help="add the demo organisation: its users (password: fieldmark), "
                                            "customers, contacts and touchpoints")
    seed.add_argument("--users-only", action="store_true", help="only the users (an organisation with no data)")
    blobs = sub.add_parser("blobs", help="the evidence files kept").add_subparsers(dest="action", required=True)
    sweep = blobs.add_parser("sweep", help="remove files no attachment names, uploaded more than 7 days ago")
    sweep.add_argument("--older-than-days", type=float, default=7.0,
                       help="how long an upload waits for the change naming it (default 7)")
    blobs.add_parser("check", help="read every kept file and list those whose content no longer matches")
    epoch = sub.add_parser("epoch", help="the epoch of the change log every cursor belongs to") \
        .add_subparsers(dest="action", required=True)
    epoch.add_parser("show", help="this server's id and epoch")
    epoch_new = epoch.add_parser("new", help="start a new epoch after restoring a backup or resetting the change "
                                             "log: every desktop reads its whole scope again")
    epoch_new.add_argument("--note", default="", help="why (kept with the epoch)")
    rates = sub.add_parser("rates", help="the rate feed every desktop receives").add_subparsers(dest="action",
                                                                                               required=True)
    rates_import = rates.add_parser("import", help="record the rates of a CSV file (docs/design-fx.md)")
    rates_import.add_argument("file", type=Path)
    rates_import.add_argument("--as", dest="as_user", required=True, help="the finance user or admin recording them")
    rates_fetch = rates.add_parser("fetch", help="fetch the CFETS central parity of the last days")
    rates_fetch.add_argument("--days", type=int, default=10)
    rates_fetch.add_argument("--as", dest="as_user", required=True, help="the finance user or admin recording them")
    rates_fetch.add_argument("--cfets-url", default=None, help="another address serving the CFETS API")
    args = parser.parse_args(argv)

    url = database_url(args.data_dir, args.database_url)
    engine = make_engine(url)
    create_schema(engine)
    if args.command == "migrate":
        from sync.server import schema

        print(f"the database is at schema {schema.current(engine)} (this server's newest)")
        return 0
    if args.command in (None, "serve"):
        return _serve(engine, url, args)
    if args.command == "rates":
        return _rates(engine, args)
    if args.command == "epoch":
        from sync.server import epoch as epochs

        if args.action == "new":
            found = epochs.new_epoch(engine, args.note)
            print(f"server {found.server_id}: epoch {found.epoch} started; every desktop reads its data again "
                  "at its next sync")
            return 0
        with reading(engine) as session:
            found = epochs.identity(session)
            print(f"server {found.server_id}: epoch {found.epoch} since {timeutil.to_text(found.epoch_started_at)}"
                  + (f" ({found.note})" if found.note else ""))
        return 0
    if args.command == "blobs" and args.action == "sweep":
        from sync.server.blobs import ServerBlobs

        swept = ServerBlobs(args.data_dir / "blobs").sweep(engine, grace=timedelta(days=args.older_than_days))
        print(f"removed {swept.removed} files nothing names ({swept.freed_bytes / 1024 / 1024:.1f} MB) "
              f"and {swept.leftovers} uploads stopped half way")
        return 0
    if args.command == "blobs" and args.action == "check":
        from sync.server.blobs import ServerBlobs

        damaged = ServerBlobs(args.data_dir / "blobs").damaged()
        for sha in damaged:
            print(f"damaged: {sha}")
        print(f"{len(damaged)} damaged files; each is replaced when someone with the original sends it again")
        return 1 if damaged else 0
    if args.command == "seed-demo":
        print(f"added {seed_demo(engine)} demo users")
        if not args.users_only:
            from sync.server.demo import seed_demo_data

            print(f"added {seed_demo_data(engine)} demo customers, contacts and touchpoints")
        return 0
    if args.command == "user" and args.action == "add":
        password = args.password or getpass.getpass(f"password for {args.name}: ")
        with writing(engine) as session:
            _add_user(session, args.name.lower(), args.role, display_name=args.display_name or args.name,
                      territory=args.territory, team=args.team, password=password)
        print(f"added {args.name}")
        return 0
    if args.command == "user" and args.action == "disable":
        with writing(engine) as session:
            found = session.scalars(select(User).where(User.username == args.name.lower())).first()
            if found is None:
                print(f"no user {args.name!r}", file=sys.stderr)
                return 1
            found.active = False
            found.version += 1
            found.updated_at = timeutil.utcnow()
            for dev in session.scalars(select(Device).where(Device.user_id == found.id)):
                dev.revoked_at = timeutil.utcnow()
            session.flush()
            changes.record(session, "users", [found.id])
        print(f"disabled {args.name} and revoked their devices")
        return 0
    if args.command == "user" and args.action == "update":
        return _update_user(engine, args)
    if args.command == "device" and args.action == "list":
        with reading(engine) as session:
            names = dict(session.execute(select(User.id, User.username)).all())
            for dev in session.scalars(select(Device).order_by(Device.created_at)):
                print(f"{dev.id}  {dev.code or '-':<5} {names.get(dev.user_id, '?'):<16} {dev.name:<24} "
                      f"{device_state(dev):<8} last seen {dev.last_seen_at and timeutil.to_text(dev.last_seen_at)}")
        return 0
    if args.command == "device" and args.action == "approve":
        with writing(engine) as session:
            dev = _find_device(session, args.device_id)
            if dev is None:
                return 1
            if dev.revoked_at is not None:
                print(f"{args.device_id} was revoked and stays revoked; the person signs in from a new "
                      "installation, which registers as a new device", file=sys.stderr)
                return 1
            if dev.approved_at is None:
                dev.approved_at = timeutil.utcnow()
        print(f"approved {args.device_id}")
        return 0
    if args.command == "device" and args.action == "revoke":
        with writing(engine) as session:
            dev = _find_device(session, args.device_id)
            if dev is None:
                return 1
            dev.revoked_at = dev.revoked_at or timeutil.utcnow()
        print(f"revoked {args.device_id}: it can no longer sign in, and at its next contact it erases its "
              "Fieldmark data, changes it has not sent yet included")
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
