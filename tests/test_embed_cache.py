"""The SQLite embedding cache and embed_texts: only missing vectors are computed."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from nazar.embed.cache import EmbeddingCache, embed_texts, text_key


class CountingEncoder:
    """Deterministic fake: a vector from the text's hash; counts the texts it is asked for."""

    model_id = "fake-model-v1"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.stack(
            [np.random.default_rng(int.from_bytes(text_key(t)[:4])).normal(size=8) for t in texts]
        ).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    @property
    def n_encoded(self) -> int:
        return sum(len(c) for c in self.calls)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NAZAR_HOME", str(tmp_path))
    return tmp_path


def test_file_location_and_wal(home: Path) -> None:
    cache = EmbeddingCache("fake-model-v1", 8)
    assert cache.path == home / "cache" / "embeddings-fake-model-v1.sqlite"
    cache.put_many([(text_key("a"), np.ones(8, np.float32))])
    con = sqlite3.connect(cache.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 1


def test_hits_are_not_recomputed(home: Path) -> None:
    enc = CountingEncoder()
    cache = EmbeddingCache(enc.model_id, enc.dim)
    first = embed_texts(["one", "two", "three"], enc, cache)
    assert enc.n_encoded == 3
    again = embed_texts(["three", "one", "two"], enc, cache)
    assert enc.n_encoded == 3  # all hits
    assert np.array_equal(again, first[[2, 0, 1]])
    embed_texts(["one", "four", "four", "  four  "], enc, cache)
    assert enc.calls[-1] == ["four"]  # a miss once, duplicates and padding folded together
    assert len(cache) == 4


def test_another_process_sees_the_vectors(home: Path) -> None:
    enc = CountingEncoder()
    embed_texts(["shared text"], enc, EmbeddingCache(enc.model_id, enc.dim))
    other = EmbeddingCache(enc.model_id, enc.dim)  # a fresh connection, as another process
    got = other.get_many([text_key("shared text"), text_key("absent")])
    assert list(got) == [text_key("shared text")]
    assert got[text_key("shared text")].shape == (8,)


def test_cache_disabled_and_other_model(home: Path) -> None:
    enc = CountingEncoder()
    embed_texts(["x", "y"], enc, False)
    embed_texts(["x", "y"], enc, False)
    assert enc.n_encoded == 4
    assert not (home / "cache" / "embeddings-fake-model-v1.sqlite").exists()
    embed_texts(["x"], enc)  # default cache: the model's own file under NAZAR_HOME
    assert (home / "cache" / "embeddings-fake-model-v1.sqlite").exists()
    assert len(EmbeddingCache("another-model", 8)) == 0


def test_wrong_dimension_is_a_miss(home: Path) -> None:
    cache = EmbeddingCache("m", 8)
    cache.put_many([(text_key("a"), np.ones(4, np.float32))])
    assert cache.get_many([text_key("a")]) == {}


def test_kazakh_latin_shares_the_cyrillic_entry(home: Path) -> None:
    enc = CountingEncoder()
    cache = EmbeddingCache(enc.model_id, enc.dim)
    embed_texts(["Men Almatyda turamyn, bul qala óte ádemi jáne úlken."], enc, cache)
    assert enc.calls[0][0].startswith("Мен")
