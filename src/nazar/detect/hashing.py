"""Vectorised feature hashing: character n-grams inside words, and word n-grams.

scikit-learn's HashingVectorizer builds every n-gram as a Python string, which made it the
slowest stage of the detector. Here a whole batch becomes one array of code points and each
n-gram's hash is a few numpy operations over all positions at once, several times faster.
Hashes are plain arithmetic (no salted ``hash()``), so features are the same in every process
and on every machine.
"""

from __future__ import annotations

import re

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
    """Counts of (doc, col) pairs as a canonical CSR matrix (sorted indices, no duplicates).

    One sort of combined keys instead of scipy's COO route (conversion, then a sort of every
    row and a pass summing duplicates): the same matrix, several times faster.
    """
    keys = docs.astype(np.int64) * n_features + cols
    keys.sort()
    if len(keys):
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        counts = np.diff(np.append(starts, len(keys)))
        keys = keys[starts]
    else:
        counts = np.zeros(0, dtype=np.int64)
    rows = keys // n_features
    index_dtype = np.int32 if max(len(keys), n_features, n_docs) < 2**31 else np.int64
    indptr = np.zeros(n_docs + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
    m = sp.csr_matrix(
        (counts.astype(np.float32), (keys - rows * n_features).astype(index_dtype), indptr),
        shape=(n_docs, n_features),
        dtype=np.float32,
    )
    m.has_sorted_indices = True
    m.has_canonical_format = True
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
    """Counts of hashed word unigrams and bigrams (CRC-32 of the UTF-8 token, then mixed).

    The tokens of all texts are laid out in one UTF-8 buffer, joined by a space within a text
    (so a bigram "a b" is the stretch from a's start to b's end) and by NUL between texts;
    the CRC-32 of every gram is then computed at once, byte position by byte position.
    """
    tokens = [TOKEN_RE.findall(text) for text in texts]
    buf = np.frombuffer("\0".join(map(" ".join, tokens)).encode("utf-8"), dtype=np.uint8)
    n_tokens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    total = int(n_tokens.sum())
    if total == 0:
        return sp.csr_matrix((len(texts), n_features), dtype=np.float32)
    # Token boundaries: a token ends at each space or NUL (and at the end), and the next one
    # starts right after it; texts without tokens only add NULs, and empty tokens are dropped.
    cuts = np.flatnonzero((buf == 0x20) | (buf == 0))
    ends = np.append(cuts, len(buf))
    begins = np.concatenate([[0], cuts + 1])
    keep = ends > begins
    begins, ends = begins[keep], ends[keep]
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), n_tokens)
    # A bigram joins consecutive tokens of the same text.
    pair = np.flatnonzero(doc[1:] == doc[:-1])
    gram_begin = np.concatenate([begins, begins[pair]])
    gram_end = np.concatenate([ends, ends[pair + 1]])
    gram_doc = np.concatenate([doc, doc[pair]])
    h = _mix(_crc32(buf, gram_begin, gram_end - gram_begin).astype(np.uint64))
    cols = (h % np.uint64(n_features)).astype(np.int64)
    return _to_csr(gram_doc, cols, len(texts), n_features)


def _crc32_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1)
    return table.astype(np.uint32)


_CRC_TABLE = _crc32_table()


def _crc32(buf: np.ndarray, begins: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``zlib.crc32`` of every ``buf[begin : begin + length]``, all at once.

    The table-driven CRC, one byte position per step over all strings still that long
    (longest first, so those are always a leading slice).
    """
    order = np.argsort(-lengths, kind="stable")
    pos = begins[order]
    lens = lengths[order]
    crc = np.full(len(order), 0xFFFFFFFF, dtype=np.uint32)
    # How many strings are longer than j, for each step j.
    active = np.searchsorted(-lens, -np.arange(int(lens[0]) if len(lens) else 0), side="left")
    for j, n in enumerate(active.tolist()):
        c = crc[:n]
        crc[:n] = _CRC_TABLE[(c ^ buf[pos[:n] + j]) & 0xFF] ^ (c >> np.uint32(8))
    out = np.empty_like(crc)
    out[order] = crc ^ np.uint32(0xFFFFFFFF)
    return out
