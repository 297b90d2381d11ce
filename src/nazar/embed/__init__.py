"""Multilingual sentence embeddings (multilingual-e5-small) with a persistent cache.

``load_encoder().encode(texts)`` gives float32 [n, 384] unit vectors; ``embed_texts(texts)``
prepares the texts (Kazakh Latin -> Cyrillic) and computes only what the cache lacks.
"""

from nazar.embed.cache import EmbeddingCache, embed_texts
from nazar.embed.encoder import Encoder, load_encoder, prepare_text

__all__ = ["EmbeddingCache", "Encoder", "embed_texts", "load_encoder", "prepare_text"]
