"""The indicator lexicon: explainable cues per language, found in normalised text.

Cues point both ways: towards a group (call to join, attack claim, takfir…) and away from it
(reporting voice, regret, refutation, scripture references, prayer). The lexicon never decides
a label on its own: its hits become evidence spans, theme hints, and ``lexcue_*`` tokens whose
weights the classifier learns from data (so "jihad" in a hadith weighs what the data says).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

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
        # One alternation per language: a single scan finds where cues are; which cue it was
        # is then asked of the patterns one by one at that position only. (Named groups in the
        # big alternation would say it directly, but make the scan several times slower.)
        # Patterns that start at a word edge share one leading check, so the scan tries the
        # alternatives only where a word begins instead of at every character.
        self._compiled: dict[str, tuple[re.Pattern[str], list[tuple[Cue, re.Pattern[str]]]]] = {}
        for lang, items in by_lang.items():
            at_word = [p[len(WORD_START) :] for _, p in items if p.startswith(WORD_START)]
            anywhere = [p for _, p in items if not p.startswith(WORD_START)]
            parts = [f"{WORD_START}(?:{'|'.join(f'(?:{p})' for p in at_word)})"] if at_word else []
            parts += [f"(?:{p})" for p in anywhere]
            scan = re.compile("|".join(parts))
            self._compiled[lang] = (scan, [(cue, re.compile(pattern)) for cue, pattern in items])
        self.size = len(entries)

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
        return sorted(self._compiled)

    def find(self, text: str) -> list[Hit]:
        """All cue hits in a normalised text, in order of position."""
        langs = [lang for script, ls in _SCRIPT_LANGS if script.search(text) for lang in ls]
        return self.find_in(text, langs)

    def find_in(self, text: str, langs: Iterable[str]) -> list[Hit]:
        """Hits of the named languages' cues only, whatever the text's scripts."""
        hits: list[Hit] = []
        for lang in langs:
            compiled = self._compiled.get(lang)
            if compiled is None:
                continue
            scan, cues = compiled
            for m in scan.finditer(text):
                if m.end() > m.start():
                    hits.append(Hit(m.start(), m.end(), _which(cues, text, m)))
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits


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
