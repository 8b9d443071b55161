"""The curated example utterances per intent and language (`agent/nlu/data/<language>.yaml`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast, get_args

import yaml

from agent.nlu.types import Intent
from memory.vocabulary import Language

INTENTS: tuple[Intent, ...] = get_args(Intent)
LANGUAGES: tuple[Language, ...] = get_args(Language)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: Intent
    language: Language


def _read(source: str, data: object, language: Language) -> list[Example]:
    if not isinstance(data, Mapping) or data.get("language") != language:
        raise ValueError(f"{source}: expected a mapping with `language: {language}`")
    intents = data.get("intents")
    if not isinstance(intents, Mapping):
        raise ValueError(f"{source}: `intents` must map each intent to a list of utterances")
    examples: list[Example] = []
    for intent, utterances in intents.items():
        if intent not in INTENTS:
            raise ValueError(f"{source}: unknown intent {intent!r}")
        if not isinstance(utterances, list) or not utterances:
            raise ValueError(f"{source}: {intent} needs a non-empty list of utterances")
        for utterance in utterances:
            if not isinstance(utterance, str | int) or not str(utterance).strip():
                raise ValueError(f"{source}: {intent} has an empty or non-text utterance")
            examples.append(Example(str(utterance).strip(), cast(Intent, intent), language))
    return examples


def load_examples(folder: Path | None = None) -> tuple[Example, ...]:
    """Every example of every language: from `folder` if given, else the packaged data."""
    examples: list[Example] = []
    for language in LANGUAGES:
        name = f"{language}.yaml"
        if folder is None:
            text = (resources.files("agent.nlu") / "data" / name).read_text("utf-8")
            source = f"agent/nlu/data/{name}"
        else:
            text = (folder / name).read_text("utf-8")
            source = str(folder / name)
        examples.extend(_read(source, yaml.safe_load(text), language))
    return tuple(examples)
