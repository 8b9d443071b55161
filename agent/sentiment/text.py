"""Text folding and tokenizing shared by the sentiment features, the language detector and the
frustration signals."""

from __future__ import annotations

import re

from cerebro.text import fold

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")
_ELONGATION = re.compile(r"(.)\1{2,}")
# A word (letters, digits, underscore) or any other single visible character: punctuation,
# emoticon pieces and emoji each become a token of their own.
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Fold `text` and replace what carries no sentiment by placeholders.

    URLs become "url", mentions "@user", numbers "0"; a character repeated three times or more
    is cut to two ("muuuuy" -> "muuy", "!!!!" -> "!!").
    """
    text = _URL.sub(" url ", text)
    text = _MENTION.sub(" @user ", text)
    text = fold(text)
    text = _DIGITS.sub("0", text)
    return _ELONGATION.sub(r"\1\1", text)


def tokens(text: str) -> list[str]:
    """Words and single punctuation / emoji characters of `text`, in order."""
    return _TOKEN.findall(text)


def words(text: str) -> list[str]:
    """The words of `text`, in order (no punctuation)."""
    return _WORD.findall(text)
