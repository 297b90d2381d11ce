"""The Arabic and English indicator lexicons: well-formed, and hitting the cues they promise.

The JSON files are read with plain json/re, so a broken lexicon file is reported here by
entry rather than as a compile error when the detector loads. Example sentences are written already
normalised (lower-case; Arabic with unified alef/yeh/teh-marbuta, no diacritics or tatweel).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nazar.detect.lexicon import AWAY_CUES as _AWAY_CUES
from nazar.detect.lexicon import PRO_CUES as _PRO_CUES
from nazar.detect.lexicon import Lexicon
from nazar.types import THEMES as _THEMES

try:  # Python 3.11+
    import re._parser as sre_parse  # type: ignore[import-not-found]
    from re._constants import (  # type: ignore[import-not-found]
        GROUPREF,
        GROUPREF_EXISTS,
        MAX_REPEAT,
        MIN_REPEAT,
    )
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse  # type: ignore[no-redef]
    from sre_constants import GROUPREF, GROUPREF_EXISTS, MAX_REPEAT, MIN_REPEAT  # type: ignore

LEXICON_DIR = Path(__file__).resolve().parents[1] / "src" / "nazar" / "detect" / "lexicon"
LANGS = ("ar", "en")

# One source of truth for the vocabulary: the lexicon module and the taxonomy types.
THEMES = set(_THEMES)
PRO_CUES = set(_PRO_CUES)
AWAY_CUES = set(_AWAY_CUES)


def load(lang: str) -> dict:
    return json.loads((LEXICON_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def find(lang: str, text: str) -> list[tuple[str, str, str]]:
    """(cue, id, matched text) for every hit, scanned by the detector's own lexicon."""
    return [
        (h.cue.cue, h.cue.id, text[h.start : h.end])
        for h in Lexicon.default().find_in(text, (lang,))
    ]


def cues(lang: str, text: str) -> set[str]:
    return {c for c, _, _ in find(lang, text)}


def _walk(parsed, inside_repeat: bool, problems: list[str]) -> None:
    for op, av in parsed:
        if op in (GROUPREF, GROUPREF_EXISTS):
            problems.append("backreference")
        if op in (MAX_REPEAT, MIN_REPEAT):
            if inside_repeat:
                problems.append("nested quantifier")
            _walk(av[2], True, problems)
            continue
        # recurse into sub-patterns (groups, alternations, lookarounds)
        items = av if isinstance(av, (list, tuple)) else [av]
        for item in items:
            if isinstance(item, sre_parse.SubPattern):
                _walk(item, inside_repeat, problems)
            elif isinstance(item, (list, tuple)):
                for sub in item:
                    if isinstance(sub, sre_parse.SubPattern):
                        _walk(sub, inside_repeat, problems)


# ------------------------------------------------------------------ structure


@pytest.mark.parametrize("lang", LANGS)
def test_file_shape_and_size(lang: str) -> None:
    data = load(lang)
    assert data["lang"] == lang
    entries = data["entries"]
    assert 50 <= len(entries) <= 90, len(entries)
    for e in entries:
        assert set(e) == {"id", "pattern", "cue", "themes", "why"}, e["id"]
        assert e["id"].startswith(f"{lang}-"), e["id"]
        assert e["why"].strip(), e["id"]


@pytest.mark.parametrize("lang", LANGS)
def test_ids_unique(lang: str) -> None:
    ids = [e["id"] for e in load(lang)["entries"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", LANGS)
def test_every_pattern_compiles_without_groups_backrefs_or_nested_quantifiers(lang: str) -> None:
    for e in load(lang)["entries"]:
        rx = re.compile(e["pattern"])
        assert rx.groups == 0, f"{e['id']}: capturing group"
        assert not rx.match(""), f"{e['id']}: matches the empty string"
        problems: list[str] = []
        _walk(sre_parse.parse(e["pattern"]), False, problems)
        assert not problems, f"{e['id']}: {problems}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_detector_loads_every_entry(lang: str) -> None:
    lexicon = Lexicon.from_files([LEXICON_DIR / f"{lang}.json"])
    assert lexicon.size == len(load(lang)["entries"])


@pytest.mark.parametrize("lang", LANGS)
def test_cues_and_themes_valid(lang: str) -> None:
    for e in load(lang)["entries"]:
        assert e["cue"] in PRO_CUES | AWAY_CUES, e["id"]
        assert set(e["themes"]) <= THEMES, e["id"]
        if e["cue"] in AWAY_CUES or e["cue"] == "group_name":
            assert e["themes"] == [], e["id"]
        else:
            assert e["themes"], f"{e['id']}: a pro cue needs a theme"


@pytest.mark.parametrize("lang", LANGS)
def test_coverage_of_cues_and_themes(lang: str) -> None:
    entries = load(lang)["entries"]
    present = {e["cue"] for e in entries}
    assert present >= AWAY_CUES, AWAY_CUES - present
    assert present >= PRO_CUES, PRO_CUES - present
    theme_counts = {t: sum(t in e["themes"] for e in entries) for t in THEMES}
    thin = {t: n for t, n in theme_counts.items() if n < 2}
    assert not thin, thin


@pytest.mark.parametrize("lang", LANGS)
def test_no_bare_common_words_as_pro_cues(lang: str) -> None:
    bare = {"god", "allah", "jihad", "الله", "جهاد", "الجهاد", "islam", "muslim", "الاسلام"}
    for e in load(lang)["entries"]:
        if e["cue"] in PRO_CUES:
            for word in bare:
                assert not re.fullmatch(e["pattern"], word), f"{e['id']} matches bare {word!r}"


# ------------------------------------------------------------------ examples

AR_PRO = [
    ("يا شباب الاسلام هاجروا الي دار الخلافه قبل ان يفوتكم الركب", "call_to_join"),
    ("فجددوا بيعتكم لامير المومنين يا اهل التوحيد", "pledge"),
    ("ولايه سيناء: بفضل الله تمكن جنود الخلافه من استهداف تجمع للجيش المرتد", "attack_claim"),
    ("اخونا ابو البراء تقبله الله نحسبه كذلك والله حسيبه", "attack_claim"),
    ("نحسبه من الشهداء، قتل مقبلا غير مدبر، اللهم الحقنا به", "martyrdom"),
    ("الجيش والشرطه في بلاد الطواغيت مرتدون، من لبس بدلتهم فقد خرج من المله", "takfir"),
    ("اليهود والصليبيون قرده وخنازير", "dehumanization"),
    ("الثار الثار لاطفال الباغوز، سيدفعون الثمن", "revenge"),
    ("ما اجمل العيش تحت رايه التوحيد، الشرع محكم والحسبه تامر بالمعروف", "utopia"),
    ("اين انتم يا مسلمي العالم؟ اخواتكم في السجون", "oppressed"),
    ("الخلافه علي منهاج النبوه، ولا تاخذوا دينكم من مشايخ السلطان", "legitimacy"),
    ("انشروا اصدارات الاخوه فالجهاد الاعلامي نصف المعركه", "fundraising"),
    ("باقيه وتتمدد رغم انف الكافرين، فجهزوا اكفانكم", "threat"),
    ("وكاله اعماق: مقاتلو الدوله الاسلاميه يسيطرون علي عده مواقع", "attack_claim"),
]
AR_AWAY = [
    ("وقال المتحدث باسم وزاره الداخليه ان التنظيم تبني الهجوم في بيان", "attribution"),
    ("قضت المحكمه بالسجن سبع سنوات علي المتهم", "attribution"),
    ("كنت اظن انني ساموت شهيدا، خدعونا باسم الدين وانا نادم", "regret"),
    ("هولاء خوارج العصر، والاسلام دين رحمه لا علاقه له بالقتل", "refutation"),
    ("اذا صادفت محتوي يدعو للعنف بلغ عنه او اتصل بخط المساعده", "prevention"),
    ("في مركز التاهيل تعلمت الخياطه بعد عودتي", "prevention"),
    ("من نسي وهو صايم فاكل فليتم صومه (متفق عليه)", "scripture_ref"),
    ("﴿الا بذكر الله تطمين القلوب﴾ [الرعد: 28]", "scripture_ref"),
    ("رمضان كريم، تقبل الله منا ومنكم الصيام والقيام", "prayer"),
    ("خطبه الجمعه: الجهاد الاكبر جهاد النفس", "inner_jihad"),
]
AR_ORDINARY = [
    "يا بلادي يا ام البلاد بحبك يا مصر",
    "الماتش النهارده كان تحفه والجول الاخير جنان",
    "عندي سوال عن الوضوء: اذا لبست الجوارب بعد الوضوء هل يجوز المسح عليها؟",
    "قال رسول الله صلي الله عليه وسلم: تبسمك في وجه اخيك لك صدقه (رواه الترمذي)",
    "جمعه مباركه، لا تنسوا سوره الكهف",
    "الايام الباقيه من الشهر قليله والاسعار نار",
    "للبيع سياره بحاله ممتازه، السعر قابل للتفاوض",
    "غزوه بدر في السابع عشر من رمضان في السنه الثانيه للهجره",
    "اللهم ارحم ابي واغفر له واسكنه الفردوس الاعلي",
    "الف مبروك التخرج يا هاجر",
]

EN_PRO = [
    (
        "brothers in the west, hijrah is wajib now. leave the dunya and come to the land of the khilafah",
        "call_to_join",
    ),
    ("renew your bay'ah to amir al-mu'minin today", "pledge"),
    (
        "by allah's grace the soldiers of the khilafah ambushed a patrol of the murtad police",
        "attack_claim",
    ),
    ("a'maq agency: islamic state fighters repel an attack by the apostate army", "attack_claim"),
    ("brother abu harith, may allah accept him, carried out a martyrdom operation", "attack_claim"),
    ("the blood of the shaheed smells of musk. the hoor al-'ayn are waiting", "martyrdom"),
    (
        "the armies of the tawaghit are apostate armies, whoever wears their uniform has left islam",
        "takfir",
    ),
    ("the rafidah are najis filth and the crusaders are swine", "dehumanization"),
    ("revenge for the martyrs of the camps! blood for blood", "revenge"),
    ("here there is no riba, no zina, only life under the shariah", "utopia"),
    ("where are you, o muslims? your captive sisters cry out", "oppressed"),
    (
        "the khilafah upon the prophetic methodology has returned, the palace scholars hide it",
        "legitimacy",
    ),
    ("if you cannot go, then equip a fighter. media jihad is half of the battle", "fundraising"),
    ("baqiyah! remaining and expanding. today mosul, tomorrow rome", "threat"),
    ("the khilafah is wajib on every muslim", "legitimacy"),
]
EN_AWAY = [
    (
        "the islamic state group said in a statement that two of its fighters carried out the attack, according to officials",
        "attribution",
    ),
    ("a regional court sentenced a 27-year-old man to seven years in prison", "attribution"),
    (
        "i went there thinking i was making hijrah. it was foolishness. there was no religion there",
        "regret",
    ),
    ("the khawarij declared muslims disbelievers; this has nothing to do with islam", "refutation"),
    (
        "kazakhstan brought home 600 citizens under operation jusan, and a rehabilitation centre opened",
        "prevention",
    ),
    ("actions are judged by intentions (sahih al-bukhari 1)", "scripture_ref"),
    ("'allah does not burden a soul beyond that it can bear.' (2:286)", "scripture_ref"),
    ("may allah have mercy on him. ameen", "prayer"),
    ("the greater jihad is jihad al-nafs, the struggle against your ego", "inner_jihad"),
]
EN_ORDINARY = [
    "finally finished moving into the new flat. 47 boxes and not one of them labelled properly.",
    "what a goal!!! last minute winner, i'm losing my voice here",
    "she held back tears as she stayed at home with the kids. no more excuses, gym tomorrow",
    "the state government announced new support for small businesses",
    "new release from my favourite band, the album is out now",
    "on this day in 624 ce, the battle of badr: 313 muslims faced an army three times their size.",
    "jumu'ah mubarak, don't forget al-kahf",
    "eid mubarak to all, may allah accept our fasting",
    "i won't shake hands with women who aren't mahram. it's my religious practice.",
    "just went full rampage in call of duty, 32 kills no deaths",
]


@pytest.mark.parametrize(("text", "cue"), AR_PRO + AR_AWAY)
def test_arabic_examples_hit_expected_cue(text: str, cue: str) -> None:
    assert cue in cues("ar", text), find("ar", text)


@pytest.mark.parametrize(("text", "cue"), EN_PRO + EN_AWAY)
def test_english_examples_hit_expected_cue(text: str, cue: str) -> None:
    assert cue in cues("en", text), find("en", text)


@pytest.mark.parametrize("text", AR_ORDINARY)
def test_arabic_ordinary_hits_no_pro_cue(text: str) -> None:
    assert not cues("ar", text) & PRO_CUES, find("ar", text)


@pytest.mark.parametrize("text", EN_ORDINARY)
def test_english_ordinary_hits_no_pro_cue(text: str) -> None:
    assert not cues("en", text) & PRO_CUES, find("en", text)


def test_quoted_terms_in_reporting_are_not_pro_cues() -> None:
    # Scare quotes mark the reporting voice: the quoted term is not a claim in the group's voice.
    text = "the group said two fighters carried out what it called a 'martyrdom operation'"
    assert "attack_claim" not in cues("en", text)
    assert "attribution" in cues("en", text)
    assert "attack_claim" not in cues("ar", "ووصف التنظيم منفذ الهجوم ب«الاستشهادي»")


def test_specific_phrase_wins_over_bare_group_name() -> None:
    # One alternation is scanned leftmost-first: "khilafah is wajib" must not be eaten by "khilafah".
    assert "legitimacy" in cues("en", "khilafah is wajib")
    assert "legitimacy" in cues("ar", "الخلافه فريضه غابت قرنا")
