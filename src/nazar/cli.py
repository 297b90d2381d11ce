"""The ``nazar`` command: classify, train, eval, info and report, reading and writing JSONL.

Exit status: 0 all good; 1 some records could not be scored (each is still written, with an
``error`` field); 2 the command cannot run as asked (bad option, unreadable file, no model).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from nazar import __version__
from nazar.cliutil import (
    EXIT_OK,
    EXIT_RECORD_ERRORS,
    EXIT_USAGE,
    add_input_options,
    existing_file,
    progress,
    threshold,
)
from nazar.paths import user_model_path
from nazar.records import (
    InputError,
    ReadOptions,
    RecordReader,
    open_output,
    read_jsonl,
    write_jsonl,
)
from nazar.types import LABELS, LANGUAGES, THEMES, Item

# Stages that add their own subcommands: each module has ``register(subparsers)``.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "nazar.store.commands",
    "nazar.api.commands",
    "nazar.monitor.commands",
    "nazar.counter.commands",
    "nazar.match.commands",
    "nazar.embed.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nazar",
        description="Detect violent-extremist propaganda in Arabic, Russian, Kazakh and English, "
        "and tell it apart from worship, journalism and counter-speech.",
    )
    parser.add_argument("--version", action="version", version=f"nazar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "classify",
        help="label texts (JSONL/CSV/TXT in, JSONL out)",
        description="Label each input record: label, flagged, calibrated score, all five scores, "
        "language, themes and evidence spans into the original text. One output line per input "
        "record, in order; records that cannot be scored carry an 'error' field.",
    )
    add_input_options(p)
    p.add_argument("-o", "--output", help="output JSONL file (default: stdout)")
    p.add_argument(
        "--threshold", type=threshold, help="operating threshold on score (default: 0.7)"
    )
    p.add_argument("--model", help="model file (default: $NAZAR_HOME/models or shipped)")
    p.add_argument(
        "--mode",
        choices=("routed", "full", "fast"),
        help="fast (default): the char model alone; routed: the sentence encoder too where the "
        "char model is unsure; full: both models on every text",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=min(os.cpu_count() or 1, 4),
        help="processes scoring in parallel on long inputs (default: cores, at most 4)",
    )
    p.add_argument("--batch-size", type=int, default=512, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser(
        "train",
        help="train a model from labelled JSONL",
        description="Train the n-gram classifier from labelled JSONL (fields: text, label, "
        "optional lang, themes, id). Deterministic: the same data gives the same model.",
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="labelled JSONL files")
    p.add_argument("-o", "--output", help="model file (default: $NAZAR_HOME/models/default.npz)")
    p.add_argument(
        "--include-reviews",
        action="store_true",
        help="add reviewers' decisions from the service's database as labelled examples",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "eval",
        help="measure a model on labelled JSONL",
        description="Per-class precision/recall/F1, confusion matrix, false-positive rate on "
        "religious and news rows, per language, expected calibration error and bootstrap "
        "95%% intervals, on labelled JSONL (text, label, optional lang).",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="labelled JSONL files")
    p.add_argument("--model", help="model file (default: $NAZAR_HOME/models or shipped)")
    p.add_argument("--threshold", type=threshold, help="operating threshold (default: 0.7)")
    p.add_argument("--json", dest="json_out", help="also write the full result as JSON here")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap rounds (default: 200)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("info", help="show the model, languages and data provenance")
    p.add_argument("--model", help="model file (default: $NAZAR_HOME/models or shipped)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("report", help="summarise a classify output file for a person")
    p.add_argument("input", help="JSONL written by `nazar classify`")
    p.add_argument("--top", type=int, default=10, help="flagged items to show (default: 10)")
    p.set_defaults(func=cmd_report)

    for module in SUBCOMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"nazar: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a file that vanished, a full disk, a folder given as a file
        print(f"nazar: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # A reader such as `head` closed the pipe: stop quietly, as Unix tools do.
        sys.stderr.close()
        return EXIT_OK


def _load_detector(args: argparse.Namespace) -> Any:
    from nazar.detect.ensemble import DEFAULT_MODE, EnsembleDetector
    from nazar.detect.pipeline import DEFAULT_THRESHOLD

    threshold = (
        args.threshold if getattr(args, "threshold", None) is not None else DEFAULT_THRESHOLD
    )
    mode = getattr(args, "mode", None) or DEFAULT_MODE
    return EnsembleDetector.load(getattr(args, "model", None), mode=mode, threshold=threshold)


def cmd_classify(args: argparse.Namespace) -> int:
    detector = _load_detector(args)
    reader = RecordReader(
        ReadOptions(args.format, args.text_field, args.id_field, max_chars=args.max_chars)
    )
    items: Iterator[Item] = progress(reader.read(args.inputs), desc="classify")
    from nazar.match.api import ClassifyMatches  # bank matches: `matches` + evidence per row

    banks = ClassifyMatches.open()
    items = banks.track(items)
    out = open_output(args.output, args.inputs)
    errors = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal errors
        for verdict in detector.classify_stream(items, args.batch_size, workers=args.workers):
            errors += verdict.error is not None
            yield verdict.to_dict()

    try:
        n = write_jsonl(out, banks.match_rows(rows()))
    finally:
        if out is not sys.stdout:
            out.close()
    rep = reader.report
    if errors or rep.warnings or rep.blank_lines:
        print(
            f"nazar: {n} records written; {errors} could not be scored (see 'error'), "
            f"{rep.warnings} warnings, {rep.blank_lines} blank lines skipped",
            file=sys.stderr,
        )
    return EXIT_RECORD_ERRORS if errors else EXIT_OK


def _load_labelled(paths: list[str]) -> list[Any]:
    from nazar.detect.training import load_labelled_jsonl

    records = []
    for path in paths:
        records.extend(load_labelled_jsonl(existing_file(path)))
    return records


def _reviewed_examples() -> list[Any]:
    """Reviewers' decisions: the reviewer's label wins over the model's."""
    from nazar.detect.training import LabelledText
    from nazar.monitor.review import reviewed_examples
    from nazar.store.db import connect

    with connect()() as session:
        rows = reviewed_examples(session)
    return [
        LabelledText(
            text=r["text"],
            label=r["label"],
            lang=r["lang"] or "",
            themes=list(r["themes"]),
            source="review",
            id=r["id"],
        )
        for r in rows
    ]


def cmd_train(args: argparse.Namespace) -> int:
    from nazar.detect.training import train_model

    records = _load_labelled(args.inputs)
    if args.include_reviews:
        records.extend(_reviewed_examples())
    if not records:
        raise InputError("nothing to train on: give labelled JSONL files or --include-reviews")
    output = args.output or str(user_model_path())
    bar = tqdm(total=6, desc="train", disable=not sys.stderr.isatty())

    def step(msg: str) -> None:
        bar.set_postfix_str(msg)
        bar.update()

    model = train_model(records, progress=step)
    bar.close()
    model.save(output)
    counts = Counter(r.label for r in records)
    print(f"trained {model.version} on {len(records):,} texts {dict(counts)} -> {output}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from nazar.detect.evaluation import evaluate, format_report

    detector = _load_detector(args)
    records = _load_labelled(args.inputs)
    items = (Item(id=r.id, text=r.text) for r in records)
    verdicts = list(progress(detector.classify_stream(items), desc="eval", total=len(records)))
    langs = [r.lang or v.lang for r, v in zip(records, verdicts, strict=True)]
    result = evaluate(
        [r.label for r in records],
        [v.label for v in verdicts],
        [v.score for v in verdicts],
        langs,
        bootstrap_rounds=args.bootstrap,
    )
    result["model"] = detector.version
    result["threshold"] = detector.threshold
    print(format_report(result, title=f"model {detector.version}, threshold {detector.threshold}"))
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from nazar.detect.pipeline import default_model_path

    detector = _load_detector(args)
    model = detector.model
    info = {
        "nazar": __version__,
        "model": detector.version,
        "model_file": str(args.model or default_model_path()),
        "labels": list(model.labels),
        "themes": list(model.themes),
        "languages": list(LANGUAGES),
        "lexicon": {"entries": detector.lexicon.size, "languages": detector.lexicon.languages},
        "threshold": detector.threshold,
        "training": {"n_train": model.info.n_train, "params": model.info.params},
        "provenance": model.info.sources,
    }
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"nazar {__version__}, model {info['model']} ({info['model_file']})")
    print(f"labels: {', '.join(LABELS)}")
    print(f"themes: {', '.join(THEMES)}")
    print(f"languages: {', '.join(LANGUAGES)} (others get their code and a best-effort label)")
    print(f"lexicon: {detector.lexicon.size} cues in {', '.join(detector.lexicon.languages)}")
    print(f"trained on {model.info.n_train:,} texts:")
    by_source: Counter[str] = Counter()
    for s in model.info.sources:
        by_source[s["source"]] += s["n"]
    for source, n in sorted(by_source.items()):
        print(f"  {n:7,}  {source}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    path = existing_file(args.input)
    rows = list(read_jsonl(path))
    bad = next((i for i, r in enumerate(rows, 1) if not isinstance(r, dict)), None)
    if bad is not None:
        raise InputError(f"{path}: record {bad} is not a JSON object: is this `classify` output?")
    labels = Counter(r.get("label") or "error" for r in rows)
    langs = Counter(r.get("lang", "und") for r in rows)
    flagged = sorted((r for r in rows if r.get("flagged")), key=lambda r: -(r.get("score") or 0))
    print(f"Nazar report: {len(rows)} texts from {path.name}")
    print("  by label:    " + ", ".join(f"{k} {v}" for k, v in labels.most_common()))
    print("  by language: " + ", ".join(f"{k} {v}" for k, v in langs.most_common()))
    print(f"  flagged:     {len(flagged)} ({100 * len(flagged) / max(len(rows), 1):.0f}%)")
    themes = Counter(t for r in flagged for t in r.get("themes", []))
    if themes:
        print(
            "  themes in flagged texts: " + ", ".join(f"{k} {v}" for k, v in themes.most_common())
        )
    for r in flagged[: args.top]:
        spans = "; ".join(f"«{e.get('text', '')}»" for e in r.get("evidence", [])[:3])
        themes_s = ", ".join(r.get("themes", [])) or "-"
        print(f"\n  [{r.get('score') or 0:.2f}] {r.get('id')} ({r.get('lang')}, {themes_s})")
        print(f"      evidence: {spans or '-'}")
    errors = [r for r in rows if r.get("error")]
    for r in errors[: args.top]:
        print(f"\n  [error] {r.get('id')}: {r['error']}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
