"""Human mode: a human agent's message (a takeover when the assistant still had the
conversation), and the hand-back to the assistant."""

from __future__ import annotations

from typing import Any

from agent.deps import AgentDeps
from agent.nodes.common import now_iso
from agent.offline.say import Say
from agent.state import ConversationState, Turn, new_turn, next_offset


def human_message(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    inbox = state.get("inbox")
    if inbox is None:
        raise ValueError("human_message needs a message in the inbox")
    at = inbox["at"] or now_iso(deps.clock)
    offset = next_offset(state)
    new: list[Turn] = []
    if state.get("mode", "ai") == "ai":
        text = Say(state.get("language", "en"))("status_turn.taken_over")
        new.append(new_turn(offset, "system", text, at, mode="human", kind="status"))
        offset += 1
    new.append(
        new_turn(
            offset,
            "human_agent",
            inbox["text"],
            at,
            mode="human",
            language=state.get("language"),
            author=inbox["author"],
        )
    )
    return {"mode": "human", "turns": new, "flow": None, "pending_change": None}


def handback(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    inbox = state.get("inbox")
    at = (inbox["at"] if inbox else None) or now_iso(deps.clock)
    text = Say(state.get("language", "en"))("status_turn.handed_back")
    turn = new_turn(next_offset(state), "system", text, at, mode="ai", kind="status")
    if inbox is not None:
        turn["author"] = inbox["author"]
    handoff = state.get("handoff")
    update: dict[str, Any] = {
        "mode": "ai",
        "turns": [turn],
        "low_confidence_streak": 0,
        "flow": None,
        "pending_change": None,
    }
    if handoff is not None:
        update["handoff"] = {**handoff, "status": "handed_back"}
    return update
