"""The routed ensemble: routing, output contract, nearest-example evidence, build determinism,
calibration. A fake encoder (hash-seeded unit vectors) keeps these fast; the real encoder's
numerics are tested with the encoder."""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pytest

from nazar.detect.build_semantic import fit_bundle, fold_of, semantic_subset
from nazar.detect.ensemble import EnsembleDetector, Routing, SemanticBundle, Stacker
from nazar.detect.evaluation import expected_calibration_error
from nazar.detect.semantic import SemanticHead
from nazar.detect.training import LabelledText
from nazar.types import LABELS, POSITIVE_LABEL, Item

DIM = 384


def fake_vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
    v = np.random.default_rng(seed).normal(size=DIM)
    return (v / np.linalg.norm(v)).astype(np.float32)


class FakeEncoder:
    model_id = "fake-encoder"
    dim = DIM

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts, batch_size: int = 64) -> np.ndarray:
        self.calls += len(texts)
        return np.stack([fake_vector(t) for t in texts]) if texts else np.zeros((0, DIM))


TEXTS = {
    "violent_extremist": [
        "Brothers, make hijra to the land of the Caliphate and give bay'ah to the Khalifah now.",
        "Our brother, may Allah accept him, struck the apostates in a blessed martyrdom operation.",
        "Братья, вступайте в ряды моджахедов Халифата, хиджра — это обязанность.",
    ],
    "news": [
        "The group said one of its members carried out the attack, according to officials.",
        "Суд приговорил троих вернувшихся из Сирии к срокам заключения, сообщает агентство.",
    ],
    "counter_narrative": [
        "I went to Syria and there was no religion there, only lies; do not believe recruiters.",
        "Я вернулся оттуда: это была глупость, там не было ислама, не слушайте вербовщиков.",
    ],
    "religious": [
        "May Allah accept our fasting and prayers this Ramadan.",
        "The Prophet said: the strong man is the one who controls himself when angry (Bukhari).",
    ],
    "other": [
        "The match last night was great, what a goal in the last minute!",
        "Купил новый телефон, камера отличная, батарея держит два дня.",
    ],
}


def tiny_records() -> list[LabelledText]:
    return [
        LabelledText(text=t, label=label, lang="ru" if "а" in t else "en", id=f"{label}-{i}")
        for label, texts in TEXTS.items()
        for i, t in enumerate(texts * 3)  # repeated so every fold has every label
    ]


@pytest.fixture(scope="module")
def bundle(detector) -> SemanticBundle:
    records = tiny_records()
    X = np.stack([fake_vector(r.text + str(k)) for k, r in enumerate(records)])
    # The char side's out-of-fold probabilities: the shipped detector's, to keep this fast.
    verdicts = detector.classify_texts([r.text for r in records])
    char = np.array([[v.scores[lab] for lab in LABELS] for v in verdicts])
    b = fit_bundle(records, records, X, detector, "fake-encoder", char_oof=char)
    b.routing = Routing(band=(0.05, 0.9))
    return b


def ensemble(detector, bundle, mode: str) -> tuple[EnsembleDetector, FakeEncoder]:
    enc = FakeEncoder()
    return EnsembleDetector(detector, bundle, mode=mode, encoder=enc), enc


ALL_TEXTS = [t for texts in TEXTS.values() for t in texts] + ["lol", "😂😂"]


def test_routing_skips_the_encoder_on_confident_texts(detector, bundle):
    ens, enc = ensemble(detector, bundle, "routed")
    char = detector.classify_texts(ALL_TEXTS)
    unsure = [v for v in char if 0.05 <= v.score < 0.9]
    verdicts = ens.classify_texts(ALL_TEXTS)
    assert enc.calls == len(unsure) == ens.encoder_calls
    assert len(unsure) < len(ALL_TEXTS)
    for c, v in zip(char, verdicts, strict=True):
        if not 0.05 <= c.score < 0.9:  # confident: the char verdict stands
            assert (v.label, v.score, v.scores) == (c.label, c.score, c.scores)


def test_unsure_texts_use_the_encoder(detector, bundle):
    char = detector.classify_texts(ALL_TEXTS)
    scores = sorted(v.score for v in char)
    b = SemanticBundle(bundle.head, bundle.stacker, Routing(band=(scores[0], 1.1)))
    ens, enc = ensemble(detector, b, "routed")
    ens.classify_texts(ALL_TEXTS)
    assert enc.calls == len(ALL_TEXTS)


def test_unknown_language_is_routed(detector, bundle):
    b = SemanticBundle(bundle.head, bundle.stacker, Routing(band=(2.0, 3.0)))
    ens, enc = ensemble(detector, b, "routed")
    text = "Bugün hava çok güzel, arkadaşlarla parka gittik ve çay içtik."
    v = ens.classify_texts([text, "The weather is lovely today, we went to the park."])
    assert v[0].lang not in ("ar", "ru", "kk", "en", "und")
    assert enc.calls == 1


def test_full_always_and_fast_never_use_the_encoder(detector, bundle):
    ens, enc = ensemble(detector, bundle, "full")
    ens.classify_texts(ALL_TEXTS)
    assert enc.calls == len(ALL_TEXTS)
    ens, enc = ensemble(detector, bundle, "fast")
    verdicts = ens.classify_texts(ALL_TEXTS)
    assert enc.calls == 0
    assert [v.to_dict() for v in verdicts] == [
        v.to_dict() for v in detector.classify_texts(ALL_TEXTS)
    ]


@pytest.mark.parametrize("mode", ["routed", "full"])
def test_output_contract_unchanged(detector, bundle, mode):
    ens, _ = ensemble(detector, bundle, mode)
    items = [Item(id="a", text=ALL_TEXTS[0], input={"src": "x"}), Item(id="b", text=None)]
    items[1].error = "no text"
    got = [v.to_dict() for v in ens.classify(items)]
    want = [v.to_dict() for v in detector.classify(items)]
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w)  # same fields, same order
        assert g["id"] == w["id"] and g["input"] == w["input"]
    ok = got[0]
    assert ok["flagged"] == (ok["label"] == POSITIVE_LABEL)
    assert ok["score"] == ok["scores"][POSITIVE_LABEL]
    assert ok["label"] in LABELS and abs(sum(ok["scores"].values()) - 1) < 1e-3
    assert ok["model"] == f"{detector.version}+{bundle.version}"
    for ev in ok["evidence"]:
        assert ALL_TEXTS[0][ev["start"] : ev["end"]] == ev["text"] or ev["start"] == 0
    assert got[1]["error"] == "no text"


def test_stream_with_workers_matches_classify(detector, bundle):
    ens, _ = ensemble(detector, bundle, "full")
    items = [Item(id=str(i), text=t) for i, t in enumerate(ALL_TEXTS * 3)]
    want = [v.to_dict() for v in ens.classify(items)]
    got = [v.to_dict() for v in ens.classify_stream(iter(items), batch_size=4, workers=2)]
    assert got == want


def test_nearest_example_evidence(detector):
    text = "Brothers, make hijra to the land of the Caliphate and give bay'ah to the Khalifah now."
    records = tiny_records()
    X = np.stack([fake_vector(r.text) for r in records])
    head = SemanticHead(calibration_folds=2).fit(
        X, [r.label for r in records], ids=[r.id for r in records]
    )
    ev = head.evidence(text, fake_vector(text), POSITIVE_LABEL)
    assert ev, "the identical training example is found"
    assert (ev[0].start, ev[0].end, ev[0].text) == (0, len(text), text[:80])
    assert ev[0].why.startswith("semantic: close to known violent_extremist example violent_")
    assert "(cosine 1.00)" in ev[0].why
    # A flagged verdict of the full ensemble carries such entries after the char evidence.
    near = head.nearest(fake_vector(text)[None, :], label="news", k=1)[0]
    assert near[0][1] == "news"


def test_build_is_deterministic(detector, tmp_path):
    records = tiny_records()
    X = np.stack([fake_vector(r.text + str(k)) for k, r in enumerate(records)])
    char = np.full((len(records), len(LABELS)), 0.2)
    a = fit_bundle(records, records, X, detector, "fake", char_oof=char)
    b = fit_bundle(records, records, X, detector, "fake", char_oof=char)
    assert a.version == b.version
    a.save(tmp_path / "a.npz")
    loaded = SemanticBundle.load(tmp_path / "a.npz")
    assert loaded.version == a.version
    assert np.allclose(loaded.head.predict_proba(X[:3]), a.head.predict_proba(X[:3]), atol=1e-5)
    assert semantic_subset(records) == records  # small sources are kept whole
    assert (fold_of(records) == fold_of(records)).all()


def test_stacker_is_calibrated_on_synthetic_data():
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.integers(0, 5, n)
    # Two noisy, overconfident views of the label.
    views = []
    for noise in (1.5, 2.0):
        z = rng.normal(0, noise, (n, 5))
        z[np.arange(n), y] += 2.0
        views.append(np.log(np.exp(3 * z) / np.exp(3 * z).sum(1, keepdims=True)))
    st = Stacker().fit(views[0][:3000], views[1][:3000], y[:3000], np.ones(3000))
    p = st.predict_proba(views[0][3000:], views[1][3000:])
    assert np.allclose(p.sum(1), 1.0)
    gold = (y[3000:] == 0).astype(float)
    raw = np.exp(views[0][3000:, 0])
    assert expected_calibration_error(gold, p[:, 0]) < 0.05
    assert expected_calibration_error(gold, p[:, 0]) < expected_calibration_error(gold, raw)


def _sure_head(head: SemanticHead, theme: str) -> SemanticHead:
    """A copy of ``head`` certain that every text uses ``theme`` and no other."""
    sure = copy.copy(head)
    sure.theme_coef_ = np.zeros_like(head.theme_coef_)
    sure.theme_intercept_ = np.where(np.array(head.themes) == theme, 20.0, -20.0).astype(np.float32)
    return sure


def test_narratives_join_the_char_model_and_the_semantic_head(detector, bundle):
    head = _sure_head(bundle.head, "takfir")
    b = SemanticBundle(head, bundle.stacker, bundle.routing)
    ens = EnsembleDetector(detector, b, mode="fast", encoder=FakeEncoder())
    texts = ALL_TEXTS[:7]
    langs, _, cues = detector.narrative_scores(texts)
    for found, char_lang, cue in zip(ens.narratives(texts), langs, cues, strict=True):
        assert found.lang == char_lang
        # The head is sure of takfir, so the mean is >= 0.5 whatever the char model says;
        # it rules the others out, so they need a lexicon cue.
        assert found.themes[0] == "takfir"
        assert set(found.themes[1:]) <= set(cue)
        # The weights are the joint probabilities: takfir's is the largest.
        assert max(found.weights, key=found.weights.get) == "takfir"
        assert found.weights["takfir"] >= 0.5


class BrokenEncoder(FakeEncoder):
    def encode(self, texts, batch_size: int = 64) -> np.ndarray:
        raise OSError("weights missing")


def test_narratives_fall_back_to_the_char_model_without_an_encoder(detector, bundle, capsys):
    ens = EnsembleDetector(detector, bundle, mode="fast", encoder=BrokenEncoder())
    assert ens.narratives(ALL_TEXTS) == detector.narratives(ALL_TEXTS)
    assert "char themes only" in capsys.readouterr().err


def test_theme_only_rows_teach_the_heads_themes_not_its_labels(detector):
    """Rows from the theme-only corpus files reach the head's theme taggers alone: its labels,
    calibration and bank of nearest examples are the same with and without them."""
    records = tiny_records()
    X = np.stack([fake_vector(r.text + str(k)) for k, r in enumerate(records)])
    verdicts = detector.classify_texts([r.text for r in records])
    char = np.array([[v.scores[lab] for lab in LABELS] for v in verdicts])
    for r in records[:3]:
        r.themes = ["call_to_join"]
    utopia = [
        LabelledText(f"utopia {i}", POSITIVE_LABEL, "en", ["utopia_governance"], themes_only=True)
        for i in range(6)
    ]
    direction = fake_vector("life under the group is just")
    U = np.stack([direction + 0.05 * fake_vector(r.text) for r in utopia])
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    plain = fit_bundle(records, records, X, detector, "fake", char_oof=char)
    more = fit_bundle(records, records, X, detector, "fake", char_oof=char, theme_rows=(utopia, U))
    k = more.head.themes.index("utopia_governance")
    assert plain.head.theme_proba(direction[None])[0, k] < 0.01  # never saw the theme
    assert more.head.theme_proba(direction[None])[0, k] > 0.5
    assert np.array_equal(plain.head.coef_, more.head.coef_)
    assert np.array_equal(plain.head.bank_ids, more.head.bank_ids)
