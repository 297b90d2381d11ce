"""``nazar serve`` (the monitoring service and dashboard) and ``nazar keys`` (API keys)."""

from __future__ import annotations

import argparse
import sys

from nazar.cliutil import EXIT_OK, EXIT_USAGE

ROLES = ("admin", "analyst", "reviewer", "ingest")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the monitoring service: HTTP API, dashboard, scoring worker, alerts",
        description="Serves the API under /api/v1 (OpenAPI at /docs), the dashboard at / and "
        "Prometheus metrics at /metrics. On first start it mints an admin key and prints it.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument(
        "--load-demo",
        metavar="FILE",
        help="ingest this JSONL (fields: id, source, text, published_at) once, as demo sources",
    )
    p.add_argument(
        "--no-worker", action="store_true", help="do not score here (run `nazar worker` instead)"
    )
    p.add_argument("--no-feeds", action="store_true", help="do not poll RSS/Atom sources")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", help="mint, list and revoke API keys")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    k = ksub.add_parser("create", help="mint a key; prints the key alone on stdout")
    k.add_argument("--role", choices=ROLES, required=True)
    k.add_argument("--name", help="who or what holds it (shown in the audit log)")
    k.set_defaults(func=cmd_keys_create)
    k = ksub.add_parser("list", help="list keys (never the keys themselves)")
    k.set_defaults(func=cmd_keys_list)
    k = ksub.add_parser("revoke", help="revoke a key by its id")
    k.add_argument("key_id", type=int)
    k.set_defaults(func=cmd_keys_revoke)


def cmd_keys_create(args: argparse.Namespace) -> int:
    from nazar.api.auth import create_key
    from nazar.store.db import connect

    with connect()() as session:
        key, _ = create_key(session, args.role, args.name)
    print(key)
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from nazar.store.db import connect
    from nazar.store.models import ApiKey

    with connect()() as session:
        for k in session.scalars(select(ApiKey).order_by(ApiKey.id)):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            print(f"{k.id}\t{k.role}\t{k.name}\t{k.prefix}…\t{state}")
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from nazar.api.auth import revoke_key
    from nazar.store.db import connect

    with connect()() as session:
        if not revoke_key(session, args.key_id):
            print(f"nazar: no key {args.key_id}", file=sys.stderr)
            return EXIT_USAGE
    print(f"revoked key {args.key_id}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from nazar.api.app import ServiceConfig, create_app
    from nazar.api.auth import create_key, has_admin

    config = ServiceConfig(run_worker=not args.no_worker, run_feeds=not args.no_feeds, warm_up=True)
    app = create_app(config)
    state = app.state.nazar
    with state.sessions() as session:
        if not has_admin(session):
            key, _ = create_key(session, "admin", "first-admin")
            print(
                "An admin key was created for this instance (shown once; sign in to the "
                f"dashboard with it, mint more with `nazar keys create`):\n\n    {key}\n",
                flush=True,
            )
    if args.load_demo:
        from nazar.monitor.demo import load_demo

        with state.sessions() as session:
            loaded = load_demo(session, args.load_demo)
        if loaded:
            print(f"Loaded {loaded} demo items.", flush=True)
    print(f"Dashboard: http://{args.host}:{args.port}/   API docs: /docs", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK
