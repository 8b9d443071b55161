"""understand: the brain reads the customer message (intent, confidence, entities)."""

from __future__ import annotations

import logging
from typing import Any

from agent.brain import Brain, Understanding
from agent.deps import AgentDeps
from agent.nodes.common import current_turn, record_of, turn_request
from agent.state import ConversationState

log = logging.getLogger(__name__)


def understand(state: ConversationState, deps: AgentDeps, brain: Brain) -> dict[str, Any]:
    request = turn_request(state, deps.policy.history_lines)
    try:
        understanding = brain.understand(request)
    except Exception:  # a brain must not raise; if it does, the turn counts as not understood
        log.exception("the %s brain failed to understand a message", brain.name)
        understanding = Understanding("out_of_scope", 0.0)
    low = understanding.confidence < deps.policy.low_confidence
    turn = current_turn(state)
    annotated = {
        **turn,
        "intent": understanding.intent,
        "confidence": round(understanding.confidence, 4),
    }
    return {
        "understanding": record_of(understanding),
        "low_confidence_streak": state.get("low_confidence_streak", 0) + 1 if low else 0,
        "turns": [annotated],
    }
