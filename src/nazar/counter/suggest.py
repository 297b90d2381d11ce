"""Suggest counter-narrative material for a post: the items that answer its narrative, in a
language its reader reads, closest in content first.

The Redirect Method's lesson is that credible material works when it answers the narrative a
person is drawn by. So an item's score combines three things:

* **theme overlap** between the post's themes and the themes the item answers: the cosine of
  the post's theme weights (the detector's probability of each theme, or 1 for each theme a
  person gave) and the item's themes, so a focused item beats one that answers everything and
  the narrative the detector is surest of counts most. With plain sets of themes, one doubtful
  extra theme would put its items level with those answering the post's main claim;
* **language**: the post's own language first, then the languages its readers likely read
  (``READER_LANGUAGES``); items in other languages are not suggested at all;
* **closeness in content** between the post and the item's title and summary: a pluggable
  ``similarity`` (the multilingual sentence encoder of ``nazar.embed`` when it is installed,
  else character n-gram TF-IDF cosine over normalised text).

    score = language_weight * (THEME_WEIGHT * theme_overlap + SIMILARITY_WEIGHT * closeness)

where ``closeness`` is the similarity rescaled to [0, 1] among the candidates (min-max), since
raw cosines of different similarity functions live on very different scales.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from nazar.counter.catalogue import CounterItem, starter_catalogue
from nazar.types import LANGUAGES, Narrative, Verdict

# Which languages a post's reader likely reads, in order of preference. Most Kazakh speakers
# read Russian (bilingual country) and English is the common second language of the others;
# Russian readers are not assumed to read Kazakh. Languages not listed get their own, then
# English, then the rest.
READER_LANGUAGES: dict[str, tuple[str, ...]] = {
    "kk": ("kk", "ru", "en"),
    "ru": ("ru", "en"),
    "ar": ("ar", "en"),
    "en": ("en",),
}
# Weight of an item by the position of its language in the reader's list: material in the
# reader's own language is much more credible than a translation-requiring one.
LANGUAGE_WEIGHTS: tuple[float, ...] = (1.0, 0.6, 0.45, 0.35, 0.3)
THEME_WEIGHT = 0.6
SIMILARITY_WEIGHT = 0.4
# Above this rescaled closeness the ``why`` says "close in content".
CLOSE = 0.5
DEFAULT_STATUSES: tuple[str, ...] = ("approved",)

# similarity(posts, items) -> array (len(posts), len(items)) of similarities in [-1, 1].
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


@dataclass(slots=True)
class Suggestion:
    """One suggested item, with the reason a person can read."""

    item_id: str
    title: str
    lang: str
    themes: list[str]
    score: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Post:
    """What the ranking needs to know about a post.

    ``themes`` are named in each suggestion's reason; ``weights`` (theme -> probability, as
    in ``Narrative.weights``) rank the items when the detector found the themes. Without
    weights every theme in ``themes`` counts fully: themes a person chose are certain.
    """

    text: str
    lang: str
    themes: list[str]
    weights: dict[str, float] | None = None

    @classmethod
    def from_narrative(cls, text: str, narrative: Narrative) -> Post:
        return cls(text, narrative.lang, list(narrative.themes), dict(narrative.weights))

    def theme_weights(self) -> dict[str, float]:
        if self.weights is None:
            return dict.fromkeys(self.themes, 1.0)
        return {t: w for t, w in self.weights.items() if w > 0}


def reader_languages(lang: str) -> tuple[str, ...]:
    """The languages a reader of a post in ``lang`` likely reads, most preferred first."""
    if lang in READER_LANGUAGES:
        return READER_LANGUAGES[lang]
    # Unknown or out-of-scope language: we cannot tell, so offer everything, English first.
    first = (lang,) if lang in LANGUAGES else ()
    rest = tuple(x for x in ("en", *LANGUAGES) if x not in first)
    return first + tuple(dict.fromkeys(rest))


# -- similarity functions --------------------------------------------------------------------
def _char_ngrams(text: str, sizes: tuple[int, ...] = (3, 4)) -> Counter[str]:
    from nazar.text import normalize

    norm = normalize(text).text
    grams: Counter[str] = Counter()
    for word in norm.split():
        # Padding marks word starts and ends, which carry most of a stem's signal.
        padded = f" {word} "
        for n in sizes:
            grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


class LexicalSimilarity:
    """Character n-gram (3–4) TF-IDF cosine over ``nazar.text.normalize``-d text.

    Works offline with no model, within one script; it cannot see that a Kazakh post and a
    Russian item say the same thing (the sentence encoder can). IDF is fitted on the item
    texts, so words every item shares ("the", "group") count for little.
    """

    def __init__(self) -> None:
        self._vectors: dict[str, Counter[str]] = {}
        self._idf_key: tuple[str, ...] | None = None
        self._idf: dict[str, float] = {}
        self._idf_default = 1.0
        self._item_vecs: list[dict[str, float]] = []

    def _grams(self, text: str) -> Counter[str]:
        if text not in self._vectors:
            self._vectors[text] = _char_ngrams(text)
        return self._vectors[text]

    def _weigh(self, grams: Counter[str]) -> dict[str, float]:
        default = self._idf_default
        vec = {g: (1.0 + math.log(c)) * self._idf.get(g, default) for g, c in grams.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def _fit(self, items: Sequence[str]) -> None:
        key = tuple(items)
        if key == self._idf_key:
            return
        df: Counter[str] = Counter()
        for text in items:
            df.update(self._grams(text).keys())
        n = len(items)
        self._idf = {g: math.log((1 + n) / (1 + d)) + 1.0 for g, d in df.items()}
        self._idf_default = math.log(1 + n) + 1.0  # a gram no item has
        self._item_vecs = [self._weigh(self._grams(t)) for t in items]
        self._idf_key = key

    def __call__(self, posts: Sequence[str], items: Sequence[str]) -> np.ndarray:
        self._fit(items)
        out = np.zeros((len(posts), len(items)), dtype=np.float32)
        for i, post in enumerate(posts):
            pv = self._weigh(_char_ngrams(post))
            for j, iv in enumerate(self._item_vecs):
                small, big = (pv, iv) if len(pv) < len(iv) else (iv, pv)
                out[i, j] = sum(v * big.get(g, 0.0) for g, v in small.items())
        return out


class EncoderSimilarity:
    """Cosine of sentence embeddings (any encoder with ``encode(list[str]) -> L2-normalised``).

    Texts are embedded as the detector embeds them (``nazar.detect.semantic.embed``: the same
    cleaned input, through the embedding cache), so a post whose narratives the ensemble just
    found is not encoded a second time. Item embeddings are also kept in memory, so ranking
    many posts looks each item up once.
    """

    def __init__(self, encoder: Any, cache: Any = None) -> None:
        self.encoder = encoder
        self.cache = cache  # an EmbeddingCache, None for the encoder's own, False for none
        self._items: dict[str, np.ndarray] = {}

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        from nazar.detect.semantic import embed

        return embed(list(texts), encoder=self.encoder, cache=self.cache)

    def __call__(self, posts: Sequence[str], items: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(items) if t not in self._items]
        if missing:
            self._items.update(zip(missing, self._embed(missing), strict=True))
        if not posts or not items:
            return np.zeros((len(posts), len(items)), dtype=np.float32)
        item_mat = np.stack([self._items[t] for t in items])
        return self._embed(posts) @ item_mat.T


@lru_cache(maxsize=1)
def _default_encoder() -> Any:
    from nazar.embed.encoder import load_encoder  # written in parallel; may be absent

    return load_encoder()


def resolve_similarity(similarity: Similarity | str | None = None, encoder: Any = None) -> Any:
    """A similarity callable from a name (``auto``, ``encoder``, ``lexical``) or a callable.

    ``auto`` (the default) uses the sentence encoder when ``nazar.embed`` is installed and its
    weights load, else the lexical fallback, so suggestions work on every installation.
    """
    if encoder is not None:
        return EncoderSimilarity(encoder)
    if callable(similarity):
        return similarity
    name = similarity or "auto"
    if name == "lexical":
        return LexicalSimilarity()
    if name not in ("auto", "encoder"):
        raise ValueError(f"unknown similarity {name!r} (auto, encoder or lexical)")
    try:
        return EncoderSimilarity(_default_encoder())
    except (ImportError, OSError, RuntimeError, ValueError):
        if name == "encoder":
            raise
        return LexicalSimilarity()


# -- ranking ---------------------------------------------------------------------------------
def _item_text(item: CounterItem) -> str:
    return f"{item.title}. {item.summary}"


def _theme_overlap(post: dict[str, float], item: list[str]) -> float:
    """Cosine between the post's theme weights and the item's themes (each weighing 1)."""
    shared = sum(post.get(t, 0.0) for t in item)
    if not shared:
        return 0.0
    return shared / math.sqrt(sum(w * w for w in post.values()) * len(item))


def _why(shared: list[str], post: Post, lang: str, raw_sim: float, closeness: float) -> str:
    if shared:
        parts = ["answers " + ", ".join(shared)]
    elif post.themes:
        parts = ["answers none of the post's themes"]
    else:
        parts = ["no themes found in the post"]
    if lang == post.lang:
        parts.append(f"same language ({lang})")
    else:
        parts.append(f"in {lang}, which {post.lang} readers often read")
    parts.append(
        f"close in content ({raw_sim:.2f})"
        if closeness >= CLOSE
        else f"little content in common ({raw_sim:.2f})"
    )
    return "; ".join(parts)


class Suggester:
    """Ranks one catalogue's items for posts; build it once and call it for many posts.

    ``statuses``: review statuses that may be suggested (only ``approved`` by default; drafts
    and retired items are there for editors, not readers).
    """

    def __init__(
        self,
        catalogue: Sequence[CounterItem] | None = None,
        *,
        similarity: Similarity | str | None = None,
        encoder: Any = None,
        statuses: Sequence[str] = DEFAULT_STATUSES,
    ) -> None:
        items = list(catalogue) if catalogue is not None else starter_catalogue()
        self.items = [i for i in items if i.review_status in statuses]
        self.similarity = resolve_similarity(similarity, encoder)
        self._texts = [_item_text(i) for i in self.items]

    def suggest(self, text: str, lang: str, themes: Sequence[str], k: int = 5) -> list[Suggestion]:
        return self.suggest_many([Post(text, lang, list(themes))], k)[0]

    def suggest_many(self, posts: Sequence[Post], k: int = 5) -> list[list[Suggestion]]:
        """The top ``k`` suggestions for each post, in the order of ``posts``."""
        if not posts:
            return []
        if not self.items:
            return [[] for _ in posts]
        sims = np.asarray(self.similarity([p.text or "" for p in posts], self._texts))
        return [self._rank(post, sims[row], k) for row, post in enumerate(posts)]

    def _rank(self, post: Post, sims: np.ndarray, k: int) -> list[Suggestion]:
        readable = reader_languages(post.lang)
        candidates: list[tuple[int, str, float]] = []  # (item index, language, weight)
        for j, item in enumerate(self.items):
            positions = [readable.index(x) for x in item.langs if x in readable]
            if positions:
                pos = min(positions)
                weight = LANGUAGE_WEIGHTS[min(pos, len(LANGUAGE_WEIGHTS) - 1)]
                candidates.append((j, readable[pos], weight))
        if not candidates:
            return []
        cand_sims = np.array([float(sims[j]) for j, _, _ in candidates])
        lo, hi = float(cand_sims.min()), float(cand_sims.max())
        closeness = (cand_sims - lo) / (hi - lo) if hi - lo > 1e-9 else np.zeros_like(cand_sims)
        weights = post.theme_weights()
        named = set(post.themes)
        scored = []
        for (j, lang, weight), raw, close in zip(candidates, cand_sims, closeness, strict=True):
            item = self.items[j]
            overlap = _theme_overlap(weights, item.themes)
            shared = [t for t in item.themes if t in named]
            if weights:
                base = THEME_WEIGHT * overlap + SIMILARITY_WEIGHT * float(close)
            else:
                base = float(close)  # nothing to match on but the content
            score = weight * base
            scored.append((score, item.item_id, j, lang, shared, float(raw), float(close)))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [
            Suggestion(
                item_id=item_id,
                title=self.items[j].title,
                lang=lang,
                themes=list(self.items[j].themes),
                score=round(score, 4),
                why=_why(shared, post, lang, raw, close),
            )
            for score, item_id, j, lang, shared, raw, close in scored[:k]
        ]


@lru_cache(maxsize=1)
def _default_detector() -> Any:
    from nazar.detect.ensemble import EnsembleDetector  # narratives from both models

    return EnsembleDetector.load()


def suggest(
    post: str | Verdict,
    catalogue: Sequence[CounterItem] | None = None,
    k: int = 5,
    *,
    text: str | None = None,
    themes: Sequence[str] | None = None,
    lang: str | None = None,
    encoder: Any = None,
    similarity: Similarity | str | None = None,
    detector: Any = None,
    statuses: Sequence[str] = DEFAULT_STATUSES,
) -> list[Suggestion]:
    """Suggest up to ``k`` catalogue items (default: the starter catalogue) for one post.

    ``post`` is the post's text, or the detector's ``Verdict`` for it (then pass ``text=`` too
    if you want closeness in content: a verdict does not hold its text). Themes and language
    come from the verdict, from ``themes=``/``lang=``, or else from the detector's
    ``narratives`` (``detector=`` or the shipped one): a post's narrative, whatever its
    label. For many posts, build a ``Suggester`` once instead.
    """
    weights = None  # themes from a verdict or the caller count fully
    if isinstance(post, Verdict):
        themes = list(post.themes) if themes is None else themes
        lang = post.lang if lang is None else lang
        body = text if text is not None else str(post.input.get("text") or "")
    else:
        body = post
        if themes is None or lang is None:
            found = (detector or _default_detector()).narratives([post])[0]
            if themes is None:
                weights = found.weights
            themes = found.themes if themes is None else themes
            lang = found.lang if lang is None else lang
    suggester = Suggester(catalogue, similarity=similarity, encoder=encoder, statuses=statuses)
    return suggester.suggest_many([Post(body, lang or "und", list(themes or []), weights)], k)[0]
