"""Frustration signals beyond polarity: shouting, repeated punctuation, repeated messages and
trigger phrases ("speak to someone", "hablar con un asesor", "frustrado", "cancelar"...).

The trigger phrases are data files (`resources/triggers_<language>.txt`); both languages are
always matched, since customers mix them. Matching ignores case and accents and needs whole
words ("agent" does not match "agente"); overlapping phrases count once, the longest wins.

Negation: a trigger with a negator ("not", "never", "no", "nunca", "sin", ...) among the three
words before it in the same clause is reported in `negated_triggers`, not in `trigger_phrases`
("I'm not frustrated at all" says the customer is *not* frustrated). A question is the
exception: "¿no puedo hablar con un humano?" still asks for a human, so it counts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agent.sentiment.contract import LANGUAGES
from agent.sentiment.text import words
from cerebro.text import fold

RESOURCES = Path(__file__).resolve().parent / "resources"

NEGATORS = frozenset({"not", "no", "never", "nunca", "jamas", "ni", "tampoco", "sin"})
NEGATION_WINDOW = 3
SHOUT_MIN_LETTERS = 3
REPEAT_SIMILARITY = 0.9
REPEAT_MIN_CHARACTERS = 4

_REPEATED_PUNCTUATION = re.compile(r"[!?¡¿]{2,}")
_CONTRACTED_NOT = re.compile(r"n['\u2019]t\b")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_CLAUSE_BREAK = re.compile(r"[,;:]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class FrustrationSignals:
    """Frustration signals counted over one message or a window of recent messages.

    `shouted_words`: ALL-CAPS words of three letters or more (not codes with digits such as
    "ORD-100001"); `repeated_punctuation`: runs like "!!!", "???", "?!"; `repeated_messages`:
    messages near-identical to an earlier one in the window; `trigger_phrases`: matched
    phrases, first occurrence order, no duplicates; `negated_triggers`: phrases found but
    negated (see the module doc), reported but not counted.
    """

    messages: int
    shouted_words: int
    repeated_punctuation: int
    repeated_messages: int
    trigger_phrases: tuple[str, ...]
    negated_triggers: tuple[str, ...]

    @property
    def count(self) -> int:
        """All signals together: one per shouted word, punctuation run, repeat and trigger."""
        return (
            self.shouted_words
            + self.repeated_punctuation
            + self.repeated_messages
            + len(self.trigger_phrases)
        )


@cache
def trigger_phrases() -> dict[tuple[str, ...], str]:
    """Every language's trigger phrases: folded words -> the phrase as written in the file."""
    phrases: dict[tuple[str, ...], str] = {}
    for language in LANGUAGES:
        path = RESOURCES / f"triggers_{language}.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            phrase = line.strip()
            if phrase and not phrase.startswith("#"):
                phrases[tuple(words(fold(phrase)))] = phrase
    return phrases


def _match_triggers(text: str) -> tuple[list[str], list[str]]:
    """(triggers, negated triggers) in `text`, in order of appearance."""
    phrases = trigger_phrases()
    lengths = sorted({len(key) for key in phrases}, reverse=True)
    found: list[str] = []
    negated: list[str] = []
    for sentence in _SENTENCE.findall(_CONTRACTED_NOT.sub(" not", fold(text))):
        question = "?" in sentence.rstrip()[-3:]
        for clause in _CLAUSE_BREAK.split(sentence):
            tokens = words(clause)
            i = 0
            while i < len(tokens):
                length = next((n for n in lengths if tuple(tokens[i : i + n]) in phrases), 0)
                if not length:
                    i += 1
                    continue
                phrase = phrases[tuple(tokens[i : i + length])]
                before = tokens[max(0, i - NEGATION_WINDOW) : i]
                is_negated = not question and any(word in NEGATORS for word in before)
                (negated if is_negated else found).append(phrase)
                i += length
    return found, negated


def _shouted_words(text: str) -> int:
    count = 0
    for chunk in text.split():
        if any(ch.isdigit() for ch in chunk):
            continue
        letters = "".join(ch for ch in chunk if ch.isalpha())
        if len(letters) >= SHOUT_MIN_LETTERS and letters.isupper():
            count += 1
    return count


def _comparable(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def _repeats(messages: Sequence[str]) -> int:
    """How many messages are near-identical to an earlier one."""
    seen: list[str] = []
    repeats = 0
    for message in messages:
        current = _comparable(message)
        if len(current) < REPEAT_MIN_CHARACTERS:
            continue
        if any(
            current == earlier
            or difflib.SequenceMatcher(None, current, earlier).ratio() >= REPEAT_SIMILARITY
            for earlier in seen
        ):
            repeats += 1
        seen.append(current)
    return repeats


def repeats_earlier(text: str, earlier: Sequence[str]) -> bool:
    """Whether `text` is near-identical to one of the `earlier` messages: what it adds to the
    `repeated_messages` of `frustration_signals([*earlier, text])`, without recounting those."""
    current = _comparable(text)
    if len(current) < REPEAT_MIN_CHARACTERS:
        return False
    return any(
        current == before
        or difflib.SequenceMatcher(None, current, before).ratio() >= REPEAT_SIMILARITY
        for before in map(_comparable, earlier)
        if len(before) >= REPEAT_MIN_CHARACTERS
    )


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def frustration_signals(messages: Sequence[str]) -> FrustrationSignals:
    """The signals in a customer's recent messages (oldest first; pass one for one message)."""
    found: list[str] = []
    negated: list[str] = []
    for message in messages:
        triggers, negations = _match_triggers(message)
        found += triggers
        negated += negations
    return FrustrationSignals(
        messages=len(messages),
        shouted_words=sum(_shouted_words(m) for m in messages),
        repeated_punctuation=sum(len(_REPEATED_PUNCTUATION.findall(m)) for m in messages),
        repeated_messages=_repeats(messages),
        trigger_phrases=_unique(found),
        negated_triggers=_unique(negated),
    )


def message_signals(text: str) -> FrustrationSignals:
    """The signals in one message (a single message cannot repeat itself)."""
    return frustration_signals([text])
