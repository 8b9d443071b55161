"""Words for the things the store sells, in English and Spanish (`agent/nlu/data/items.yaml`).

The catalogue names products in English only ("Scented Soy Candle"); customers name them in their
own words and language ("las velas"). `item_kinds` maps a text to the kinds of thing it names, so
that a Spanish word can pick an English catalogue line, and a turn naming a product counts as
being about the retail domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml

from cerebro.text import fold

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def word_forms(word: str) -> frozenset[str]:
    """A folded word with a plural "-s" or "-es" taken off ("velas" -> "vela", "pantalones" ->
    "pantalon"), and as it is. Words shorter than three letters stay as they are."""
    forms = {word}
    if word.endswith("s") and len(word) > 3:
        forms.add(word[:-1])
        if word.endswith("es") and len(word) > 4:
            forms.add(word[:-2])
    return frozenset(forms)


def words_of(text: str) -> list[str]:
    """The words of `text`, folded (lower case, no accents), hyphenated words kept whole."""
    return _WORD.findall(fold(text))


@cache
def _kinds_by_form() -> Mapping[str, frozenset[int]]:
    """Every form of every vocabulary word -> the groups (kinds of thing) it belongs to."""
    text = (resources.files("agent.nlu") / "data" / "items.yaml").read_text("utf-8")
    groups = yaml.safe_load(text)["groups"]
    kinds: dict[str, set[int]] = {}
    for kind, group in enumerate(groups):
        for word in group:
            for form in word_forms(fold(str(word))):
                kinds.setdefault(form, set()).add(kind)
    return {form: frozenset(found) for form, found in kinds.items()}


def item_kinds(text: str) -> frozenset[int]:
    """The kinds of thing `text` names (opaque ids; equal ids mean the same kind)."""
    by_form = _kinds_by_form()
    return frozenset(
        kind
        for word in words_of(text)
        for form in word_forms(word)
        for kind in by_form.get(form, ())
    )
