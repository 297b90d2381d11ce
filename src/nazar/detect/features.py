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

from nazar.detect.hashing import char_ngram_counts, word_ngram_counts

# Platform artefacts say where a text was collected, not what it says: retweet markers,
# placeholder mentions and links, literal line-break markers of some datasets. Left in, a model
# learns "tweets with links are propaganda" from whichever source had more links.
#
# The Arabic vocative "يا" goes too: written propaganda is full of "O Muslims!" calls, so a
# model learns it as a signal, while everyday Arabic tweets use it in almost every line
# ("يا رب", "يا حبيبي"); it says nothing about the voice of a text.
#
# So do two habits of typing tweets: the conjunction "و" written as a word of its own ("شمسي و
# قمري"; edited text joins it to the next word) and runs of dots (".." between phrases). The
# only real tweets the model may train on in Arabic are pro-ISIS accounts', so it learnt both
# as signs of propaganda: "رضاي عنادي" scored 0.21 and "يا رضاي و يا عنادي .." 0.95.
ARTIFACTS_RE = re.compile(r"(?<!\w)(?:rt|via|يا|و)(?!\w)|@user:?|(?<!\w)url(?!\w)|<lf>|\.{2,}|…")


# Every match of ARTIFACTS_RE contains one of these: a text with none of them is left as it is
# without running the regex (most texts, and every single word of ``word_contributions``).
_ARTIFACT_HINTS = ("rt", "via", "يا", "و", "@user", "url", "<lf>", "..", "…")


def strip_artifacts(text: str) -> str:
    for hint in _ARTIFACT_HINTS:
        if hint in text:
            return ARTIFACTS_RE.sub(" ", text)
    return text


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
        self.idf_char: np.ndarray | None = None
        self.idf_word: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.config.char_features + self.config.word_features

    def _counts(
        self, texts: list[str], cue_tokens: list[list[str]] | None
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        c = self.config
        texts = [strip_artifacts(t) for t in texts]
        char = char_ngram_counts(texts, c.char_ngram_min, c.char_ngram_max, c.char_features)
        if cue_tokens is not None:
            texts = [
                t + " " + " ".join(c) if c else t for t, c in zip(texts, cue_tokens, strict=True)
            ]
        word = word_ngram_counts(texts, c.word_features)
        return char, word

    def fit(self, texts: list[str], cue_tokens: list[list[str]] | None = None) -> TextFeaturizer:
        self.fit_transform(texts, cue_tokens)
        return self

    def fit_transform(
        self, texts: list[str], cue_tokens: list[list[str]] | None = None
    ) -> sp.csr_matrix:
        """Learn the IDF weights and return the features, hashing the texts once."""
        char, word = self._counts(texts, cue_tokens)
        self.idf_char = _idf(char)
        self.idf_word = _idf(word)
        return self._weighted(char, word)[0]

    def transform(
        self, texts: list[str], cue_tokens: list[list[str]] | None = None
    ) -> sp.csr_matrix:
        return self.transform_with_norms(texts, cue_tokens)[0]

    def transform_with_norms(
        self, texts: list[str], cue_tokens: list[list[str]] | None = None
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Features, and each text's (char, word) block norms before normalisation.

        The norms let ``word_contributions`` put each word's share on the text's own scale.
        """
        if self.idf_char is None or self.idf_word is None:
            raise RuntimeError("featurizer is not fitted")
        return self._weighted(*self._counts(texts, cue_tokens))

    def _weighted(
        self, char: sp.csr_matrix, word: sp.csr_matrix
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        char = _weigh(char, self.idf_char)
        word = _weigh(word, self.idf_word)
        norms = np.stack([_row_norms(char), _row_norms(word)], axis=1)
        X = sp.hstack([_scale_rows(char, norms[:, 0]), _scale_rows(word, norms[:, 1])], "csr")
        return X, norms

    def word_contributions(
        self, words: list[str], doc_norms: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """Each word's share of linear scores: (n_words, n_directions).

        ``doc_norms`` holds, per word, the (char, word) norms of the text it comes from.
        ``char_wb`` n-grams never cross a word boundary, so a word's n-grams are the same
        alone as inside its text; scaled by the text's norms they are its real share of the
        score (word bigrams are left out: they belong to two words).
        """
        if self.idf_char is None or self.idf_word is None:
            raise RuntimeError("featurizer is not fitted")
        char, word = self._counts(words, None)
        split = self.config.char_features
        char_part = _weigh(char, self.idf_char) @ weights[:split]
        word_part = _weigh(word, self.idf_word) @ weights[split:]
        return char_part / doc_norms[:, :1] + word_part / doc_norms[:, 1:]


def _row_norms(m: sp.csr_matrix) -> np.ndarray:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return norms


def _scale_rows(m: sp.csr_matrix, norms: np.ndarray) -> sp.csr_matrix:
    return sp.diags(1.0 / norms).astype(np.float32) @ m


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF times IDF (in place: the counts are fresh from the hashing vectorizer)."""
    counts.data = np.log1p(counts.data) * idf[counts.indices]
    return counts
