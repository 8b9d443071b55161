"""Dense cue features: lexicon polarity (VADER, plus the language's own lexicon) and surface cues.

VADER runs on every language: besides its English words it knows emoji and emoticons, which
tweets and chat messages share across languages.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agent.sentiment.contract import Language
from agent.sentiment.lexicon import lexicon_for


@cache
def vader() -> SentimentIntensityAnalyzer:
    """The shared VADER analyzer (loading its lexicon takes a few tens of milliseconds)."""
    return SentimentIntensityAnalyzer()


def vader_scores(text: str) -> dict[str, float]:
    """VADER's polarity scores of `text`: compound, pos, neg, neu."""
    scores: dict[str, float] = vader().polarity_scores(text)
    return scores


def cue_size(language: Language) -> int:
    """How many cue features `cue_features` returns for `language`."""
    return 6 + (3 if lexicon_for(language) is not None else 0)


def cue_features(text: str, language: Language) -> np.ndarray:
    """The cue features of one text, each roughly within [-1, 1]."""
    scores = vader_scores(text)
    stripped = text.rstrip()
    values = [
        scores["compound"],
        scores["pos"],
        scores["neg"],
        scores["neu"],
        math.tanh(text.count("!") / 3.0),
        1.0 if stripped.endswith("?") else 0.0,
    ]
    lexicon = lexicon_for(language)
    if lexicon is not None:
        own = lexicon.score(text)
        values += [own.compound, math.tanh(own.positive / 4.0), math.tanh(own.negative / 4.0)]
    return np.asarray(values, dtype=np.float32)
