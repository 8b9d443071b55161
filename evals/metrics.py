"""The figures of a run, overall, per flow and per language (definitions in docs/evals.md).

A ratio with nothing to count (no turn states an intent, no conversation states a handoff...)
is None, not 0 or 1: "not measured" must not read as perfect or as broken.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel

from evals.outcome import ConversationOutcome, ToolCounts


class Metrics(BaseModel):
    conversations: int
    task_success: float | None
    intent_accuracy: float | None
    tool_precision: float | None
    tool_recall: float | None
    handoff_precision: float | None
    handoff_recall: float | None
    sentiment_accuracy: float | None
    turns_to_resolution: float | None
    """Mean customer turns of the conversations that succeeded without a human."""
    policy_violations: int
    violations_by_kind: dict[str, int]
    latency_median_ms: float | None
    latency_p95_ms: float | None
    turns: int


RATIOS = (
    "task_success",
    "intent_accuracy",
    "tool_precision",
    "tool_recall",
    "handoff_precision",
    "handoff_recall",
    "sentiment_accuracy",
)
"""The metrics that are fractions from 0 to 1, higher is better."""

LOWER_IS_BETTER = (
    "turns_to_resolution",
    "policy_violations",
    "latency_median_ms",
    "latency_p95_ms",
)
"""The other metrics a run is judged on: counts and times, lower is better."""


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (`fraction` 0.95 for p95)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return round(ordered[rank - 1], 2)


def compute(outcomes: Sequence[ConversationOutcome]) -> Metrics:
    turns = [turn for outcome in outcomes for turn in outcome.turns]
    intents = [t for t in turns if t.expected_intent is not None]
    sentiments = [t for t in turns if t.expected_sentiment is not None]
    tools = ToolCounts()
    for outcome in outcomes:
        tools = tools.add(outcome.conversation_tools)
        for turn in outcome.turns:
            if turn.tools is not None:
                tools = tools.add(turn.tools)
    # Handoffs are judged per conversation, plus per turn where a transcript says when.
    predicted = actual = both = 0
    for outcome in outcomes:
        pairs: list[tuple[bool, bool]] = [
            (t.handoff, t.expected_handoff) for t in outcome.turns if t.expected_handoff is not None
        ]
        if outcome.expected_handoff is not None and not pairs:
            pairs.append((outcome.handoff, outcome.expected_handoff))
        for made, wanted in pairs:
            predicted += made
            actual += wanted
            both += made and wanted
    resolved = [len(o.turns) for o in outcomes if o.success and not o.handoff]
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        for violation in outcome.violations:
            kinds[violation.kind] = kinds.get(violation.kind, 0) + 1
    latencies = [t.milliseconds for t in turns]
    return Metrics(
        conversations=len(outcomes),
        task_success=_ratio(sum(o.success for o in outcomes), len(outcomes)),
        intent_accuracy=_ratio(sum(t.intent == t.expected_intent for t in intents), len(intents)),
        tool_precision=_ratio(tools.matched, tools.matched + tools.unexpected),
        tool_recall=_ratio(tools.matched, tools.matched + tools.missing),
        handoff_precision=_ratio(both, predicted),
        handoff_recall=_ratio(both, actual),
        sentiment_accuracy=_ratio(
            sum(t.sentiment == t.expected_sentiment for t in sentiments), len(sentiments)
        ),
        turns_to_resolution=round(statistics.fmean(resolved), 2) if resolved else None,
        policy_violations=sum(kinds.values()),
        violations_by_kind=dict(sorted(kinds.items())),
        latency_median_ms=round(statistics.median(latencies), 2) if latencies else None,
        latency_p95_ms=percentile(latencies, 0.95),
        turns=len(turns),
    )


def grouped(
    outcomes: Iterable[ConversationOutcome], key: Callable[[ConversationOutcome], str]
) -> dict[str, Metrics]:
    groups: dict[str, list[ConversationOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault(key(outcome), []).append(outcome)
    return {name: compute(groups[name]) for name in sorted(groups)}
