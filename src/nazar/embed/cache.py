"""A persistent cache of sentence embeddings: one SQLite file per model under $NAZAR_HOME/cache.

The key is the SHA-256 of the prepared text (``prepare_text``: what the encoder actually sees),
so the same post arriving twice, from any process, is encoded once. The file uses WAL so that
several processes (the CLI, the monitor's workers) read while one writes; writes are batched
in one transaction and ``INSERT OR IGNORE`` makes racing writers of the same text harmless
(they computed the same vector).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nazar.paths import nazar_home

if TYPE_CHECKING:
    from nazar.embed.encoder import Encoder

_CHUNK = 500  # keys per SELECT: below SQLite's bound-parameter limit on old builds (999)


def text_key(prepared: str) -> bytes:
    return hashlib.sha256(prepared.encode("utf-8", errors="surrogatepass")).digest()


class EmbeddingCache:
    """Vectors by text hash, for one model (``model_id``) and dimension."""

    def __init__(self, model_id: str, dim: int, path: str | Path | None = None) -> None:
        self.model_id = model_id
        self.dim = dim
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)
        self.path = Path(path) if path else nazar_home() / "cache" / f"embeddings-{safe}.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        con = self._con()
        with con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)"
                " WITHOUT ROWID"
            )

    def _con(self) -> sqlite3.Connection:
        # One connection per thread: sqlite3 connections must not cross threads.
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable enough for a cache (a crash loses at most the last batch).
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA busy_timeout=60000")
            self._local.con = con
        return con

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among ``keys`` (missing keys are simply absent)."""
        out: dict[bytes, np.ndarray] = {}
        con = self._con()
        uniq = list(dict.fromkeys(keys))
        for i in range(0, len(uniq), _CHUNK):
            part = uniq[i : i + _CHUNK]
            marks = ",".join("?" * len(part))
            rows = con.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part)
            for key, blob in rows:
                vec = np.frombuffer(blob, np.float32)
                if vec.shape[0] == self.dim:  # a foreign or truncated row is a miss
                    out[bytes(key)] = vec
        return out

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> int:
        """Store vectors in one transaction; returns how many rows were offered."""
        rows = [(k, np.asarray(v, np.float32).tobytes()) for k, v in items]
        if not rows:
            return 0
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)", rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return len(rows)

    def __len__(self) -> int:
        return int(self._con().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def embed_texts(
    texts: Sequence[str],
    encoder: Encoder | None = None,
    cache: EmbeddingCache | bool | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Embeddings of ``texts`` (float32 [n, dim], unit rows), computing only what is missing.

    Texts go through ``prepare_text`` first. ``cache=None`` uses the model's cache under
    $NAZAR_HOME; ``cache=False`` disables caching. Duplicates within ``texts`` are encoded once.
    """
    from nazar.embed.encoder import load_encoder, prepare_text

    enc = encoder or load_encoder()
    prepared = [prepare_text(t) for t in texts]
    out = np.zeros((len(prepared), enc.dim), np.float32)
    if not prepared:
        return out
    keys = [text_key(p) for p in prepared]
    store: EmbeddingCache | None
    if cache is None or cache is True:
        store = EmbeddingCache(enc.model_id, enc.dim)
    else:
        # Not ``cache or None``: an empty cache has len() 0 and would read as false.
        store = None if cache is False else cache
    found = store.get_many(keys) if store is not None else {}
    todo: dict[bytes, str] = {}
    for k, p in zip(keys, prepared, strict=True):
        if k not in found and k not in todo:
            todo[k] = p
    if todo:
        vecs = enc.encode(list(todo.values()), batch_size=batch_size)
        fresh = dict(zip(todo, vecs, strict=True))
        if store is not None:
            store.put_many(fresh.items())
        found.update(fresh)
    for i, k in enumerate(keys):
        out[i] = found[k]
    return out
