"""act: the brain plans and acts through the turn's `CustomerTools`, and says what to answer."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.runnables import RunnableConfig

from agent.brain import Brain, EscalationRequest, Outcome
from agent.customer_tools import CustomerTools
from agent.deps import AgentDeps
from agent.nodes.common import perception_of, turn_request, understanding_of
from agent.state import ConversationState, Escalation

log = logging.getLogger(__name__)

MAX_NOTES = 20


def tools_for(
    state: ConversationState, deps: AgentDeps, *, confirming: bool, client: str | None = None
) -> CustomerTools:
    """The facade of this turn; it accepts the pending change only when `confirming`.
    `client`: who sent the turn (the API's hash of their address), for the identity limit."""
    return CustomerTools(
        deps.toolbox,
        conversation_id=state["conversation_id"],
        language=state.get("language", "en"),
        clock=deps.clock,
        customer=state.get("customer"),
        confirmed=state.get("pending_change") if confirming else None,
        knowledge=deps.knowledge,
        identity_failures=state.get("identity_failures", 0),
        throttle=deps.identity_throttle,
        client=client,
        turn=len(state.get("turns") or []),
    )


def act(
    state: ConversationState, deps: AgentDeps, brain: Brain, config: RunnableConfig
) -> dict[str, Any]:
    """`config` is the run's (LangGraph passes it): its `client` is who sent the turn."""
    record = state.get("understanding")
    if record is None:
        raise ValueError("act runs after understand")
    request = turn_request(state, deps.policy.history_lines)
    tools = tools_for(
        state,
        deps,
        confirming=perception_of(state)["affirmation"] == "yes",
        client=config.get("configurable", {}).get("client"),
    )
    try:
        outcome = brain.act(request, understanding_of(record), tools)
    except Exception as error:  # a brain must not raise; if it does, a human takes over
        log.exception("the %s brain failed to act", brain.name)
        detail = f"the {brain.name} brain failed ({type(error).__name__})"
        outcome = Outcome("", escalate=EscalationRequest("tool_failure", detail))
    calls = list(tools.calls)
    escalation: Escalation | None = None
    if outcome.escalate is not None:
        escalation = Escalation(reason=outcome.escalate.reason, detail=outcome.escalate.detail)
    else:
        failed = next((call for call in calls if call["error"] == "unavailable"), None)
        handoff = state.get("handoff")
        if failed is not None:
            escalation = Escalation(
                reason="tool_failure", detail=f"{failed['tool']}: {failed['outcome']}"[:200]
            )
        elif handoff is not None and handoff["status"] == "awaiting_identity":
            # Asked once who they are: verified or not, this turn they reach the human.
            escalation = Escalation(
                reason=handoff["reason"],
                detail=(
                    "identified for the handoff"
                    if tools.customer is not None
                    else "not verified when asked; handed off as an unverified visitor"
                ),
            )
    update: dict[str, Any] = {
        "reply": outcome.reply,
        "flow": dict(outcome.flow) if outcome.flow is not None else None,
        "pending_change": outcome.proposal,
        "customer": tools.customer,
        "identity_failures": tools.identity_failures,
        "turn_tool_calls": calls,
        "escalation": escalation,
    }
    if tools.order_facts:
        update["order_facts"] = tools.order_facts
    if outcome.notes:
        update["notes"] = [*(state.get("notes") or []), *outcome.notes][-MAX_NOTES:]
    return update
