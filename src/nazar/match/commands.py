"""``nazar bank ...`` and ``nazar match``: banks of known content and matching against them.

HMA / ThreatExchange export (``nazar bank export NAME -o FILE --format hma``): a CSV file with
the header ``signal_type,signal,metadata`` and one row per enabled item, ``signal_type``
``raw_text`` (python-threatexchange's ``RawTextSignal`` name), ``signal`` the item's original
text and ``metadata`` a JSON object ``{"bank", "item_id", "labels", "themes", "source",
"lang"}``. This is Nazar's own documented CSV, *not* a verified ThreatExchange file format: the
threatexchange code could not be consulted offline. Loading it into HMA means posting each
row's ``signal`` as a ``raw_text`` signal to a bank (HMA's bank API), or converting it to the
file layout of the tool at hand. See docs/matching.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nazar.cliutil import EXIT_OK, EXIT_RECORD_ERRORS, EXIT_USAGE, add_input_options, progress

METHOD_CHOICES = ("exact", "near_duplicate", "semantic")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "bank",
        help="manage banks of known content (block and allow lists)",
        description="Banks of known items (propaganda to find, benign texts to allow) stored "
        "in the project database (NAZAR_DATABASE_URL, default SQLite under $NAZAR_HOME).",
    )
    bsub = p.add_subparsers(dest="bank_command", metavar="ACTION")

    c = bsub.add_parser("create", help="create a bank")
    c.add_argument("name")
    c.add_argument("--kind", choices=("block", "allow"), default="block")
    c.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="METHOD=VALUE",
        help="maximum distance per method (exact, near_duplicate, semantic); "
        "VALUE a number in [0,1], 'off', or 'auto' (semantic)",
    )
    c.add_argument("--description")
    c.set_defaults(func=cmd_bank_create)

    a = bsub.add_parser(
        "add",
        help="add items from JSONL/CSV/TXT (ids from the 'id' field)",
        description="Add records to a bank. Kept: id, text, lang, labels/label, themes, "
        "source; other fields go to metadata. Records without id get sha256:<hash>.",
    )
    a.add_argument("name")
    add_input_options(a)
    a.add_argument("--added-by", help="who adds them (default: $USER)")
    a.add_argument("--source", help="provenance for records without a 'source' field")
    a.add_argument(
        "--recheck",
        action="store_true",
        help="re-check stored items (the monitoring database) and print new hits as JSONL",
    )
    a.set_defaults(func=cmd_bank_add)

    ls = bsub.add_parser("list", help="list banks")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_bank_list)

    for action, value in (("disable", False), ("enable", True)):
        d = bsub.add_parser(action, help=f"{action} a bank, or one item of it")
        d.add_argument("name")
        d.add_argument("item", nargs="?", help="external item id (default: the whole bank)")
        d.set_defaults(func=cmd_bank_enable, value=value)

    e = bsub.add_parser("export", help="export a bank (JSONL, or HMA raw_text CSV)")
    e.add_argument("name")
    e.add_argument("-o", "--output", required=True)
    e.add_argument("--format", choices=("jsonl", "hma"), default="jsonl")
    e.set_defaults(func=cmd_bank_export)

    i = bsub.add_parser("import", help="import a bank exported as JSONL")
    i.add_argument("input")
    i.add_argument("--name", help="import under this bank name (default: the exported name)")
    i.set_defaults(func=cmd_bank_import)
    p.set_defaults(func=lambda args: _usage(p))

    m = sub.add_parser(
        "match",
        help="match texts against banks (JSONL out)",
        description="One output line per input record, in order: {id, matches: [{bank, "
        "item_id, method, distance, metadata}]}, best first, only within each bank's "
        "thresholds; block matches explained better by an allow-bank item are listed under "
        "'suppressed' instead.",
    )
    add_input_options(m)
    m.add_argument("--bank", action="append", default=[], help="only these banks (repeatable)")
    m.add_argument(
        "--method",
        action="append",
        choices=METHOD_CHOICES,
        help="methods to use (repeatable; default: all, semantic when nazar.embed is present)",
    )
    m.add_argument("--no-allow", action="store_true", help="ignore allow-banks")
    m.add_argument("-o", "--output", help="output JSONL file (default: stdout)")
    m.add_argument("--batch-size", type=int, default=512, help=argparse.SUPPRESS)
    m.set_defaults(func=cmd_match)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return EXIT_USAGE


def _session() -> Any:
    from nazar.store.db import create_engine, migrate, session_factory

    engine = create_engine()
    migrate(engine)
    return session_factory(engine)()


def _run(fn: Any) -> int:
    """Run ``fn(session)`` in a transaction; bank errors are usage errors."""
    from nazar.match.banks import BankError

    session = _session()
    try:
        rc = fn(session)
        session.commit()
        return rc
    except BankError as exc:
        session.rollback()
        print(f"nazar: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        session.close()


def cmd_bank_create(args: argparse.Namespace) -> int:
    from nazar.match.banks import BankError, create_bank, parse_threshold

    try:
        thresholds = dict(parse_threshold(t) for t in args.threshold)
    except BankError as exc:
        print(f"nazar: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def go(session: Any) -> int:
        bank = create_bank(session, args.name, args.kind, thresholds, args.description)
        print(f"created {bank.kind} bank {bank.name!r}")
        return EXIT_OK

    return _run(go)


def cmd_bank_add(args: argparse.Namespace) -> int:
    import getpass
    import re
    from pathlib import Path

    from nazar.match.banks import add_items, ensure_index, get_bank
    from nazar.records import ReadOptions, RecordReader, write_jsonl

    reader = RecordReader(
        ReadOptions(args.format, args.text_field, args.id_field, max_chars=args.max_chars)
    )
    generated = [re.compile(rf"^{re.escape(Path(p).name)}:\d+$") for p in args.inputs or ["-"]]
    generated.append(re.compile(r"^stdin:\d+$"))

    def records() -> Any:
        for item in progress(reader.read(args.inputs), desc="bank add"):
            if item.error:
                continue
            rec = dict(item.input)
            rec["text"] = item.text
            # The reader names id-less records "file:line"; banks use a hash of the text
            # instead, so adding the same texts again (from any file) adds nothing.
            if not any(g.match(item.id) for g in generated):
                rec["id"] = item.id
            yield rec

    added_by = args.added_by or _user(getpass)

    def go(session: Any) -> int:
        bank = get_bank(session, args.name)
        res = add_items(session, bank, records(), added_by=added_by, source=args.source)
        session.commit()
        ensure_index(session, bank)
        print(
            f"bank {bank.name!r}: {len(res.added)} added, {res.duplicates} already there, "
            f"{reader.report.errors + res.errors} unreadable",
            file=sys.stderr,
        )
        if args.recheck:
            from nazar.match.retro import rematch_stored

            hits = rematch_stored(session, bank, res.added)
            write_jsonl(sys.stdout, (h.to_dict() for h in hits))
            print(f"recheck: {len(hits)} stored items match the new items", file=sys.stderr)
        return EXIT_RECORD_ERRORS if reader.report.errors or res.errors else EXIT_OK

    return _run(go)


def _user(getpass: Any) -> str | None:
    try:
        return str(getpass.getuser())
    except (KeyError, OSError):
        return None


def cmd_bank_list(args: argparse.Namespace) -> int:
    import json

    from sqlalchemy import select

    from nazar.match.banks import effective_thresholds, item_counts
    from nazar.store.bank_models import Bank

    def go(session: Any) -> int:
        counts = item_counts(session)
        rows = []
        for b in session.scalars(select(Bank).order_by(Bank.name)):
            n, on = counts.get(b.id, (0, 0))
            rows.append(
                {
                    "name": b.name,
                    "kind": b.kind,
                    "enabled": b.enabled,
                    "items": n,
                    "enabled_items": on,
                    "thresholds": effective_thresholds(b),
                    "description": b.description,
                    "created_at": b.created_at.isoformat() if b.created_at else None,
                }
            )
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        elif not rows:
            print("no banks (create one with: nazar bank create NAME)")
        for r in rows if not args.json else []:
            state = "enabled" if r["enabled"] else "DISABLED"
            th = ", ".join(f"{k}={v}" for k, v in r["thresholds"].items())
            print(
                f"{r['name']:<24} {r['kind']:<6} {state:<8} {r['enabled_items']:>8,}/"
                f"{r['items']:<8,} items  {th}"
            )
        return EXIT_OK

    return _run(go)


def cmd_bank_enable(args: argparse.Namespace) -> int:
    from nazar.match.banks import ensure_index, get_bank, set_enabled

    def go(session: Any) -> int:
        bank = get_bank(session, args.name)
        set_enabled(session, bank, args.value, args.item)
        session.commit()
        if args.item:
            ensure_index(session, bank)
        what = f"item {args.item!r} of bank" if args.item else "bank"
        print(f"{'enabled' if args.value else 'disabled'} {what} {bank.name!r}")
        return EXIT_OK

    return _run(go)


def cmd_bank_export(args: argparse.Namespace) -> int:
    import csv
    import json

    from nazar.match.banks import export_items, get_bank
    from nazar.records import open_output, write_jsonl

    def go(session: Any) -> int:
        bank = get_bank(session, args.name)
        out = open_output(args.output)
        try:
            if args.format == "jsonl":
                n = write_jsonl(out, export_items(session, bank)) - 1
            else:
                w = csv.writer(out, lineterminator="\n")
                w.writerow(["signal_type", "signal", "metadata"])
                n = 0
                for rec in export_items(session, bank):
                    if "nazar_bank" in rec or not rec["enabled"]:
                        continue
                    meta = {
                        "bank": bank.name,
                        "item_id": rec["id"],
                        "labels": rec["labels"],
                        "themes": rec["themes"],
                        "source": rec["source"],
                        "lang": rec["lang"],
                    }
                    w.writerow(["raw_text", rec["text"], json.dumps(meta, ensure_ascii=False)])
                    n += 1
        finally:
            if out is not sys.stdout:
                out.close()
        print(f"exported {n} items of bank {bank.name!r} to {args.output}", file=sys.stderr)
        return EXIT_OK

    return _run(go)


def cmd_bank_import(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from nazar.match.banks import BankError, add_items, create_bank, ensure_index, set_enabled
    from nazar.records import read_jsonl
    from nazar.store.bank_models import Bank

    rows = read_jsonl(args.input)
    header = next(rows, None)
    if not isinstance(header, dict) or not isinstance(header.get("nazar_bank"), dict):
        print(
            f"nazar: {args.input}: not a bank export (first line must be "
            '{"nazar_bank": {...}}, as written by `nazar bank export`)',
            file=sys.stderr,
        )
        return EXIT_USAGE
    info = header["nazar_bank"]
    name = args.name or info.get("name")
    if not name:
        raise BankError("the export names no bank: use --name")

    def go(session: Any) -> int:
        bank = session.scalar(select(Bank).where(Bank.name == name))
        if bank is None:
            bank = create_bank(
                session,
                name,
                info.get("kind", "block"),
                info.get("thresholds") or {},
                info.get("description"),
            )
            if info.get("enabled") is False:
                set_enabled(session, bank, False)
        records = (r for r in rows if isinstance(r, dict))
        res = add_items(session, bank, records)
        session.commit()
        ensure_index(session, bank)
        print(
            f"imported into bank {bank.name!r}: {len(res.added)} added, "
            f"{res.duplicates} already there, {res.errors} without text",
            file=sys.stderr,
        )
        return EXIT_RECORD_ERRORS if res.errors else EXIT_OK

    return _run(go)


def cmd_match(args: argparse.Namespace) -> int:
    from nazar.match.api import Matcher
    from nazar.records import ReadOptions, RecordReader, open_output, write_jsonl

    reader = RecordReader(
        ReadOptions(args.format, args.text_field, args.id_field, max_chars=args.max_chars)
    )
    methods = tuple(args.method) if args.method else METHOD_CHOICES
    errors = 0

    def go(session: Any) -> int:
        nonlocal errors
        matcher = Matcher(
            session, banks=args.bank or None, methods=methods, use_allow=not args.no_allow
        )
        if matcher.empty:
            print("nazar: no enabled banks: every record gets an empty 'matches'", file=sys.stderr)
        out = open_output(args.output, args.inputs)

        def rows() -> Any:
            nonlocal errors
            batch: list[Any] = []
            for item in progress(reader.read(args.inputs), desc="match"):
                batch.append(item)
                if len(batch) >= args.batch_size:
                    yield from _match_batch(matcher, batch)
                    batch = []
            yield from _match_batch(matcher, batch)

        try:
            for row in rows():
                errors += "error" in row
                write_jsonl(out, [row])
        finally:
            if out is not sys.stdout:
                out.close()
        return EXIT_RECORD_ERRORS if errors else EXIT_OK

    return _run(go)


def _match_batch(matcher: Any, batch: list[Any]) -> Any:
    if not batch:
        return
    results = matcher.match([None if it.error else it.text for it in batch])
    for it, res in zip(batch, results, strict=True):
        row: dict[str, Any] = {"id": it.id, **res.to_dict()}
        if it.error:
            row["error"] = it.error
        yield row
