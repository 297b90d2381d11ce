from __future__ import annotations

import numpy as np

from nazar.counter.catalogue import CounterItem, starter_catalogue
from nazar.counter.suggest import (
    LexicalSimilarity,
    Post,
    Suggester,
    reader_languages,
    suggest,
)
from nazar.types import Narrative, Verdict


def _item(item_id: str, langs: list[str], themes: list[str], status: str = "approved"):
    return CounterItem(
        item_id=item_id,
        title=f"title {item_id}",
        kind="article",
        langs=langs,
        themes=themes,
        summary="a summary",
        review_status=status,
    )


def _flat(posts: object, items: object) -> np.ndarray:
    # Same closeness for every item: the ranking must come from themes and language alone.
    return np.zeros((len(posts), len(items)), dtype=np.float32)  # type: ignore[arg-type]


def test_reader_languages_table() -> None:
    assert reader_languages("kk") == ("kk", "ru", "en")
    assert reader_languages("ru") == ("ru", "en")
    assert reader_languages("ar") == ("ar", "en")
    assert reader_languages("en") == ("en",)
    assert reader_languages("und")[0] == "en"


def test_same_language_and_matching_theme_first() -> None:
    catalogue = [
        _item("kk-other", ["kk"], ["dehumanization"]),
        _item("ru-match", ["ru"], ["takfir"]),
        _item("kk-match", ["kk"], ["takfir"]),
        _item("en-match", ["en"], ["takfir"]),
        _item("ar-match", ["ar"], ["takfir"]),
    ]
    out = Suggester(catalogue, similarity=_flat).suggest("text", "kk", ["takfir"], k=5)
    ids = [s.item_id for s in out]
    assert ids[:3] == ["kk-match", "ru-match", "en-match"]
    assert "ar-match" not in ids  # a Kazakh reader is not assumed to read Arabic
    assert out[0].why.startswith("answers takfir; same language (kk)")
    assert "in ru, which kk readers often read" in out[1].why


def test_retired_and_draft_excluded_unless_asked() -> None:
    catalogue = [
        _item("old", ["en"], ["takfir"], "retired"),
        _item("new", ["en"], ["takfir"], "draft"),
        _item("ok", ["en"], ["military_might"]),
    ]
    ids = [s.item_id for s in Suggester(catalogue, similarity=_flat).suggest("t", "en", ["takfir"])]
    assert ids == ["ok"]
    drafts = Suggester(catalogue, similarity=_flat, statuses=("approved", "draft"))
    assert [s.item_id for s in drafts.suggest("t", "en", ["takfir"])] == ["new", "ok"]


def test_focused_item_beats_broad_one() -> None:
    catalogue = [
        _item("broad", ["en"], ["takfir", "military_might", "call_to_join"]),
        _item("focused", ["en"], ["takfir"]),
    ]
    out = Suggester(catalogue, similarity=_flat).suggest("t", "en", ["takfir"])
    assert [s.item_id for s in out] == ["focused", "broad"]


def test_lexical_similarity_prefers_shared_words() -> None:
    sim = LexicalSimilarity()
    m = sim(["the martyr and paradise"], ["paradise awaits the martyr", "football results"])
    assert m.shape == (1, 2) and m[0, 0] > m[0, 1] >= 0


def test_starter_catalogue_end_to_end_lexical() -> None:
    text = "Шахида в раю ждут гурии. Брат, присоединяйся к каравану Халифата."
    out = suggest(
        text,
        k=5,
        themes=["martyrdom_reward", "call_to_join"],
        lang="ru",
        similarity="lexical",
    )
    assert len(out) == 5
    assert all(s.lang in ("ru", "en") for s in out)
    assert out[0].lang == "ru" and {"martyrdom_reward", "call_to_join"} & set(out[0].themes)
    assert all(s.item_id.startswith("ex-") for s in out)
    retired = {i.item_id for i in starter_catalogue() if i.review_status != "approved"}
    assert not retired & {s.item_id for s in out}


def test_suggest_accepts_a_verdict() -> None:
    verdict = Verdict(
        id="1",
        label="violent_extremist",
        flagged=True,
        score=0.9,
        scores={},
        lang="ar",
        themes=["takfir"],
        evidence=[],
        model="m",
    )
    out = suggest(verdict, text="شرطة الطاغوت مرتدون", similarity="lexical", k=3)
    assert [s.lang for s in out] == ["ar", "ar", "ar"]
    assert all("takfir" in s.themes for s in out)


def test_no_themes_ranks_by_content() -> None:
    catalogue = [_item("a", ["en"], ["takfir"]), _item("b", ["en"], ["takfir"])]
    catalogue[1].summary = "paradise and the martyr"
    out = Suggester(catalogue, similarity=LexicalSimilarity()).suggest_many(
        [Post("the martyr in paradise", "en", [])], k=2
    )[0]
    assert out[0].item_id == "b" and "no themes found" in out[0].why


def test_detector_weights_put_the_surest_narrative_first() -> None:
    # Both themes passed the narrative threshold, but the detector is much surer of takfir:
    # its material comes first. As a plain set of themes the two items would tie.
    catalogue = [_item("grief", ["en"], ["revenge_grievance"]), _item("takfir", ["en"], ["takfir"])]
    themes = ["takfir", "revenge_grievance"]
    weighted = Post("t", "en", themes, {"takfir": 0.9, "revenge_grievance": 0.3, "utopia": 0.0})
    out = Suggester(catalogue, similarity=_flat).suggest_many([weighted], k=2)[0]
    assert [s.item_id for s in out] == ["takfir", "grief"]
    assert out[0].score > out[1].score > 0
    # The reason names only the themes that passed the threshold, not every weighted one.
    assert out[1].why.startswith("answers revenge_grievance;")
    plain = Suggester(catalogue, similarity=_flat).suggest_many([Post("t", "en", themes)], k=2)[0]
    assert plain[0].score == plain[1].score


def test_suggest_uses_the_detectors_weights() -> None:
    class Stub:
        def narratives(self, texts):
            return [
                Narrative(
                    "en", ["takfir", "dehumanization"], {"takfir": 0.2, "dehumanization": 0.8}
                )
            ]

    catalogue = [_item("t", ["en"], ["takfir"]), _item("d", ["en"], ["dehumanization"])]
    out = suggest("text", catalogue, k=2, detector=Stub(), similarity=_flat)
    assert [s.item_id for s in out] == ["d", "t"]
    # Themes the caller gives count fully, whatever the detector thinks.
    given = suggest("text", catalogue, k=2, detector=Stub(), similarity=_flat, themes=["takfir"])
    assert given[0].item_id == "t"


class CountingEncoder:
    model_id = "counting-test-encoder"
    dim = 8

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts, batch_size: int = 64) -> np.ndarray:
        self.encoded += list(texts)
        rng = [np.random.default_rng(sum(map(ord, t))).normal(size=self.dim) for t in texts]
        return np.array([v / np.linalg.norm(v) for v in rng], dtype=np.float32)


def test_encoder_similarity_reuses_the_detectors_embeddings(tmp_path) -> None:
    """A post the ensemble embedded for its narratives is not encoded again for closeness."""
    from nazar.counter.suggest import EncoderSimilarity
    from nazar.detect.semantic import embed
    from nazar.embed.cache import EmbeddingCache

    enc = CountingEncoder()
    cache = EmbeddingCache(enc.model_id, enc.dim, path=tmp_path / "cache.sqlite")
    post = "RT @user: the martyr in paradise https://t.co/x"
    narrative_vec = embed([post], encoder=enc, cache=cache)  # what the ensemble does first
    sim = EncoderSimilarity(enc, cache=cache)
    out = sim([post], ["item one", "item two"])
    assert out.shape == (1, 2)
    assert len(enc.encoded) == 3  # the post once, each item once
    items = embed(["item one", "item two"], encoder=enc, cache=cache)
    assert np.allclose(out[0], items @ narrative_vec[0], atol=1e-6)
    sim([post], ["item one", "item two"])  # items are kept, the post comes from the cache
    assert len(enc.encoded) == 3
