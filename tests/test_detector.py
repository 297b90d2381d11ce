"""The detector as a library: parallel scoring keeps order and results, the lexicon explains."""

from __future__ import annotations

from nazar.detect.lexicon import Lexicon
from nazar.detect.pipeline import Detector
from nazar.text import normalize
from nazar.types import Item

TEXTS = [
    "Brothers, make hijra to the land of the Khilafah and give bay'ah!",
    "The court sentenced the man to six years, officials said.",
    "Ораза айтыңыз құтты болсын!",
    "الدولة الإسلامية باقية وتتمدد",
    "Пусть Аллах примет наши молитвы",
    "What a goal in the last minute!",
] * 5


def test_parallel_stream_matches_sequential_and_keeps_order() -> None:
    detector = Detector.load()
    items = [Item(id=f"i{k}", text=t) for k, t in enumerate(TEXTS)]
    sequential = list(detector.classify_stream(items, batch_size=4, workers=1))
    parallel = list(detector.classify_stream(items, batch_size=4, workers=2))
    assert [v.id for v in parallel] == [f"i{k}" for k in range(len(TEXTS))]
    assert [v.to_dict() for v in parallel] == [v.to_dict() for v in sequential]


def test_lexicon_finds_cues_both_ways_in_normalised_text() -> None:
    lexicon = Lexicon.default()
    assert set(lexicon.languages) == {"ar", "ru", "kk", "en"}
    pro = lexicon.find(normalize("Братья, совершайте хиджру в халифат!").text)
    assert any(h.cue.cue == "call_to_join" for h in pro)
    away = lexicon.find(normalize("The group claimed the attack, according to officials").text)
    assert {h.cue.cue for h in away} == {"attribution"}
    assert not lexicon.find(normalize("Great match last night, what a goal!").text)


def test_lexicon_alone_does_not_flag_news_that_names_the_group() -> None:
    detector = Detector.load()
    (verdict,) = detector.classify_texts(
        [
            "The Islamic State claimed responsibility for the attack, according to Amaq, "
            "officials said; the caliphate it declared in 2014 collapsed in 2019."
        ]
    )
    assert not verdict.flagged and verdict.label == "news"
    assert any("attribution" in e.why for e in verdict.evidence)


def test_short_texts_need_a_cue_to_be_flagged() -> None:
    detector = Detector.load()
    chatter, name, slogan = detector.classify_texts(["lol", "ISIS", "باقية وتتمدد"])
    assert not chatter.flagged and chatter.label == "other"
    assert not name.flagged  # naming a group is not a voice: reporters name it too
    assert slogan.flagged and slogan.evidence  # the group's slogan is one


def test_the_label_prior_alone_does_not_make_propaganda(detector) -> None:
    """Words the model has no opinion of (made-up, or everyday chatter of a kind it never saw
    labelled) are not propaganda because the propaganda sources were short tweets; a chant that
    repeats one word counts that word once."""
    texts = [
        "قصتف بلمند شعوك نتلي مرغاص",  # made-up Arabic words
        "Pakistan win the series 3-2. Well done!",
        "يا شريفه يا شريفه يا شريفه يا شريفه",
    ]
    for verdict in detector.classify_texts(texts):
        assert not verdict.flagged and verdict.score < 0.5, verdict
    (claim,) = detector.classify_texts(
        ["Our brother, may Allah accept him, struck the apostates in a blessed operation."]
    )
    assert claim.flagged


def test_worship_in_languages_outside_the_four_is_not_flagged(detector) -> None:
    """The only texts of other languages the model once saw were pro-ISIS tweets, and it
    flagged most Quran verses in Turkish and German. Everyday prayers there are not propaganda."""
    prayers = [
        "Allah'ım, anneme ve babama rahmet eyle, onları bağışla ve bize sabır ver.",
        "Heute Abend beten wir gemeinsam in der Moschee für die Kranken unserer Gemeinde.",
        "Ramazan ayınız mübarek olsun, Allah oruçlarımızı ve dualarımızı kabul etsin.",
    ]
    for verdict in detector.classify_texts(prayers):
        assert not verdict.flagged, verdict


def test_verdict_to_dict_writes_every_field() -> None:
    """``to_dict`` is written out by hand (for speed): a field added to ``Verdict`` must not be
    silently left out of the CLI's output."""
    from dataclasses import fields

    from nazar.types import Evidence, Verdict

    v = Verdict(
        id="1", label="other", flagged=False, score=0.1, scores={"other": 0.9}, lang="en",
        themes=["takfir"], evidence=[Evidence(0, 3, "abc", "why")], model="m",
        input={"a": 1}, error="bad", warnings=["w"],
    )  # fmt: skip
    out = v.to_dict()
    assert list(out) == [f.name for f in fields(Verdict)]
    assert out["evidence"] == [{"start": 0, "end": 3, "text": "abc", "why": "why"}]
    quiet = Verdict("2", "other", False, 0.1, {}, "en", [], [], "m").to_dict()
    assert "error" not in quiet and "warnings" not in quiet
