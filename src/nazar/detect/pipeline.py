"""The detector: Items in, Verdicts out (normalise -> language -> lexicon -> model -> verdict).

Each step is a named component a user can inspect or replace, as in a spaCy pipeline:
``Detector(model=..., lexicon=...)``.
"""

from __future__ import annotations

import multiprocessing as mp
import re
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from nazar.detect.features import strip_artifacts
from nazar.detect.hashing import TOKEN_RE as WORD_RE
from nazar.detect.lexicon import Hit, Lexicon, cue_tokens
from nazar.detect.model import NgramClassifier
from nazar.paths import user_model_path
from nazar.records import InputError, batched
from nazar.text import NormalizedText, identify_language, normalize
from nazar.types import POSITIVE_LABEL, Evidence, Item, Narrative, Verdict

# Precision first (TAXONOMY.md): flag only when the calibrated probability is at least 0.7;
# wrongly flagging worship or journalism harms the people the system exists to protect.
DEFAULT_THRESHOLD = 0.7
MAX_EVIDENCE = 6
THEME_THRESHOLD = 0.5
# Narratives for choosing counter-material favour recall: a missed theme loses the right
# material, an extra one only widens the list. Chosen by theme F1 on data/eval/themes_labelled
# (0.25: P 0.71, R 0.75; 0.5: P 0.80, R 0.53), and measured on the separate relevance set.
NARRATIVE_THRESHOLD = 0.25
MIN_WORD_WEIGHT = 0.05  # a word must add at least this much to its label's logit to be shown
MIN_WORDS = 3  # shorter texts need an indicator cue to be judged on their content
# Labels whose themes are worth reporting: a recruiter's narratives, or the narratives a
# counter-message answers. Themes on news or worship would only mislead.
THEMED_LABELS = frozenset({POSITIVE_LABEL, "counter_narrative"})


def default_model_path() -> Path:
    """The model a user trained (``$NAZAR_HOME/models/default.npz``) or the shipped one."""
    local = user_model_path()
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


def _prepare_all(texts: list[str], lexicon: Lexicon) -> list[Prepared]:
    """``[prepare(t, lexicon) for t in texts]``, the lexicon's prefilter run on all at once."""
    find_all = getattr(lexicon, "find_all", None)
    if find_all is None:
        return [prepare(text, lexicon) for text in texts]
    norms = [normalize(text) for text in texts]
    hits = find_all([norm.text for norm in norms])
    return [
        Prepared(norm, identify_language(text), found)
        for text, norm, found in zip(texts, norms, hits, strict=True)
    ]


_WORKER_DETECTOR: Detector | None = None


def _classify_in_worker(batch: list[Item]) -> list[Verdict]:
    assert _WORKER_DETECTOR is not None  # set before the pool forks
    return _WORKER_DETECTOR.classify(batch)


def _content_weight(prep: Prepared) -> float:
    """How far the model's probabilities can be trusted on this text's content alone.

    A text of one or two words with no indicator cue ("lol", "thank you", "wow") carries no
    voice to judge: the model would answer with its label prior, which for tweets leans
    towards the tweet-heavy propaganda class. Such texts are pulled towards ``other``, the
    more the shorter; a text with no letters at all (emoji, digits) is ``other`` outright.
    Words are counted once each: a chant that repeats one or two words ("يا شريفه يا شريفه
    يا شريفه") says no more than the words themselves, but its repeated n-grams would let the
    label prior speak ever louder.
    """
    text = strip_artifacts(prep.normalized.text)
    if not any(c.isalpha() for c in text):
        return 0.0
    n_words = len(set(WORD_RE.findall(text)))
    # A group's name alone is not a voice (reporters name groups too); other cues are.
    if n_words >= MIN_WORDS or any(h.cue.pro and h.cue.cue != "group_name" for h in prep.hits):
        return 1.0
    return (n_words / MIN_WORDS) ** 2


def narrative_of(
    lang: str,
    names: Sequence[str],
    proba: np.ndarray,
    cue_themes: Sequence[str],
    threshold: float,
) -> Narrative:
    """Themes with probability >= ``threshold``, most likely first, then the cues' others;
    weights are the probabilities, a cue's theme raised to the threshold."""
    themes = [names[k] for k in np.argsort(-proba, kind="stable") if proba[k] >= threshold]
    themes += [t for t in cue_themes if t not in themes]
    weights = {name: round(float(p), 4) for name, p in zip(names, proba, strict=True)}
    for theme in cue_themes:
        weights[theme] = max(weights.get(theme, 0.0), threshold)
    return Narrative(lang, themes, weights)


def _column_major_weights(model: NgramClassifier) -> None:
    """Keep the weight matrices column-major (same values), so that ``X @ W.T`` reads ``W.T``
    in place; row-major, scipy copies the whole matrix (tens of MB) on every batch."""
    for name in ("coef_", "theme_coef_"):
        w = getattr(model, name, None)
        if isinstance(w, np.ndarray) and w.ndim == 2 and not w.flags.f_contiguous:
            setattr(model, name, np.asfortranarray(w))


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
        _column_major_weights(model)  # once, not on every batch
        self.lexicon = lexicon or Lexicon.default()
        self.threshold = threshold
        self.max_evidence = max_evidence
        self._positive = model.labels.index(POSITIVE_LABEL)
        # Weights whose product with a text says how much it favours violent_extremist.
        self._direction = model.label_direction(POSITIVE_LABEL)[:, None]

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs: float) -> Detector:
        model_path = Path(path) if path else default_model_path()
        if not model_path.exists():
            raise FileNotFoundError(
                f"no model at {model_path}: run `nazar train` or `make model` to build one"
            )
        try:
            model = NgramClassifier.load(model_path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot read the model {model_path}: {exc}") from exc
        return cls(model, **kwargs)

    @property
    def version(self) -> str:
        return self.model.version

    # -- the pipeline -------------------------------------------------------------
    def classify_texts(self, texts: list[str]) -> list[Verdict]:
        items = [Item(id=str(i), text=t) for i, t in enumerate(texts)]
        return self.classify(items)

    def classify_stream(
        self, items: Iterable[Item], batch_size: int = 512, workers: int = 1
    ) -> Iterator[Verdict]:
        """Classify in batches, in input order, so memory stays flat however long the input.

        With ``workers > 1`` batches after the first are scored by forked worker processes
        (they share the loaded model copy-on-write); a short input never pays for them.
        """
        batches = batched(items, batch_size)
        first = next(batches, None)
        if first is None:
            return
        yield from self.classify(first)
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            for batch in batches:
                yield from self.classify(batch)
            return
        global _WORKER_DETECTOR
        _WORKER_DETECTOR = self
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            # At most 2 batches per worker in flight: enough to keep them busy, and memory
            # stays bounded on a 1 GB input.
            pending: deque[Future[list[Verdict]]] = deque()
            for batch in batches:
                pending.append(pool.submit(_classify_in_worker, batch))
                if len(pending) >= 2 * workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()

    def classify(self, items: list[Item]) -> list[Verdict]:
        scorable = [i for i, item in enumerate(items) if item.error is None and item.text]
        prepared = _prepare_all([items[i].text for i in scorable], self.lexicon)  # type: ignore[misc]
        verdicts: list[Verdict] = [self._error_verdict(item) for item in items]
        if not prepared:
            return verdicts
        X, norms = self.model.featurizer.transform_with_norms(
            [p.normalized.text for p in prepared], [cue_tokens(p.hits) for p in prepared]
        )
        proba = self.model.predict_proba_features(X).astype(np.float64)
        other = self.model.labels.index("other")
        for row, p in enumerate(prepared):
            weight = _content_weight(p)
            if weight < 1.0:
                proba[row] *= weight
                proba[row, other] += 1.0 - weight
        # Rounded as they are reported, so `flagged` always agrees with the printed score.
        proba = np.round(proba, 4)
        labels = [self._decide(row) for row in proba]
        # Themes are reported for two labels only: tag just those rows.
        themed = [row for row, label in enumerate(labels) if label in THEMED_LABELS]
        themes = np.zeros((len(labels), len(self.model.themes)))
        if themed:
            themes[themed] = self.model.theme_proba(X[themed])
        words = self._model_words(prepared, norms, labels)
        for row, i in enumerate(scorable):
            verdicts[i] = self._verdict(
                items[i], prepared[row], proba[row], themes[row], labels[row], words[row]
            )
        return verdicts

    def narratives(self, texts: list[str]) -> list[Narrative]:
        """Language and themes of each text, whatever its label.

        ``classify`` reports themes only for texts it labels ``violent_extremist`` or
        ``counter_narrative``. Choosing counter-material for a post someone wants answered
        needs the narrative even when the post scores below the flag threshold: the same theme
        model (probability >= NARRATIVE_THRESHOLD, lower than THEME_THRESHOLD: recall matters
        more here) plus the themes of pro-group lexicon cues.
        """
        langs, proba, cue_themes = self.narrative_scores(texts)
        return [
            narrative_of(lang, self.model.themes, row, cues, NARRATIVE_THRESHOLD)
            for lang, row, cues in zip(langs, proba, cue_themes, strict=True)
        ]

    def narrative_scores(self, texts: list[str]) -> tuple[list[str], np.ndarray, list[list[str]]]:
        """Per text: its language, the theme model's probabilities (in ``model.themes``
        order) and the themes of its pro-group lexicon cues."""
        preps = _prepare_all(texts, self.lexicon)
        X, _ = self.model.featurizer.transform_with_norms(
            [p.normalized.text for p in preps], [cue_tokens(p.hits) for p in preps]
        )
        cue_themes = [
            list(dict.fromkeys(t for h in p.hits if h.cue.pro for t in h.cue.themes)) for p in preps
        ]
        return [p.lang for p in preps], self.model.theme_proba(X), cue_themes

    def _decide(self, proba: np.ndarray) -> str:
        if proba[self._positive] >= self.threshold:
            return POSITIVE_LABEL
        # Below the operating threshold the text is not flagged, so its label is the most
        # likely of the other four (flagged <=> label is violent_extremist).
        masked = proba.copy()
        masked[self._positive] = -1.0
        return self.model.labels[int(masked.argmax())]

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
        self,
        item: Item,
        prep: Prepared,
        proba: np.ndarray,
        theme_proba: np.ndarray,
        label: str,
        model_words: list[tuple[int, int, float]],
    ) -> Verdict:
        labels = self.model.labels
        score = float(proba[self._positive])
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
            flagged=label == POSITIVE_LABEL,
            score=score,
            scores={lab: float(p) for lab, p in zip(labels, proba, strict=True)},
            lang=prep.lang,
            themes=themes,
            evidence=self._evidence(prep, label, model_words),
            model=self.version,
            input=item.input,
            warnings=item.warnings,
        )

    # -- evidence -----------------------------------------------------------------
    def _evidence(
        self, prep: Prepared, label: str, model_words: list[tuple[int, int, float]]
    ) -> list[Evidence]:
        """Lexicon cues that agree with the label, then the words the model leaned on."""
        norm = prep.normalized
        pro_label = label == POSITIVE_LABEL
        spans: list[tuple[int, int, str]] = []
        for hit in prep.hits:
            if hit.cue.pro == pro_label:
                spans.append((hit.start, hit.end, f"lexicon: {hit.cue.why} [{hit.cue.cue}]"))
        for start, end, weight in model_words:
            if not any(s <= start < e or start <= s < end for s, e, _ in spans):
                spans.append((start, end, f"model: pushes towards {label} ({weight:+.2f})"))
        out = []
        for start, end, why in sorted(spans[: self.max_evidence]):
            o_start, o_end = norm.to_original(start, end)
            out.append(Evidence(o_start, o_end, norm.original[o_start:o_end], why))
        return out

    def _model_words(
        self, prepared: list[Prepared], norms: np.ndarray, labels: list[str], top: int = 3
    ) -> list[list[tuple[int, int, float]]]:
        """For flagged texts, the words that pushed most towards the flag (one batched product).

        Only flags must be justified word by word; the other labels keep their lexicon
        evidence, which keeps the common case (nothing flagged) fast.
        """
        spans: list[tuple[int, re.Match[str]]] = [
            (row, m)
            for row, p in enumerate(prepared)
            if labels[row] == POSITIVE_LABEL
            for m in WORD_RE.finditer(p.normalized.text)
            if len(m.group()) > 1
        ]
        out: list[list[tuple[int, int, float]]] = [[] for _ in prepared]
        if not spans:
            return out
        rows = np.array([row for row, _ in spans])
        mine = self.model.featurizer.word_contributions(
            [m.group() for _, m in spans], norms[rows], self._direction
        )[:, 0]
        for k in np.argsort(-mine):
            row = rows[k]
            if mine[k] <= MIN_WORD_WEIGHT:
                break
            if len(out[row]) < top:
                m = spans[k][1]
                out[row].append((m.start(), m.end(), float(mine[k])))
        return out
