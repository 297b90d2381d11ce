"""Cross-lingual semantic matching: multilingual-e5-small vectors, exact inner-product search.

Vectors come from ``nazar.embed`` (384 dimensions, L2-normalised). The index is a float16
matrix (768 bytes per item) searched exactly with one matrix product per batch of queries,
in blocks: up to about 10**6 items that is fast enough (a 10**6 x 384 product per query batch)
and has no recall loss; beyond that an approximate index would be needed.

Distance. e5 similarities are bunched (translations 0.86-0.94, unrelated texts 0.73-0.81,
FINDINGS.md) and the bunch sits at a different height for each language, so raw cosines are
normalised against a reference set of unrelated texts (the project's CC0 corpus
``data/corpus/{ar,en,ru,kk}.jsonl``, non-propaganda labels, 200 per language, embedded once
through the embedding cache):

1. language centring: each vector minus the mean reference vector of its language (the global
   mean for an unknown language), re-normalised. This removes the language component that made
   Kazakh queries rank their Arabic originals low (ar->kk recall 0.00 -> 0.90);
2. CSLS: ``score = 2 cos(q, x) - r(q) - r(x)``, ``r`` = mean cosine to the ``CSLS_K`` nearest
   reference vectors (hub items and hub queries are pushed down).

The distance is ``(1 - score) / 2`` clipped to [0, 1]; thresholds depend on the language pair
(query language, item language): ``PAIR_MAX_DISTANCE``. Without the corpus (an installed
package without ``data/``) the index falls back to ``1 - cosine`` and
``COSINE_PAIR_MAX_DISTANCE``. A bank threshold for ``semantic`` overrides the table for every
pair (in the scale in use).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "COSINE_PAIR_MAX_DISTANCE",
    "DEFAULT_MAX_DISTANCE",
    "PAIR_MAX_DISTANCE",
    "Reference",
    "SemanticIndex",
    "embed",
    "embedder_available",
    "pair_threshold",
    "reference",
]

CORPUS_DIR = Path(__file__).resolve().parents[3] / "data" / "corpus"
REFERENCE_LABELS = frozenset({"news", "other", "religious", "counter_narrative"})
REFERENCE_PER_LANG = 200
CSLS_K = 10

# Maximum distance (1 - cosine) per language pair, order-free.
COSINE_PAIR_MAX_DISTANCE: dict[frozenset[str], float] = {
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
COSINE_DEFAULT_MAX_DISTANCE = 0.10

# Maximum normalised distance ((1 - CSLS) / 2 of centred vectors) per language pair, order-free.
PAIR_MAX_DISTANCE: dict[frozenset[str], float] = {
    # Calibrated (Arabic bank items, queries in the other language; at most 0.5% of unrelated
    # real posts of the query language pass), same protocol as benchmarks/match_quality.py.
    frozenset({"ar", "en"}): 0.42,
    frozenset({"ar", "ru"}): 0.36,
    frozenset({"ar", "kk"}): 0.38,
    frozenset({"ar"}): 0.32,
    # Not calibrated yet (no bank in these languages measured): conservative values.
    frozenset({"en", "ru"}): 0.32,
    frozenset({"en", "kk"}): 0.32,
    frozenset({"ru", "kk"}): 0.32,
    frozenset({"en"}): 0.32,
    frozenset({"ru"}): 0.32,
    frozenset({"kk"}): 0.32,
}
DEFAULT_MAX_DISTANCE = 0.32


def pair_threshold(lang_a: str | None, lang_b: str | None, normalised: bool = True) -> float:
    """The calibrated maximum distance for a pair of languages (order does not matter).

    ``normalised``: the table of the normalised score (the default, used whenever the
    reference set is available); False: the plain ``1 - cosine`` table.
    """
    key = frozenset({lang_a or "und", lang_b or "und"})
    if normalised:
        return PAIR_MAX_DISTANCE.get(key, DEFAULT_MAX_DISTANCE)
    return COSINE_PAIR_MAX_DISTANCE.get(key, COSINE_DEFAULT_MAX_DISTANCE)


class Reference:
    """Reference vectors of unrelated texts: per-language means and CSLS hubness."""

    def __init__(self, vectors: np.ndarray, langs: Sequence[str]) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        langs_arr = np.asarray(langs, dtype="U8")
        self.means = {str(lg): vectors[langs_arr == lg].mean(axis=0) for lg in set(langs_arr)}
        self.global_mean = np.mean(list(self.means.values()), axis=0)
        self.vectors = self.center(vectors, langs_arr)

    def center(self, x: np.ndarray, langs: np.ndarray) -> np.ndarray:
        """Unit rows of ``x`` minus the mean of each row's language (global mean if unknown)."""
        mu = (
            np.stack([self.means.get(str(lg), self.global_mean) for lg in langs])
            if len(x)
            else np.zeros_like(x)
        )
        y = np.asarray(x, dtype=np.float32) - mu
        n = np.linalg.norm(y, axis=1, keepdims=True)
        return y / np.maximum(n, 1e-12)

    def hubness(self, x: np.ndarray) -> np.ndarray:
        """Mean cosine of each (centred) row to its ``CSLS_K`` nearest reference vectors."""
        if len(x) == 0:
            return np.zeros(0, np.float32)
        sims = x @ self.vectors.T
        k = min(CSLS_K, sims.shape[1])
        return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


_REFERENCE: list[Reference | None] = []


def reference_texts() -> list[tuple[str, str]]:
    """(language, text) of the reference set: the project's CC0 corpus, non-propaganda labels.

    Every second record of ``data/corpus/{ar,en,ru,kk}.jsonl`` labelled news, other,
    religious or counter_narrative, at most ``REFERENCE_PER_LANG`` per language.
    """
    out = []
    for lang in ("ar", "en", "ru", "kk"):
        path = CORPUS_DIR / f"{lang}.jsonl"
        if not path.exists():
            return []
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        texts = [r["text"] for r in rows if r.get("label") in REFERENCE_LABELS]
        out.extend((lang, t) for t in texts[::2][:REFERENCE_PER_LANG])
    return out


def reference() -> Reference | None:
    """The reference set (embedded once, through the embedding cache); None without corpus."""
    if not _REFERENCE:
        pairs = reference_texts()
        _REFERENCE.append(
            Reference(embed([t for _, t in pairs]), [lg for lg, _ in pairs]) if pairs else None
        )
    return _REFERENCE[0]


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
    """Rows of (id, language, float16 unit vector); exact top-k by normalised score.

    Scores are language-centred CSLS (module docstring): vectors are centred on their
    language's mean over the reference set and re-normalised, and the cosine is corrected by
    each side's mean similarity to its ``CSLS_K`` nearest reference vectors. The items' side is
    computed once per index, on the first search.
    """

    def __init__(self, ids: np.ndarray, langs: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.langs = np.asarray(langs, dtype="U8")
        self.vectors = vectors  # float16 (n, d), possibly memory-mapped
        self._item_r: np.ndarray | None = None

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

    def _block(self, ref: Reference | None, s: int, e: int) -> np.ndarray:
        m = np.asarray(self.vectors[s:e], dtype=np.float32)
        return ref.center(m, self.langs[s:e]) if ref is not None else m

    def _item_hubness(self, ref: Reference) -> np.ndarray:
        if self._item_r is None or len(self._item_r) != len(self):
            parts = [
                ref.hubness(self._block(ref, s, s + 65_536)) for s in range(0, len(self), 65_536)
            ]
            self._item_r = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return self._item_r

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
        ref = reference()
        q = np.asarray(queries, dtype=np.float32)
        qlangs = np.asarray([x or "und" for x in query_langs], dtype="U8")
        if ref is not None:
            q = ref.center(q, qlangs)
            q_r = ref.hubness(q)
            item_r = self._item_hubness(ref)
        kk = min(k, len(self))
        best_s = np.full((nq, kk), -np.inf, dtype=np.float32)
        best_i = np.zeros((nq, kk), dtype=np.int64)
        block = 65_536
        for s in range(0, len(self), block):
            m = self._block(ref, s, s + block)
            sims = q @ m.T
            if ref is not None:
                sims = 2.0 * sims - q_r[:, None] - item_r[None, s : s + block]
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
                if ref is not None:
                    d = float(min(1.0, max(0.0, (1.0 - float(s_val)) / 2.0)))
                else:
                    d = float(max(0.0, 1.0 - float(s_val)))
                limit = (
                    max_distance
                    if max_distance is not None
                    else pair_threshold(
                        str(qlangs[qi]), str(self.langs[row]), normalised=ref is not None
                    )
                )
                if d <= limit:
                    out[qi].append((int(row), d))
        return out
