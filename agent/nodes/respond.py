"""respond: record the assistant's reply (with the AI disclosure on the first one), and a status
turn when the conversation just went to a human."""

from __future__ import annotations

from typing import Any

from agent.deps import AgentDeps
from agent.nodes.common import current_turn, now_iso
from agent.offline.say import Say
from agent.state import ConversationState, Turn, new_turn, next_offset


def respond(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    language = state.get("language", "en")
    say = Say(language)
    turns = state.get("turns") or []
    reply = (state.get("reply") or "").strip()
    if not any(turn["source"] == "ai_agent" for turn in turns):
        reply = f"{say('disclosure')} {reply}".strip()
    now = now_iso(deps.clock)
    mode = state.get("mode", "ai")
    offset = next_offset(state)
    new: list[Turn] = [
        new_turn(
            offset,
            "ai_agent",
            reply,
            now,
            mode=mode,
            language=language,
            tool_calls=state.get("turn_tool_calls") or [],
        )
    ]
    handoff = state.get("handoff")
    if mode == "human" and current_turn(state)["mode"] == "ai" and handoff is not None:
        text = say("status_turn.handed_off", handoff_id=handoff["handoff_id"] or "-")
        new.append(new_turn(offset + 1, "system", text, now, mode=mode, kind="status"))
    return {"turns": new}
