"""Text helpers every part of Cerebro shares."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case `text` and drop its accents ("Está FRUSTRADO" -> "esta frustrado", ñ -> n)."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    )
