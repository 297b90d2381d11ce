"""Cross-lingual semantic matching: multilingual-e5-small vectors, exact inner-product search.

Vectors come from ``nazar.embed`` (384 dimensions, L2-normalised). The index is a float16
matrix (768 bytes per item) searched exactly with one matrix product per batch of queries,
in blocks: up to about 10**6 items that is fast enough (a 10**6 x 384 product per query batch)
and has no recall loss; beyond that an approximate index would be needed.

Distance is ``1 - cosine``. e5 similarities are bunched (translations 0.86-0.94, unrelated
texts 0.73-0.81, FINDINGS.md), and the bunch sits at a different height for each language
pair, so the threshold depends on the pair (query language, item language):
``PAIR_MAX_DISTANCE``, calibrated on Quran verses in Arabic/English/Russian and the project's
own parallel sentences (``benchmarks/match_quality.py``, results in
``benchmarks/results/match_quality.json``). A bank threshold for ``semantic`` overrides the
table for every pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "DEFAULT_MAX_DISTANCE",
    "PAIR_MAX_DISTANCE",
    "SemanticIndex",
    "embed",
    "embedder_available",
    "pair_threshold",
]

# Maximum distance (1 - cosine) per language pair, order-free.
PAIR_MAX_DISTANCE: dict[frozenset[str], float] = {
    # Calibrated (Arabic bank items, queries in the other language; 0.5% of unrelated real
    # posts of the query language pass): benchmarks/results/match_quality.json.
    frozenset({"ar", "en"}): 0.10,
    frozenset({"ar", "ru"}): 0.12,
    frozenset({"ar", "kk"}): 0.11,
    frozenset({"ar"}): 0.085,
    # Not calibrated yet (no bank in these languages measured): conservative values.
    frozenset({"en", "ru"}): 0.10,
    frozenset({"en", "kk"}): 0.10,
    frozenset({"ru", "kk"}): 0.10,
    frozenset({"en"}): 0.085,
    frozenset({"ru"}): 0.085,
    frozenset({"kk"}): 0.085,
}
DEFAULT_MAX_DISTANCE = 0.10


def pair_threshold(lang_a: str | None, lang_b: str | None) -> float:
    """The calibrated maximum distance for a pair of languages (order does not matter)."""
    key = frozenset({lang_a or "und", lang_b or "und"})
    return PAIR_MAX_DISTANCE.get(key, DEFAULT_MAX_DISTANCE)


def embedder_available() -> bool:
    """True when ``nazar.embed`` can be imported (the encoder itself loads on first use)."""
    try:
        import nazar.embed.encoder  # noqa: F401
    except ImportError:
        return False
    return True


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors (``n, 384`` float32) of ``texts``, through the shared cache if present."""
    texts = list(texts)
    try:
        from nazar.embed.cache import embed_texts
    except ImportError:
        embed_texts = None
    if embed_texts is not None:
        return np.asarray(embed_texts(texts), dtype=np.float32)
    from nazar.embed import encoder as enc_mod

    enc = enc_mod.load_encoder()
    prepare = getattr(enc_mod, "prepare_text", None)
    prepared = [prepare(t) for t in texts] if prepare else texts
    return np.asarray(enc.encode(prepared), dtype=np.float32)


class SemanticIndex:
    """Rows of (id, language, float16 unit vector); exact top-k by inner product."""

    def __init__(self, ids: np.ndarray, langs: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.langs = np.asarray(langs, dtype="U8")
        self.vectors = vectors  # float16 (n, d), possibly memory-mapped

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_vectors(
        cls, ids: Sequence[int], langs: Sequence[str | None], vectors: np.ndarray
    ) -> SemanticIndex:
        return cls(
            np.asarray(ids, dtype=np.int64),
            np.asarray([x or "und" for x in langs], dtype="U8"),
            np.asarray(vectors, dtype=np.float16),
        )

    def search(
        self,
        queries: np.ndarray,
        query_langs: Sequence[str | None],
        max_distance: float | None = None,
        k: int = 10,
        active: np.ndarray | None = None,
    ) -> list[list[tuple[int, float]]]:
        """For each query, up to ``k`` (row, distance) pairs within the threshold, best first.

        ``max_distance`` None: the per-language-pair table; a number: that for every pair.
        """
        nq = len(queries)
        out: list[list[tuple[int, float]]] = [[] for _ in range(nq)]
        if nq == 0 or len(self) == 0:
            return out
        q = np.asarray(queries, dtype=np.float32)
        kk = min(k, len(self))
        best_s = np.full((nq, kk), -np.inf, dtype=np.float32)
        best_i = np.zeros((nq, kk), dtype=np.int64)
        block = 65_536
        for s in range(0, len(self), block):
            m = np.asarray(self.vectors[s : s + block], dtype=np.float32)
            sims = q @ m.T
            if active is not None:
                sims[:, ~np.asarray(active[s : s + block], dtype=bool)] = -np.inf
            take = min(kk, sims.shape[1])
            part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
            cand_s = np.take_along_axis(sims, part, axis=1)
            all_s = np.concatenate([best_s, cand_s], axis=1)
            all_i = np.concatenate([best_i, part + s], axis=1)
            top = np.argsort(-all_s, axis=1, kind="stable")[:, :kk]
            best_s = np.take_along_axis(all_s, top, axis=1)
            best_i = np.take_along_axis(all_i, top, axis=1)
        for qi in range(nq):
            for s_val, row in zip(best_s[qi], best_i[qi], strict=True):
                if not np.isfinite(s_val):
                    continue
                d = float(max(0.0, 1.0 - float(s_val)))
                limit = (
                    max_distance
                    if max_distance is not None
                    else pair_threshold(query_langs[qi], str(self.langs[row]))
                )
                if d <= limit:
                    out[qi].append((int(row), d))
        return out
