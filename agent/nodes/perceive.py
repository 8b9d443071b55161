"""perceive: language, sentiment and frustration signals of a customer message, and whether it is
a plain yes or no; records the customer turn (in human mode too)."""

from __future__ import annotations

from typing import Any

from agent.deps import AgentDeps
from agent.dialogue import affirmation
from agent.nodes.common import now_iso
from agent.sentiment import message_signals, repeats_earlier
from agent.state import ConversationState, Perception, SentimentRecord, new_turn, next_offset

RECENT_MESSAGES = 4
"""Earlier customer messages a repeated message is looked for in."""


def signals_of(text: str, earlier: list[str]) -> list[str]:
    """`trigger:<phrase>` for each trigger phrase, then `shouting`, `repeated_punctuation` and
    `repeated_message` when present."""
    own = message_signals(text)
    found = [f"trigger:{phrase}" for phrase in own.trigger_phrases]
    if own.shouted_words:
        found.append("shouting")
    if own.repeated_punctuation:
        found.append("repeated_punctuation")
    if repeats_earlier(text, earlier[-RECENT_MESSAGES:]):
        found.append("repeated_message")
    return found


def perceive(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    inbox = state.get("inbox")
    if inbox is None:
        raise ValueError("perceive needs a message in the inbox")
    text = inbox["text"]
    current = state.get("language", "en")
    language = current if state.get("language_fixed") else deps.detect_language(text, current)
    result = deps.sentiment.analyze(text, language)
    sentiment = SentimentRecord(label=result.label, score=round(result.score, 4))
    earlier = [t["text"] for t in state.get("turns") or [] if t["source"] == "customer"]
    perception = Perception(
        language=language,
        sentiment=sentiment,
        signals=signals_of(text, earlier),
        affirmation=affirmation(text),
    )
    turn = new_turn(
        next_offset(state),
        "customer",
        text,
        inbox["at"] or now_iso(deps.clock),
        mode=state.get("mode", "ai"),
        language=language,
        sentiment=sentiment,
    )
    return {
        "language": language,
        "perception": perception,
        "turns": [turn],
        "understanding": None,
        "escalation": None,
        "reply": None,
        "turn_tool_calls": [],
    }
