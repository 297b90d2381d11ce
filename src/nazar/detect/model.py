"""The character/word n-gram classifier: five labels, a calibrated score, and themes.

Shaped like a scikit-learn estimator (``fit`` / ``predict_proba``) over *normalised* texts;
normalisation, language and the lexicon are the pipeline's job (``nazar.detect.pipeline``).
Saved as plain arrays in an ``.npz`` file (no pickle, so loading a model runs no code).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax, softmax

from nazar.detect.features import FeatureConfig, TextFeaturizer
from nazar.types import LABELS, POSITIVE_LABEL, THEMES

# scikit-learn and scipy.optimize are imported only where a model is trained: they take
# over a second to import, which every `nazar` command that only predicts would pay.
if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

FORMAT_VERSION = 1


@dataclass
class TrainingInfo:
    """What a model was built from, kept inside the model file (``nazar info``)."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    n_train: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


class NgramClassifier:
    """Multinomial logistic regression on hashed n-grams, temperature-calibrated.

    Calibration: out-of-fold logits from ``calibration_folds`` folds fit one temperature
    that minimises the (weighted) log-loss, so ``predict_proba`` means what it says.
    """

    def __init__(
        self,
        features: FeatureConfig | None = None,
        C: float = 2.0,
        theme_C: float = 4.0,
        calibration_folds: int = 3,
        random_state: int = 0,
    ) -> None:
        self.features = features or FeatureConfig()
        self.C = C
        self.theme_C = theme_C
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.featurizer = TextFeaturizer(self.features)
        self.labels: tuple[str, ...] = LABELS
        self.themes: tuple[str, ...] = THEMES
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.temperature_: float = 1.0
        self.theme_coef_: np.ndarray | None = None
        self.theme_intercept_: np.ndarray | None = None
        self.info = TrainingInfo()
        self._version: str | None = None

    # -- training ------------------------------------------------------------------
    def fit(
        self,
        texts: list[str],
        labels: list[str],
        sample_weight: np.ndarray | None = None,
        cue_tokens: list[list[str]] | None = None,
        themes: list[list[str]] | None = None,
        progress: Any = None,
        theme_weight: np.ndarray | None = None,
    ) -> NgramClassifier:
        """Fit labels (rows of zero ``sample_weight`` are left out of them), calibration and,
        with ``themes``, the theme taggers (weighted by ``theme_weight``, default the same)."""
        from sklearn.model_selection import StratifiedKFold

        step = progress or (lambda _msg: None)
        y = np.array([self.labels.index(label) for label in labels])
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        X_all = self.featurizer.fit_transform(texts, cue_tokens)
        step("features")
        theme_w = w if theme_weight is None else np.asarray(theme_weight, float)
        labelled = np.flatnonzero(w > 0)
        X, y, w = X_all[labelled], y[labelled], w[labelled]

        # Out-of-fold logits for calibration, then the final model on all data.
        oof = np.zeros((len(y), len(self.labels)))
        folds = StratifiedKFold(
            self.calibration_folds, shuffle=True, random_state=self.random_state
        )
        for train_idx, test_idx in folds.split(X, y):
            lr = self._new_lr(self.C)
            lr.fit(X[train_idx], y[train_idx], sample_weight=w[train_idx])
            coef, intercept = _all_labels(lr, len(self.labels))
            oof[test_idx] = np.asarray(X[test_idx] @ coef.T) + intercept
            step("calibration fold")
        self.temperature_ = _fit_temperature(oof, y, w)
        lr = self._new_lr(self.C)
        lr.fit(X, y, sample_weight=w)
        coef, intercept = _all_labels(lr, len(self.labels))
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self._version = None
        step("final model")

        if themes is not None:
            self._fit_themes(X_all, themes, theme_w)
        step("themes")
        self.info.n_train = len(y)
        self.info.params = {
            "C": self.C,
            "theme_C": self.theme_C,
            "calibration_folds": self.calibration_folds,
            "temperature": self.temperature_,
            "features": self.features.to_dict(),
        }
        return self

    def _new_lr(self, C: float) -> LogisticRegression:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=C, max_iter=1000, tol=1e-4)

    def _fit_themes(self, X: sp.csr_matrix, themes: list[list[str]], w: np.ndarray) -> None:
        """One-vs-rest theme taggers, trained on the texts that carry theme annotations."""
        from sklearn.linear_model import LogisticRegression

        rows = [i for i, t in enumerate(themes) if t]
        n_feat = X.shape[1]
        coef = np.zeros((len(self.themes), n_feat), dtype=np.float32)
        intercept = np.full(len(self.themes), -10.0, dtype=np.float32)
        if rows:
            Xt = X[rows]
            for k, theme in enumerate(self.themes):
                yk = np.array([theme in themes[i] for i in rows])
                if yk.all() or not yk.any():
                    continue
                lr = LogisticRegression(C=self.theme_C, max_iter=2000, class_weight="balanced")
                lr.fit(Xt, yk, sample_weight=w[rows])
                coef[k] = lr.coef_[0]
                intercept[k] = lr.intercept_[0]
        self.theme_coef_ = coef
        self.theme_intercept_ = intercept

    # -- prediction ------------------------------------------------------------------
    def transform(self, texts: list[str], cue_tokens: list[list[str]] | None = None):
        return self.featurizer.transform(texts, cue_tokens)

    def logits(self, X: sp.csr_matrix) -> np.ndarray:
        self._check_fitted()
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba_features(self, X: sp.csr_matrix) -> np.ndarray:
        """Calibrated label probabilities, where the label prior alone cannot make a text
        propaganda.

        The intercepts favour ``violent_extremist`` over ``other`` (the propaganda sources are
        short tweets, whose few features leave much to the intercept): a text whose words say
        nothing, or gibberish, scored about 0.8. For texts whose features do not favour
        ``violent_extremist`` over ``other``, that lead of the intercept is taken away, so what
        decides is what the text says. Most texts it changes are the pro-ISIS accounts' cricket
        and football chatter; on random Arabic tweets it halves the false positives.
        """
        logits = self.logits(X).astype(np.float64)
        ve, other = self.labels.index(POSITIVE_LABEL), self.labels.index("other")
        lead = float(self.intercept_[ve] - self.intercept_[other])
        if lead > 0:
            words_favour_ve = (logits[:, ve] - logits[:, other]) - lead > 0
            logits[~words_favour_ve, ve] -= lead
        return softmax(logits / self.temperature_, axis=1)

    def predict_proba(
        self, texts: list[str], cue_tokens: list[list[str]] | None = None
    ) -> np.ndarray:
        return self.predict_proba_features(self.transform(texts, cue_tokens))

    def predict(self, texts: list[str], cue_tokens: list[list[str]] | None = None) -> list[str]:
        proba = self.predict_proba(texts, cue_tokens)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def theme_proba(self, X: sp.csr_matrix) -> np.ndarray:
        if self.theme_coef_ is None:
            return np.zeros((X.shape[0], len(self.themes)))
        z = np.asarray(X @ self.theme_coef_.T) + self.theme_intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def label_direction(self, label: str) -> np.ndarray:
        """Weights whose dot product with a text says how much it favours ``label``."""
        self._check_fitted()
        k = self.labels.index(label)
        others = np.delete(self.coef_, k, axis=0).mean(axis=0)
        return (self.coef_[k] - others).astype(np.float64)

    def _check_fitted(self) -> None:
        if self.coef_ is None:
            raise RuntimeError("model is not fitted")

    # -- persistence ------------------------------------------------------------------
    @property
    def version(self) -> str:
        """A content hash of the weights: the same model always has the same id."""
        self._check_fitted()
        if self._version is None:
            # Hash what the model file keeps (weights at saved precision, IDF, calibration),
            # so the id is the same before saving and after loading.
            # Adding +0.0 turns -0.0 into +0.0: the sparse file format drops zeros of either
            # sign, so a fitted -0.0 weight loads as +0.0 and must hash the same.
            digest = hashlib.sha256()
            for array in (self.coef_, self.featurizer.idf_char, self.featurizer.idf_word):
                digest.update((np.asarray(array).astype(np.float16) + np.float16(0)).tobytes())
            for array in (self.theme_coef_,):
                if array is not None:
                    digest.update((np.asarray(array).astype(np.float16) + np.float16(0)).tobytes())
            digest.update(np.asarray(self.intercept_, np.float32).tobytes())
            digest.update(repr(self.temperature_).encode())
            self._version = f"nazar-ngram-{digest.hexdigest()[:10]}"
        return self._version

    def save(self, path: str | Path) -> None:
        self._check_fitted()
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": "ngram-logreg",
            "version": self.version,
            "labels": list(self.labels),
            "themes": list(self.themes),
            "temperature": self.temperature_,
            "features": self.features.to_dict(),
            "info": self.info.__dict__,
        }
        coef = sp.csr_matrix(self.coef_)
        theme_coef = sp.csr_matrix(
            self.theme_coef_
            if self.theme_coef_ is not None
            else np.zeros((len(self.themes), self.coef_.shape[1]), np.float32)
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
            idf_char=self.featurizer.idf_char.astype(np.float16),
            idf_word=self.featurizer.idf_word.astype(np.float16),
            coef_data=coef.data.astype(np.float16),
            coef_indices=coef.indices.astype(np.int32),
            coef_indptr=coef.indptr.astype(np.int64),
            intercept=self.intercept_,
            theme_data=theme_coef.data.astype(np.float16),
            theme_indices=theme_coef.indices.astype(np.int32),
            theme_indptr=theme_coef.indptr.astype(np.int64),
            theme_intercept=(
                self.theme_intercept_
                if self.theme_intercept_ is not None
                else np.full(len(self.themes), -10.0, np.float32)
            ),
        )

    @classmethod
    def load(cls, path: str | Path) -> NgramClassifier:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported model format {meta.get('format_version')}")
            model = cls(features=FeatureConfig(**meta["features"]))
            model.labels = tuple(meta["labels"])
            model.themes = tuple(meta["themes"])
            n_feat = model.featurizer.n_features
            model.featurizer.idf_char = z["idf_char"].astype(np.float32)
            model.featurizer.idf_word = z["idf_word"].astype(np.float32)
            model.coef_ = _dense(z, "coef", (len(model.labels), n_feat))
            model.intercept_ = z["intercept"].astype(np.float32)
            model.theme_coef_ = _dense(z, "theme", (len(model.themes), n_feat))
            model.theme_intercept_ = z["theme_intercept"].astype(np.float32)
            model.temperature_ = float(meta["temperature"])
            model.info = TrainingInfo(**meta.get("info", {}))
        return model


def _dense(z: Any, prefix: str, shape: tuple[int, int]) -> np.ndarray:
    m = sp.csr_matrix(
        (z[f"{prefix}_data"].astype(np.float32), z[f"{prefix}_indices"], z[f"{prefix}_indptr"]),
        shape=shape,
    )
    # Dense rows make prediction a single BLAS-backed sparse-dense product.
    return np.ascontiguousarray(m.toarray())


def _all_labels(lr: LogisticRegression, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights with one row per label, in label order, whatever labels the data had.

    A label absent from the training data gets zero weights and a very low intercept, so it is
    never predicted; with two labels scikit-learn fits one row (the second class against the
    first), which is the same softmax as that row against a zero row.
    """
    n_feat = lr.coef_.shape[1]
    coef = np.zeros((n_labels, n_feat))
    intercept = np.full(n_labels, -30.0)
    if len(lr.classes_) == 2:
        coef[lr.classes_[1]] = lr.coef_[0]
        intercept[lr.classes_[1]] = lr.intercept_[0]
        intercept[lr.classes_[0]] = 0.0
    else:
        coef[lr.classes_] = lr.coef_
        intercept[lr.classes_] = lr.intercept_
    return coef, intercept


def _fit_temperature(logits: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        lp = log_softmax(logits / np.exp(log_t), axis=1)
        return float(-(w * lp[np.arange(len(y)), y]).sum() / w.sum())

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))
