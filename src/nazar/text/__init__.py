"""Text preparation: normalisation with offsets, language identification, Kazakh transliteration."""

from nazar.text.langid import identify_language
from nazar.text.normalize import NormalizedText, normalize
from nazar.text.transliterate import kazakh_latin_to_cyrillic, looks_kazakh_latin

__all__ = [
    "NormalizedText",
    "identify_language",
    "kazakh_latin_to_cyrillic",
    "looks_kazakh_latin",
    "normalize",
]
