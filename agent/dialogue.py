"""Plain "yes" and plain "no", decided by code.

A pending change is made only when the customer's next message is a plain yes: short, opening
with an affirmative word, without any negation, hedge or new value (digits, an email). Whatever
the brain (offline or LLM) understands, only this function can confirm a change, so neither a
misread message nor an injected instruction can.

"No" is broader: a refusal or a change of mind ("no", "actually don't cancel it", "mejor no",
"déjalo") anywhere at the start of the message; a correction such as "no, I meant order 100045"
is a "no" that also carries a new value, which the brain handles as a correction.
"""

from __future__ import annotations

import re
from typing import Literal

from cerebro.text import fold

Affirmation = Literal["yes", "no"]

_YES_OPENERS = (
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "alright",
    "confirm",
    "confirmed",
    "correct",
    "right",
    "absolutely",
    "definitely",
    "go ahead",
    "do it",
    "please do",
    "of course",
    "si",
    "sip",
    "claro",
    "vale",
    "dale",
    "confirmo",
    "confirmado",
    "correcto",
    "exacto",
    "perfecto",
    "adelante",
    "de acuerdo",
    "por supuesto",
    "hazlo",
    "hagalo",
    "adelante con ello",
)
_YES = re.compile(rf"^(?:{'|'.join(re.escape(o) for o in _YES_OPENERS)})\b")
_HEDGES = re.compile(
    r"\b(?:no|not|dont|don't|do not|never|nunca|tampoco|ni|but|pero|wait|espera|hold on"
    r"|instead|en vez|en lugar|actually|mejor|maybe|quizas|quiza|tal vez|other|otro|otra"
    r"|change|cambia\w*|cambie)\b"
)
_NO = re.compile(
    r"^(?:no+|nope|nah|nop|negative|negativo|stop|wait|hold on|espera|don'?t|do not|never ?mind"
    r"|not now|no way|cancel that|keep it|leave it|forget it|mejor no|ya no|al final no"
    r"|dejalo|dejalo asi|olvidalo|para|detente|ni hablar|para nada|de ninguna manera)\b"
    r"|^(?:actually|on second thought|pensandolo mejor|en realidad|bueno|well|hmm+|mmm+)"
    r"[\s,.!]+(?:no\b|don'?t\b|do not\b|leave\b|keep\b|mejor no\b|no lo\b|dejalo\b|olvidalo\b)"
    r"|\b(?:changed my mind|change of plans|cambie de opinion|he cambiado de opinion)\b"
    r"|\b(?:don'?t|do not) (?:cancel|change|return|open|do)\b|\bno (?:lo|la|los|las) \w+"
)
MAX_YES_WORDS = 8


def affirmation(text: str) -> Affirmation | None:
    """`"yes"` for a plain confirmation, `"no"` for a refusal or change of mind, else None."""
    folded = " ".join(fold(text).replace("\u2019", "'").split())
    plain = re.sub(r"[^\w'@ ]+", " ", folded).strip()
    if _NO.search(plain):
        return "no"
    if not _YES.match(plain):
        return None
    if len(plain.split()) > MAX_YES_WORDS or re.search(r"[\d@]", plain):
        return None
    if _HEDGES.search(plain):
        return None
    return "yes"
