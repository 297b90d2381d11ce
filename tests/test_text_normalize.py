"""Behaviour tests for nazar.text.normalize and nazar.text.transliterate."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from nazar.text import NormalizedText, kazakh_latin_to_cyrillic, normalize
from nazar.text.transliterate import detect_alphabet, looks_kazakh_latin

MIXED = [
    "",
    " ",
    "Check https://t.co/abc123, and @john_doe #AllEyesOnISIS #الدولة_الإسلامية",
    "ﻭﻻﻳﺔ سيناء: الدَّوْلَةُ الإسْلامِيَّةُ بـــاقـــيـــة",
    "D a e s h   and  И Г И Л\n\tare banned ‼️‼️‼️",
    "Dаеsh sоldiers m4rtyr h3ll0 2015 5th mp3 covid19 Kills4Bayah",
    "Ｄａｅｓｈ 𝐈𝐒𝐈𝐒 \u200bhid\u200bden \u202eRLO",
    "Qazaqstan Respýblıkasynyń Prezıdenti búgin halyqqa Joldaý jasady. http://x.kz",
    "Ёлка ٣٤٥ ۶ کتاب یک ههههههه sooooo 1000000",
    "ﷺ and ﻻ and İstanbul and И\u0301ГИЛ",
    "RT @USER: a &amp; b &gt;&gt; c",
]


def _check_invariants(r: NormalizedText) -> None:
    offs = list(r.offsets)
    assert len(offs) == len(r.text) + 1
    assert offs[-1] == len(r.original)
    assert all(a <= b for a, b in pairwise(offs)), "offsets must be non-decreasing"
    assert all(0 <= o < len(r.original) for o in offs[:-1]), "every char maps to a real index"


def _span(r: NormalizedText, word: str) -> str:
    """Original text behind the first occurrence of ``word`` in the normalised text."""
    m = re.search(re.escape(word), r.text)
    assert m is not None, (word, r.text)
    s, e = r.to_original(*m.span())
    return r.original[s:e]


@pytest.mark.parametrize("text", MIXED)
def test_offsets_invariants(text: str) -> None:
    r = normalize(text)
    assert r.original == text
    _check_invariants(r)


def test_empty_and_blank() -> None:
    r = normalize("")
    assert r.text == "" and list(r.offsets) == [0]
    assert r.to_original(0, 0) == (0, 0)
    r = normalize("  \u200b \n")
    assert r.text == ""
    assert list(r.offsets) == [5]


def test_untouched_text_has_identity_offsets() -> None:
    r = normalize("hello world")
    assert r.text == "hello world"
    assert list(r.offsets) == list(range(12))


def test_lowercases() -> None:
    assert normalize("Hello МИР Қазақ").text == "hello мир қазақ"
    assert normalize("İstanbul").text == "istanbul"  # no stray combining dot


# --- Arabic ----------------------------------------------------------------------------------


def test_arabic_presentation_forms_and_lam_alef() -> None:
    r = normalize("ﻭﻻﻳﺔ")
    assert r.text == "ولايه"
    # lam-alef ligature at index 1 expands to two letters that both point at it
    assert list(r.offsets) == [0, 1, 1, 2, 3, 4]
    assert normalize("ﻻ إله إلا الله").text == "لا اله الا الله"


def test_arabic_diacritics_tatweel_and_letter_forms() -> None:
    assert normalize("الدَّوْلَةُ الإسْلامِيَّة").text == "الدوله الاسلاميه"
    assert normalize("بـــاقـــيـــة").text == "باقيه"
    assert normalize("أحمد إمام آمن ٱلله").text == "احمد امام امن الله"
    assert normalize("على مسؤول شاطئ").text == "علي مسوول شاطي"
    assert normalize("ٱلْقُرْآنِ ۖ").text == "القران"  # Quranic marks U+06D6-06ED removed
    assert normalize("ٰ").text == ""  # superscript alef alone


def test_eastern_digits_and_persian_letters() -> None:
    assert normalize("٢٠١٥ ۱۳۹۴").text == "2015 1394"
    assert normalize("کتاب یک").text == "كتاب يك"


def test_arabic_ligature_phrase_maps_back_to_ligature() -> None:
    r = normalize("محمد ﷺ قال")
    assert "صلي الله عليه وسلم" in r.text
    assert _span(r, "الله") == "ﷺ"


def test_diacritised_word_maps_back_whole() -> None:
    r = normalize("قال: الدَّوْلَةُ باقية")
    assert _span(r, "الدوله") == "الدَّوْلَةُ"


# --- Cyrillic, controls, compatibility forms ---------------------------------------------------


def test_cyrillic_yo_and_kazakh_letters() -> None:
    assert normalize("Ёлка ещё").text == "елка еще"
    assert normalize("әғқңөұүһі ӘҒҚҢӨҰҮҺІ").text == "әғқңөұүһі әғқңөұүһі"


def test_zero_width_and_bidi_removed() -> None:
    r = normalize("da\u200besh \u202eabc\u202c x\u00adY \ufeffz\u061c")
    assert r.text == "daesh abc xy z"
    assert _span(r, "daesh") == "da\u200besh"


def test_combining_marks_composed_or_dropped() -> None:
    assert normalize("И\u0301ГИЛ").text == "игил"  # Russian stress mark dropped
    assert normalize("и\u0306").text == "й"  # decomposed й composed, not stripped
    assert normalize("a\u0301").text == "á"


def test_fullwidth_math_and_circled_letters() -> None:
    assert normalize("Ｄａｅｓｈ").text == "daesh"
    assert normalize("𝐈𝐒𝐈𝐒 ⒾⓈⒾⓈ").text == "isis isis"
    assert normalize("ﬁght").text == "fight"


# --- homoglyphs and leetspeak --------------------------------------------------------------------


def test_cyrillic_lookalikes_in_latin_word() -> None:
    r = normalize("Dаеsh")  # Cyrillic а, е
    assert r.text == "daesh"
    assert r.text.isascii()


def test_latin_lookalikes_in_cyrillic_word() -> None:
    assert normalize("тeррoрист").text == "террорист"  # Latin e, o
    assert normalize("Cаенс").text == "саенс"  # Latin C


def test_greek_lookalikes() -> None:
    assert normalize("ΙSΙS").text == "isis"  # Greek capital iota
    assert normalize("Αλλά").text == "αλλά"  # real Greek stays Greek


def test_glued_words_of_two_scripts_are_left_alone() -> None:
    assert normalize("idтак").text == "idтак"
    assert normalize("strikeАх").text == "strikeах"


def test_leetspeak() -> None:
    assert normalize("m4rtyr h3ll0 1s1s m@rtyr").text == "martyr hello isis martyr"
    assert normalize("в0йна").text == "война"


@pytest.mark.parametrize(
    "text", ["2015", "5th", "mp3", "covid19", "Kills4Bayah", "Twitter10k", "3days", "P4B"]
)
def test_numbers_are_not_leet(text: str) -> None:
    assert normalize(text).text == text.lower()


def test_arabizi_digits_kept_in_arabizi_text() -> None:
    assert normalize("ya 3ammi shu 3am ta3mel").text == "ya 3ammi shu 3am ta3mel"


# --- spaced letters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D a e s h", "daesh"),
        ("D.a.e.s.h", "daesh"),
        ("I-S-I-S", "isis"),
        ("D_a_e_s_h", "daesh"),
        ("D*a*e*s*h", "daesh"),
        ("И Г И Л", "игил"),
        ("د ا ع ش", "داعش"),
        ("د ـ ا ـ ع ـ ش", "داعش"),  # tatweel between spaced letters
    ],
)
def test_spaced_letters_joined(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize("text", ["и т.д", "и т. д. и т. п.", "я и в школе", "в т.ч. и"])
def test_abbreviations_not_joined(text: str) -> None:
    r = normalize(text)
    assert r.text == re.sub(r"\s+", " ", text.lower()).strip()


def test_spaced_letters_map_back() -> None:
    r = normalize("join D . a . e . s . h now")
    assert r.text == "join daesh now"
    assert _span(r, "daesh") == "D . a . e . s . h"


# --- URLs, mentions, hashtags, HTML escapes ------------------------------------------------------


def test_urls_mentions_hashtags() -> None:
    r = normalize("Check https://t.co/abc123, and @john_doe #AllEyesOnISIS #الدولة_الإسلامية")
    assert r.text == "check url, and @user all eyes on isis الدوله الاسلاميه"
    assert _span(r, "url") == "https://t.co/abc123"
    assert _span(r, "@user") == "@john_doe"
    assert _span(r, "eyes") == "Eyes"
    assert _span(r, "الاسلاميه") == "الإسلامية"


def test_bare_domains_and_www() -> None:
    assert normalize("see www.example.org/x and t.co/abc.").text == "see url and url."
    assert normalize("e.g. mr.smith").text == "e.g. mr.smith"


def test_hashtag_acronym_split() -> None:
    assert normalize("#ISISNews #Jihad_2015").text == "isis news jihad 2015"


def test_html_entities() -> None:
    assert normalize("a &amp; b &gt;&gt; c").text == "a & b >> c"


# --- whitespace and repeats -----------------------------------------------------------------------


def test_whitespace_collapsed_and_stripped() -> None:
    r = normalize("  many   spaces\n\tnew\u00a0line  ")
    assert r.text == "many spaces new line"
    assert _span(r, "many") == "many"


def test_repeats_squeezed_but_not_numbers() -> None:
    r = normalize("ههههههه sooooo!!!!! 1000000")
    assert r.text == "هه soo!! 1000000"
    assert _span(r, "soo") == "sooooo"


# --- Kazakh Latin ----------------------------------------------------------------------------


def test_kazakh_latin_transliterated_in_normalize() -> None:
    text = "Qazaqstan Respýblıkasynyń Prezıdenti búgin halyqqa Joldaý jasady. http://x.kz"
    r = normalize(text)
    assert r.text == "қазақстан республикасының президенті бүгін халыққа жолдау жасады. url"
    assert _span(r, "республикасының") == "Respýblıkasynyń"
    assert _span(r, "url") == "http://x.kz"
    assert normalize(text, transliterate_kazakh=False).text.startswith("qazaqstan respýblıkasynyń")


def test_english_is_not_transliterated() -> None:
    text = "The soldiers entered Raqqa and Iraq yesterday, said the men at the bar."
    assert normalize(text).text == text.lower()


# --- evidence mapping on mixed texts ---------------------------------------------------------


def test_evidence_spans_on_mixed_text() -> None:
    text = "RT @abu_x: Join the D a e s h!!!! ﻭﻻﻳﺔ سيناء #بـــاقـــية https://t.co/x Ｎｏｗ"
    r = normalize(text)
    assert r.text == "rt @user: join the daesh!! ولايه سيناء باقيه url now"
    for word, source in [
        ("daesh", "D a e s h"),
        ("ولايه", "ﻭﻻﻳﺔ"),
        ("باقيه", "بـــاقـــية"),
        ("now", "Ｎｏｗ"),
        ("@user", "@abu_x"),
    ]:
        assert _span(r, word) == source
    # a span across several words covers everything between them
    m = re.search("daesh!! ولايه", r.text)
    assert m is not None
    s, e = r.to_original(*m.span())
    assert text[s:e] == "D a e s h!!!! ﻭﻻﻳﺔ"


def test_to_original_clips_arguments() -> None:
    r = normalize("ab  cd")
    assert r.to_original(-5, 100) == (0, 6)
    assert r.to_original(3, 3) == (4, 4)
    assert r.to_original(4, 2) == (r.offsets[4], r.offsets[4])


# --- idempotence and robustness ---------------------------------------------------------------


IDEMPOTENT = [
    "Check https://t.co/abc123, and @john_doe #AllEyesOnISIS #الدولة_الإسلامية",
    "ﻭﻻﻳﺔ سيناء: الدَّوْلَةُ الإسْلامِيَّةُ بـــاقـــيـــة",
    "D a e s h and И Г И Л are banned!!!!",
    "Dаеsh sоldiers m4rtyr h3ll0 2015",
    "Qazaqstan Respýblıkasynyń Prezıdenti búgin halyqqa Joldaý jasady.",
    "Barlyq adamdar tumysynan azat jäne teñ bolyp düniege keledı.",
    "ههههههه sooooo 1000000 ‼️‼️‼️‼️",
]


@pytest.mark.parametrize("text", IDEMPOTENT)
def test_idempotent(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


def test_long_text() -> None:
    text = ("Dаеsh ﻭﻻﻳﺔ D a e s h " * 5000) + "end"
    r = normalize(text)
    _check_invariants(r)
    assert r.text.endswith("end")
    assert r.text.count("daesh") == 10000


def test_odd_characters_do_not_crash() -> None:
    for text in [
        "\x00\x01",
        "😀" * 50,
        "\U0010ffff",
        "\ud800" if False else "\uffff",
        "#",
        "@",
        ".",
    ]:
        _check_invariants(normalize(text))


# --- transliteration module ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latin", "alphabet", "cyrillic"),
    [
        # 2018 (acute): ý = у, u = ұ, ú = ү, y = ы, ı = и/й
        ("Qazaqstan Respýblıkasy", "2018", "Қазақстан Республикасы"),
        ("Ol jumysqa keshikti, bastyǵy ashýlandy", "2018", "Ол жұмысқа кешікті, бастығы ашуланды"),
        ("Qudaı", "2018", "Құдай"),
        # 2021: u = у, ū = ұ, y = ы, ı = і, i = и/й
        ("Adamdarğa aqyl-parasat berılgen", "2021", "Адамдарға ақыл-парасат берілген"),
        ("jäne qūqyqtary teñ tiıs", "2021", "және құқықтары тең тиіс"),
        ("Bız bır-bırımızdı tüsınemız", "2021", "Біз бір-бірімізді түсінеміз"),
        ("İlias Jansügırov", "2021", "Илиас Жансүгіров"),
        # 2017 (apostrophes)
        ("Men bu'gin mektepke bardym, ko'p bala", "2017", "Мен бүгін мектепке бардым, көп бала"),
        ("ten' s'ai' c'ai'", "2017", "тең шай чай"),
        # informal ASCII
        ("Kudai ushin, men seni zhaksy koremin", "informal", "Кудай ушін, мен сені жаксы коремін"),
        ("Turkistan audanynyng toghyz mektebi", "informal", "Туркістан ауданының тоғыз мектебі"),
        ("SHYMKENT qalasy", "informal", "ШЫМКЕНТ қаласы"),
    ],
)
def test_kazakh_latin_to_cyrillic(latin: str, alphabet: str, cyrillic: str) -> None:
    assert detect_alphabet(latin) == alphabet
    out, offs = kazakh_latin_to_cyrillic(latin)
    assert out == cyrillic
    assert len(offs) == len(out) + 1 and offs[-1] == len(latin)
    assert all(a <= b for a, b in pairwise(offs))


def test_transliteration_offsets_point_at_digraphs() -> None:
    out, offs = kazakh_latin_to_cyrillic("shash")
    assert out == "шаш"
    assert offs == [0, 2, 3, 5]


def test_transliteration_keeps_urls_and_mentions() -> None:
    out, _ = kazakh_latin_to_cyrillic("qarańyz https://t.co/Abc @qazaq_news")
    assert out == "қараңыз https://t.co/Abc @qazaq_news"


KK_LATIN = [
    "Qazaqstan Respýblıkasynyń Prezıdenti búgin halyqqa Joldaý jasady.",
    "Barlyq adamdar tumysynan azat jäne qadyr-qasietı men qūqyqtary teñ bolyp düniege keledı.",
    "Men bu'gin mektepke bardym, ol jerde ko'p bala boldy.",
    "Qudai ushin, men seni zhaksy koremin, rakhmet!",
    "Bizdiń elimiz táýelsizdiginiń otyz jyldyǵyn atap ótti.",
    "bul durys emes, olar bizdi aldady",
]
NOT_KK_LATIN = [
    # English (incl. words Kazakh shares: men, bar, Jane, Adam; q-words of the domain)
    "The soldiers of the Islamic State entered the city of Raqqa yesterday.",
    "Inshallah the brothers in Iraq will be victorious, may Allah accept them.",
    "Jane went to the bar with Adam and the men.",
    "My Kazakh friend lives in Almaty, Kazakhstan.",
    # Turkish
    "Bugün hava çok güzel, biraz dışarı çıkalım mı?",
    "Türkiye ile Kazakistan arasında yeni bir anlaşma imzalandı.",
    "Allah razı olsun kardeşim",
    # Uzbek
    "O'zbekiston Respublikasi Prezidenti xalqqa murojaat qildi.",
    "Men seni juda sevaman, sen mening eng yaqin do'stimsan.",
    "Bu masala bo'yicha qo'shimcha ma'lumot olish uchun bizga murojaat qiling.",
    # Azerbaijani, Turkmen
    "Azərbaycan Respublikasının prezidenti bu gün xalqa müraciət etdi.",
    "Türkmenistanyň Prezidenti şu gün halka ýüzlendi.",
]


@pytest.mark.parametrize("text", KK_LATIN)
def test_looks_kazakh_latin_yes(text: str) -> None:
    assert looks_kazakh_latin(text)


@pytest.mark.parametrize("text", NOT_KK_LATIN)
def test_looks_kazakh_latin_no(text: str) -> None:
    assert not looks_kazakh_latin(text)
