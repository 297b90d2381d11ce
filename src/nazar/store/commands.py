"""``nazar db``: show, upgrade or downgrade the database schema (Alembic revisions)."""

from __future__ import annotations

import argparse

from nazar.cliutil import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "db",
        help="database schema: current, upgrade, downgrade",
        description="The database is $NAZAR_DATABASE_URL, else $NAZAR_HOME/nazar.sqlite3. "
        "`nazar serve` upgrades it by itself at start.",
    )
    p.add_argument("action", choices=("current", "upgrade", "downgrade"))
    p.add_argument("revision", nargs="?", help="target revision (default: head; base to empty)")
    p.set_defaults(func=cmd_db)


def cmd_db(args: argparse.Namespace) -> int:
    from nazar.store.db import create_engine, current_revision, downgrade, migrate

    engine = create_engine()
    if args.action == "upgrade":
        migrate(engine, args.revision or "head")
    elif args.action == "downgrade":
        if not args.revision:
            raise SystemExit("nazar db downgrade needs a revision (e.g. base)")
        downgrade(engine, args.revision)
    print(current_revision(engine) or "empty")
    return EXIT_OK
