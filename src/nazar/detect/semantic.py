"""The semantic head: the five labels (and themes) from multilingual sentence vectors.

A multinomial logistic regression on the encoder's 384-dimensional unit vectors
(``nazar.embed``, multilingual-e5-small), with the char model's conventions: balanced weights
per (language, label) cell (``training.balanced_weights``), one temperature fitted on
out-of-fold logits, one-vs-rest theme taggers. Because the vectors carry meaning across
languages, what it learns from propaganda in one language carries to the others (see
``benchmarks/crosslingual.py``).

It also keeps its training vectors as a compact **bank of labelled examples** (int8 rows with a
float16 scale each, their ids and labels), so a verdict can say which known items a text is
close to. Evidence entries from the bank have the form::

    {"start": 0, "end": len(text), "text": text[:80],
     "why": "semantic: close to known violent_extremist example ru-ve-0007 (cosine 0.91)"}

(the span is the whole text: the similarity is a property of the text, not of a word in it;
``text`` is shortened to its first 80 characters). e5 similarities are bunched (unrelated texts
~0.75, paraphrases and translations ~0.9), so only neighbours at ``MIN_EVIDENCE_COSINE`` or more
are shown.

Saved as plain arrays in an ``.npz`` (no pickle); the version id is a hash of the content.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_softmax, softmax

from nazar.detect.model import _all_labels, _fit_temperature
from nazar.types import LABELS, THEMES

FORMAT_VERSION = 1
# The encoder sees at most this many characters of a text: the opening carries the register,
# and a post's cost grows with its length. The cache is keyed by what the encoder sees.
MAX_EMBED_CHARS = 400
MIN_EVIDENCE_COSINE = 0.85
EVIDENCE_TEXT_CHARS = 80


# Platform artefacts say where a text was collected, not what it says (retweet markers,
# mentions, links, the placeholders and line-break markers of some datasets), and the Arabic
# vocative "يا" is in almost every everyday Arabic tweet ("يا رب", "يا حبيبي") as in written
# propaganda's "O Muslims!": left in, the head learned "Arabic tweet" instead of the message
# (it flagged half of the random OSACT4 tweets). The char model drops the same tokens and two
# typing habits of Arabic tweets besides (``nazar.detect.features.ARTIFACTS_RE``); the head
# was fitted on vectors of this text, so changing the list means rebuilding it.
_ARTIFACTS_RE = re.compile(
    r"(?<!\w)(?:RT|rt|via)(?!\w):?|@\w+:?|https?://\S+|www\.\S+|(?<!\w)URL(?!\w)|<LF>"
    r"|(?<!\w)يا(?!\w)"
)


def embed_input(text: str) -> str:
    """What the encoder is given for ``text`` (training and prediction alike): the first
    ``MAX_EMBED_CHARS`` characters without platform artefacts, whitespace collapsed."""
    return " ".join(_ARTIFACTS_RE.sub(" ", text[:MAX_EMBED_CHARS]).split())


def embed(texts: Sequence[str], encoder: Any = None, cache: Any = None) -> np.ndarray:
    """Unit vectors for ``texts`` through the embedding cache (only missing ones are computed).

    ``encoder`` defaults to the process-wide one (loaded on first use, so a process that never
    embeds never loads it). Without the cache module the encoder is called directly.
    """
    inputs = [embed_input(t) for t in texts]
    if not inputs:
        return np.zeros((0, 384), np.float32)
    try:
        from nazar.embed.cache import embed_texts
    except ImportError:  # the cache module is optional
        from nazar.embed.encoder import load_encoder, prepare_text

        enc = encoder or load_encoder()
        return np.asarray(enc.encode([prepare_text(t) for t in inputs]), np.float32)
    return np.asarray(embed_texts(inputs, encoder=encoder, cache=cache), np.float32)


class SemanticHead:
    """Labels and themes from sentence vectors, calibrated, with a bank of labelled examples."""

    def __init__(
        self,
        C: float = 0.1,
        theme_C: float = 0.1,
        calibration_folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.theme_C = theme_C
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.labels: tuple[str, ...] = LABELS
        self.themes: tuple[str, ...] = THEMES
        self.encoder_id = ""
        self.mean_: np.ndarray = np.zeros(384, np.float32)  # features are standardised
        self.scale_: np.ndarray = np.ones(384, np.float32)
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.temperature_ = 1.0
        self.theme_coef_: np.ndarray | None = None
        self.theme_intercept_: np.ndarray | None = None
        self.bank_q: np.ndarray = np.zeros((0, 384), np.int8)
        self.bank_scale: np.ndarray = np.zeros(0, np.float16)
        self.bank_ids: np.ndarray = np.zeros(0, "<U1")
        self.bank_labels: np.ndarray = np.zeros(0, np.int8)
        self.info: dict[str, Any] = {}
        self.oof_proba_: np.ndarray | None = None  # out-of-fold probabilities (training only)
        self._version: str | None = None

    # -- training ------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        labels: Sequence[str],
        sample_weight: np.ndarray | None = None,
        themes: Sequence[Sequence[str]] | None = None,
        ids: Sequence[str] | None = None,
        encoder_id: str = "",
        folds: np.ndarray | None = None,
        theme_rows: tuple[np.ndarray, Sequence[Sequence[str]], np.ndarray] | None = None,
    ) -> SemanticHead:
        """Fit on unit vectors ``X``; ``folds`` (a fold number per row) groups related rows
        (one account's tweets) into one calibration fold; default: stratified folds.

        ``theme_rows`` (vectors, themes, weights): more rows for the theme taggers only, such
        as the corpus files that must not teach labels (``build_default.THEMES_ONLY_FILES``).
        """
        from sklearn.model_selection import StratifiedKFold  # training only: slow to import

        V = np.asarray(X, np.float64)
        self.mean_ = V.mean(axis=0).astype(np.float32)
        self.scale_ = np.maximum(V.std(axis=0), 1e-6).astype(np.float32)
        X = self._standardise(V)
        y = np.array([self.labels.index(label) for label in labels])
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        oof = np.zeros((len(y), len(self.labels)))
        if folds is None:
            skf = StratifiedKFold(
                self.calibration_folds, shuffle=True, random_state=self.random_state
            )
            splits = list(skf.split(X, y))
        else:
            folds = np.asarray(folds)
            splits = [
                (np.flatnonzero(folds != f), np.flatnonzero(folds == f))
                for f in sorted(set(folds.tolist()))
            ]
        for train_idx, test_idx in splits:
            coef, intercept = self._fit_lr(X[train_idx], y[train_idx], w[train_idx])
            oof[test_idx] = X[test_idx] @ coef.T + intercept
        self.temperature_ = _fit_temperature(oof, y, w)
        self.oof_proba_ = softmax(oof / self.temperature_, axis=1)
        coef, intercept = self._fit_lr(X, y, w)
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        if themes is not None:
            theme_X, theme_w, all_themes = X, w, list(themes)
            if theme_rows is not None:
                extra_X, extra_themes, extra_w = theme_rows
                theme_X = np.vstack([X, self._standardise(np.asarray(extra_X, np.float64))])
                theme_w = np.concatenate([w, np.asarray(extra_w, float)])
                all_themes += list(extra_themes)
            self._fit_themes(theme_X, all_themes, theme_w)
        self._set_bank(V, y, list(ids) if ids is not None else [str(i) for i in range(len(y))])
        self.encoder_id = encoder_id
        self.info = {
            "n_train": len(y),
            "C": self.C,
            "temperature": self.temperature_,
            "calibration_folds": self.calibration_folds,
        }
        self._version = None
        return self

    def _fit_lr(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=self.C, max_iter=2000, tol=1e-5)
        lr.fit(X, y, sample_weight=w)
        return _all_labels(lr, len(self.labels))

    def _fit_themes(self, X: np.ndarray, themes: Sequence[Sequence[str]], w: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        rows = [i for i, t in enumerate(themes) if t]
        coef = np.zeros((len(self.themes), X.shape[1]), np.float32)
        intercept = np.full(len(self.themes), -10.0, np.float32)
        for k, theme in enumerate(self.themes):
            yk = np.array([theme in themes[i] for i in rows], bool)
            if len(rows) < 2 or yk.all() or not yk.any():
                continue
            lr = LogisticRegression(C=self.theme_C, max_iter=2000, class_weight="balanced")
            lr.fit(X[rows], yk, sample_weight=w[rows])
            coef[k], intercept[k] = lr.coef_[0], lr.intercept_[0]
        self.theme_coef_, self.theme_intercept_ = coef, intercept

    def _set_bank(self, X: np.ndarray, y: np.ndarray, ids: list[str]) -> None:
        scale = np.maximum(np.abs(X).max(axis=1), 1e-8) / 127.0
        self.bank_q = np.round(X / scale[:, None]).astype(np.int8)
        self.bank_scale = scale.astype(np.float16)
        self.bank_ids = np.array(ids, dtype=str)
        self.bank_labels = y.astype(np.int8)

    # -- prediction ----------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.coef_ is None:
            raise RuntimeError("semantic head is not fitted")

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, np.float32) - self.mean_) / self.scale_

    def logits(self, X: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self._standardise(X) @ self.coef_.T + self.intercept_

    def predict_log_proba(self, X: np.ndarray) -> np.ndarray:
        return log_softmax(self.logits(X).astype(np.float64) / self.temperature_, axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.predict_log_proba(X))

    def theme_proba(self, X: np.ndarray) -> np.ndarray:
        if self.theme_coef_ is None:
            return np.zeros((len(X), len(self.themes)))
        z = self._standardise(X) @ self.theme_coef_.T + self.theme_intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def nearest(
        self, X: np.ndarray, label: str | None = None, k: int = 2
    ) -> list[list[tuple[str, str, float]]]:
        """Per row, the ``k`` closest bank examples (of ``label`` if given): (id, label, cos)."""
        X = np.asarray(X, np.float32)
        if len(self.bank_ids) == 0 or len(X) == 0:
            return [[] for _ in range(len(X))]
        rows = np.arange(len(self.bank_ids))
        if label is not None:
            rows = np.flatnonzero(self.bank_labels == self.labels.index(label))
            if len(rows) == 0:
                return [[] for _ in range(len(X))]
        bank = self.bank_q[rows].astype(np.float32) * self.bank_scale[rows, None].astype(np.float32)
        sims = X @ bank.T
        k = min(k, len(rows))
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out = []
        for r in range(len(X)):
            order = top[r][np.argsort(-sims[r, top[r]], kind="stable")]
            out.append(
                [
                    (
                        str(self.bank_ids[rows[j]]),
                        self.labels[int(self.bank_labels[rows[j]])],
                        float(sims[r, j]),
                    )
                    for j in order
                ]
            )
        return out

    def evidence(self, text: str, vector: np.ndarray, label: str, k: int = 2) -> list[Any]:
        """Nearest known examples of ``label`` as evidence entries (see the module docstring)."""
        from nazar.types import Evidence

        out = []
        for ex_id, ex_label, cos in self.nearest(vector[None, :], label=label, k=k)[0]:
            if cos < MIN_EVIDENCE_COSINE:
                continue
            why = f"semantic: close to known {ex_label} example {ex_id} (cosine {cos:.2f})"
            out.append(Evidence(0, len(text), text[:EVIDENCE_TEXT_CHARS], why))
        return out

    # -- persistence ----------------------------------------------------------------
    @property
    def version(self) -> str:
        self._check_fitted()
        if self._version is None:
            digest = hashlib.sha256()
            for arr in (
                np.asarray(self.mean_, np.float32),
                np.asarray(self.scale_, np.float32),
                np.asarray(self.coef_, np.float32),
                np.asarray(self.intercept_, np.float32),
                np.asarray(self.theme_coef_, np.float32),
                np.asarray(self.theme_intercept_, np.float32),
                self.bank_q,
                self.bank_scale,
                self.bank_labels,
            ):
                if arr is not None:
                    digest.update(np.ascontiguousarray(arr).tobytes())
            digest.update("\n".join(self.bank_ids.tolist()).encode())
            digest.update(repr((self.temperature_, self.encoder_id)).encode())
            self._version = f"nazar-semantic-{digest.hexdigest()[:10]}"
        return self._version

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The head as plain arrays (``save`` writes these, plus any extra arrays)."""
        self._check_fitted()
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": "semantic-logreg",
            "version": self.version,
            "encoder_id": self.encoder_id,
            "labels": list(self.labels),
            "themes": list(self.themes),
            "temperature": self.temperature_,
            "max_embed_chars": MAX_EMBED_CHARS,
            "info": self.info,
        }
        return {
            f"{prefix}meta": np.array(json.dumps(meta, ensure_ascii=False)),
            f"{prefix}mean": np.asarray(self.mean_, np.float32),
            f"{prefix}scale": np.asarray(self.scale_, np.float32),
            f"{prefix}coef": np.asarray(self.coef_, np.float32),
            f"{prefix}intercept": np.asarray(self.intercept_, np.float32),
            f"{prefix}theme_coef": np.asarray(self.theme_coef_, np.float32),
            f"{prefix}theme_intercept": np.asarray(self.theme_intercept_, np.float32),
            f"{prefix}bank_q": self.bank_q,
            f"{prefix}bank_scale": self.bank_scale,
            f"{prefix}bank_ids": self.bank_ids,
            f"{prefix}bank_labels": self.bank_labels,
        }

    @classmethod
    def from_arrays(cls, z: Any, prefix: str = "") -> SemanticHead:
        meta = json.loads(str(z[f"{prefix}meta"]))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported semantic head format {meta.get('format_version')}")
        head = cls()
        head.labels = tuple(meta["labels"])
        head.themes = tuple(meta["themes"])
        head.encoder_id = meta.get("encoder_id", "")
        head.temperature_ = float(meta["temperature"])
        head.info = meta.get("info", {})
        head.mean_ = z[f"{prefix}mean"]
        head.scale_ = z[f"{prefix}scale"]
        head.coef_ = z[f"{prefix}coef"]
        head.intercept_ = z[f"{prefix}intercept"]
        head.theme_coef_ = z[f"{prefix}theme_coef"]
        head.theme_intercept_ = z[f"{prefix}theme_intercept"]
        head.bank_q = z[f"{prefix}bank_q"]
        head.bank_scale = z[f"{prefix}bank_scale"]
        head.bank_ids = z[f"{prefix}bank_ids"]
        head.bank_labels = z[f"{prefix}bank_labels"]
        return head

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **self.arrays())

    @classmethod
    def load(cls, path: str | Path) -> SemanticHead:
        with np.load(path, allow_pickle=False) as z:
            return cls.from_arrays(z)
