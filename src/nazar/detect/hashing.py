"""Vectorised feature hashing: character n-grams inside words, and word n-grams.

scikit-learn's HashingVectorizer builds every n-gram as a Python string, which made it the
slowest stage of the detector. Here a whole batch becomes one array of code points and each
n-gram's hash is a few numpy operations over all positions at once, several times faster.
Hashes are plain arithmetic (no salted ``hash()``), so features are the same in every process
and on every machine.
"""

from __future__ import annotations

import re
import zlib
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

_BASE = np.uint64(1_000_003)
_SEP = "\x00"  # between texts: no n-gram may contain it
TOKEN_RE = re.compile(r"\w+")


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads polynomial hashes evenly over the feature space."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _to_csr(docs: np.ndarray, cols: np.ndarray, n_docs: int, n_features: int) -> sp.csr_matrix:
    data = np.ones(len(docs), dtype=np.float32)
    m = sp.csr_matrix((data, (docs, cols)), shape=(n_docs, n_features), dtype=np.float32)
    m.sum_duplicates()
    return m


def char_ngram_counts(texts: list[str], n_min: int, n_max: int, n_features: int) -> sp.csr_matrix:
    """Counts of hashed character n-grams within space-padded words (like ``char_wb``).

    Each word is padded with one space on each side, so " word " yields " w", "wo", … "d ";
    an n-gram may start or end on a padding space but never contains one inside, so n-grams
    never span two words.
    """
    padded = [(" " + "  ".join(t.split()) + " ") if t.strip() else "" for t in texts]
    lengths = np.fromiter((len(p) + 1 for p in padded), dtype=np.int64, count=len(padded))
    stream = _SEP.join(padded) + _SEP
    codes = np.frombuffer(stream.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    space = codes == ord(" ")
    blocked = space | (codes == 0)  # chars that may not sit inside an n-gram
    blocked_cum = np.concatenate([[0], np.cumsum(blocked)])
    sep_cum = np.concatenate([[0], np.cumsum(codes == 0)])
    docs_all, cols_all = [], []
    total = len(codes)
    for n in range(n_min, n_max + 1):
        m = total - n + 1
        if m <= 0:
            continue
        h = np.full(m, np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h = h * _BASE + codes[k : k + m]
        idx = np.arange(m)
        inner_blocked = blocked_cum[idx + n - 1] - blocked_cum[idx + 1] if n > 2 else 0
        has_sep = sep_cum[idx + n] - sep_cum[idx]
        ok = (has_sep == 0) & (np.asarray(inner_blocked) == 0)
        if n == 2:
            ok &= ~(space[:m] & space[1 : m + 1])
        cols_all.append((_mix(h[ok]) % np.uint64(n_features)).astype(np.int64))
        docs_all.append(doc_of[:m][ok])
    if not docs_all:
        return sp.csr_matrix((len(texts), n_features), dtype=np.float32)
    return _to_csr(np.concatenate(docs_all), np.concatenate(cols_all), len(texts), n_features)


def word_ngram_counts(texts: list[str], n_features: int) -> sp.csr_matrix:
    """Counts of hashed word unigrams and bigrams (CRC-32 of the UTF-8 token, then mixed)."""
    docs: list[int] = []
    hashes: list[int] = []
    for d, text in enumerate(texts):
        tokens = TOKEN_RE.findall(text)
        grams = tokens + [f"{a} {b}" for a, b in pairwise(tokens)]
        hashes.extend(zlib.crc32(g.encode("utf-8")) for g in grams)
        docs.extend([d] * len(grams))
    if not hashes:
        return sp.csr_matrix((len(texts), n_features), dtype=np.float32)
    h = _mix(np.array(hashes, dtype=np.uint64))
    cols = (h % np.uint64(n_features)).astype(np.int64)
    return _to_csr(np.array(docs, dtype=np.int64), cols, len(texts), n_features)
