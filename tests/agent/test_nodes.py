"""Each node of the graph on its own, on hand-made states."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.brain import Outcome, TurnRequest, Understanding
from agent.customer_tools import CustomerTools
from agent.deps import AgentDeps, GuardPolicy
from agent.nodes.act import act
from agent.nodes.guard import guard, guard_understanding, is_order_cancellation
from agent.nodes.perceive import perceive
from agent.nodes.respond import respond
from agent.nodes.understand import understand
from agent.sentiment import SentimentResult
from agent.state import (
    ConversationState,
    Inbox,
    Perception,
    SentimentRecord,
    Turn,
    UnderstandingRecord,
    merge_turns,
    new_turn,
)
from agent.summary import sentiment_trend
from cerebro.clock import FixedClock
from tools.errors import UnavailableError

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


class FixedSentiment:
    def __init__(self, label: str = "neutral", score: float = 0.0) -> None:
        self.label, self.score = label, score

    def analyze(self, text: str, language: str | None = None) -> SentimentResult:
        return SentimentResult(self.label, self.score, language or "en", "fixed")  # type: ignore[arg-type]

    def analyze_batch(self, texts: Any, language: str | None = None) -> list[SentimentResult]:
        return [self.analyze(text, language) for text in texts]


def deps(sentiment: FixedSentiment | None = None, **policy: Any) -> AgentDeps:
    return AgentDeps(
        toolbox=None,  # type: ignore[arg-type]
        clock=FixedClock(NOW),
        sentiment=sentiment or FixedSentiment(),
        policy=GuardPolicy(**policy),
    )


def customer_turn(offset: int, text: str, label: str = "neutral", score: float = 0.0) -> Turn:
    return new_turn(
        offset,
        "customer",
        text,
        NOW.isoformat(),
        mode="ai",
        language="en",
        sentiment=SentimentRecord(label=label, score=score),  # type: ignore[typeddict-item]
    )


def state_with(*turns: Turn, **values: Any) -> ConversationState:
    state: dict[str, Any] = {
        "conversation_id": "conv_1",
        "language": "en",
        "mode": "ai",
        "customer": None,
        "flow": None,
        "pending_change": None,
        "low_confidence_streak": 0,
        "turns": list(turns),
        "perception": None,
    }
    state.update(values)
    return state  # type: ignore[return-value]


def perception(signals: list[str] | None = None, affirmation: Any = None) -> Perception:
    return Perception(
        language="en",
        sentiment=SentimentRecord(label="neutral", score=0.0),
        signals=signals or [],
        affirmation=affirmation,
    )


def test_perceive_records_the_customer_turn_with_language_and_sentiment() -> None:
    state = state_with(
        customer_turn(0, "hola"),
        inbox=Inbox(kind="message", source="customer", text="¡¡Estoy HARTO!!", at="", author=None),
    )
    update = perceive(state, deps(FixedSentiment("negative", -0.8)))
    assert update["language"] == "es"
    (turn,) = update["turns"]
    assert (turn["offset"], turn["source"], turn["sentiment"]) == (
        1,
        "customer",
        {"label": "negative", "score": -0.8},
    )
    signals = update["perception"]["signals"]
    assert "trigger:harto" in signals and "shouting" in signals
    assert "repeated_punctuation" in signals


def test_a_fixed_language_is_kept() -> None:
    state = state_with(
        language="en",
        language_fixed=True,
        inbox=Inbox(kind="message", source="customer", text="¿dónde está?", at="", author=None),
    )
    assert perceive(state, deps())["language"] == "en"


def test_guard_hands_off_on_triggers_but_defers_order_cancellation() -> None:
    assert guard(state_with(perception=perception(["trigger:frustrated"])), deps())[
        "escalation"
    ] == {"reason": "trigger_word", "detail": 'said "frustrated"'}
    assert (
        guard(state_with(perception=perception(["trigger:talk to a human"])), deps())["escalation"][
            "reason"
        ]
        == "customer_request"
    )  # type: ignore[index]
    assert (
        guard(state_with(perception=perception(["trigger:cancelar"])), deps())["escalation"] is None
    )
    assert is_order_cancellation("cancel my order")
    assert not is_order_cancellation("cancelar mi cuenta")


@pytest.mark.parametrize(
    ("scores", "handed"),
    [
        ([("negative", -0.3)] * 2, False),
        ([("negative", -0.3)] * 3, True),
        ([("negative", -0.7)] * 2, True),
        ([("negative", -0.7), ("neutral", 0.0), ("negative", -0.9)], False),
    ],
)
def test_guard_on_sustained_negative_sentiment(
    scores: list[tuple[str, float]], handed: bool
) -> None:
    turns = [customer_turn(i, "…", label, score) for i, (label, score) in enumerate(scores)]
    state = state_with(*turns, perception=perception())
    escalation = guard(state, deps())["escalation"]
    assert (escalation is not None) == handed


def record(intent: str, confidence: float) -> UnderstandingRecord:
    return UnderstandingRecord(
        intent=intent, confidence=confidence, entities=[], out_of_scope=False
    )


def test_guard_after_understanding() -> None:
    def escalation(state: ConversationState) -> Any:
        return guard_understanding(state, deps())["escalation"]

    base = {"perception": perception()}
    assert (
        escalation(state_with(understanding=record("talk_to_human", 0.9), **base))["reason"]
        == "customer_request"
    )
    assert (
        escalation(state_with(understanding=record("out_of_scope", 0.95), **base))["reason"]
        == "out_of_scope"
    )
    assert escalation(state_with(understanding=record("out_of_scope", 0.6), **base)) is None
    assert (
        escalation(
            state_with(understanding=record("order_status", 0.3), low_confidence_streak=2, **base)
        )["reason"]
        == "low_confidence"
    )
    cancel = {"perception": perception(["trigger:cancelar"])}
    assert escalation(state_with(understanding=record("cancel_order", 1.0), **cancel)) is None
    assert (
        escalation(state_with(understanding=record("greeting", 1.0), **cancel))["reason"]
        == "trigger_word"
    )


@dataclass
class ScriptedBrain:
    """A brain that says what it is told: for testing the graph's side of the seam."""

    understanding: Understanding
    outcome: Outcome | None = None
    failure: Exception | None = None
    name: str = "scripted"

    def understand(self, request: TurnRequest) -> Understanding:
        return self.understanding

    def act(
        self, request: TurnRequest, understanding: Understanding, tools: CustomerTools
    ) -> Outcome:
        if self.failure is not None:
            raise self.failure
        assert self.outcome is not None
        return self.outcome


def test_understand_counts_low_confidence_turns_and_annotates_the_turn() -> None:
    state = state_with(customer_turn(0, "hmm"), perception=perception(), low_confidence_streak=1)
    update = understand(state, deps(), ScriptedBrain(Understanding("order_status", 0.2)))
    assert update["low_confidence_streak"] == 2
    assert update["turns"][0]["intent"] == "order_status"
    assert update["turns"][0]["id"] == "turn-0000"
    sure = understand(state, deps(), ScriptedBrain(Understanding("order_status", 0.9)))
    assert sure["low_confidence_streak"] == 0


def test_a_failing_brain_becomes_a_tool_failure_escalation() -> None:
    state = state_with(
        customer_turn(0, "where is it"),
        perception=perception(),
        understanding=record("order_status", 0.9),
    )
    brain = ScriptedBrain(Understanding("order_status", 0.9), failure=RuntimeError("bug"))
    update = act(state, deps(), brain, {})
    assert update["escalation"]["reason"] == "tool_failure"
    assert "RuntimeError" in update["escalation"]["detail"]


def test_an_unavailable_tool_escalates_even_if_the_brain_does_not() -> None:
    class Down:
        def search(self, query: str, language: str, k: int = 3) -> list[Any]:
            raise UnavailableError("chromadb is down")

    class Answering(ScriptedBrain):
        def act(self, request: TurnRequest, u: Understanding, tools: CustomerTools) -> Outcome:
            with suppress(UnavailableError):
                tools.search_knowledge("refund time")
            return Outcome("Sorry, no idea.")

    state = state_with(
        customer_turn(0, "how long do refunds take"),
        perception=perception(),
        understanding=record("knowledge_question", 0.9),
    )
    broken = AgentDeps(
        toolbox=None,  # type: ignore[arg-type]
        clock=FixedClock(NOW),
        sentiment=FixedSentiment(),
        knowledge=Down(),
    )
    update = act(state, broken, Answering(Understanding("knowledge_question", 0.9)), {})
    assert update["escalation"]["reason"] == "tool_failure"
    assert update["turn_tool_calls"][0]["error"] == "unavailable"


def test_respond_discloses_the_ai_once() -> None:
    first = respond(state_with(customer_turn(0, "hi"), reply="How can I help?"), deps())
    (turn,) = first["turns"]
    assert turn["source"] == "ai_agent" and turn["text"].startswith("Hi, I'm Cerebro's AI")
    later = state_with(customer_turn(0, "hi"), turn, customer_turn(2, "?"), reply="Sure.")
    assert respond(later, deps())["turns"][0]["text"] == "Sure."


def test_merge_turns_appends_and_replaces_by_id() -> None:
    a, b = customer_turn(0, "a"), customer_turn(1, "b")
    annotated = {**a, "intent": "greeting"}
    merged = merge_turns([a], [b, annotated])  # type: ignore[list-item]
    assert [t["text"] for t in merged] == ["a", "b"]
    assert merged[0]["intent"] == "greeting"


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        ([], "stable"),
        ([0.5], "stable"),
        ([0.4, 0.3, -0.5, -0.8], "worsening"),
        ([-0.8, -0.2, 0.4], "improving"),
        ([0.1, 0.0, 0.1, 0.05], "stable"),
    ],
)
def test_sentiment_trend(scores: list[float], trend: str) -> None:
    assert sentiment_trend(scores) == trend
