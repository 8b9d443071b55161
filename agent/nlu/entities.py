"""Entity extraction with patterns: order and ticket ids, emails, phones, postal codes, names,
quantities and the items they count.

Extractors run in priority order and a character claimed by one is not reused by the next, so the
digits of a phone number never also become an order id or a postal code. Spans index the original
text; values are normalized (see `Entity`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from agent.nlu.types import Entity, EntityKind


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ORDER_PREFIXED = re.compile(r"\bORD[\s#-]?(\d{6,})(?!\d)", re.IGNORECASE)
_TICKET_PREFIXED = re.compile(r"\bTCK[\s#-]?(\d{1,6})(?!\d)", re.IGNORECASE)
_TICKET_WORD = re.compile(
    r"\b(?:ticket|caso|incidencia|case)\s+"
    r"(?:n(?:o|º|°|um(?:ber)?|úm(?:ero)?)\.?\s*|#\s*)?(\d{1,6})(?!\d)",
    re.IGNORECASE,
)
# Our order numbers have six digits; customers type them bare, after '#', or after a word.
_ORDER_BARE = re.compile(r"(?<![\w+.,/-])(?:#\s?)?(\d{6})(?![\w]|[-.,/]\d)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w@])")

_SEP = r"[\s.-]?"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    # E.164 and other international forms: +34 612 345 678, +1 (415) 555-0100, +447700900123.
    r"\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){1,6}"
    # Spain: 612 345 678, 612 34 56 78, 912345678.
    rf"|[6789]\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{3}}"
    rf"|[6789]\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}"
    # United States (and Mexico's 3-3-4 form): (415) 555-0100, 1-415-555-0100, 415.555.0100.
    rf"|(?:1{_SEP})?\(?[2-9]\d{{2}}\)?{_SEP}\d{{3}}{_SEP}\d{{4}}"
    # Mexico's 2-4-4 form: 55 1234 5678.
    rf"|\d{{2}}{_SEP}\d{{4}}{_SEP}\d{{4}}"
    # United Kingdom: 07700 900123, 020 7946 0958, 0161 496 0000.
    r"|0\d{4}\s?\d{6}|0\d{2}\s?\d{4}\s?\d{4}|0\d{3}\s?\d{3}\s?\d{4}"
    r")(?![\w]|[-.]\d)"
)
_POSTAL_SHAPED = re.compile(
    # United Kingdom (SW1A 1AA, M1 1AE) and US ZIP+4: shapes no phone number has.
    r"(?<![\w+#.-])(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{5}-\d{4})(?![\w]|[-.]\d)",
    re.IGNORECASE,
)
# The five-digit codes of the US, Spain and Mexico; tried after phones, which contain such runs.
_POSTAL_FIVE_DIGITS = re.compile(r"(?<![\w+#.-])\d{5}(?![\w]|[-.,/]\d)")
_LOWER = "a-záéíóúñüçàèìòù"
_UPPER = "A-ZÁÉÍÓÚÑÜ"

# A capitalized word; inner capitals only before a lower-case letter ("McDonald", not "VERY").
_NAME_WORD = rf"[{_UPPER}](?:[{_LOWER}'\u2019-]|[{_UPPER}](?=[{_LOWER}]))+"
_PARTICLE = r"(?:de(?:l| la| los| las)?|van|von|da|di)"
_CAPITALIZED_NAME = rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{0,3}}"
_ANY_CASE_WORD = r"[^\W\d_][^\W\d_'\u2019-]*(?:['\u2019-][^\W\d_]+)?"
_ANY_CASE_NAME = rf"{_ANY_CASE_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_ANY_CASE_WORD}){{0,3}}"
# "My name is ana garcía" names someone whatever the case; "I'm Ana" only when capitalized,
# since "I'm tired" / "soy cliente" are not names.
_NAME_STRONG = re.compile(
    rf"\b(?:my name is|my name's|the name is|me llamo|mi nombre es)\s+({_ANY_CASE_NAME})",
    re.IGNORECASE,
)
_NAME_WEAK = re.compile(
    r"\b(?:I['\u2019]?m|I am|[Tt]his is|[Ss]oy|[Hh]abla|[Ll]e habla|[Tt]e habla)\s+"
    rf"({_CAPITALIZED_NAME})"
)
_PARTICLES = frozenset({"de", "del", "la", "los", "las", "van", "von", "da", "di"})
# Words that end a name typed in lower case ("me llamo ana y quiero..."), or are no name at all.
_NOT_NAMES = _words(
    "not no and y the el a an from of in en with con here aqui aquí back done fine good "
    "i i'm me my mi is es want need have would quiero necesito tengo busco "
    "ok okay sorry sure very really so just still also calling writing interested trying "
    "english spanish american british mexican español española inglés mexicano mexicana "
    "cliente customer client vip"
)

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4,
    "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
}  # fmt: skip
_QUANTITY = re.compile(
    rf"(?<![\w.,#-])(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s+"
    r"(?:(?:of\s+(?:the|my|those|these)|de\s+(?:los|las|mis|esos|esas|estos|estas))\s+)?"
    r"([^\W\d_]{3,})(?:\s+([^\W\d_]{3,}))?",
    re.IGNORECASE,
)
_NOT_ITEMS = _words(
    "second seconds minute minutes hour hours day days week weeks month months year years time "
    "times euro euros dollar dollars usd eur peso pesos pound pounds percent business working "
    "segundo segundos minuto minutos hora horas dia día dias días semana semanas mes meses año "
    "años vez veces por ciento habiles hábiles laborables problem problems question questions "
    "thing things way problema problemas pregunta preguntas cosa cosas momento favor poco rato "
    "more less than más menos que and the for with was were has have are had que del los las "
    "por para con sin pero"
)
# English puts a colour or size before the noun, Spanish after it; both stay in the item.
_ADJECTIVES = _words(
    "black white blue red green grey gray pink yellow brown purple orange small medium large "
    "big little negro negra negros negras blanco blanca blancos blancas azul azules rojo roja "
    "rojos rojas verde verdes gris grises rosa rosas amarillo amarilla amarillos amarillas "
    "marron marrón grande grandes pequeño pequeña pequeños pequeñas"
)


class _Claims:
    """Which characters of the text an extractor has already taken."""

    def __init__(self, size: int) -> None:
        self._taken = bytearray(size)

    def free(self, start: int, end: int) -> bool:
        return not any(self._taken[start:end])

    def take(self, start: int, end: int) -> None:
        self._taken[start:end] = b"\x01" * (end - start)


Found = Iterator[tuple[EntityKind, str, int, int]]


def _order_ids(text: str) -> Found:
    for match in _ORDER_PREFIXED.finditer(text):
        yield "order_id", f"ORD-{match.group(1)}", match.start(), match.end()


def _ticket_ids(text: str) -> Found:
    for match in _TICKET_PREFIXED.finditer(text):
        yield "ticket_id", f"TCK-{int(match.group(1)):06d}", match.start(), match.end()
    for match in _TICKET_WORD.finditer(text):
        yield "ticket_id", f"TCK-{int(match.group(1)):06d}", match.start(1), match.end(1)


def _bare_order_ids(text: str) -> Found:
    for match in _ORDER_BARE.finditer(text):
        yield "order_id", f"ORD-{match.group(1)}", match.start(), match.end()


def _emails(text: str) -> Found:
    for match in _EMAIL.finditer(text):
        yield "email", match.group().lower(), match.start(), match.end()


def _phones(text: str) -> Found:
    for match in _PHONE.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        if raw.startswith("+") and not 8 <= len(digits) <= 15:
            continue
        yield "phone", ("+" if raw.startswith("+") else "") + digits, match.start(), match.end()


def _shaped_postal_codes(text: str) -> Found:
    for match in _POSTAL_SHAPED.finditer(text):
        code = match.group().upper()
        if code[0].isalpha():  # a British postcode: one space before the inward code
            compact = code.replace(" ", "")
            code = f"{compact[:-3]} {compact[-3:]}"
        yield "postal_code", code, match.start(), match.end()


def _five_digit_postal_codes(text: str) -> Found:
    for match in _POSTAL_FIVE_DIGITS.finditer(text):
        yield "postal_code", match.group(), match.start(), match.end()


def _names(text: str) -> Found:
    for pattern in (_NAME_STRONG, _NAME_WEAK):
        for match in pattern.finditer(text):
            kept: list[re.Match[str]] = []
            for word in re.finditer(r"\S+", match.group(1)):
                folded = word.group().casefold()
                if folded in _NOT_NAMES:
                    break
                kept.append(word)
            while kept and kept[-1].group().casefold() in _PARTICLES:
                kept.pop()
            if not kept:
                continue
            value = " ".join(
                word.group()
                if word.group().casefold() in _PARTICLES or not word.group().islower()
                else word.group().title()
                for word in kept
            )
            offset = match.start(1)
            yield "person_name", value, offset + kept[0].start(), offset + kept[-1].end()


def _quantities(text: str) -> Found:
    for match in _QUANTITY.finditer(text):
        number, noun, after = match.group(1), match.group(2), match.group(3)
        if noun.casefold() in _NOT_ITEMS:
            continue
        count = int(number) if number.isdigit() else _NUMBER_WORDS[number.casefold()]
        if count == 0:
            continue
        yield "quantity", str(count), match.start(1), match.end(1)
        item_start, item_end = match.start(2), match.end(2)
        # Keep the next word when it is the noun after a colour ("blue shirts") or a colour
        # after the noun ("camisetas azules").
        if after and (
            (noun.casefold() in _ADJECTIVES and after.casefold() not in _NOT_ITEMS)
            or after.casefold() in _ADJECTIVES
        ):
            item_end = match.end(3)
        yield "item", text[item_start:item_end].casefold(), item_start, item_end


_EXTRACTORS: tuple[Callable[[str], Found], ...] = (
    _emails,
    _order_ids,
    _ticket_ids,
    _shaped_postal_codes,
    _phones,
    _bare_order_ids,
    _five_digit_postal_codes,
    _names,
    _quantities,
)


def extract_entities(text: str) -> tuple[Entity, ...]:
    """Every entity in `text`, in order of appearance."""
    claims = _Claims(len(text))
    found: list[Entity] = []
    for extractor in _EXTRACTORS:
        for kind, value, start, end in extractor(text):
            if start < end and claims.free(start, end):
                claims.take(start, end)
                found.append(Entity(kind, value, start, end))
    return tuple(sorted(found, key=lambda entity: (entity.start, entity.end)))
