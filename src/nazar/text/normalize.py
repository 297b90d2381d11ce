"""Text normalisation with exact offsets back to the original string.

TAXONOMY rule 5: obfuscation (spaced letters, mixed scripts, homoglyphs, tatweel, diacritics,
leetspeak, transliteration) must not change the label, so classifiers see a normalised text. The
evidence they return must still point into what the user wrote, so every normalised character
carries the index of the original character it came from (``NormalizedText.offsets``).

Pipeline (order matters, each step keeps its own index map and the maps are composed):

1. combining marks: NFC-compose clusters (decomposed "й", "á"), drop the marks left over (Russian
   stress marks, zalgo);
2. character folding with one ``str.translate`` table: Arabic presentation forms / fullwidth /
   mathematical letters (NFKC), Arabic diacritics, tatweel, alef/yeh/teh-marbuta forms, Eastern
   digits, Persian kaf/yeh, ё, zero-width and bidi controls;
3. URLs -> ``url``, @mentions -> ``@user``, hashtags -> their words (camelCase and ``_`` split),
   HTML escapes of tweets ("&amp;") -> the character;
4. Kazakh Latin -> Cyrillic, when the text looks like Kazakh Latin (needs the original case:
   in the 2021 alphabet capital ``I`` is і);
5. spaced / dotted single letters joined ("D a e s h" -> "Daesh");
6. homoglyphs mapped to the script of the token's majority, leet digits inside words;
7. lower-casing;
8. whitespace collapsed and stripped, runs of > 2 identical characters squeezed to 2.

Speed (~330k CPU instructions, ~45 us, for a 150-character tweet; see
benchmarks/langid_accuracy.py): most texts need only a few steps, so every step starts with a
cheap test (a substring check, one regex search, or a test on a one-translate "class signature"
of the text) and untouched steps cost about a microsecond. Folding uses ``str.translate`` with a
list table or a few ``str.replace`` calls; index maps are built with ``list.extend(range(...))``
over unchanged stretches, never per character, and stay ``None`` (identity) until a step
actually moves characters.

Idempotence: normalising a normalised text changes nothing for ordinary texts. The exceptions
are case-dependent decisions of the first pass ("Kills4Bayah": the 4 at a camelCase boundary is
kept as "for"; after lower-casing a second pass reads it as leet).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from nazar.text.transliterate import kazakh_latin_to_cyrillic, looks_kazakh_latin

__all__ = ["NormalizedText", "normalize"]

# Offsets of very long texts are stored as a compact array instead of a tuple of ints.
_ARRAY_THRESHOLD = 1 << 16


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A normalised text and the map back to the original.

    ``offsets`` has ``len(text) + 1`` entries: ``offsets[i]`` is the index in ``original`` of the
    character that normalised character ``i`` came from, ``offsets[-1] == len(original)``. The
    sequence is non-decreasing. It is a ``range`` when no character moved (the common case), a
    tuple otherwise, or an ``array('q')`` for texts longer than 65,536 characters.
    """

    original: str
    text: str
    offsets: Sequence[int]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``[start, end)`` of ``text`` to a span of ``original``.

        The original span covers every source character of the normalised span, including
        characters that normalisation deleted inside or right after it (diacritics, squeezed
        repeats, the spaces of "D a e s h", the rest of a URL), but not trailing whitespace.
        Out-of-range arguments are clipped; an empty span maps to an empty span.
        """
        n = len(self.text)
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        offs = self.offsets
        if start == end:
            p = offs[start]
            return p, p
        s = offs[start]
        last = offs[end - 1]
        # max(): several normalised characters can share one source (a ligature such as "ﷺ"
        # expands to a phrase), and the span must still contain that source character.
        e = max(offs[end], last + 1)
        orig = self.original
        # Everything up to the next kept character belongs to this span, except whitespace that
        # only separates it from what follows.
        while e > last + 1 and orig[e - 1].isspace():
            e -= 1
        return s, e


# ---------------------------------------------------------------------------------------------
# Edit helpers
# ---------------------------------------------------------------------------------------------

Edit = tuple[int, int, str]


def _apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[int]]:
    """Replace ``text[start:end]`` by ``repl`` for sorted, non-overlapping edits.

    Returns the new text and its index map into ``text`` (``len(new) + 1`` entries). Replacement
    characters map to ``start + i`` while ``i`` is inside the replaced span, then stay on its last
    character, so equal-length replacements are exact and the map stays non-decreasing. An
    insertion (``start == end``) maps to the character that follows it.
    """
    pieces: list[str] = []
    m: list[int] = []
    prev = 0
    for start, end, repl in edits:
        if start > prev:
            pieces.append(text[prev:start])
            m.extend(range(prev, start))
        if repl:
            pieces.append(repl)
            span = end - start
            k = len(repl)
            if span >= k:
                m.extend(range(start, start + k))
            elif span <= 1:
                m.extend([start] * k)
            else:
                m.extend(range(start, end))
                m.extend([end - 1] * (k - span))
        prev = end
    n = len(text)
    if prev < n:
        pieces.append(text[prev:])
        m.extend(range(prev, n))
    m.append(n)
    return "".join(pieces), m


# ---------------------------------------------------------------------------------------------
# Step 1: combining marks
# ---------------------------------------------------------------------------------------------

_COMB = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_COMB_RE = re.compile(f"[{_COMB}]")
_CLUSTER_RE = re.compile(f"[^{_COMB}]?[{_COMB}]+")


def _combining(text: str) -> tuple[str, list[int] | None]:
    if text.isascii() or not _COMB_RE.search(text):
        return text, None
    edits: list[Edit] = []
    for m in _CLUSTER_RE.finditer(text):
        composed = _COMB_RE.sub("", unicodedata.normalize("NFC", m.group()))
        edits.append((m.start(), m.end(), composed))
    return _apply_edits(text, edits)


# ---------------------------------------------------------------------------------------------
# Step 2: one translate table for all character folding
# ---------------------------------------------------------------------------------------------


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    deletions = [
        *range(0x064B, 0x0660),  # harakat, tanween, shadda, sukun, hamza marks
        0x0670,  # superscript alef
        *range(0x0610, 0x061B),  # honorific marks above letters
        *range(0x06D6, 0x06EE),  # Quranic annotation marks
        0x0640,  # tatweel
        *range(0x200B, 0x2010),  # zero-width space/joiners, LRM/RLM
        *range(0x202A, 0x202F),  # bidi embeddings/overrides
        *range(0x2066, 0x206A),  # bidi isolates
        0x2060,  # word joiner
        0xFEFF,  # BOM / zero-width no-break space
        0x00AD,  # soft hyphen
        0x061C,  # Arabic letter mark
    ]
    for cp in deletions:
        table[cp] = None
    # fmt: off
    letters = {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ٵ": "ا",
        "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
        "ک": "ك", "ی": "ي", "ۍ": "ي", "ھ": "ه", "ۀ": "ه",
        "ё": "е", "Ё": "Е",
    }
    # fmt: on
    for k, v in letters.items():
        table[ord(k)] = v
    for i in range(10):
        table[0x0660 + i] = str(i)  # Arabic-Indic digits
        table[0x06F0 + i] = str(i)  # Persian digits
    base = dict(table)  # used to fold the NFKC expansions below
    ranges = [
        (0xFB00, 0xFB07),  # Latin ligatures (ﬁ)
        (0xFB50, 0xFE00),  # Arabic presentation forms A
        (0xFE70, 0xFF00),  # Arabic presentation forms B
        (0xFF01, 0xFF5F),  # fullwidth ASCII
        (0x24B6, 0x24EA),  # circled letters
        (0x1D400, 0x1D800),  # mathematical alphanumerics (bold/italic "𝐈𝐒𝐈𝐒")
        (0x1F130, 0x1F14A),  # squared letters
    ]
    for lo, hi in ranges:
        for cp in range(lo, hi):
            ch = chr(cp)
            nf = unicodedata.normalize("NFKC", ch)
            if nf == ch:
                continue
            folded = nf.translate(base)
            # Isolated harakat forms (U+FE70...) decompose to space + mark: drop them entirely.
            table[cp] = folded if folded.strip() else None
    return table


_FOLD = _build_fold_table()
# str.translate with a list is about 3x faster than with a dict (index instead of hash lookup);
# code points past the end raise IndexError, which translate treats as "leave unchanged".
# The list reaches past the emoji blocks: a lookup past its end raises an exception, which is
# cheap once but not for every emoji of a tweet.
_FOLD_LIST: list[int | str | None] = list(range(max(max(_FOLD) + 1, 0x1FB00)))
for _cp, _v in _FOLD.items():
    _FOLD_LIST[_cp] = _v


def _char_class(cps: list[int]) -> str:
    cps = sorted(cps)
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = chr(cps[i]), chr(cps[j])
        parts.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    return "[" + "".join(parts) + "]"


# Characters whose translation is not exactly one character (deleted or expanded).
_FOLD_RESIZE = [cp for cp, v in _FOLD.items() if v is None or len(v) != 1]
_FOLD_RESIZE_RE = re.compile(_char_class(_FOLD_RESIZE))
_FOLD_LEN = {cp: (0 if v is None else len(v)) for cp, v in _FOLD.items()}
# A superset of every folded code point outside Cyrillic (whose only fold is ё): the Arabic
# block and the presentation / fullwidth / enclosed / mathematical ranges. Written as a few plain
# ranges because a class listing the exact code points is ten times slower to search.
_FOLD_ANY_RARE_RE = re.compile(
    "[\u00ad\u0600-\u06ff\u200b-\u200f\u202a-\u202e\u2060-\u2069\u24b6-\u24e9"
    "\ufb00-\ufeff\uff01-\uff5e\U0001d400-\U0001d7ff\U0001f130-\U0001f149]"
)


# Folds that ordinary Arabic (and Russian) text needs; anything else foldable that is not a
# deletion goes through the translate table.
_COMMON_FOLDS = [
    (k, v)
    for k, v in (
        ("ة", "ه"),
        ("أ", "ا"),
        ("إ", "ا"),
        ("آ", "ا"),
        ("ى", "ي"),
        ("ؤ", "و"),
        ("ئ", "ي"),
        ("ٱ", "ا"),
        ("ک", "ك"),
        ("ی", "ي"),
        ("ё", "е"),
        ("Ё", "Е"),
    )
]
# A superset of the other 1:1 folds (Eastern digits, rare Arabic letters, presentation,
# fullwidth, enclosed and mathematical forms), as plain ranges: an exact class with many
# astral sub-ranges is ten times slower to search.
_FOLD_UNCOMMON_RE = re.compile(
    "[\u0660-\u0669\u06f0-\u06f9\u0672\u0673\u0675\u06be\u06c0\u06cd\u24b6-\u24e9"
    "\ufb00-\ufeff\uff01-\uff5e\U0001d400-\U0001d7ff\U0001f130-\U0001f149]"
)


def _fold(text: str) -> tuple[str, list[int] | None]:
    if text.isascii():
        return text, None  # every folded character is non-ASCII
    resize = _FOLD_RESIZE_RE.search(text) is not None
    if not resize:
        if not _FOLD_ANY_RARE_RE.search(text):
            # e.g. Russian/Kazakh text: at most ё to fold, skip the translate
            if "ё" in text or "Ё" in text:
                text = text.replace("ё", "е").replace("Ё", "Е")
            return text, None
        if not _FOLD_UNCOMMON_RE.search(text):
            # Ordinary Arabic: a handful of str.replace calls beat a translate of every char.
            for a, b in _COMMON_FOLDS:
                if a in text:
                    text = text.replace(a, b)
            return text, None
        return text.translate(_FOLD_LIST), None
    out = text.translate(_FOLD_LIST)
    m: list[int] = []
    prev = 0
    for mt in _FOLD_RESIZE_RE.finditer(text):
        pos = mt.start()
        if pos > prev:
            m.extend(range(prev, pos))
        k = _FOLD_LEN[ord(text[pos])]
        if k:
            m.extend([pos] * k)  # a ligature's letters all point at the ligature
        prev = pos + 1
    n = len(text)
    if prev < n:
        m.extend(range(prev, n))
    m.append(n)
    return out, m


# ---------------------------------------------------------------------------------------------
# Step 3: URLs, mentions, hashtags
# ---------------------------------------------------------------------------------------------

_TLDS = "com|org|net|info|ru|kz|su|ua|uz|co|ly|me|io|tv|be|gl|uk|fm|to|cc|ws|ir|sy|iq|tk|xyz"
# Patterns start with a literal character so that the regex engine can scan for it quickly
# (a leading look-behind or a case-insensitive group makes them several times slower).
_SCHEME_URL_RE = re.compile(r"[hHwW](?<![\w][hHwW])(?i:ttps?://|ww\.)\S+")
_BARE_HINT_RE = re.compile(rf"\.(?i:{_TLDS})\b")
_BARE_URL_RE = re.compile(rf"(?i)\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/\S*)?")
_URL_TRAILING = ".,;:!?)]}'\"»”…"
_MENTION_RE = re.compile(r"@(?<![\w@]@)\w+")
_HASHTAG_RE = re.compile(r"#(?<![\w&#]#)(\w+)")
# "_" (replaced by a space), or an empty match where a space goes: aB -> a B, ABc -> A Bc.
_ASCII_HASHTAG_SPLIT_RE = re.compile(r"_|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'"}
_ENTITY_RE = re.compile(r"&(?i:amp|lt|gt|quot|#39|apos);")


def _split_hashtag(body: str, start: int) -> list[Edit]:
    """Edits turning a hashtag body (without #) into words: ``_`` -> space, camelCase split."""
    if body.isascii():
        # The common case, done by one regex instead of a loop over characters.
        return [
            (start + m.start(), start + m.end(), " ")
            for m in _ASCII_HASHTAG_SPLIT_RE.finditer(body)
        ]
    edits: list[Edit] = []
    prev = ""
    for i, ch in enumerate(body):
        pos = start + i
        if ch == "_":
            edits.append((pos, pos + 1, " "))
        elif i and ch.isupper() and prev.isalpha():
            # aB -> a B ; ABc -> A Bc (acronym followed by a word: "ISISNews" -> "ISIS News")
            acronym_end = i + 1 < len(body) and body[i + 1].islower() and prev.isupper()
            if prev.islower() or acronym_end:
                edits.append((pos, pos, " "))
        prev = ch
    return edits


def _tokens(text: str) -> tuple[str, list[int] | None]:
    # Cheap substring tests first: most texts have no URL, mention or hashtag at all.
    spans: list[tuple[int, int, str]] = []
    if "." in text:
        gap_start = 0
        gaps: list[tuple[int, int]] = []
        for m in _SCHEME_URL_RE.finditer(text):
            # Sentence punctuation after a URL is not part of it ("see http://x.com/a).").
            end = max(m.start() + len(m.group().rstrip(_URL_TRAILING)), m.start() + 4)
            spans.append((m.start(), end, "url"))
            gaps.append((gap_start, m.start()))
            gap_start = end
        gaps.append((gap_start, len(text)))
        # Bare domains ("t.co/x", "example.org") are looked for between the URLs found above.
        for gs, ge in gaps:
            done = gs  # end of the last bare URL found: hints before it are inside it
            for h in _BARE_HINT_RE.finditer(text, gs, ge):
                if h.start() < done:
                    continue
                # The domain starts at most 253 characters before its TLD.
                for m in _BARE_URL_RE.finditer(text, max(done, h.start() - 253), ge):
                    if m.start() <= h.start() < m.end():
                        end = m.start() + len(m.group().rstrip(_URL_TRAILING))
                        spans.append((m.start(), end, "url"))
                        done = m.end()
                        break
    if "@" in text:
        spans.extend((m.start(), m.end(), "@user") for m in _MENTION_RE.finditer(text))
    if "#" in text:
        spans.extend((m.start(), m.end(), "#") for m in _HASHTAG_RE.finditer(text))
    if "&" in text:
        # Tweets from the API carry HTML escapes ("&amp;", "&gt;&gt;").
        spans.extend(
            (m.start(), m.end(), _ENTITIES[m.group().lower()]) for m in _ENTITY_RE.finditer(text)
        )
    if not spans:
        return text, None
    spans.sort()
    edits: list[Edit] = []
    covered = 0
    for start, end, kind in spans:
        if start < covered or start == end:
            continue  # a mention or hashtag inside a URL ("...com/#/page", "...com/@name")
        covered = end
        if kind == "#":
            edits.append((start, start + 1, ""))  # drop "#", keep the words
            edits.extend(_split_hashtag(text[start + 1 : end], start + 1))
        else:
            edits.append((start, end, kind))  # "url", "@user" or an unescaped entity
    return _apply_edits(text, edits)


# Placeholders made above must survive the Kazakh transliteration.
_PLACEHOLDER_RE = re.compile(r"(?<![\w@])(?:url|@user)(?!\w)")


# ---------------------------------------------------------------------------------------------
# Step 5: spaced or dotted single letters
# ---------------------------------------------------------------------------------------------

_LET = r"[^\W\d_]"
_SEP = r"[\s.\-_*·•]+"
# The same separator throughout ("D.a.e.s.h", "D a e s h"): mixed ones are abbreviations such as
# "и т.д", "в т.ч. и", "г. и с".
_SPACED_RE = re.compile(rf"(?<![\w@]){_LET}({_SEP}){_LET}(?:\1{_LET})+(?!\w)")
_SEP_RE = re.compile(_SEP)
_SPACED_HINT_RE = re.compile(rf"[\s.\-_*·•]{_LET}{_SEP}{_LET}(?!\w)")
# Runs of exactly three letters that include a one-letter word are left alone: "и т д",
# "я и в", "a b c" are real text far more often than obfuscation.
_ONE_LETTER_WORDS = set("авикосуяaiو")


def _join_spaced(text: str, sig: str | None = None) -> tuple[str, list[int] | None]:
    # Any run of >= 3 has a middle letter with separators on both sides; this test is cheap.
    if sig is not None:
        if not any(p in sig for p in _SPACED_SIG):
            return text, None
    elif not _SPACED_HINT_RE.search(text):
        return text, None
    edits: list[Edit] = []
    for m in _SPACED_RE.finditer(text):
        run = m.group()
        letters = _SEP_RE.sub("", run)
        if len(letters) == 3 and any(c in _ONE_LETTER_WORDS for c in letters.lower()):
            continue
        base = m.start()
        for s in _SEP_RE.finditer(run):
            edits.append((base + s.start(), base + s.end(), ""))
    if not edits:
        return text, None
    return _apply_edits(text, edits)


# ---------------------------------------------------------------------------------------------
# Step 6: homoglyphs and leetspeak (1:1, so no index map is needed)
# ---------------------------------------------------------------------------------------------

_LAT_TO_CYR = str.maketrans(
    "AaBCcEeHKkMOoPpTXxYyIih",
    "АаВСсЕеНКкМОоРрТХхУуІіһ",
)
_GRK_TO_CYR = str.maketrans("ΑαΒΕΗΚκΜΟοΡρΤΧχΥΙ", "АаВЕНКкМОоРрТХхУІ")
_CYR_TO_LAT = str.maketrans(
    "АаВСсЕеНКкМОоРрТХхУуІіЈјЅѕһԁԛԝӀӏьгп",
    "AaBCcEeHKkMOoPpTXxYyIiJjSshdqwIlbrn",
)
_GRK_TO_LAT = str.maketrans("ΑαΒΕεΖΗΙιΚκΜΝνΟοΡρΤτΥυΧχ", "AaBEeZHIiKkMNvOoPpTtYuXx")
_LEET_LAT = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET_CYR = {"0": "о", "3": "з", "4": "ч", "6": "б", "@": "а"}

_CYR = "\u0400-\u052f"
_GRK = "\u0370-\u03ff"
_PAIR = (
    rf"[A-Za-z][{_CYR}{_GRK}]|[{_CYR}{_GRK}][A-Za-z]|[{_GRK}][{_CYR}]|[{_CYR}][{_GRK}]"
    r"|[^\W\d_][0-9@$]|[0-9@$][^\W\d_]"
)
_CAND_RE = re.compile(rf"(?<![\w@$])(?=[\w@$]*?(?:{_PAIR}))[\w@$]+")
_LATIN_LETTERS_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYR_LETTERS_RE = re.compile(f"[{_CYR}]")
_GRK_LETTERS_RE = re.compile(f"[{_GRK}]")
_ASCII_LETTER_RE = re.compile("[A-Za-z]")
_CYR_GRK_RE = re.compile("[\u0370-\u052f]")  # Greek and Cyrillic blocks are adjacent
# A leet character next to a letter; written to start with a character set so that the regex
# engine can skip ahead quickly.
_LEET_CHAR_RE = re.compile(r"[0-9@$]")
_LEET_HINT_RE = re.compile(
    r"[0-9$](?:(?<=[^\W\d_][0-9$])|(?=[^\W\d_]))|@(?<=[^\W\d_]@)(?=[^\W\d_])"
)


def _script(ch: str) -> int:
    """0 other, 1 Latin, 2 Cyrillic, 3 Greek (letters only)."""
    o = ord(ch)
    if o < 0x80:
        return 1 if ch.isalpha() else 0
    if 0xC0 <= o <= 0x24F:
        return 1 if ch.isalpha() else 0
    if 0x400 <= o <= 0x52F:
        return 2
    if 0x370 <= o <= 0x3FF:
        return 3 if ch.isalpha() else 0
    return 0


def _fix_token(tok: str, text_majority: int, arabizi: bool) -> str:
    if tok == "@user":
        return tok
    counts = [0, 0, 0, 0]
    for ch in tok:
        counts[_script(ch)] += 1
    lat, cyr, grk = counts[1], counts[2], counts[3]
    if lat > cyr and lat >= grk:
        target = 1
    elif cyr > lat and cyr >= grk:
        target = 2
    elif lat and lat == cyr:
        target = text_majority
    else:
        return tok  # Greek-majority (Greek text) or no letters: leave alone
    fixed = tok
    if target == 1:
        if cyr:
            fixed = fixed.translate(_CYR_TO_LAT)
        if grk:
            fixed = fixed.translate(_GRK_TO_LAT)
        leet = None if arabizi else _LEET_LAT  # Arabizi digits (3, 7, 5) are letters
    else:
        if lat:
            fixed = fixed.translate(_LAT_TO_CYR)
        if grk:
            fixed = fixed.translate(_GRK_TO_CYR)
        leet = _LEET_CYR
    if (target == 1 and (cyr or grk)) or (target == 2 and (lat or grk)):
        # Only a token that becomes single-script is an obfuscated word. "idтак" or
        # "СЛУЖАНКАnikname" are two words glued together: leave them as they are, and so for
        # "strikeАх", where the other script is one block of 2+ letters at an end.
        if any(_script(ch) not in (0, target) for ch in fixed):
            return tok
        minority = [i for i, ch in enumerate(tok) if _script(ch) not in (0, target)]
        a, b = minority[0], minority[-1] + 1
        if b - a == len(minority) >= 2 and (a == 0 or b == len(tok)):
            return tok
    if leet is None:
        return fixed
    return _unleet(fixed, target, leet)


def _unleet(tok: str, target: int, leet: dict[str, str]) -> str:
    """Map leet characters to letters inside a word of script ``target``.

    A single leet character between two letters is mapped ("m4rtyr", "1s1s"), except at a
    word boundary ("Kills4Bayah", "ICC4Israel": "for") or inside a short acronym ("P4B");
    two or more in a row are a number ("Twitter10k"). A run at the start or end of the token
    is mapped only when the token already had an inner one ("h3ll0"), so "3days" and
    "только4" stay. A token with any other digit ("covid19", "DDD95D1C") is a number or an
    identifier and stays as it is.
    """
    n = len(tok)
    if not any(ch in leet for ch in tok):
        return tok
    letters = 0
    for ch in tok:
        if ch.isdigit() and ch not in leet:
            return tok
        if _script(ch) == target:
            letters += 1
    if letters < 2:
        return tok
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if tok[i] in leet:
            j = i
            while j < n and tok[j] in leet:
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    chars = list(tok)
    inner = False
    edge: list[tuple[int, int]] = []
    for a, b in runs:
        left = tok[a - 1] if a > 0 else ""
        right = tok[b] if b < n else ""
        left_ok = bool(left) and _script(left) == target
        right_ok = bool(right) and _script(right) == target
        if left_ok and right_ok:
            if b - a > 1:
                continue  # "10", "14": a number inside a word ("Twitter10k") is not leet
            if right.isupper() and (left.islower() or letters <= 3 or not tok.isupper()):
                continue  # word boundary ("Kills4Bayah", "ICC4Israel") or acronym ("P4B")
            for k in range(a, b):
                chars[k] = leet[tok[k]]
            inner = True
        elif (left_ok or right_ok) and "@" not in tok[a:b]:
            edge.append((a, b))
    if not inner:
        return tok
    for a, b in edge:
        for k in range(a, b):
            chars[k] = leet[tok[k]]
    return "".join(chars)


def _homoglyphs(text: str, sig: str | None = None) -> str:
    if sig is not None:
        mixed = ("L" in sig) + ("C" in sig) + ("G" in sig) >= 2
        if not mixed and not any(p in sig for p in _LEET_SIG):
            return text
    else:
        mixed = False
        if not text.isascii() and _CYR_GRK_RE.search(text):
            mixed = _ASCII_LETTER_RE.search(text) is not None or (
                _GRK_LETTERS_RE.search(text) is not None
                and _CYR_LETTERS_RE.search(text) is not None
            )
        if not mixed and not (_LEET_CHAR_RE.search(text) and _LEET_HINT_RE.search(text)):
            return text
    if not _CAND_RE.search(text):
        return text
    lat = len(_LATIN_LETTERS_RE.findall(text))
    cyr = len(_CYR_LETTERS_RE.findall(text))
    majority = 2 if cyr > lat else 1
    arabizi = _looks_arabizi(text)
    return _CAND_RE.sub(lambda m: _fix_token(m.group(), majority, arabizi), text)


def _looks_arabizi(text: str) -> bool:
    # Imported lazily: langid is heavier and imports this module's neighbours.
    from nazar.text.langid import looks_arabizi

    return looks_arabizi(text)


# ---------------------------------------------------------------------------------------------
# Step 7: lower-casing
# ---------------------------------------------------------------------------------------------

# "İ".lower() is "i" + combining dot (two characters): fold it first to keep the map 1:1.
_PRE_LOWER = str.maketrans({"İ": "i"})


def _lower(text: str) -> tuple[str, list[int] | None]:
    low = text.lower()
    if len(low) == len(text):
        return low, None
    text = text.translate(_PRE_LOWER)
    low = text.lower()
    if len(low) == len(text):
        return low, None
    # Rare: another character whose lower case is longer. Go character by character.
    pieces: list[str] = []
    m: list[int] = []
    for i, ch in enumerate(text):
        lc = ch.lower()
        pieces.append(lc)
        m.extend([i] * len(lc))
    m.append(len(text))
    return "".join(pieces), m


# ---------------------------------------------------------------------------------------------
# Step 8: whitespace and repeated characters
# ---------------------------------------------------------------------------------------------

_WS_RE = re.compile(r"^\s+|\s+$|[^\S ]\s*|\s{2,}")
# "(.)\1\1" finds a run about three times faster than "(.)\1{2,}": search with it first.
_REPEAT_HINT_RE = re.compile(r"(.)\1\1")
_REPEAT_RE = re.compile(r"(.)\1{2,}")


def _squeeze(text: str) -> tuple[str, list[int] | None]:
    if not text:
        return text, None
    edits: list[Edit] = []
    n = len(text)
    # isprintable() is False for any whitespace but " " (and for control characters): a C-speed
    # test that spares the regex for most texts.
    if "  " in text or text[0] == " " or text[-1] == " " or not text.isprintable():
        for m in _WS_RE.finditer(text):
            s, e = m.span()
            edits.append((s, e, "" if s == 0 or e == n else " "))
    if _REPEAT_HINT_RE.search(text):
        for m in _REPEAT_RE.finditer(text):
            ch = m.group(1)
            if ch.isdigit() or ch.isspace():
                continue  # 1000000 is a number, and whitespace is handled above
            edits.append((m.start() + 2, m.end(), ""))
        edits.sort()
    if not edits:
        return text, None
    return _apply_edits(text, edits)


# ---------------------------------------------------------------------------------------------
# Character-class signature: one translate instead of several regex scans
# ---------------------------------------------------------------------------------------------
# Each regex scan of a 150-character text costs ~2-3 us in CPython, whatever the pattern. After
# the token step the text is mapped once to a string of class codes, and the tests of the
# later steps become substring tests on it (C speed): L Latin letter, C Cyrillic, G Greek,
# x other letter, d digit or "$", @ itself, s whitespace or spaced-letter separator, o other.


def _build_sig_table() -> list[str]:
    table = ["o"] * 0x10000
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalpha():
            if cp < 0x250:
                table[cp] = "L" if (ch.isascii() or cp >= 0xC0) else "x"
            elif 0x370 <= cp <= 0x3FF:
                table[cp] = "G"
            elif 0x400 <= cp <= 0x52F:
                table[cp] = "C"
            else:
                table[cp] = "x"
        elif ch.isspace() or ch in ".-_*·•":
            table[cp] = "s"
    for ch in "0123456789$":
        table[ord(ch)] = "d"
    table[ord("@")] = "@"
    return table


_SIG_TABLE = _build_sig_table()
# Astral code points (emoji...) are past the end of the list: translate leaves them unchanged,
# which is harmless since no test below looks for them.


_SIG_BYTES = bytes(ord(_SIG_TABLE[i]) for i in range(128)) + b"o" * 128


def _signature(text: str) -> str:
    if text.isascii():
        # bytes.translate is several times faster than str.translate for ASCII text.
        return text.encode("ascii").translate(_SIG_BYTES).decode("ascii")
    return text.translate(_SIG_TABLE)


_SPACED_SIG = ("sLs", "sCs", "sGs", "sxs")
_LEET_SIG = ("Ld", "dL", "Cd", "dC", "L@L", "C@C")


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


def normalize(text: str, *, transliterate_kazakh: bool = True) -> NormalizedText:
    """Normalise ``text`` for classification, keeping exact offsets to the original.

    See the module docstring for the steps. The result is lower-case, has single spaces, no
    leading/trailing whitespace, and is (close to) a fixed point: normalising it again changes
    nothing in ordinary texts.
    """
    if not text:
        return NormalizedText(text, "", range(1))
    original = text
    offs: list[int] | None = None

    def compose(m: list[int] | None) -> None:
        nonlocal offs
        if m is None:
            return
        # map() with __getitem__ is about twice as fast as a list comprehension here.
        offs = m if offs is None else list(map(offs.__getitem__, m))

    text, m = _combining(text)
    compose(m)
    text, m = _fold(text)
    compose(m)
    text, m = _tokens(text)
    compose(m)
    sig = _signature(text)
    if transliterate_kazakh and "L" in sig and looks_kazakh_latin(text, _prepared=True):
        text, km = kazakh_latin_to_cyrillic(text, skip=_PLACEHOLDER_RE)
        compose(km)
        sig = _signature(text)
    # The signature stays valid for the homoglyph test after joining: joining only removes
    # separators between single letters.
    text, m = _join_spaced(text, sig)
    compose(m)
    text = _homoglyphs(text, sig)
    text, m = _lower(text)
    compose(m)
    text, m = _squeeze(text)
    compose(m)

    final: Sequence[int]
    if offs is None:
        final = range(len(text) + 1)
    elif len(offs) > _ARRAY_THRESHOLD:
        final = array("q", offs)
    else:
        final = tuple(offs)
    return NormalizedText(original, text, final)
