"""Russian and Kazakh indicator lexicons: well-formed, and the cues fire where they should.

The JSON files are read with plain json/re, so a broken lexicon is reported here with the
entry id rather than as a compile error when the detector loads. Example sentences are
written already normalised (lower case, ё -> е), as the lexicon sees them.
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

LEXICON_DIR = Path(__file__).resolve().parents[1] / "src" / "nazar" / "detect" / "lexicon"
LANGS = ("ru", "kk")

# One source of truth for the vocabulary: the lexicon module and the taxonomy types.
THEMES = set(_THEMES)
PRO_CUES = set(_PRO_CUES)
AWAY_CUES = set(_AWAY_CUES)


def _load(lang: str) -> dict:
    return json.loads((LEXICON_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def _normalise(text: str) -> str:
    return text.lower().replace("ё", "е")


def _repeated_groups_with_quantifiers(pattern: str) -> list[str]:
    """Groups repeated by *, + or {m,n} (n > 1) that themselves contain a quantifier."""
    stack: list[int] = []
    groups: list[tuple[int, int]] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            stack.append(i)
        elif c == ")":
            groups.append((stack.pop(), i))
        i += 1
    bad = []
    for start, end in groups:
        after = pattern[end + 1 : end + 12]
        rep = re.match(r"[*+]|\{\d*,\d*\}|\{\d*[2-9]\d*\}", after)
        inner = re.sub(r"\\.|\[(?:\\.|[^\]])*\]", "x", pattern[start + 1 : end])
        if rep and re.search(r"[*+]|\{\d", inner.lstrip("?:")):
            bad.append(pattern[start : end + 1 + len(rep.group())])
    return bad


def _cues(text: str, langs: tuple[str, ...]) -> set[str]:
    """Cues found by the detector's own lexicon scan, for the named languages."""
    return {h.cue.cue for h in Lexicon.default().find_in(_normalise(text), langs)}


@pytest.mark.parametrize("lang", LANGS)
def test_structure(lang: str) -> None:
    data = _load(lang)
    assert data["lang"] == lang
    entries = data["entries"]
    assert 50 <= len(entries) <= 90
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for e in entries:
        assert set(e) == {"id", "pattern", "cue", "themes", "why"}, e["id"]
        assert e["id"].startswith(f"{lang}-"), e["id"]
        assert e["why"].strip(), e["id"]
        assert e["cue"] in PRO_CUES | AWAY_CUES, e["id"]
        assert set(e["themes"]) <= THEMES, e["id"]
        if e["cue"] in AWAY_CUES or e["cue"] == "group_name":
            assert e["themes"] == [], e["id"]
        else:
            assert e["themes"], e["id"]


@pytest.mark.parametrize("lang", LANGS)
def test_patterns_compile_without_groups(lang: str) -> None:
    patterns = [e["pattern"] for e in _load(lang)["entries"]]
    for e in _load(lang)["entries"]:
        compiled = re.compile(e["pattern"])
        # Patterns are combined into one alternation of named groups: no groups of their own.
        assert compiled.groups == 0, e["id"]
        assert not re.search(r"\\[1-9]|\(\?P[<=]", e["pattern"]), e["id"]
        assert not compiled.match(""), f"{e['id']} matches the empty string"
        assert not _repeated_groups_with_quantifiers(e["pattern"]), e["id"]
    combined = re.compile("|".join(f"(?P<c{i}>{p})" for i, p in enumerate(patterns)))
    assert combined.groups == len(patterns)


@pytest.mark.parametrize("lang", LANGS)
def test_coverage_of_cues_and_themes(lang: str) -> None:
    entries = _load(lang)["entries"]
    cues = {e["cue"] for e in entries}
    assert cues >= AWAY_CUES, AWAY_CUES - cues
    assert cues >= PRO_CUES, PRO_CUES - cues
    for theme in THEMES:
        n = sum(theme in e["themes"] for e in entries)
        assert n >= 3, f"{lang}: theme {theme} only {n} times"


RU_EXAMPLES = [
    ("братья, совершайте хиджру в халифат", "call_to_join"),
    ("вставайте в ряды моджахедов, не сидите дома", "call_to_join"),
    ("обновите свою байа халифу мусульман", "pledge"),
    ("брат абу мухаммад, да примет его аллах, атаковал патруль", "attack_claim"),
    ("амак: солдаты халифата подбили машину", "attack_claim"),
    ("наш брат стал шахидом, встреча в садах фирдауса", "martyrdom"),
    ("полицейские — муртады, кровь их дозволена", "takfir"),
    ("армия тагута воюет против шариата", "takfir"),
    ("эти кафиры — свиньи и шакалы", "dehumanization"),
    ("кровь за кровь, государство отомстит за каждую сестру", "revenge"),
    ("под шариатом халифата вдовы получают закят", "utopia"),
    ("где вы, мусульмане? наши сестры сидят в лагерях", "oppressed"),
    ("кто умер без присяги, умер смертью джахилии", "legitimacy"),
    ("поддержите семьи шахидов, передайте садаку", "fundraising"),
    ("дауля баакия, халифат вернется", "threat"),
    ("халифат вернется, ждите", "threat"),
    ("эти муртады — псы тагута", "dehumanization"),
    ("запрещенная организация «исламское государство»", "group_name"),
    ("по данным фсб, задержан житель казани", "attribution"),
    ("группировка взяла на себя ответственность за взрыв", "attribution"),
    ("нас обманули, это была ошибка, о которой я жалею", "regret"),
    ("это путь хаваридж, а не ислам", "refutation"),
    ("позвоните на горячую линию, там работают психологи", "prevention"),
    ("передал аль-бухари; «нет принуждения в религии» (2:256)", "scripture_ref"),
    ("рамадан мубарак! пусть аллах примет наш пост. амин", "prayer"),
    ("величайший джихад — борьба с собственным эго", "inner_jihad"),
]

KK_EXAMPLES = [
    ("бауырлар, дәуленің жеріне хижра жасаңдар", "call_to_join"),
    ("халифаттың сапына қосылыңдар", "call_to_join"),
    ("әміріңе бәйғат бер, бауырым", "pledge"),
    ("халифат сарбаздары колоннаға шабуыл жасады", "attack_claim"),
    ("алла оны қабыл етсін, ол шейіттік амал жасады", "attack_claim"),
    ("шаһид өлмейді, жәннатта кездескенше", "martyrdom"),
    ("тағуттың полицейі — муртадтар, олардың қаны халал", "takfir"),
    ("рафизилер — нәжіс, олар адам емес", "dehumanization"),
    ("кек аламыз, ұмытпаймыз, кешірмейміз", "revenge"),
    ("халифат жерінде пара жоқ", "utopia"),
    ("мұсылмандар, қайдасыңдар?!", "oppressed"),
    ("бәйғатсыз өлген жаһилиет өлімімен өледі", "legitimacy"),
    ("шаһидтердің жесірлеріне садақаңды аяма", "fundraising"),
    ("дәулә бақи!", "threat"),
    ("бауырлар, хижра — парыз! дәулә бақи!", "threat"),
    ("муртад әскерлер — тағуттың иттері", "dehumanization"),
    # informal Latin Kazakh after transliteration loses the Kazakh letters
    ("мусулмандар кайдасындар?? балалар оліп жатыр", "oppressed"),
    ("біздін бауйрларды турмеде кінап жатыр. даула бакі", "threat"),
    ("ұқк мәліметінше, күдікті ұсталды", "attribution"),
    ("мен алдандым, бұл ақымақтық болды", "regret"),
    ("такфир — хауариждердің жолы", "refutation"),
    ("оңалту орталығында психологтар жұмыс істейді", "prevention"),
    ("«алла ешкімге шамасы келмейтін нәрсені жүктемейді» (бақара, 286)", "scripture_ref"),
    ("рамазан айы құтты болсын! әумин", "prayer"),
    ("ең үлкен жиһад — нәпсімен күрес", "inner_jihad"),
]


@pytest.mark.parametrize(("text", "cue"), RU_EXAMPLES)
def test_russian_examples(text: str, cue: str) -> None:
    assert cue in _cues(text, ("ru",))


@pytest.mark.parametrize(("text", "cue"), KK_EXAMPLES)
def test_kazakh_examples(text: str, cue: str) -> None:
    assert cue in _cues(text, ("kk",))


ORDINARY = [
    # Russian
    "сегодня хорошая погода, пойдем гулять в парк",
    "наша команда одержала победу в матче со счетом 2:1",
    "государство повысило пенсии с января",
    "давление у мамы опять высокое",
    "джума мубарак, братья и сестры",
    "хиджра пророка из мекки в медину стала началом летоисчисления",
    "праведные халифы правили около тридцати лет",
    "вчера в доте убил всех, рампага",
    "поздравляю с днем рождения, счастья и здоровья",
    # Kazakh
    "бүгін ауа райы тамаша, балалармен саябаққа барамыз",
    "«қайрат» футбол клубы жеңіске жетті",
    "мемлекет зейнетақыны көтерді",
    "жұма мүбәрак, ағайын!",
    "пайғамбарымыздың меккеден мединаға хижраты 622 жылы болды",
    "екі тарап дауларын сотта шешті",
    "дүние бақи емес, ағайын",
    "оқушылар, сапқа тұрыңдар",
    "мені күтіңдер, бес минутта келемін",
    "шошқа еті халал емес",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_hit_no_pro_cue(text: str) -> None:
    # Both Cyrillic lexicons run on every Cyrillic text, so check them together.
    assert not (_cues(text, LANGS) & PRO_CUES)
