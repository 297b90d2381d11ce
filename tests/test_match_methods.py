"""nazar.match: signatures, the exact/near-duplicate index, and the semantic method."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nazar.match.index import NearDupIndex
from nazar.match.signatures import canonical, estimate_jaccard, signatures

PROPAGANDA = [
    "The soldiers of the caliphate will conquer Rome, join the caravan of the mujahideen now",
    "Братья, халифат ждёт вас, совершайте хиджру и присягайте амиру, шахиды в раю!",
    "أيها الإخوة، الخلافة تناديكم: اتركوا بيوتكم والتحقوا بصفوف المقاتلين في كل مكان",
    "Бауырлар, халифат сендерді шақырады: үйлеріңді тастап, жауынгерлер қатарына қосылыңдар",
]
UNRELATED = [
    "Great match last night, what a goal in the 90th minute! Can't wait for the final.",
    "Завтра в столице будет солнечная погода и слабый ветер, температура до двадцати градусов.",
    "سيكون الطقس غداً في العاصمة مشمساً مع رياح خفيفة ودرجات حرارة معتدلة",
    "Ертең елордада күн ашық, жел әлсіз болады, ауа температурасы жиырма градус.",
]


def build(texts: list[str]) -> NearDupIndex:
    return NearDupIndex.build(np.arange(100, 100 + len(texts)), [signatures(texts)])


def test_canonical_strips_tricks() -> None:
    base = canonical(PROPAGANDA[0])
    tricked = "RT @abu_x: The s0ldiers of the cаliphate 🔥 will c o n q u e r Rome, join the caravan of the mujahideen now https://t.co/abc123"
    assert canonical(tricked) == base
    assert canonical("Thé sóldiers") == canonical("The soldiers")
    ar = "أَيُّهَا الإِخْوَةُ، الخِلَافَةُ تُنَادِيكُمْ"
    assert canonical(ar) == canonical("أيها الإخوة، الخلافة تناديكم")
    assert canonical("🔥🔥 http://x.co/a @someone") == ""


def test_exact_method() -> None:
    idx = build(PROPAGANDA)
    q = signatures(["RT @x: " + PROPAGANDA[1] + " 🔥", UNRELATED[1]])
    hits = idx.query(q, max_distance=0.0)
    assert hits.query.tolist() == [0]
    assert hits.row.tolist() == [1]
    assert hits.exact.tolist() == [True]
    assert hits.distance.tolist() == [0.0]


def test_near_duplicate_method_per_language() -> None:
    idx = build(PROPAGANDA + UNRELATED)
    queries = [t[: int(len(t) * 0.75)] + " подробнее http://t.me/x" for t in PROPAGANDA]
    hits = idx.query(signatures(queries), max_distance=0.5)
    found = {(int(q), int(r)) for q, r in zip(hits.query, hits.row, strict=True)}
    for i in range(len(PROPAGANDA)):
        assert (i, i) in found
    assert all(0.0 < d <= 0.5 for d in hits.distance)
    assert not hits.exact.any()
    # Unrelated texts match nothing.
    none = idx.query(signatures(["A completely different sentence about cats."]))
    assert len(none.query) == 0


def test_jaccard_estimate_is_close() -> None:
    a = canonical(PROPAGANDA[0] + " " + UNRELATED[0])
    b = canonical(PROPAGANDA[0])
    sa = {a[i : i + 5] for i in range(len(a) - 4)}
    sb = {b[i : i + 5] for i in range(len(b) - 4)}
    true = len(sa & sb) / len(sa | sb)
    s = signatures([a, b], canonicalised=True)
    assert abs(float(estimate_jaccard(s.bbit[0], s.bbit[1])) - true) < 0.15


def test_empty_and_inactive_rows_never_match(tmp_path: Path) -> None:
    idx = NearDupIndex.build(np.array([1, 2]), [signatures(["🔥🔥", PROPAGANDA[0]])])
    assert idx.active.tolist() == [False, True]
    assert len(idx.query(signatures(["🔥🔥"])).query) == 0
    idx.set_active([2], False)
    assert len(idx.query(signatures([PROPAGANDA[0]])).query) == 0


def test_save_load_extend_round_trip(tmp_path: Path) -> None:
    idx = build(PROPAGANDA[:2])
    idx.revision = 3
    idx.save(tmp_path / "ix")
    loaded = NearDupIndex.load(tmp_path / "ix")
    assert isinstance(loaded.bands, np.memmap)
    assert loaded.revision == 3 and len(loaded) == 2
    bigger = loaded.extend(np.array([200, 201]), [signatures(PROPAGANDA[2:])], revision=4)
    bigger.save(tmp_path / "ix")
    again = NearDupIndex.load(tmp_path / "ix")
    assert again.ids.tolist() == [100, 101, 200, 201]
    hits = again.query(signatures(PROPAGANDA))
    assert sorted(zip(hits.query.tolist(), hits.row.tolist(), strict=True)) == [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
    ]
    assert NearDupIndex.read_revision(tmp_path / "ix") == 4


def test_batch_query_many() -> None:
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta", "zeta", "eta"]
    texts = [" ".join(rng.choice(words, 18)) + f" {i}" for i in range(500)]
    idx = build(texts)
    hits = idx.query(signatures(texts[:50]))
    for i in range(50):
        assert i in hits.row[hits.query == i].tolist()


def test_semantic_method() -> None:
    pytest.importorskip("nazar.embed.encoder")
    from nazar.match.parallel import PARALLEL
    from nazar.match.semantic import SemanticIndex, embed

    bank = [s["ar"] for s in PARALLEL[:6]]
    index = SemanticIndex.from_vectors(range(6), ["ar"] * 6, embed(bank))
    queries = [PARALLEL[0]["ru"], PARALLEL[1]["en"], PARALLEL[5]["ru"], UNRELATED[0]]
    res = index.search(embed(queries), ["ru", "en", "ru", "en"])
    assert res[0] and res[0][0][0] == 0
    assert res[1] and res[1][0][0] == 1
    assert res[2] and res[2][0][0] == 5
    assert res[3] == []
    from nazar.match.semantic import pair_threshold

    limit = max(pair_threshold("ar", lg) for lg in ("en", "ru", "kk"))
    assert all(0.0 <= d <= limit for r in res for _, d in r)
    # An explicit threshold overrides the per-pair table; k limits the answers.
    loose = index.search(embed([UNRELATED[0]]), ["en"], max_distance=1.0, k=2)
    assert len(loose[0]) == 2 and loose[0][0][1] <= loose[0][1][1]
