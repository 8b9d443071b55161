"""guard: when a conversation goes to a human.

Before understanding (`guard`): trigger words ("human", "frustrated", "hablar con un humano",
"harto", "reclamo"...), and sustained negative sentiment. After understanding
(`guard_understanding`): an explicit request for a person, a confident out-of-scope request, too
many low-confidence turns in a row, and the order-cancellation trigger words ("cancelar", "cancel
my order"), which only hand off when the message is not a cancellation the assistant can make.
After acting, a tool failure or the brain's own request is turned into an escalation by `act`.
"""

from __future__ import annotations

from typing import Any

from agent.deps import AgentDeps, GuardPolicy
from agent.state import ConversationState, Escalation, HandoffReason
from cerebro.text import fold

_ASKS_FOR_A_PERSON = (
    "human", "humano", "person", "persona", "agent", "agente", "asesor", "someone", "alguien",
    "representative", "representante", "operator", "operador", "supervisor", "manager",
    "gerente", "encargado", "customer service", "atencion al cliente",
)  # fmt: skip
_RESOLVABLE_INTENTS = frozenset({"cancel_order", "affirm", "deny", "provide_info"})


def triggers(state: ConversationState) -> list[str]:
    perception = state.get("perception")
    signals = perception["signals"] if perception else []
    return [signal.removeprefix("trigger:") for signal in signals if signal.startswith("trigger:")]


def is_order_cancellation(phrase: str) -> bool:
    """ "cancelar", "cancelar mi pedido", "cancel my order": what the cancel flow resolves."""
    folded = fold(phrase)
    return folded.startswith("cancel") and not any(
        word in folded for word in ("account", "cuenta", "subscription", "suscripcion")
    )


def _reason(phrase: str) -> HandoffReason:
    folded = fold(phrase)
    return "customer_request" if any(w in folded for w in _ASKS_FOR_A_PERSON) else "trigger_word"


def sustained_negative(state: ConversationState, policy: GuardPolicy) -> bool:
    """The customer's last turns were all negative (or strongly negative, for fewer turns);
    only turns since the last status change count (a hand-back starts afresh)."""
    turns = state.get("turns") or []
    since = max((t["offset"] for t in turns if t["source"] == "system"), default=-1)
    scores = [
        turn["sentiment"]
        for turn in turns
        if turn["source"] == "customer" and turn["sentiment"] is not None and turn["offset"] > since
    ]
    last = scores[-policy.negative_turns :]
    if len(last) == policy.negative_turns and all(s["label"] == "negative" for s in last):
        return True
    strong = scores[-policy.strongly_negative_turns :]
    return len(strong) == policy.strongly_negative_turns and all(
        s["label"] == "negative" and s["score"] <= policy.strongly_negative_score for s in strong
    )


def guard(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    immediate = [phrase for phrase in triggers(state) if not is_order_cancellation(phrase)]
    escalation: Escalation | None = None
    if immediate:
        escalation = Escalation(reason=_reason(immediate[0]), detail=f'said "{immediate[0]}"')
    elif sustained_negative(state, deps.policy):
        escalation = Escalation(
            reason="negative_sentiment", detail="negative sentiment on consecutive messages"
        )
    return {"escalation": escalation}


def guard_understanding(state: ConversationState, deps: AgentDeps) -> dict[str, Any]:
    understanding = state.get("understanding")
    if understanding is None:
        raise ValueError("guard_understanding runs after understand")
    policy = deps.policy
    intent, confidence = understanding["intent"], understanding["confidence"]
    deferred = [phrase for phrase in triggers(state) if is_order_cancellation(phrase)]
    escalation: Escalation | None = None
    if intent == "talk_to_human" and confidence >= policy.low_confidence:
        escalation = Escalation(reason="customer_request", detail="asked for a person")
    elif intent == "out_of_scope" and confidence >= policy.out_of_scope_confidence:
        escalation = Escalation(reason="out_of_scope", detail="a request outside retail support")
    elif state.get("low_confidence_streak", 0) >= policy.low_confidence_turns:
        escalation = Escalation(
            reason="low_confidence",
            detail=f"{policy.low_confidence_turns} messages in a row not understood",
        )
    elif deferred and intent not in _RESOLVABLE_INTENTS and state.get("pending_change") is None:
        escalation = Escalation(reason="trigger_word", detail=f'said "{deferred[0]}"')
    return {"escalation": escalation}
