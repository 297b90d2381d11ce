"""``nazar ingest`` (file and Telegram imports), ``nazar worker`` and ``nazar rescore``."""

from __future__ import annotations

import argparse
import sys
import time

from nazar.cliutil import EXIT_OK, EXIT_RECORD_ERRORS, EXIT_USAGE, progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        help="import a JSONL/CSV file or a Telegram Desktop export into a source",
        description="Stores every record of the file in the source (created if new); "
        "re-importing the same file stores nothing twice. The service's worker (or "
        "`nazar worker`) scores what was imported.",
    )
    p.add_argument("source", help="source name")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument(
        "--kind",
        choices=("file", "telegram"),
        default="file",
        help="file: JSONL/CSV records; telegram: Telegram Desktop result.json (default: file)",
    )
    p.add_argument("--text-field", help="field holding the text (file imports)")
    p.add_argument("--id-field", help="field holding the record id (file imports)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("worker", help="score pending items (a worker outside `nazar serve`)")
    p.add_argument("--once", action="store_true", help="score what is pending, then exit")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "rescore",
        help="mark scored items for scoring again (after training a new model)",
        description="Earlier verdicts stay in the item's history with their model version.",
    )
    p.add_argument("--source", help="only this source")
    p.set_defaults(func=cmd_rescore)


def cmd_ingest(args: argparse.Namespace) -> int:
    from itertools import islice

    from nazar.monitor import sources as readers
    from nazar.monitor.ingest import MAX_BATCH, get_or_create_source, ingest
    from nazar.store.db import connect

    totals = {"accepted": 0, "duplicates": 0, "errors": 0}
    with connect()() as session:
        source = get_or_create_source(session, args.source, args.kind)
        for path in args.inputs:
            if args.kind == "telegram":
                stream = readers.read_telegram_export(path)
            else:
                stream = readers.read_file(path, args.text_field, args.id_field)
            stream = iter(progress(stream, desc=f"ingest {path}", unit="item"))
            while batch := list(islice(stream, MAX_BATCH)):
                result = ingest(session, source, batch)
                totals["accepted"] += result.accepted
                totals["duplicates"] += result.duplicates
                totals["errors"] += result.errors
    print(
        f"{args.source}: {totals['accepted']} new, {totals['duplicates']} already stored, "
        f"{totals['errors']} stored without text to score",
        file=sys.stderr,
    )
    return EXIT_RECORD_ERRORS if totals["errors"] else EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    from nazar.detect.pipeline import Detector
    from nazar.monitor.worker import score_batch
    from nazar.store.db import connect

    sessions = connect()
    detector = Detector.load()
    scored = 0
    try:
        while True:
            with sessions() as session:
                n = score_batch(session, detector)
            scored += n
            if n == 0:
                if args.once:
                    break
                time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    print(f"scored {scored} items", file=sys.stderr)
    return EXIT_OK


def cmd_rescore(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from nazar.monitor.worker import request_rescore
    from nazar.store.db import connect
    from nazar.store.models import Source

    with connect()() as session:
        source_id = None
        if args.source:
            source_id = session.scalar(select(Source.id).where(Source.name == args.source))
            if source_id is None:
                print(f"nazar: no source {args.source!r}", file=sys.stderr)
                return EXIT_USAGE
        n = request_rescore(session, source_id)
    print(f"{n} items will be scored again", file=sys.stderr)
    return EXIT_OK
