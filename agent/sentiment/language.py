"""A small offline language detector for English and Spanish.

Counts the words of each language's marker list (`resources/stopwords_<language>.txt`: function
words and common customer-service words) and adds character cues: "ñ", "¿", "¡" and accented
vowels point to Spanish, English contractions ("don't", "I'm") to English; typical word
endings ("-ado", "-ción" / "-ing", "-tion") weigh a little. Good enough for chat
turns of a few words; ties (no evidence either way) go to `default`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from agent.sentiment.contract import LANGUAGES, Language
from agent.sentiment.text import words
from cerebro.text import fold

RESOURCES = Path(__file__).resolve().parent / "resources"

_SPANISH_CHARACTERS = re.compile(r"[ñÑ¿¡áéíóúÁÉÍÓÚ]")
_ENGLISH_CONTRACTION = re.compile(r"\w['\u2019](?:s|t|m|re|ll|ve|d)\b", re.IGNORECASE)
CHARACTER_CUE_WEIGHT = 1.5
# Word endings typical of one language, a weaker cue for texts without marker words
# ("FRUSTRADO", "cancelar"); only words of at least SUFFIX_MIN_LENGTH letters count.
SUFFIXES: dict[Language, tuple[str, ...]] = {
    "es": ("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas", "cion", "ciones", "ar"),
    "en": ("ing", "tion", "tions", "ness", "ful", "ly"),
}
SUFFIX_MIN_LENGTH = 5
SUFFIX_CUE_WEIGHT = 0.5


@cache
def marker_words(language: Language) -> frozenset[str]:
    """The marker words of `language`, folded."""
    path = RESOURCES / f"stopwords_{language}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and line[0] != "#")


def language_scores(text: str) -> dict[Language, float]:
    """The evidence for each language in `text` (marker words, plus character cues)."""
    tokens = words(fold(text))
    scores: dict[Language, float] = {
        language: float(sum(token in marker_words(language) for token in tokens))
        for language in LANGUAGES
    }
    for language, suffixes in SUFFIXES.items():
        scores[language] += SUFFIX_CUE_WEIGHT * sum(
            len(token) >= SUFFIX_MIN_LENGTH and token.endswith(suffixes) for token in tokens
        )
    scores["es"] += CHARACTER_CUE_WEIGHT * min(2, len(_SPANISH_CHARACTERS.findall(text)))
    scores["en"] += CHARACTER_CUE_WEIGHT * min(2, len(_ENGLISH_CONTRACTION.findall(text)))
    return scores


def detect_language(text: str, default: Language = "en") -> Language:
    """ "en" or "es", whichever `text` shows more evidence of; `default` on a tie."""
    scores = language_scores(text)
    if scores["es"] == scores["en"]:
        return default
    return "es" if scores["es"] > scores["en"] else "en"
