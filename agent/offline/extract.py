"""Values the offline flows read from free text: names, addresses, item choices, contact changes.

The NLU finds the typed entities (ids, emails, phones, postal codes); these helpers take what
only makes sense inside a flow, where the assistant knows what it just asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.nlu.items import item_kinds, word_forms
from agent.sentiment.language import marker_words
from cerebro.text import fold
from tools.types import OrderLine

_NAME_FILLER = frozenset(
    [
        "my",
        "name",
        "is",
        "name's",
        "the",
        "i'm",
        "im",
        "i",
        "am",
        "it's",
        "its",
        "this",
        "and",
        "y",
        "mi",
        "nombre",
        "es",
        "soy",
        "me",
        "llamo",
        "zip",
        "code",
        "postal",
        "postcode",
        "codigo",
        "cp",
        "c.p.",
        "is",
        "hola",
        "hi",
        "hello",
        "sure",
        "ok",
        "vale",
        "thanks",
        "gracias",
    ]
)
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'\u2019-]*$")
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "van", "von", "da", "di"})


def name_in(text: str, postal_code: str | None) -> str | None:
    """A person's full name typed on its own, e.g. "María García, 28009" -> "María García".

    Only for an answer to "what is your full name?": two to five words once the postal code and
    filler words are gone, each made of letters.
    """
    rest = text.replace(postal_code, " ") if postal_code else text
    words = [w.strip(".,;:!¡?¿\"'()") for w in rest.split()]
    kept = [w for w in words if w and fold(w) not in _NAME_FILLER]
    if not 2 <= len(kept) <= 5 or not all(_NAME_WORD.match(w) for w in kept):
        return None
    common = marker_words("en") | marker_words("es")
    if any(fold(w) in common and fold(w) not in _PARTICLES for w in kept):
        return None
    return " ".join(w if not w.islower() or w in _PARTICLES else w.title() for w in kept)


@dataclass(frozen=True, slots=True)
class AddressGuess:
    """What an address typed in one message gave: each part, or None where it was missing."""

    line1: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    region: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.line1 and self.city and self.postal_code)


_COUNTRIES = {
    "spain": "ES",
    "espana": "ES",
    "uk": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "great britain": "GB",
    "reino unido": "GB",
    "inglaterra": "GB",
    "usa": "US",
    "us": "US",
    "united states": "US",
    "estados unidos": "US",
    "eeuu": "US",
    "mexico": "MX",
}
_LEAD_IN = re.compile(
    r"^(?:(?:no|sorry|perdon|perdona)[,\s]+)?(?:(?:it'?s|it is|that'?s|i meant|quise decir|"
    r"(?:the |my )?new address is|(?:la )?nueva direccion es|(?:please )?(?:send|ship|deliver)"
    r"(?: it)? to|(?:por favor )?(?:mandalo|envialo|enviadlo|mandadlo) a|to|a|es|en|"
    r"(?:the )?address is|(?:la )?direccion es)\s*:?\s+)+",
    re.IGNORECASE,
)
_STREET_NUMBER = re.compile(r"\d")
_STREET_WORD = re.compile(r"[^\W\d_]{3,}")
_ORDER_REFERENCE = re.compile(r"(?:(?:order|pedido)\s*)?#?\s*(?:ORD[\s#-]?)?\d{6}", re.IGNORECASE)


def address_in(text: str, postal_code: str | None) -> AddressGuess:
    """The parts of a postal address typed as free text, e.g. "Calle Mayor 5, 28013 Madrid" or
    "221B Baker Street, London NW1 6XE, UK". `postal_code` is the one the NLU found."""
    segments = [s.strip(" .") for s in re.split(r"[,\n;]", text) if s.strip(" .")]
    country = None
    kept: list[str] = []
    for segment in segments:
        code = _COUNTRIES.get(fold(segment).strip())
        if code:
            country = code
        elif not _ORDER_REFERENCE.fullmatch(segment):
            kept.append(segment)
    city = line1 = region = None
    for index, segment in enumerate(kept):
        if postal_code and postal_code.casefold() in segment.casefold():
            start = segment.casefold().index(postal_code.casefold())
            before = segment[:start].strip(" ,")
            after = segment[start + len(postal_code) :].strip(" ,")
            if after:
                city = after
            elif re.fullmatch(r"[A-Z]{2}", before) and index > 0:
                region, city = before, kept[index - 1]
            elif before and not _STREET_NUMBER.search(before):
                city = before
            elif index + 1 < len(kept) and not _STREET_NUMBER.search(kept[index + 1]):
                city = kept[index + 1]
            if before and _STREET_NUMBER.search(before) and line1 is None:
                line1 = before
        elif line1 is None and _STREET_NUMBER.search(segment) and _STREET_WORD.search(segment):
            line1 = segment
    if line1 is not None:
        lead_in = _LEAD_IN.match(fold(line1))
        line1 = line1[lead_in.end() if lead_in else 0 :].strip() or None
    if city == line1:
        city = None
    return AddressGuess(line1, city, postal_code, country, region)


_ALL_ITEMS = re.compile(r"\b(?:all|everything|both|the whole order|todo|todos|todas|ambos|ambas)\b")


_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "primero": 1, "primera": 1, "segundo": 2, "segunda": 2, "tercero": 3, "tercera": 3,
    "cuarto": 4, "cuarta": 4, "quinto": 5, "quinta": 5,
}  # fmt: skip
_NUMBER_ONLY = re.compile(
    r"^\W*(?:(?:the|el|la|los|las|number|numero|item|articulo)\W+)*(\d)\W*(?:one)?\W*$"
)


def _ordinal(folded_text: str, count: int) -> int | None:
    """Which of `count` numbered choices the text names ("the second one", "la 2"), 1-based."""
    number = _NUMBER_ONLY.match(folded_text)
    found = int(number.group(1)) if number else None
    if found is None:
        found = next(
            (n for word, n in _ORDINALS.items() if re.search(rf"\b{word}\b", folded_text)), None
        )
    return found if found is not None and 1 <= found <= count else None


def chosen_items(text: str, lines: Sequence[OrderLine], quantity: str | None) -> dict[str, int]:
    """The order items (id -> units) a message picks: by product name words, by their number in
    the list the assistant gave ("the second one"), or "all".

    A quantity the NLU found applies when exactly one item is picked; otherwise every unit not
    returned yet is taken. An order with one item left picks it whatever the message says.
    """
    open_lines = [line for line in lines if line.quantity > line.returned_quantity]
    if not open_lines:
        return {}
    folded = fold(text)
    position = _ordinal(folded, len(open_lines))
    if _ALL_ITEMS.search(folded) or len(open_lines) == 1:
        picked = open_lines
    elif position is not None:
        picked = [open_lines[position - 1]]
    else:
        picked = [line for line in open_lines if _mentions(folded, line)]
    chosen = {line.id: line.quantity - line.returned_quantity for line in picked}
    if quantity and len(chosen) == 1:
        ((item_id, left),) = chosen.items()
        chosen[item_id] = max(1, min(left, int(quantity)))
    return chosen


def _product_words(folded_text: str) -> set[str]:
    """The uncommon words of a folded text, each with and without a plural ending."""
    common = marker_words("en") | marker_words("es")
    words = re.findall(r"[^\W\d_]{3,}", folded_text)
    return {form for word in words if word not in common for form in word_forms(word)}


def names_a_product(text: str) -> bool:
    """Whether the message names a kind of product ("where is my smartwatch?", "las velas")."""
    return bool(item_kinds(text))


def names_line(text: str, line: OrderLine) -> bool:
    """Whether the message names the product of this order line."""
    return _mentions(fold(text), line)


def _mentions(folded_text: str, line: OrderLine) -> bool:
    """Whether the text names the product: one of its words (not a common word, singular or
    plural), or a word for the same kind of thing in either language (the catalogue's names are
    English: "las velas" names the "Scented Soy Candle")."""
    name = fold(line.product_name)
    return bool(_product_words(folded_text) & _product_words(name)) or bool(
        item_kinds(folded_text) & item_kinds(name)
    )


ContactField = str
"""`email`, `phone` or `address`."""

_FIELD_WORDS = {
    "email": re.compile(r"\b(?:e-?mail|mail|correo)\b"),
    "phone": re.compile(r"\b(?:phone|mobile|number|telefono|movil|celular|numero)\b"),
    "address": re.compile(r"\b(?:address|direccion|domicilio)\b"),
}
_CHANGE_WORDS = re.compile(
    r"\b(?:change|update|new|wrong|correct|replace|modify|edit|cambi\w*|actualiz\w*|nuev[oa]"
    r"|modific\w*|corregi\w*|equivocad[oa])\b"
)


def wants_contact_change(text: str) -> bool:
    """Whether an account message asks to change something rather than to see it."""
    return bool(_CHANGE_WORDS.search(fold(text)))


def contact_field(text: str, email: str | None, phone: str | None) -> ContactField | None:
    """Which contact detail the customer wants to change."""
    if email:
        return "email"
    if phone:
        return "phone"
    folded = fold(text)
    return next((field for field, words in _FIELD_WORDS.items() if words.search(folded)), None)


_CRITICAL = re.compile(
    r"\b(?:fire|smoke|smoking|burn\w*|sparks?|electric shock|shock|injur\w*|hurt|cut myself"
    r"|bleeding|hospital|explod\w*|melt\w*|incendio|fuego|humo|quem\w*|chispa\w*|descarga"
    r"|herid\w*|lesion\w*|sangr\w*|hospital|explot\w*|derreti\w*)\b"
)


def is_critical(text: str) -> bool:
    """Whether the customer describes a safety problem (fire, smoke, injury...): such a case is
    opened with `critical` severity."""
    return bool(_CRITICAL.search(fold(text)))
