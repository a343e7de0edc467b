"""The ``fieldmark`` command: parse arguments, open the local database, show the window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop import __version__


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fieldmark", description="Fieldmark: field-sales process control, offline first.")
    parser.add_argument("--version", action="version", version=f"fieldmark {__version__}")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding the local database (default: the platform's user data folder)")
    parser.add_argument("--no-demo", action="store_true", help="do not seed demo data into a new database")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="render the window offscreen, write it to this PNG file and exit")
    parser.add_argument("--user", default=None, help="with --screenshot: show the app as this user (no sign-in)")
    parser.add_argument("--view", default=None,
                        help="with --screenshot: the entry to show, e.g. my_customers, todays_plan, team_activity, "
                             "customers_by_owner, customers, approvals")
    parser.add_argument("--lang", choices=["zh_CN", "en"], default=None,
                        help="language of the window (default: the saved choice, else the system's)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["quotes"]:  # batch work without a window: fieldmark quotes export-pdf ...
        from desktop import quote_export

        return quote_export.main(argv[1:])
    if argv[:1] == ["evidence"]:  # support staff: fieldmark evidence inspect FILE... (no window, no Qt)
        from desktop import evidence_inspect

        return evidence_inspect.main(argv[1:])
    args = parse_args(argv)  # before importing Qt, so --version and --help stay instant
    if args.screenshot is not None:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.startup import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
