"""``nazar embed``: sentence embeddings (multilingual-e5-small) for records, as JSONL or .npy."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nazar.cliutil import (
    EXIT_OK,
    EXIT_RECORD_ERRORS,
    add_input_options,
    positive_int,
    progress,
)

# Records embedded per step: large enough for length-sorted batches to pad little, small
# enough that output streams and memory stays bounded on big inputs.
_CHUNK = 4096


def register(sub: Any) -> None:
    p = sub.add_parser(
        "embed",
        help="sentence embeddings of texts (JSONL or .npy out)",
        description="Embed each input record with multilingual-e5-small (384 dimensions, unit "
        "length, 'query: ' convention; Kazakh in Latin script is converted to Cyrillic first). "
        "JSONL output: one line per input record, in order, {id, lang, vector}; records that "
        "cannot be read keep their line with an 'error' and no vector. Vectors are cached "
        "under $NAZAR_HOME/cache unless --no-cache.",
    )
    add_input_options(p)
    p.add_argument("-o", "--output", help="output file (default: stdout; required for npy)")
    p.add_argument(
        "--output-format",
        choices=("jsonl", "npy"),
        default="jsonl",
        help="jsonl (default) or npy: a float32 [n, 384] matrix, one row per record (zeros "
        "for records with an error), plus OUTPUT.ids.jsonl with {id, lang, row} or {id, error}",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument(
        "--batch-size", type=positive_int, default=64, help="texts per forward pass (default: 64)"
    )
    p.set_defaults(func=cmd_embed)


def _ids_path(output: str) -> Path:
    p = Path(output)
    return p.with_name((p.name[:-4] if p.name.endswith(".npy") else p.name) + ".ids.jsonl")


def cmd_embed(args: argparse.Namespace) -> int:
    import numpy as np

    from nazar.embed.cache import EmbeddingCache, embed_texts
    from nazar.embed.encoder import load_encoder
    from nazar.records import (
        InputError,
        ReadOptions,
        RecordReader,
        batched,
        open_output,
        write_jsonl,
    )
    from nazar.text import identify_language

    as_npy = args.output_format == "npy"
    if as_npy and args.output in (None, "-"):
        raise InputError("--output-format npy needs -o FILE.npy")
    reader = RecordReader(
        ReadOptions(args.format, args.text_field, args.id_field, max_chars=args.max_chars)
    )
    encoder = load_encoder()
    cache: EmbeddingCache | bool = (
        False if args.no_cache else EmbeddingCache(encoder.model_id, encoder.dim)
    )
    errors = 0
    matrices: list[Any] = []

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal errors
        row_no = 0
        items = progress(reader.read(args.inputs), desc="embed")
        for chunk in batched(items, _CHUNK):
            good = [i for i, item in enumerate(chunk) if item.error is None and item.text]
            vecs = embed_texts(
                [chunk[i].text for i in good], encoder, cache, batch_size=args.batch_size
            )
            by_pos = dict(zip(good, vecs, strict=True))
            if as_npy:
                block = np.zeros((len(chunk), encoder.dim), np.float32)
                for i, v in by_pos.items():
                    block[i] = v
                matrices.append(block)
            for i, item in enumerate(chunk):
                vec = by_pos.get(i)
                if vec is None:
                    errors += 1
                    row = {"id": item.id, "error": item.error or "text is empty"}
                else:
                    row = {"id": item.id, "lang": identify_language(item.text)}
                    if as_npy:
                        row["row"] = row_no
                    else:
                        row["vector"] = [round(float(x), 6) for x in vec]
                if as_npy and vec is None:
                    row["row"] = row_no
                row_no += 1
                yield row

    out = open_output(_ids_path(args.output) if as_npy else args.output, args.inputs)
    try:
        n = write_jsonl(out, rows())
    finally:
        if out is not sys.stdout:
            out.close()
    if as_npy:
        matrix = np.concatenate(matrices) if matrices else np.zeros((0, encoder.dim), np.float32)
        target = Path(args.output)
        target.parent.mkdir(parents=True, exist_ok=True)
        np.save(target, matrix)
    rep = reader.report
    if errors or rep.warnings or rep.blank_lines:
        summary = {"written": n, "errors": errors, "warnings": rep.warnings}
        print(f"nazar: embed {json.dumps(summary)}; see 'error' fields", file=sys.stderr)
    return EXIT_RECORD_ERRORS if errors else EXIT_OK
