"""Signatures of texts for matching: canonical text, exact hash, MinHash over character shingles.

Canonical form (what every signature is computed from):

1. ``nazar.text.normalize`` (diacritics, homoglyphs, Arabic letter forms, spaced letters,
   lower case; URLs become ``url`` and @mentions ``@user``);
2. retweet/"via" prefixes (``rt @user:``), the ``url`` and ``@user`` placeholders removed;
3. everything that is not a letter or a digit removed, spaces included: emoji, punctuation and
   re-spacing ("Da esh", "D-a-e-s-h") then cannot change a shingle.

Exact signature: the first 8 bytes of BLAKE2b of the canonical text, as an unsigned 64-bit int.

Near-duplicate signature: a ``K = 128`` MinHash over the set of character ``k``-grams
(``k = 5``) of the canonical text. Shingles are hashed in bulk with numpy (the whole batch's
code points are one uint32 array, a polynomial hash with wrapping uint64 arithmetic plus a
murmur3 finaliser); the ``K`` minima come from one-permutation hashing with densification
(``minhash_codepoints``), which costs 3 hashes per shingle instead of 128. Stored for
verification: the low 8 bits of each minimum ("b-bit
minwise hashing", Li & König 2010): 128 bytes per text, and an unbiased Jaccard estimate
``(matches/K - 1/256) / (1 - 1/256)`` with a standard error of about 0.045 at J = 0.5.

LSH bands: ``b = 32`` bands of ``r = 4`` minima (see ``index.py``), each folded to a 32-bit key.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nazar.text.normalize import normalize

__all__ = [
    "NUM_PERM",
    "SHINGLE",
    "SignatureBatch",
    "canonical",
    "estimate_jaccard",
    "exact_hash",
    "minhash_codepoints",
    "signatures",
]

NUM_PERM = 128
BANDS = 32
ROWS = 4
SHINGLE = 5
_SEED = 0x6E617A6172  # "nazar": fixed, so signatures computed anywhere agree

_rng = np.random.default_rng(_SEED)
# Per-position multipliers of the polynomial shingle hash.
_P = _rng.integers(1, 2**63, size=SHINGLE, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
FANOUT = 3  # hashes per shingle in one-permutation hashing
_BIN_BITS = 7  # 2**7 == NUM_PERM bins
_SALT = _rng.integers(1, 2**63, size=FANOUT, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_DENSIFY = np.uint32(0x9E3779B1)
# Band folding constants (index.py): one odd multiplier per band row.
_ODD = _rng.integers(1, 2**63, size=(BANDS, ROWS), dtype=np.uint64)
BAND_MULT = _ODD * np.uint64(2) + np.uint64(1)

_PREFIX_RE = re.compile(r"^(?:\s*(?:rt|via|mt)\s*@user\s*:?)+\s*")
_PLACEHOLDER_RE = re.compile(r"(?<![\w@])(?:url|@user)(?!\w)")
_NON_WORD_RE = re.compile(r"[\W_]+")
# Every non-spacing mark (accents, Arabic harakat, Cyrillic breve...) -> deleted.
# (The Basic Multilingual Plane and the variation selectors: scanning all 1.1M code points
# would cost a second at import.)
_DROP_MARKS = {
    c: None
    for c in (*range(0x300, 0x10000), *range(0xE0100, 0xE01F0))
    if unicodedata.category(chr(c)) == "Mn"
}


def canonical(text: str) -> str:
    """The form of ``text`` that signatures are computed from (see the module docstring)."""
    t = normalize(text).text
    if not t.isascii():
        # normalize() keeps precomposed accented letters ("é"); a copy sprinkled with accents
        # must still match, so matching drops every combining mark after decomposition.
        t = unicodedata.normalize("NFD", t).translate(_DROP_MARKS)
    t = _PREFIX_RE.sub("", t)
    t = _PLACEHOLDER_RE.sub(" ", t)
    return _NON_WORD_RE.sub("", t)


def exact_hash(canon: str) -> int:
    """64-bit hash of a canonical text (``canonical``), as a Python int in [0, 2**64)."""
    digest = hashlib.blake2b(canon.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _mix64(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser (a new array): spreads a polynomial hash over all bits."""
    h = h ^ (h >> np.uint64(33))
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _shingle_hashes(cps: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character k-gram and the text each belongs to.

    A text shorter than ``SHINGLE`` characters is one shingle (its whole text); empty texts
    have none.
    """
    n = len(starts) - 1
    lengths = np.diff(starts)
    total = len(cps)
    cps = cps.astype(np.uint64)
    # Polynomial hash of the k-gram starting at every position; zero padding keeps the last
    # positions in bounds, and positions whose k-gram crosses into the next text are dropped.
    padded = np.concatenate([cps, np.zeros(SHINGLE, dtype=np.uint64)])
    h = padded[:total] * _P[0]
    for j in range(1, SHINGLE):
        h += padded[j : total + j] * _P[j]
    counts = np.where(lengths >= SHINGLE, lengths - SHINGLE + 1, (lengths > 0).astype(np.int64))
    short = np.flatnonzero((lengths < SHINGLE) & (lengths > 0))
    for t in short:  # rare: a handful of characters left after canonicalisation
        s = int(starts[t])
        seg = cps[s : s + int(lengths[t])]
        h[s] = np.sum(seg * _P[: len(seg)], dtype=np.uint64)
    ends = np.cumsum(counts)
    idx = np.repeat(starts[:-1] - (ends - counts), counts) + np.arange(int(ends[-1]) if n else 0)
    x = _mix64(h[idx])
    tid = np.repeat(np.arange(n, dtype=np.int64), counts)
    return x, tid


def minhash_codepoints(cps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """MinHash signatures (``n, NUM_PERM`` uint32) of texts given as concatenated code points.

    ``cps`` holds the code points of all texts back to back, ``starts`` (``n + 1`` entries)
    where each begins. Empty texts get the all-ones row (callers never index them).

    One-permutation hashing with ``FANOUT`` hash functions and rotation densification: every
    shingle is hashed ``FANOUT`` times, each hash picks one of the ``NUM_PERM`` bins (top 7
    bits) and offers a 32-bit value (low bits); a bin keeps the minimum offered. Two texts'
    bins agree with probability equal to their Jaccard similarity, as with ``NUM_PERM``
    independent permutations, but the cost is ``FANOUT`` hashes per shingle instead of 128
    (about 10x faster in numpy). The bins no shingle reached (about 5% for a tweet) copy the
    next filled bin to the right plus a multiple of its distance (Shrivastava & Li 2014), so
    they still agree exactly when the texts agree locally.
    """
    n = len(starts) - 1
    out = np.full(n * NUM_PERM, np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if n == 0 or len(cps) == 0:
        return out.reshape(n, NUM_PERM)
    x, tid = _shingle_hashes(cps, starts)
    base = tid * NUM_PERM
    for f in range(FANOUT):
        hf = _mix64(x * _SALT[f])
        key = base + (hf >> np.uint64(64 - _BIN_BITS)).astype(np.int64)
        np.minimum.at(out, key, (hf & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    sig = out.reshape(n, NUM_PERM)
    empty = sig == np.uint32(0xFFFFFFFF)
    if empty.any():
        k = NUM_PERM
        # Index of the next filled bin to the right (circular), via a running minimum over
        # the row written twice and reversed.
        cols = np.where(empty, np.int16(4 * k), np.arange(k, dtype=np.int16)[None, :])
        both = np.concatenate([cols, cols + np.int16(k)], axis=1)[:, ::-1].copy()
        nxt = np.minimum.accumulate(both, axis=1)[:, ::-1][:, :k]
        ok = nxt < 2 * k  # False only for rows with no filled bin at all (empty texts)
        dist = (nxt - np.arange(k, dtype=np.int16)[None, :]).astype(np.uint32)
        src = np.where(ok, nxt % k, 0)
        fill = np.take_along_axis(sig, src, axis=1) + dist * _DENSIFY
        sig = np.where(empty & ok, fill, sig)
    return sig


@dataclass(frozen=True)
class SignatureBatch:
    """Signatures of a batch of texts (row ``i`` is text ``i``)."""

    canonical: list[str]
    exact: np.ndarray  # (n,) uint64
    minhash: np.ndarray  # (n, NUM_PERM) uint32
    empty: np.ndarray  # (n,) bool: nothing left after canonicalisation; never matched

    @property
    def bbit(self) -> np.ndarray:
        """The stored 8-bit form (``n, NUM_PERM`` uint8)."""
        return (self.minhash & np.uint32(0xFF)).astype(np.uint8)


def encode_texts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated UTF-32 code points of ``texts`` and their ``n + 1`` start offsets."""
    joined = "".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return cps, starts


def signatures(texts: Sequence[str], *, canonicalised: bool = False) -> SignatureBatch:
    """Exact hashes and MinHash signatures of ``texts`` (canonicalised here unless told so)."""
    canon = list(texts) if canonicalised else [canonical(t) for t in texts]
    exact = np.fromiter((exact_hash(c) for c in canon), dtype=np.uint64, count=len(canon))
    cps, starts = encode_texts(canon)
    mh = minhash_codepoints(cps, starts)
    empty = np.fromiter((not c for c in canon), dtype=bool, count=len(canon))
    return SignatureBatch(canon, exact, mh, empty)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard similarity estimated from 8-bit signatures (rows of ``a`` against rows of ``b``,
    broadcast), corrected for the 1/256 chance that two different minima share 8 bits."""
    eq = (a == b).mean(axis=-1)
    return np.clip((eq - 1.0 / 256) / (1.0 - 1.0 / 256), 0.0, 1.0)
