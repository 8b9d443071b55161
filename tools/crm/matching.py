"""How lookups compare what a customer types with what the CRM stores."""

from __future__ import annotations

import re
import unicodedata


def name_tokens(name: str) -> list[str]:
    """Words of a name without case or accents: `"María López-García"` -> maria, lopez, garcia."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.findall(r"[^\W_]+", plain)


def name_matches(spoken: str, first_name: str, last_name: str) -> bool:
    """True when `spoken` has every first-name word and a surname, and nothing else.

    Word order is free, so "García Ana" matches Ana García, and one of two Spanish surnames is
    enough ("María López" matches María López Ruiz).
    """
    words = set(name_tokens(spoken))
    first = set(name_tokens(first_name))
    last = set(name_tokens(last_name))
    return bool(first) and first <= words and bool(words & last) and words <= first | last


def normalize_zip(zip_code: str) -> str:
    """Postal codes compare without case or spaces: `"sw1a 1aa"` -> `"SW1A1AA"`."""
    return re.sub(r"\s+", "", zip_code).upper()


def normalize_phone(phone: str) -> str:
    """Digits, with a leading `+` when the number had a country prefix (`+` or `00`)."""
    compact = re.sub(r"[\s().-]", "", phone)
    digits = re.sub(r"\D", "", compact)
    if compact.startswith("+"):
        return f"+{digits}"
    if compact.startswith("00"):
        return f"+{digits[2:]}"
    return digits
