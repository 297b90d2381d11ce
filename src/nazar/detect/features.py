"""Hashed character and word n-gram features with learned IDF weights.

Hashing keeps the model's size fixed and needs no vocabulary, so the shipped model is a few
arrays; character n-grams inside word boundaries carry over spelling variants, inflections and
obfuscation residue, word n-grams carry phrases, and lexicon cue tokens (e.g.
``lexcue_attribution``) let the linear model weigh the indicator lexicon against the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize as l2_normalize

WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class FeatureConfig:
    char_ngram_min: int = 2
    char_ngram_max: int = 4
    char_features: int = 2**19
    word_features: int = 2**18

    def to_dict(self) -> dict[str, int]:
        return {
            "char_ngram_min": self.char_ngram_min,
            "char_ngram_max": self.char_ngram_max,
            "char_features": self.char_features,
            "word_features": self.word_features,
        }


class TextFeaturizer:
    """Turns normalised texts into L2-normalised, sublinear TF-IDF hashed vectors."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        c = self.config
        self._char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(c.char_ngram_min, c.char_ngram_max),
            n_features=c.char_features,
            alternate_sign=False,
            norm=None,
            lowercase=False,  # the text is already normalised (and lower-cased)
            dtype=np.float32,
        )
        self._word = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            n_features=c.word_features,
            alternate_sign=False,
            norm=None,
            lowercase=False,
            dtype=np.float32,
        )
        self.idf_char: np.ndarray | None = None
        self.idf_word: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.config.char_features + self.config.word_features

    def _counts(
        self, texts: list[str], cue_tokens: list[list[str]] | None
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        char = self._char.transform(texts)
        if cue_tokens is not None:
            texts = [
                t + " " + " ".join(c) if c else t for t, c in zip(texts, cue_tokens, strict=True)
            ]
        word = self._word.transform(texts)
        return char, word

    def fit(self, texts: list[str], cue_tokens: list[list[str]] | None = None) -> TextFeaturizer:
        char, word = self._counts(texts, cue_tokens)
        self.idf_char = _idf(char)
        self.idf_word = _idf(word)
        return self

    def transform(
        self, texts: list[str], cue_tokens: list[list[str]] | None = None
    ) -> sp.csr_matrix:
        if self.idf_char is None or self.idf_word is None:
            raise RuntimeError("featurizer is not fitted")
        char, word = self._counts(texts, cue_tokens)
        return sp.hstack([_weigh(char, self.idf_char), _weigh(word, self.idf_word)], format="csr")

    def word_contributions(self, text: str, words: list[str], weights: np.ndarray) -> np.ndarray:
        """How much each word of ``text`` adds to a linear score with ``weights``.

        ``char_wb`` n-grams never cross a word boundary, so a word's n-grams are the same
        alone as inside the text; each block is scaled by the text's own norm, as in
        ``transform``, so the numbers are the word's real share of the score.
        """
        if self.idf_char is None or self.idf_word is None:
            raise RuntimeError("featurizer is not fitted")
        doc_char, doc_word = self._counts([text], None)
        char, word = self._counts(words, None)
        out = np.zeros(len(words), dtype=np.float64)
        split = self.config.char_features
        for doc, part, idf, w in (
            (doc_char, char, self.idf_char, weights[:split]),
            (doc_word, word, self.idf_word, weights[split:]),
        ):
            doc_weighted = _weigh(doc, idf, normalise=False)
            norm = float(np.sqrt(doc_weighted.multiply(doc_weighted).sum())) or 1.0
            out += _weigh(part, idf, normalise=False) @ w / norm
        return out


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


def _weigh(counts: sp.csr_matrix, idf: np.ndarray, normalise: bool = True) -> sp.csr_matrix:
    counts = counts.copy()
    counts.data = np.log1p(counts.data) * idf[counts.indices]
    return l2_normalize(counts, copy=False) if normalise else counts
