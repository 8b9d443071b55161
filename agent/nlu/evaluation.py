"""Measuring the understanding step on labelled utterances: intent accuracy and out-of-scope
precision and recall, per language. Used by the quality test and benchmarks/bench_nlu.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from agent.nlu.examples import INTENTS, LANGUAGES, Example
from agent.nlu.parser import Parser
from memory.vocabulary import Language


def load_labelled(path: Path) -> tuple[Example, ...]:
    """Utterances from a YAML file shaped `{language: {intent: [utterance, ...]}}`."""
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping of language -> intent -> utterances")
    labelled: list[Example] = []
    for language in LANGUAGES:
        for intent, utterances in (data.get(language) or {}).items():
            if intent not in INTENTS:
                raise ValueError(f"{path}: unknown intent {intent!r}")
            labelled.extend(Example(str(text), intent, language) for text in utterances)
    return tuple(labelled)


@dataclass(frozen=True, slots=True)
class Report:
    """How the parser did on one language's utterances."""

    language: Language
    total: int
    accuracy: float
    out_of_scope_precision: float
    out_of_scope_recall: float
    mistakes: tuple[tuple[str, str, str], ...]
    """(utterance, expected intent, predicted intent) of each wrong answer."""


def evaluate(
    parser: Parser, labelled: Sequence[Example], *, detect_language: bool = False
) -> dict[Language, Report]:
    """Parse every utterance (in its labelled language unless `detect_language`) and score it."""
    reports: dict[Language, Report] = {}
    for language in LANGUAGES:
        items = [example for example in labelled if example.language == language]
        if not items:
            continue
        results = parser.parse_batch(
            [example.text for example in items], None if detect_language else language
        )
        predicted = [result.intent for result in results]
        expected = [example.intent for example in items]
        flagged = [p == "out_of_scope" for p in predicted]
        truly = [e == "out_of_scope" for e in expected]
        hits = sum(f and t for f, t in zip(flagged, truly, strict=True))
        reports[language] = Report(
            language=language,
            total=len(items),
            accuracy=sum(p == e for p, e in zip(predicted, expected, strict=True)) / len(items),
            out_of_scope_precision=hits / sum(flagged) if any(flagged) else 1.0,
            out_of_scope_recall=hits / sum(truly) if any(truly) else 1.0,
            mistakes=tuple(
                (example.text, example.intent, p)
                for example, p in zip(items, predicted, strict=True)
                if p != example.intent
            ),
        )
    return reports
