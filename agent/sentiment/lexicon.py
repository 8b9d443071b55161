"""A VADER-style polarity lexicon scorer for languages VADER does not cover (Spanish).

The lexicon is a data file (`resources/lexicon_<language>.txt`): valenced words (a trailing `*`
matches a prefix), negators, boosters and contrast words. Scoring follows VADER's rules in a
simplified form: a negator among the three previous words flips and dampens a valence, a booster
right before a word strengthens or softens it, and words after a contrast word ("pero") weigh
more than those before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agent.sentiment.text import words
from cerebro.text import fold

RESOURCES = Path(__file__).resolve().parent / "resources"

NEGATION_SCALAR = -0.74  # VADER's N_SCALAR
NEGATION_WINDOW = 3
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5
NORMALIZATION_ALPHA = 15.0  # VADER's compound normalization


@dataclass(frozen=True, slots=True)
class LexiconScore:
    """Polarity of a text by lexicon: `compound` in [-1, 1] and the summed positive and negative
    valences."""

    compound: float
    positive: float
    negative: float


class Lexicon:
    """A polarity lexicon loaded from a resources file."""

    def __init__(self, path: Path) -> None:
        self.words: dict[str, float] = {}
        self.prefixes: dict[str, float] = {}
        self.negators: set[str] = set()
        self.boosters: dict[str, float] = {}
        self.contrasts: set[str] = set()
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            kind, term, *rest = line.split("\t")
            if kind == "word" and len(rest) == 1:
                table = self.prefixes if term.endswith("*") else self.words
                table[term.rstrip("*")] = float(rest[0])
            elif kind == "booster" and len(rest) == 1:
                self.boosters[term] = float(rest[0])
            elif kind == "negator" and not rest:
                self.negators.add(term)
            elif kind == "contrast" and not rest:
                self.contrasts.add(term)
            else:
                raise ValueError(f"{path}:{number}: cannot read lexicon line {raw!r}")
        self._longest_prefix = max((len(p) for p in self.prefixes), default=0)

    def valence(self, word: str) -> float:
        """The valence of one folded word: an exact entry, else the longest matching prefix."""
        if word in self.words:
            return self.words[word]
        for length in range(min(len(word), self._longest_prefix), 0, -1):
            value = self.prefixes.get(word[:length])
            if value is not None:
                return value
        return 0.0

    def score(self, text: str) -> LexiconScore:
        """Score `text` (any case, with or without accents)."""
        tokens = words(fold(text))
        contrast_at = next((i for i, w in enumerate(tokens) if w in self.contrasts), None)
        positive = negative = 0.0
        for i, word in enumerate(tokens):
            value = self.valence(word)
            if value == 0.0 or word in self.boosters or word in self.negators:
                continue
            if i > 0 and tokens[i - 1] in self.boosters:
                boost = self.boosters[tokens[i - 1]]
                value += math.copysign(boost, value)
            if any(w in self.negators for w in tokens[max(0, i - NEGATION_WINDOW) : i]):
                value *= NEGATION_SCALAR
            if contrast_at is not None:
                value *= CONTRAST_BEFORE if i < contrast_at else CONTRAST_AFTER
            if value > 0:
                positive += value
            else:
                negative -= value
        total = positive - negative
        compound = total / math.sqrt(total * total + NORMALIZATION_ALPHA)
        return LexiconScore(compound=compound, positive=positive, negative=negative)


@cache
def lexicon_for(language: str) -> Lexicon | None:
    """The shipped lexicon of `language`, or None when there is none (English uses VADER)."""
    path = RESOURCES / f"lexicon_{language}.txt"
    return Lexicon(path) if path.exists() else None
