"""The detector: Items in, Verdicts out (normalise -> language -> lexicon -> model -> verdict).

Each step is a named component a user can inspect or replace, as in a spaCy pipeline:
``Detector(model=..., lexicon=...)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from nazar.detect.features import WORD_RE
from nazar.detect.lexicon import Hit, Lexicon, cue_tokens
from nazar.detect.model import NgramClassifier
from nazar.text import NormalizedText, identify_language, normalize
from nazar.types import POSITIVE_LABEL, Evidence, Item, Verdict

DEFAULT_THRESHOLD = 0.5
MAX_EVIDENCE = 6
THEME_THRESHOLD = 0.5
# Labels whose themes are worth reporting: a recruiter's narratives, or the narratives a
# counter-message answers. Themes on news or worship would only mislead.
THEMED_LABELS = frozenset({POSITIVE_LABEL, "counter_narrative"})


def default_model_path() -> Path:
    """The model a user trained (``$NAZAR_HOME/models/default.npz``) or the shipped one."""
    home = Path(os.environ.get("NAZAR_HOME", "var"))
    local = home / "models" / "default.npz"
    if local.exists():
        return local
    return Path(str(resources.files("nazar") / "models" / "default.npz"))


@dataclass(slots=True)
class Prepared:
    """A text after the stages that come before the model."""

    normalized: NormalizedText
    lang: str
    hits: list[Hit]


def prepare(text: str, lexicon: Lexicon) -> Prepared:
    norm = normalize(text)
    return Prepared(norm, identify_language(text), lexicon.find(norm.text))


class Detector:
    def __init__(
        self,
        model: NgramClassifier,
        lexicon: Lexicon | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        max_evidence: int = MAX_EVIDENCE,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.model = model
        self.lexicon = lexicon or Lexicon.default()
        self.threshold = threshold
        self.max_evidence = max_evidence
        self._positive = model.labels.index(POSITIVE_LABEL)
        self._directions: dict[str, np.ndarray] = {}

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs: float) -> Detector:
        model_path = Path(path) if path else default_model_path()
        if not model_path.exists():
            raise FileNotFoundError(
                f"no model at {model_path}: run `nazar train` or `make model` to build one"
            )
        return cls(NgramClassifier.load(model_path), **kwargs)

    @property
    def version(self) -> str:
        return self.model.version

    # -- the pipeline -------------------------------------------------------------
    def classify_texts(self, texts: list[str]) -> list[Verdict]:
        items = [Item(id=str(i), text=t) for i, t in enumerate(texts)]
        return self.classify(items)

    def classify_stream(self, items: Iterable[Item], batch_size: int = 512) -> Iterator[Verdict]:
        """Classify in batches so memory stays flat however long the input is."""
        batch: list[Item] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self.classify(batch)
                batch = []
        if batch:
            yield from self.classify(batch)

    def classify(self, items: list[Item]) -> list[Verdict]:
        scorable = [i for i, item in enumerate(items) if item.error is None and item.text]
        prepared = [prepare(items[i].text, self.lexicon) for i in scorable]  # type: ignore[arg-type]
        proba = np.zeros((0, len(self.model.labels)))
        themes = np.zeros((0, len(self.model.themes)))
        if prepared:
            X = self.model.transform(
                [p.normalized.text for p in prepared], [cue_tokens(p.hits) for p in prepared]
            )
            proba = self.model.predict_proba_features(X)
            themes = self.model.theme_proba(X)
        verdicts: list[Verdict] = [self._error_verdict(item) for item in items]
        for row, i in enumerate(scorable):
            verdicts[i] = self._verdict(items[i], prepared[row], proba[row], themes[row])
        return verdicts

    def _error_verdict(self, item: Item) -> Verdict:
        return Verdict(
            id=item.id,
            label=None,
            flagged=False,
            score=None,
            scores={},
            lang="und",
            themes=[],
            evidence=[],
            model=self.version,
            input=item.input,
            error=item.error or "text is empty",
            warnings=item.warnings,
        )

    def _verdict(
        self, item: Item, prep: Prepared, proba: np.ndarray, theme_proba: np.ndarray
    ) -> Verdict:
        labels = self.model.labels
        score = float(proba[self._positive])
        flagged = score >= self.threshold
        if flagged:
            label = POSITIVE_LABEL
        else:
            # Below the operating threshold the text is not flagged, so its label is the
            # most likely of the other four (flagged <=> label is violent_extremist).
            masked = proba.copy()
            masked[self._positive] = -1.0
            label = labels[int(masked.argmax())]
        themes: list[str] = []
        if label in THEMED_LABELS:
            order = np.argsort(-theme_proba)
            themes = [self.model.themes[k] for k in order if theme_proba[k] >= THEME_THRESHOLD]
            if label == POSITIVE_LABEL:
                for hit in prep.hits:
                    for theme in hit.cue.themes:
                        if theme not in themes:
                            themes.append(theme)
        return Verdict(
            id=item.id,
            label=label,
            flagged=flagged,
            score=round(score, 4),
            scores={lab: round(float(p), 4) for lab, p in zip(labels, proba, strict=True)},
            lang=prep.lang,
            themes=themes,
            evidence=self._evidence(prep, label),
            model=self.version,
            input=item.input,
            warnings=item.warnings,
        )

    # -- evidence -----------------------------------------------------------------
    def _evidence(self, prep: Prepared, label: str) -> list[Evidence]:
        """Lexicon cues that agree with the label, then the words the model leaned on."""
        norm = prep.normalized
        pro_label = label == POSITIVE_LABEL
        spans: list[tuple[int, int, str]] = []
        for hit in prep.hits:
            if hit.cue.pro == pro_label:
                spans.append((hit.start, hit.end, f"lexicon: {hit.cue.why} [{hit.cue.cue}]"))
        for start, end, weight in self._model_words(norm.text, label):
            if not any(s <= start < e or start <= s < end for s, e, _ in spans):
                spans.append((start, end, f"model: pushes towards {label} ({weight:+.2f})"))
        spans = spans[: self.max_evidence]
        out = []
        for start, end, why in sorted(spans):
            o_start, o_end = norm.to_original(start, end)
            out.append(Evidence(o_start, o_end, norm.original[o_start:o_end], why))
        return out

    def _model_words(self, text: str, label: str, top: int = 3) -> list[tuple[int, int, float]]:
        matches = [m for m in WORD_RE.finditer(text) if len(m.group()) > 1]
        if not matches:
            return []
        words = [m.group() for m in matches]
        contrib = self.model.featurizer.word_contributions(text, words, self._direction(label))
        order = np.argsort(-contrib)[:top]
        return [
            (matches[k].start(), matches[k].end(), float(contrib[k]))
            for k in order
            if contrib[k] > 0.05
        ]

    def _direction(self, label: str) -> np.ndarray:
        if label not in self._directions:
            self._directions[label] = self.model.label_direction(label)
        return self._directions[label]
