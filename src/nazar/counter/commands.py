"""``nazar counter``: suggest counter-narrative material for posts, and check catalogue files.

Only the standard library and ``nazar.cliutil`` are imported at module level, so ``nazar
--help`` stays fast; the detector, numpy and the encoder load inside the commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from nazar.cliutil import (
    EXIT_OK,
    EXIT_RECORD_ERRORS,
    EXIT_USAGE,
    add_input_options,
    existing_file,
    positive_int,
    progress,
)

BATCH = 256  # records classified and ranked together: the detector and encoder like batches


def register(sub: Any) -> None:
    """Add ``nazar counter suggest`` and ``nazar counter validate`` to the ``nazar`` command."""
    p = sub.add_parser(
        "counter",
        help="suggest counter-narrative material; check catalogue files",
        description="Counter-narrative material for flagged posts: `suggest` ranks catalogue "
        "items that answer a post's narratives in its reader's language; `validate` checks a "
        "catalogue file; `import` and `export` move catalogues in and out of the service's "
        "database.",
    )
    actions = p.add_subparsers(dest="counter_command", metavar="ACTION")

    s = actions.add_parser(
        "suggest",
        help="suggest catalogue items for each input post (JSONL out)",
        description="For each input record, the top catalogue items that answer the post's "
        "themes, in its language or one its readers likely read, closest in content first. "
        "Themes and language come from the detector, or from the record's own 'themes' and "
        "'lang' fields when it has them. One output line per input record, in order: "
        '{"id", "lang", "themes", "suggestions": [{item_id, title, lang, themes, score, why}]}; '
        "records that cannot be read carry an 'error' field.",
    )
    add_input_options(s)
    s.add_argument("-k", type=positive_int, default=5, help="suggestions per post (default: 5)")
    s.add_argument("-o", "--output", help="output JSONL file (default: stdout)")
    s.add_argument(
        "--catalogue", help="catalogue file, JSONL or CSV (default: the starter catalogue)"
    )
    s.add_argument(
        "--similarity",
        choices=("auto", "encoder", "lexical"),
        default="auto",
        help="closeness in content: sentence encoder if installed (auto), or char n-grams",
    )
    s.add_argument(
        "--include-drafts", action="store_true", help="also suggest draft items (for editors)"
    )
    s.add_argument("--model", help="detector model file (default: $NAZAR_HOME/models or shipped)")
    s.set_defaults(func=cmd_suggest)

    v = actions.add_parser(
        "validate",
        help="check a catalogue file (JSONL or CSV)",
        description="Check every record of a catalogue file and print each problem as "
        "file:line: message. Exit status 1 if there is any.",
    )
    v.add_argument("file", help="catalogue file (.jsonl, or .csv with lists written a;b)")
    v.set_defaults(func=cmd_validate)

    i = actions.add_parser(
        "import",
        help="import a catalogue file into the service's database",
        description="Create or update (by item_id) the items of a catalogue file in the "
        "database of `nazar serve` ($NAZAR_DATABASE_URL, else $NAZAR_HOME/nazar.sqlite3). "
        "Records with problems are reported as file:line: message and skipped; the others are "
        "stored. Exit status 1 if any record was skipped.",
    )
    i.add_argument("file", help="catalogue file (.jsonl, or .csv with lists written a;b)")
    i.add_argument("--database-url", help="database URL (default: as `nazar serve`)")
    i.set_defaults(func=cmd_import)

    e = actions.add_parser(
        "export",
        help="write the service's catalogue to a file (JSONL or CSV)",
        description="Write every item of the service's catalogue (the starter catalogue if "
        "nothing was imported) as JSONL, or CSV when the file name ends in .csv.",
    )
    e.add_argument("-o", "--output", help="output file (default: JSONL on stdout)")
    e.add_argument(
        "--format", choices=("jsonl", "csv"), help="default: from the file name, else jsonl"
    )
    e.add_argument("--status", help="only items of this review status (e.g. approved)")
    e.add_argument("--database-url", help="database URL (default: as `nazar serve`)")
    e.set_defaults(func=cmd_export)

    def no_action(args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return EXIT_USAGE

    p.set_defaults(func=no_action)


def _load_catalogue(path: str | None) -> list[Any]:
    from nazar.counter.catalogue import CatalogueError, load_catalogue, starter_catalogue
    from nazar.records import InputError

    if path is None:
        return starter_catalogue()
    try:
        return load_catalogue(existing_file(path, "catalogue file"))
    except CatalogueError as exc:
        shown = "\n  ".join(exc.errors[:20])
        more = f"\n  ... and {len(exc.errors) - 20} more" if len(exc.errors) > 20 else ""
        raise InputError(
            f"the catalogue {path} has errors (see `nazar counter validate`):\n  {shown}{more}"
        ) from exc


def _given_themes(item: Any) -> tuple[list[str] | None, str | None]:
    """Themes and language the record carries itself (e.g. from a reviewed verdict)."""
    from nazar.types import THEMES

    themes = item.input.get("themes")
    lang = item.input.get("lang")
    themes = [t for t in themes if t in THEMES] if isinstance(themes, list) else None
    if not isinstance(lang, str) or not 2 <= len(lang) <= 8:
        lang = None  # not a language code: let the detector tell
    return themes, lang


def cmd_suggest(args: argparse.Namespace) -> int:
    from nazar.counter.suggest import Post, Suggester
    from nazar.records import ReadOptions, RecordReader, batched, open_output, write_jsonl
    from nazar.types import Narrative

    catalogue = _load_catalogue(args.catalogue)
    statuses = ("approved", "draft") if args.include_drafts else ("approved",)
    suggester = Suggester(catalogue, similarity=args.similarity, statuses=statuses)
    reader = RecordReader(
        ReadOptions(args.format, args.text_field, args.id_field, max_chars=args.max_chars)
    )
    items = progress(reader.read(args.inputs), desc="counter suggest")
    detector: Any = None
    errors = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal detector, errors
        for batch in batched(items, BATCH):
            ok = [it for it in batch if it.error is None and it.text]
            given = {id(it): _given_themes(it) for it in ok}
            need = [it for it in ok if None in given[id(it)]]
            found: dict[int, Narrative] = {}
            if need:
                if detector is None:
                    detector = _load_detector(args.model)
                narratives = detector.narratives([it.text for it in need])
                found = {id(it): n for it, n in zip(need, narratives, strict=True)}
            posts = []
            for it in ok:
                themes, lang = given[id(it)]
                narrative = found.get(id(it), Narrative("und", []))
                post = Post.from_narrative(it.text, narrative)
                if themes is not None:  # given themes are certain: they count fully
                    post.themes, post.weights = list(themes), None
                post.lang = lang or post.lang
                posts.append(post)
            suggestions = suggester.suggest_many(posts, args.k)
            ranked = {
                id(it): (post, sug) for it, post, sug in zip(ok, posts, suggestions, strict=True)
            }
            for it in batch:
                if id(it) not in ranked:
                    errors += 1
                    yield {"id": it.id, "suggestions": [], "error": it.error or "text is empty"}
                    continue
                post, suggestions = ranked[id(it)]
                yield {
                    "id": it.id,
                    "lang": post.lang,
                    "themes": post.themes,
                    "suggestions": [s.to_dict() for s in suggestions],
                }

    out = open_output(args.output, args.inputs)
    try:
        n = write_jsonl(out, rows())
    finally:
        if out is not sys.stdout:
            out.close()
    if errors:
        print(
            f"nazar: {n} records written; {errors} could not be read (see 'error')",
            file=sys.stderr,
        )
    return EXIT_RECORD_ERRORS if errors else EXIT_OK


def _load_detector(model: str | None) -> Any:
    from nazar.detect.ensemble import EnsembleDetector  # narratives from both models

    return EnsembleDetector.load(model)


def cmd_validate(args: argparse.Namespace) -> int:
    from nazar.counter.catalogue import check_catalogue

    path = existing_file(args.file)
    items, errors = check_catalogue(path)
    for error in errors:
        print(error)
    if errors:
        print(f"{path}: {len(errors)} problem(s); {len(items)} valid item(s)", file=sys.stderr)
        return EXIT_RECORD_ERRORS
    print(f"{path}: {len(items)} items, all valid")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from nazar.counter.catalogue import check_catalogue
    from nazar.counter.service import import_records
    from nazar.store.db import connect

    path = existing_file(args.file)
    items, errors = check_catalogue(path)
    sessions = connect(args.database_url)
    with sessions() as session:
        result = import_records(session, items)
    # What only the database refuses (an id over its length limit, say).
    errors += [f"{path.name}: item {e['item_id']!r}: {e['error']}" for e in result.errors]
    for error in errors:
        print(error, file=sys.stderr)
    skipped = len({e.split(": ", 1)[0] for e in errors})  # records, not problems
    print(
        f"{path}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {skipped} skipped"
    )
    return EXIT_RECORD_ERRORS if errors else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from nazar.counter.catalogue import dump_csv, dump_jsonl
    from nazar.counter.service import export_items
    from nazar.store.db import connect

    fmt = args.format or (
        "csv" if args.output and args.output.lower().endswith(".csv") else "jsonl"
    )
    sessions = connect(args.database_url)
    with sessions() as session:
        items, source = export_items(session, args.status)
    dump = dump_csv if fmt == "csv" else dump_jsonl
    n = dump(items, args.output or sys.stdout)
    where = args.output or "stdout"
    print(f"nazar: {n} items of the {source} catalogue written to {where}", file=sys.stderr)
    return EXIT_OK
