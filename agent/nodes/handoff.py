"""handoff: queue the conversation for a human with an escalation summary, and tell the customer
honestly what happens next. From then on the conversation is in human mode."""

from __future__ import annotations

from typing import Any

from agent.deps import AgentDeps
from agent.nodes.act import tools_for
from agent.nodes.common import now_iso
from agent.offline.say import Say
from agent.state import ConversationState, Escalation, HandoffRecord
from agent.summary import escalation_summary
from tools.errors import ConflictError, ToolError

SKILLS = {
    "order_status": "orders",
    "cancel_order": "orders",
    "change_address": "orders",
    "report_late": "orders",
    "return_items": "returns",
    "report_damaged": "returns",
    "refund_status": "billing",
}
"""The agent skill a topic needs (`routing` matches it against the agents' skills)."""
URGENT = frozenset({"negative_sentiment", "trigger_word", "tool_failure"})


def skills_for(state: ConversationState) -> list[str]:
    intents = [t["intent"] for t in state.get("turns") or [] if t["source"] == "customer"]
    topic = next((SKILLS[i] for i in reversed(intents) if i in SKILLS), None)
    customer = state.get("customer")
    skills = [topic] if topic else []
    if customer is not None and customer["tier"] == "vip":
        skills.append("vip")
    return skills


def priority_for(state: ConversationState, escalation: Escalation) -> int:
    """1 (most urgent) to 5: 3 by default, one step more urgent for a VIP and for an upset
    customer or a failure on our side."""
    customer = state.get("customer")
    priority = 3
    if customer is not None and customer["tier"] == "vip":
        priority -= 1
    if escalation["reason"] in URGENT:
        priority -= 1
    return max(1, priority)


def offers_to_verify_first(state: ConversationState) -> bool:
    """Whether an unverified customer is first asked who they are, so the agent sees their
    account: only once per conversation (no handoff asked for or made before), and only while
    that is quick (no check has failed yet, so not when locked either). Otherwise they reach a
    human unverified, at once."""
    return state.get("handoff") is None and state.get("identity_failures", 0) == 0


def handoff(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    escalation = state.get("escalation")
    if escalation is None:
        raise ValueError("handoff runs on an escalation")
    say = Say(state.get("language", "en"))
    preface = say(f"handoff.preface_{escalation['reason']}")
    now = now_iso(deps.clock)
    reset: dict[str, Any] = {"flow": None, "pending_change": None}
    customer = state.get("customer")
    if customer is None and offers_to_verify_first(state):
        record = HandoffRecord(
            reason=escalation["reason"], at=now, handoff_id=None, status="awaiting_identity"
        )
        reply = f"{preface} {say('handoff.need_identity')}"
        return {**reset, "handoff": record, "reply": reply}
    tools = tools_for(state, deps, confirming=False)
    calls = [*(state.get("turn_tool_calls") or [])]
    try:
        queued = tools.request_handoff(
            reason=escalation["reason"],
            skills=skills_for(state),
            priority=priority_for(state, escalation),
            summary=escalation_summary(state, customer, escalation),
        )
    except ConflictError:
        calls += tools.calls
        return {**reset, "mode": "human", "reply": say("handoff.already"), "turn_tool_calls": calls}
    except ToolError:
        calls += tools.calls
        return {**reset, "reply": f"{preface} {say('handoff.failed')}", "turn_tool_calls": calls}
    calls += tools.calls
    queued_text = "handoff.queued" if customer is not None else "handoff.queued_unverified"
    record = HandoffRecord(
        reason=escalation["reason"], at=now, handoff_id=queued.id, status="queued"
    )
    return {
        **reset,
        "mode": "human",
        "handoff": record,
        "reply": f"{preface} {say(queued_text, handoff_id=queued.id)}",
        "turn_tool_calls": calls,
    }
