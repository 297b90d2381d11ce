"""The indicator lexicon: explainable cues per language, found in normalised text.

Cues point both ways: towards a group (call to join, attack claim, takfir…) and away from it
(reporting voice, regret, refutation, scripture references, prayer). The lexicon never decides
a label on its own: its hits become evidence spans, theme hints, and ``lexcue_*`` tokens whose
weights the classifier learns from data (so "jihad" in a hadith weighs what the data says).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

try:  # Python 3.11+
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

from nazar.types import THEMES

PRO_CUES = frozenset(
    {
        "group_name",
        "call_to_join",
        "pledge",
        "attack_claim",
        "martyrdom",
        "takfir",
        "dehumanization",
        "revenge",
        "utopia",
        "oppressed",
        "legitimacy",
        "fundraising",
        "threat",
    }
)
AWAY_CUES = frozenset(
    {
        "attribution",
        "regret",
        "refutation",
        "prevention",
        "scripture_ref",
        "prayer",
        "inner_jihad",
    }
)
CUES = PRO_CUES | AWAY_CUES

_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
# Which lexicons to run on a text is decided by the scripts it contains, not by the
# language guess, so a Russian post quoting an Arabic slogan is still read both ways.
_SCRIPT_LANGS = ((_ARABIC, ("ar",)), (_CYRILLIC, ("ru", "kk")), (_LATIN, ("en",)))


WORD_START = r"(?<!\w)"
# text[i : i + 3] for every i, as slice objects: map() over them builds a text's trigrams at C
# speed (longer texts fall back to a comprehension).
_TRIGRAM_SLICES = [slice(i, i + 3) for i in range(4096)]


@dataclass(frozen=True, slots=True)
class Cue:
    id: str
    lang: str
    cue: str
    themes: tuple[str, ...]
    why: str

    @property
    def pro(self) -> bool:
        return self.cue in PRO_CUES


@dataclass(frozen=True, slots=True)
class Hit:
    start: int  # offsets into the normalised text
    end: int
    cue: Cue


class Lexicon:
    def __init__(self, entries: list[tuple[Cue, str]]) -> None:
        by_lang: dict[str, list[tuple[Cue, str]]] = {}
        for cue, pattern in entries:
            if cue.cue not in CUES:
                raise ValueError(f"lexicon entry {cue.id}: unknown cue {cue.cue!r}")
            bad = [t for t in cue.themes if t not in THEMES]
            if bad:
                raise ValueError(f"lexicon entry {cue.id}: unknown themes {bad}")
            by_lang.setdefault(cue.lang, []).append((cue, pattern))
        # One alternation per language finds where cues are; which cue it was is then asked of
        # the patterns one by one at that position only. (Named groups in the big alternation
        # would say it directly, but make the scan several times slower.) Patterns that start
        # at a word edge share one leading check, so the scan tries the alternatives only where
        # a word begins instead of at every character.
        #
        # Most texts hold no cue at all, and the scan still tries every alternative at every
        # word start. So each pattern gets a set of literal strings one of which any match must
        # contain (read from its parsed form, which also checks its syntax); only the patterns
        # whose literals are in the text join the scan. Leaving out alternatives that cannot
        # match anywhere in the text changes neither the scan's matches nor ``_which``'s answer.
        # Patterns are compiled when first needed.
        self._cues = {lang: [cue for cue, _ in items] for lang, items in by_lang.items()}
        self._patterns = {lang: [p for _, p in items] for lang, items in by_lang.items()}
        self._regexes: dict[str, list[re.Pattern[str] | None]] = {
            lang: [None] * len(items) for lang, items in by_lang.items()
        }
        self.size = len(entries)
        # Each pattern's rank in its language's scan alternation (see ``_scan_regex``).
        self._scan_order = {
            lang: _scan_ranks([p for _, p in items]) for lang, items in by_lang.items()
        }
        needs = {
            lang: [_necessary_literals(p) for _, p in items] for lang, items in by_lang.items()
        }
        tri_count: Counter[str] = Counter()
        for lits in needs.values():
            for lit in lits:
                for s in lit or ():
                    tri_count.update({s[i : i + 3] for i in range(len(s) - 2)})
        # Literals of 3+ characters are indexed under one trigram (the rarest in the lexicon,
        # letters first): the text's trigrams meet the index in one set intersection.
        self._always: dict[str, list[int]] = {lang: [] for lang in needs}  # no literal known
        self._short: list[tuple[str, str, int]] = []  # (lang, literal, pattern), tested by `in`
        by_key: dict[str, list[tuple[str, str, int]]] = {}
        for lang, lits in needs.items():
            for k, lit in enumerate(lits):
                if lit is None:
                    self._always[lang].append(k)
                    continue
                for s in lit:
                    if len(s) < 3:
                        self._short.append((lang, s, k))
                        continue
                    key = min(
                        (s[i : i + 3] for i in range(len(s) - 2)),
                        key=lambda t: (not t.isalpha(), tri_count[t]),
                    )
                    by_key.setdefault(key, []).append((lang, s, k))
        self._by_key = by_key
        self._keys = frozenset(by_key)
        # For ``find_all``, literals are indexed under a longer gram, up to 5 characters (fewer
        # chance meetings in ordinary text), coded as integers matched with numpy over a batch.
        self._grams = _GramIndex(
            [
                (lang, s, k)
                for lang, lits in needs.items()
                for k, lit in enumerate(lits)
                for s in lit or ()
            ]
        )

    @classmethod
    def from_files(cls, paths: list[Path]) -> Lexicon:
        entries: list[tuple[Cue, str]] = []
        for path in paths:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            lang = data["lang"]
            for e in data["entries"]:
                cue = Cue(e["id"], lang, e["cue"], tuple(e.get("themes", ())), e["why"])
                entries.append((cue, e["pattern"]))
        return cls(entries)

    @classmethod
    def default(cls) -> Lexicon:
        return _default_lexicon()

    @property
    def languages(self) -> list[str]:
        return sorted(self._patterns)

    def find(self, text: str) -> list[Hit]:
        """All cue hits in a normalised text, in order of position."""
        langs = [lang for script, ls in _SCRIPT_LANGS if script.search(text) for lang in ls]
        return self.find_in(text, langs)

    def find_all(self, texts: list[str]) -> list[list[Hit]]:
        """``[self.find(t) for t in texts]``, with the literal prefilter run on all at once."""
        langs = [
            [
                lang
                for script, ls in _SCRIPT_LANGS
                if script.search(t)
                for lang in ls
                if lang in self._always
            ]
            for t in texts
        ]
        met = self._grams.meetings(texts)
        out: list[list[Hit]] = []
        for i, text in enumerate(texts):
            wanted = langs[i]
            if not wanted:
                out.append([])
                continue
            found = self._short_candidates(text, wanted)
            for entries in met.get(i, ()):
                for lang, s, k in entries:
                    if lang in found and s in text:
                        found[lang].add(k)
            out.append(self._hits(text, wanted, found))
        return out

    def find_in(self, text: str, langs: Iterable[str]) -> list[Hit]:
        """Hits of the named languages' cues only, whatever the text's scripts."""
        wanted = [lang for lang in langs if lang in self._always]
        if not wanted:
            return []
        return self._hits(text, wanted, self._candidates(text, wanted))

    def _hits(self, text: str, wanted: list[str], candidates: dict[str, set[int]]) -> list[Hit]:
        hits: list[Hit] = []
        for lang in wanted:
            chosen = tuple(sorted(candidates[lang]))
            if not chosen:
                continue
            cues = self._cues[lang]
            if len(chosen) == 1:
                # One alternative left: the scan is that pattern itself.
                cue = cues[chosen[0]]
                for m in self._regex(lang, chosen[0]).finditer(text):
                    if m.end() > m.start():
                        hits.append(Hit(m.start(), m.end(), cue))
                continue
            found = self._scan_candidates(lang, chosen, text)
            if found is None:  # an empty match: let the regex engine's own rules decide
                scan = _scan_regex([self._patterns[lang][k] for k in chosen])
                subset = [(cues[k], self._regex(lang, k)) for k in chosen]
                for m in scan.finditer(text):
                    if m.end() > m.start():
                        hits.append(Hit(m.start(), m.end(), _which(subset, text, m)))
            else:
                hits.extend(found)
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits

    def _short_candidates(self, text: str, langs: list[str]) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {lang: set(self._always[lang]) for lang in langs}
        for lang, s, k in self._short:
            if lang in found and s in text:
                found[lang].add(k)
        return found

    def _candidates(self, text: str, langs: list[str]) -> dict[str, set[int]]:
        """Per language, the patterns whose required literals are in the text."""
        found = self._short_candidates(text, langs)
        n = len(text) - 2
        if n > 0:
            if n <= len(_TRIGRAM_SLICES):
                trigrams = set(map(text.__getitem__, _TRIGRAM_SLICES[:n]))
            else:
                trigrams = {text[i : i + 3] for i in range(n)}
            for key in self._keys.intersection(trigrams):
                for lang, s, k in self._by_key[key]:
                    if lang in found and s in text:
                        found[lang].add(k)
        return found

    def _regex(self, lang: str, k: int) -> re.Pattern[str]:
        regex = self._regexes[lang][k]
        if regex is None:
            regex = self._regexes[lang][k] = re.compile(self._patterns[lang][k])
        return regex

    def _scan_candidates(self, lang: str, chosen: tuple[int, ...], text: str) -> list[Hit] | None:
        """What the language's scan alternation finds, run as its ``chosen`` patterns alone.

        The alternation's rule, replayed: from the current position, the leftmost place where
        any alternative matches; there, the first alternative in the scan's order (patterns
        starting at a word edge first, as ``_scan_regex`` groups them) wins; the scan resumes at
        its end. The cue reported is ``_which``'s: the first in lexicon order whose match at
        that place ends where the scan's did. None if a pattern matches the empty string.
        """
        order = self._scan_order[lang]
        ranked = sorted(chosen, key=order.__getitem__)  # scan order
        regexes = [self._regex(lang, k) for k in ranked]
        nexts = [rx.search(text) for rx in regexes]
        cues = self._cues[lang]
        hits: list[Hit] = []
        pos = 0
        while True:
            best: re.Match[str] | None = None
            for i, m in enumerate(nexts):
                if m is not None and m.start() < pos:
                    m = nexts[i] = regexes[i].search(text, pos)
                if m is not None and (best is None or m.start() < best.start()):
                    best = m
            if best is None:
                return hits
            start, end = best.span()
            if end == start:
                return None
            cue_k = min(
                ranked[i]
                for i, m in enumerate(nexts)
                if m is not None and m.start() == start and m.end() == end
            )
            hits.append(Hit(start, end, cues[cue_k]))
            pos = end


_GRAM_BASE = np.uint64(1_000_003)
_LONGEST_GRAM = 5


def _gram_code(g: str) -> int:
    """The polynomial hash of a gram, as ``_GramIndex.meetings`` computes it (mod 2**64)."""
    h = 0
    for c in g:
        h = (h * int(_GRAM_BASE) + ord(c)) & 0xFFFFFFFFFFFFFFFF
    return h


def _bucket(codes: np.ndarray) -> np.ndarray:
    return (codes * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(48)


class _GramIndex:
    """Literals of 3+ characters under one of their grams of ``min(len, 5)`` characters (the
    rarest in the lexicon, letters first), looked up for a whole batch of texts at once.

    Grams are hashed, so two grams may share a code: that only adds literals to verify."""

    def __init__(self, literals: list[tuple[str, str, int]]) -> None:
        count: Counter[str] = Counter()
        for _, s, _ in literals:
            q = min(len(s), _LONGEST_GRAM)
            count.update({s[i : i + q] for i in range(len(s) - q + 1)})
        by_q: dict[int, dict[int, list[tuple[str, str, int]]]] = {}
        for lang, s, k in literals:
            q = min(len(s), _LONGEST_GRAM)
            if q < 3:
                continue
            key = min(
                (s[i : i + q] for i in range(len(s) - q + 1)),
                key=lambda g: (not g.isalpha(), count[g]),
            )
            by_q.setdefault(q, {}).setdefault(_gram_code(key), []).append((lang, s, k))
        self.codes: dict[int, np.ndarray] = {}
        self.entries: dict[int, list[list[tuple[str, str, int]]]] = {}
        # A first, cheap sieve: which 16-bit buckets (of a mixed code) hold any key.
        self.buckets: dict[int, np.ndarray] = {}
        for q, by_code in by_q.items():
            codes = sorted(by_code)
            self.codes[q] = np.array(codes, dtype=np.uint64)
            self.entries[q] = [by_code[c] for c in codes]
            self.buckets[q] = np.zeros(1 << 16, dtype=bool)
            self.buckets[q][_bucket(self.codes[q])] = True

    def meetings(self, texts: list[str]) -> dict[int, list[list[tuple[str, str, int]]]]:
        """For each text (by index), the entry lists whose gram code occurs in it."""
        stream = "\0".join(texts)  # a gram across two texts holds a NUL: never a key
        if len(stream) < 3 or not self.codes:
            return {}
        codes = np.frombuffer(stream.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        h = codes.astype(np.uint64)
        starts = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1)
        out: dict[int, list[list[tuple[str, str, int]]]] = {}
        for q in range(2, _LONGEST_GRAM + 1):
            h = h[:-1] * _GRAM_BASE + codes[q - 1 :]  # h[i]: the gram of q characters at i
            keys = self.codes.get(q)
            if keys is None or not len(h):
                continue
            maybe = np.flatnonzero(self.buckets[q][_bucket(h)])
            at = np.searchsorted(keys, h[maybe])
            at[at == len(keys)] = 0
            found = keys[at] == h[maybe]
            where, at = maybe[found], at[found]
            if not len(where):
                continue
            doc = np.searchsorted(starts, where, side="right")
            pairs = np.unique(doc * len(keys) + at)
            entries = self.entries[q]
            for d, k in zip(
                (pairs // len(keys)).tolist(), (pairs % len(keys)).tolist(), strict=True
            ):
                out.setdefault(d, []).append(entries[k])
        return out


def _scan_ranks(patterns: list[str]) -> list[int]:
    """Where each pattern sits in ``_scan_regex(patterns)``: word-edge patterns come first."""
    order = sorted(range(len(patterns)), key=lambda k: not patterns[k].startswith(WORD_START))
    ranks = [0] * len(patterns)
    for rank, k in enumerate(order):
        ranks[k] = rank
    return ranks


def _scan_regex(patterns: list[str]) -> re.Pattern[str]:
    """One alternation of ``patterns``; those starting at a word edge share the leading check."""
    at_word = [p[len(WORD_START) :] for p in patterns if p.startswith(WORD_START)]
    anywhere = [p for p in patterns if not p.startswith(WORD_START)]
    parts = [f"{WORD_START}(?:{'|'.join(f'(?:{p})' for p in at_word)})"] if at_word else []
    parts += [f"(?:{p})" for p in anywhere]
    return re.compile("|".join(parts))


# -- required literals -------------------------------------------------------------------------
# For the prefilter: a set of strings such that every match of a pattern contains one of them,
# or None when no such set is known. Read from the parsed pattern; conservative on anything
# unusual (flags, backreferences, classes with ranges).

_MAX_STRINGS = 512
# What ``\s`` matches in a str pattern (str.isspace()).
_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ZERO_WIDTH = (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT)
_REPEATS = tuple(
    getattr(_sre, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_sre, name)
)
_ATOMIC = getattr(_sre, "ATOMIC_GROUP", None)


def _necessary_literals(pattern: str) -> frozenset[str] | None:
    try:
        found = _need_seq(list(_sre_parse.parse(pattern)))  # raises re.error on a bad pattern
    finally:
        _MEMO.__dict__.pop("exact", None)
    if not found or "" in found:
        return None
    return frozenset(_minimal(found))


def _product(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None or b is None or len(a) * len(b) > _MAX_STRINGS:
        return None
    return {x + y for x in a for y in b}


# _exact of the items of the pattern being read (per thread), by id: the parsed tree lives until
# it is done.
_MEMO = threading.local()


def _exact(op: object, av: object) -> set[str] | None:
    """Every string the item can match, when there are few; None otherwise."""
    if op == _sre.LITERAL:
        return {chr(av)}  # type: ignore[arg-type]
    memo: dict[tuple[int, int], set[str] | None] = _MEMO.__dict__.setdefault("exact", {})
    key = (id(op), id(av))
    if key not in memo:
        memo[key] = _exact_uncached(op, av)
    found = memo[key]
    return None if found is None else set(found)


def _exact_uncached(op: object, av: object) -> set[str] | None:
    if op == _sre.LITERAL:
        return {chr(av)}  # type: ignore[arg-type]
    if op in _ZERO_WIDTH:
        return {""}
    if op == _sre.IN:
        chars = set()
        for sub_op, sub_av in av:  # type: ignore[attr-defined]
            if sub_op == _sre.LITERAL:
                chars.add(chr(sub_av))
            elif sub_op == _sre.CATEGORY and sub_av == _sre.CATEGORY_SPACE:
                chars.update(_SPACES)
            else:
                return None
        return chars
    if op == _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av  # type: ignore[misc]
        return None if add_flags or del_flags else _exact_seq(list(sub))
    if _ATOMIC is not None and op == _ATOMIC:
        return _exact_seq(list(av))  # type: ignore[arg-type]
    if op == _sre.BRANCH:
        out: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            sub = _exact_seq(list(branch))
            if sub is None:
                return None
            out |= sub
            if len(out) > _MAX_STRINGS:
                return None
        return out
    if op in _REPEATS:
        lo, hi, sub = av  # type: ignore[misc]
        if hi > 3:
            return None
        inner = _exact_seq(list(sub))
        out = set()
        power: set[str] | None = {""}
        for n in range(hi + 1):
            if n >= lo:
                out |= power  # type: ignore[arg-type]
            if n < hi:
                power = _product(power, inner)
                if power is None:
                    return None
        return out if len(out) <= _MAX_STRINGS else None
    return None


def _exact_seq(items: list) -> set[str] | None:
    out: set[str] | None = {""}
    for op, av in items:
        out = _product(out, _exact(op, av))
        if out is None:
            return None
    return out


def _need(op: object, av: object) -> set[str] | None:
    """Strings one of which every match of the item contains (None: unknown)."""
    exact = _exact(op, av)
    if exact is not None:
        return None if "" in exact else exact
    if op == _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av  # type: ignore[misc]
        return None if add_flags or del_flags else _need_seq(list(sub))
    if _ATOMIC is not None and op == _ATOMIC:
        return _need_seq(list(av))  # type: ignore[arg-type]
    if op == _sre.BRANCH:
        out: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            sub = _need_seq(list(branch))
            if sub is None:
                return None
            out |= sub
        return out
    if op in _REPEATS:
        lo, _hi, sub = av  # type: ignore[misc]
        return _need_seq(list(sub)) if lo >= 1 else None
    return None


def _prefix(op: object, av: object) -> set[str] | None:
    """Strings one of which every match of the item starts with (None: too many to list)."""
    exact = _exact(op, av)
    if exact is not None:
        return exact
    if op == _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av  # type: ignore[misc]
        return {""} if add_flags or del_flags else _prefix_seq(list(sub))
    if _ATOMIC is not None and op == _ATOMIC:
        return _prefix_seq(list(av))  # type: ignore[arg-type]
    if op == _sre.BRANCH:
        out: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            sub = _prefix_seq(list(branch))
            if sub is None:
                return None
            out |= sub
        return out if len(out) <= _MAX_STRINGS else None
    if op in _REPEATS:
        lo, _hi, sub = av  # type: ignore[misc]
        return _prefix_seq(list(sub)) if lo >= 1 else {""}
    return {""}


def _prefix_seq(items: list) -> set[str] | None:
    run: set[str] | None = {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is None:
            return _product(run, _prefix(op, av)) or run
        joined = _product(run, exact)
        if joined is None:
            return run
        run = joined
    return run


def _need_seq(items: list) -> set[str] | None:
    """The best required set of a sequence: a run of exactly known items (with how the item
    after it starts), or one item's own."""
    options: list[set[str]] = []
    run: set[str] | None = {""}
    for op, av in items:
        exact = _exact(op, av)
        joined = _product(run, exact) if exact is not None else None
        if joined is not None:
            run = joined
            continue
        if run is not None:
            extended = _product(run, _prefix(op, av))
            for option in (run, extended):
                if option is not None and "" not in option:
                    options.append(option)
        run = exact if exact is not None else {""}
        if exact is None:
            need = _need(op, av)
            if need is not None:
                options.append(need)
    if run is not None and "" not in run:
        options.append(run)
    if not options:
        return None
    # The shortest string decides how selective a set is (up to 4 characters); then its size.
    return max(options, key=lambda o: (min(4, min(map(len, o))), -len(o)))


def _minimal(strings: set[str]) -> list[str]:
    """Drop strings that contain another: containing the shorter one is already required."""
    out: list[str] = []
    for s in sorted(strings, key=lambda s: (len(s), s)):
        if not any(t in s for t in out):
            out.append(s)
    return out


def _which(cues: list[tuple[Cue, re.Pattern[str]]], text: str, m: re.Match[str]) -> Cue:
    """The first cue whose pattern matches exactly the span the scan found (as the scan did)."""
    for cue, pattern in cues:
        found = pattern.match(text, m.start())
        if found is not None and found.end() == m.end():
            return cue
    return cues[0][0]  # unreachable: the scan matched one of these alternatives


def cue_tokens(hits: list[Hit]) -> list[str]:
    """Model tokens for the cues present (once each: presence matters, not repetition)."""
    return sorted({f"lexcue_{h.cue.cue}" for h in hits})


@cache
def _default_lexicon() -> Lexicon:
    folder = resources.files("nazar.detect") / "lexicon"
    paths = sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".json"))
    return Lexicon.from_files(paths)
