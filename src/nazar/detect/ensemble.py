"""The ensemble: the char n-gram detector and the semantic head, calibrated jointly, routed.

``EnsembleDetector`` wraps a ``Detector`` (normalisation, language, lexicon, char model,
evidence) and a ``SemanticHead`` (multilingual sentence vectors), by composition:

- **joint calibration**: a small multinomial logistic regression (``Stacker``) on the two
  models' log-probabilities, fitted on *out-of-fold* predictions of both
  (``nazar.detect.build_semantic``), so the combined ``score`` is itself a calibrated
  probability;
- **routing** (``mode="routed"``, the default): the encoder runs only where the char model is
  unsure (its score inside a band around the threshold, chosen by measurement at build time)
  or where the language had no training data; everywhere else the char verdict stands as it
  is. ``mode="full"`` runs both models on every text, ``mode="fast"`` the char model alone;
- **evidence from both**: the char model's spans (lexicon cues, words the model leaned on) and,
  for flagged texts, the nearest known examples in the semantic head's bank.

The output contract is the ``Detector``'s (``Verdict``); ``model`` names both models
(``<char version>+<semantic version>``; the char version alone in ``fast`` mode).

With worker processes (``classify_stream(workers=N)``) the char model runs in forked workers
exactly as in ``Detector.classify_stream``, and the routed texts are embedded and combined in
the parent, in order: the encoder is loaded once, only when a text needs it, and never copied
into every worker.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_softmax

from nazar.detect.pipeline import (
    DEFAULT_THRESHOLD,
    MAX_EVIDENCE,
    THEME_THRESHOLD,
    THEMED_LABELS,
    Detector,
    narrative_of,
    prepare,
)
from nazar.detect.semantic import SemanticHead, embed
from nazar.paths import nazar_home
from nazar.records import InputError
from nazar.types import LANGUAGES, POSITIVE_LABEL, Item, Narrative, Verdict

MODES = ("routed", "full", "fast")
DEFAULT_MODE = "fast"
FORMAT_VERSION = 1
# Char probabilities are reported to 4 decimals: a zero becomes this before its logarithm.
MIN_PROBA = 1e-4
SEMANTIC_EVIDENCE = 2  # nearest known examples shown for a flagged text
# Narratives from both models: the mean of the char model's and the semantic head's theme
# probabilities, kept at >= 0.5 (chosen on data/eval/themes_labelled.jsonl with the models of
# the time: micro F1 0.77 against 0.75 for the char model alone). With the current models the
# two are within noise on both measures (theme F1 0.75 against 0.78; nDCG@5 of counter
# suggestions 0.732 against 0.745: benchmarks/counter_quality.py); the joint ones stay because
# the semantic head carries themes to posts whose words the char model never saw.
JOINT_NARRATIVE_THRESHOLD = 0.5


def default_semantic_path() -> Path:
    """``$NAZAR_HOME/models/semantic.npz`` if a user built one, else the shipped file."""
    local = nazar_home() / "models" / "semantic.npz"
    if local.exists():
        return local
    return Path(str(resources.files("nazar") / "models" / "semantic.npz"))


def char_log_proba(proba: np.ndarray) -> np.ndarray:
    """The char detector's (rounded) probabilities as the stacker's log-probability inputs."""
    p = np.clip(np.asarray(proba, np.float64), MIN_PROBA, 1.0)
    return np.log(p / p.sum(axis=1, keepdims=True))


class Stacker:
    """Joint calibration: softmax(W [log p_char, log p_semantic] + b), fitted out of fold."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C
        self.coef_: np.ndarray | None = None  # (labels, 2 * labels)
        self.intercept_: np.ndarray | None = None

    @staticmethod
    def features(char_lp: np.ndarray, sem_lp: np.ndarray) -> np.ndarray:
        return np.hstack([np.asarray(char_lp, np.float64), np.asarray(sem_lp, np.float64)])

    def fit(self, char_lp: np.ndarray, sem_lp: np.ndarray, y: np.ndarray, w: np.ndarray) -> Stacker:
        from sklearn.linear_model import LogisticRegression  # training only: slow to import

        from nazar.detect.model import _all_labels

        n_labels = char_lp.shape[1]
        lr = LogisticRegression(C=self.C, max_iter=5000, tol=1e-6)
        lr.fit(self.features(char_lp, sem_lp), y, sample_weight=w)
        coef, intercept = _all_labels(lr, n_labels)
        self.coef_, self.intercept_ = coef, intercept
        return self

    def log_proba(self, char_lp: np.ndarray, sem_lp: np.ndarray) -> np.ndarray:
        if self.coef_ is None or self.intercept_ is None:
            raise RuntimeError("stacker is not fitted")
        z = self.features(char_lp, sem_lp) @ self.coef_.T + self.intercept_
        return log_softmax(z, axis=1)

    def predict_proba(self, char_lp: np.ndarray, sem_lp: np.ndarray) -> np.ndarray:
        return np.exp(self.log_proba(char_lp, sem_lp))


@dataclass
class Routing:
    """Which texts the encoder sees in ``routed`` mode.

    ``band``: char scores in ``[low, high)`` are unsure; ``per_lang`` overrides it for one
    language. Texts in a language outside ``trained_langs`` (and not ``und``: no letters) are
    always routed: the char model has never seen their script or words.
    """

    band: tuple[float, float] = (0.1, 0.9)
    per_lang: dict[str, tuple[float, float]] = field(default_factory=dict)
    trained_langs: tuple[str, ...] = LANGUAGES

    def needs_semantic(self, verdict: Verdict) -> bool:
        if verdict.error is not None or verdict.score is None:
            return False
        if verdict.lang not in self.trained_langs and verdict.lang != "und":
            return True
        low, high = self.per_lang.get(verdict.lang, self.band)
        return low <= verdict.score < high

    def to_dict(self) -> dict[str, Any]:
        return {
            "band": list(self.band),
            "per_lang": {k: list(v) for k, v in self.per_lang.items()},
            "trained_langs": list(self.trained_langs),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Routing:
        return cls(
            band=tuple(d.get("band", (0.1, 0.9))),  # type: ignore[arg-type]
            per_lang={k: tuple(v) for k, v in d.get("per_lang", {}).items()},  # type: ignore[misc]
            trained_langs=tuple(d.get("trained_langs", LANGUAGES)),
        )


@dataclass
class SemanticBundle:
    """What ``semantic.npz`` holds: the head, the stacker, the routing, and what they fit."""

    head: SemanticHead
    stacker: Stacker
    routing: Routing
    char_version: str = ""  # the char model the stacker was fitted with
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        digest = hashlib.sha256(self.head.version.encode())
        assert self.stacker.coef_ is not None and self.stacker.intercept_ is not None
        digest.update(np.asarray(self.stacker.coef_, np.float64).tobytes())
        digest.update(np.asarray(self.stacker.intercept_, np.float64).tobytes())
        digest.update(json.dumps(self.routing.to_dict(), sort_keys=True).encode())
        digest.update(self.char_version.encode())
        return f"nazar-semantic-{digest.hexdigest()[:10]}"

    def save(self, path: str | Path) -> None:
        assert self.stacker.coef_ is not None and self.stacker.intercept_ is not None
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": "semantic-ensemble",
            "version": self.version,
            "char_version": self.char_version,
            "routing": self.routing.to_dict(),
            "stacker_C": self.stacker.C,
            "metrics": self.metrics,
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            stack_coef=np.asarray(self.stacker.coef_, np.float64),
            stack_intercept=np.asarray(self.stacker.intercept_, np.float64),
            **self.head.arrays(prefix="head_"),
        )

    @classmethod
    def load(cls, path: str | Path) -> SemanticBundle:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported format {meta.get('format_version')}")
            head = SemanticHead.from_arrays(z, prefix="head_")
            stacker = Stacker(C=float(meta.get("stacker_C", 1.0)))
            stacker.coef_ = z["stack_coef"]
            stacker.intercept_ = z["stack_intercept"]
        return cls(
            head,
            stacker,
            Routing.from_dict(meta.get("routing", {})),
            meta.get("char_version", ""),
            meta.get("metrics", {}),
        )


class EnsembleDetector:
    """Char detector + semantic head; the same interface and output as ``Detector``."""

    def __init__(
        self,
        detector: Detector,
        bundle: SemanticBundle | None,
        mode: str = DEFAULT_MODE,
        encoder: Any = None,
        cache: Any = None,
        semantic_path: str | Path | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if bundle is None:
            mode = "fast"
        self.detector = detector
        self.bundle = bundle
        self.mode = mode
        self.encoder = encoder  # None: the process-wide encoder, loaded on first use
        self.cache = cache
        self.encoder_calls = 0  # texts sent to the encoder (for tests and benchmarks)
        self.routed_texts = 0
        # The semantic head tags narratives in every mode (``fast`` only skips it for labels);
        # loaded on first use, False once it turned out unavailable.
        self._narrative_head: SemanticHead | bool | None = bundle.head if bundle else None
        self._semantic_path = Path(semantic_path) if semantic_path else None

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        semantic_path: str | Path | None = None,
        mode: str = DEFAULT_MODE,
        threshold: float = DEFAULT_THRESHOLD,
        **kwargs: Any,
    ) -> EnsembleDetector:
        """The char model (as ``Detector.load``) and the semantic bundle next to it.

        The bundle is skipped, with a note on stderr, when it is missing or was fitted for
        another char model (its stacker would read that model's scores wrongly): then every
        mode runs the char model alone.
        """
        detector = Detector.load(path, threshold=threshold)
        bundle = None
        if mode != "fast":
            sem = Path(semantic_path) if semantic_path else default_semantic_path()
            if not sem.exists():
                print(f"nazar: no semantic model at {sem}: char model only", file=sys.stderr)
            else:
                try:
                    bundle = SemanticBundle.load(sem)
                except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                    raise InputError(f"cannot read the semantic model {sem}: {exc}") from exc
                if bundle.char_version and bundle.char_version != detector.version:
                    print(
                        f"nazar: {sem} was fitted for char model {bundle.char_version}, not "
                        f"{detector.version}: char model only (rebuild it with "
                        "`python -m nazar.detect.build_semantic`)",
                        file=sys.stderr,
                    )
                    bundle = None
        return cls(detector, bundle, mode=mode, semantic_path=semantic_path, **kwargs)

    # -- what callers of Detector use --------------------------------------------------
    @property
    def threshold(self) -> float:
        return self.detector.threshold

    def narratives(self, texts: list[str]) -> list[Narrative]:
        """Language and themes of each text, whatever its label (as ``Detector.narratives``),
        from the char model and the semantic head together when the encoder is available."""
        head = self._load_narrative_head()
        if head is None or not texts:
            return self.detector.narratives(texts)
        try:
            vectors = embed(texts, encoder=self.encoder, cache=self.cache)
        except (ImportError, OSError, RuntimeError) as exc:
            print(f"nazar: sentence encoder unavailable ({exc}): char themes only", file=sys.stderr)
            self._narrative_head = False
            return self.detector.narratives(texts)
        langs, char_p, cue_themes = self.detector.narrative_scores(texts)
        proba = (char_p + head.theme_proba(vectors)) / 2.0
        names = self.detector.model.themes
        return [
            narrative_of(lang, names, row, cues, JOINT_NARRATIVE_THRESHOLD)
            for lang, row, cues in zip(langs, proba, cue_themes, strict=True)
        ]

    def _load_narrative_head(self) -> SemanticHead | None:
        if self._narrative_head is None:
            path = self._semantic_path or default_semantic_path()
            try:
                self._narrative_head = SemanticBundle.load(path).head if path.exists() else False
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                self._narrative_head = False
        head = self._narrative_head
        return head if isinstance(head, SemanticHead) and head.themes == self.model.themes else None

    @property
    def model(self) -> Any:
        return self.detector.model

    @property
    def lexicon(self) -> Any:
        return self.detector.lexicon

    @property
    def version(self) -> str:
        if self.mode == "fast" or self.bundle is None:
            return self.detector.version
        return f"{self.detector.version}+{self.bundle.version}"

    def classify_texts(self, texts: list[str]) -> list[Verdict]:
        return self.classify([Item(id=str(i), text=t) for i, t in enumerate(texts)])

    def classify(self, items: list[Item]) -> list[Verdict]:
        return self._combine(items, self.detector.classify(items))

    def classify_stream(
        self, items: Iterable[Item], batch_size: int = 512, workers: int = 1
    ) -> Iterator[Verdict]:
        """In input order, memory flat; char scoring in workers, the encoder in this process."""
        pending: deque[Item] = deque()

        def tee() -> Iterator[Item]:
            for item in items:
                pending.append(item)
                yield item

        buf_items: list[Item] = []
        buf_verdicts: list[Verdict] = []
        for verdict in self.detector.classify_stream(tee(), batch_size, workers=workers):
            buf_items.append(pending.popleft())
            buf_verdicts.append(verdict)
            if len(buf_items) >= batch_size:
                yield from self._combine(buf_items, buf_verdicts)
                buf_items, buf_verdicts = [], []
        if buf_items:
            yield from self._combine(buf_items, buf_verdicts)

    # -- combining ---------------------------------------------------------------------
    def route(self, verdicts: list[Verdict]) -> list[int]:
        """Indices of the verdicts the semantic head must see in the current mode."""
        if self.mode == "fast" or self.bundle is None:
            return []
        if self.mode == "full":
            return [i for i, v in enumerate(verdicts) if v.error is None and v.score is not None]
        return [i for i, v in enumerate(verdicts) if self.bundle.routing.needs_semantic(v)]

    def _combine(self, items: list[Item], verdicts: list[Verdict]) -> list[Verdict]:
        version = self.version
        out = list(verdicts)  # the char detector's own fresh objects: relabelled in place
        for v in out:
            v.model = version
        rows = self.route(verdicts)
        if not rows:
            return out
        assert self.bundle is not None
        head, labels = self.bundle.head, self.detector.model.labels
        texts = [items[i].text or "" for i in rows]
        vectors = embed(texts, encoder=self.encoder, cache=self.cache)
        self.encoder_calls += len(texts)
        self.routed_texts += len(rows)
        char_p = np.array([[verdicts[i].scores[lab] for lab in labels] for i in rows])
        proba = self.bundle.stacker.predict_proba(
            char_log_proba(char_p), head.predict_log_proba(vectors)
        )
        proba = np.round(proba, 4)
        theme_p = head.theme_proba(vectors)
        for k, i in enumerate(rows):
            out[i] = self._verdict(items[i], verdicts[i], proba[k], theme_p[k], vectors[k])
            out[i].model = version
        return out

    def _verdict(
        self,
        item: Item,
        char: Verdict,
        proba: np.ndarray,
        theme_proba: np.ndarray,
        vector: np.ndarray,
    ) -> Verdict:
        det = self.detector
        labels = det.model.labels
        label = det._decide(proba)
        text = item.text or ""
        same = label == char.label
        evidence = list(char.evidence) if same else self._char_evidence(text, label)
        themes: list[str] = []
        if label in THEMED_LABELS:
            if char.label == label:
                themes = list(char.themes)
            head = self.bundle.head if self.bundle else None
            if head is not None:
                for k in np.argsort(-theme_proba):
                    if theme_proba[k] >= THEME_THRESHOLD and head.themes[k] not in themes:
                        themes.append(head.themes[k])
        if label == POSITIVE_LABEL and self.bundle is not None:
            evidence = evidence[:MAX_EVIDENCE] + self.bundle.head.evidence(
                text, vector, label, k=SEMANTIC_EVIDENCE
            )
        return replace(
            char,
            label=label,
            flagged=label == POSITIVE_LABEL,
            score=float(proba[labels.index(POSITIVE_LABEL)]),
            scores={lab: float(p) for lab, p in zip(labels, proba, strict=True)},
            themes=themes,
            evidence=evidence,
        )

    def _char_evidence(self, text: str, label: str) -> list[Any]:
        """The char side's evidence for a label the ensemble chose and the char model did not."""
        det = self.detector
        prep = prepare(text, det.lexicon)
        words: list[tuple[int, int, float]] = []
        if label == POSITIVE_LABEL:
            from nazar.detect.lexicon import cue_tokens

            _, norms = det.model.featurizer.transform_with_norms(
                [prep.normalized.text], [cue_tokens(prep.hits)]
            )
            words = det._model_words([prep], norms, [label])[0]
        return det._evidence(prep, label, words)


def combine_offline(
    bundle: SemanticBundle, char_proba: np.ndarray, vectors: np.ndarray
) -> np.ndarray:
    """The ensemble's probabilities from char probabilities and vectors (benchmarks, build)."""
    return bundle.stacker.predict_proba(
        char_log_proba(char_proba), bundle.head.predict_log_proba(vectors)
    )


__all__ = [
    "MODES",
    "EnsembleDetector",
    "Routing",
    "SemanticBundle",
    "Stacker",
    "combine_offline",
    "default_semantic_path",
]
