"""The escalation summary a human agent reads before taking over a conversation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from agent.state import ConversationState, Customer, Escalation
from cerebro.logging import redact
from tools import types as t

UNVERIFIED = "Unverified visitor"
IDENTITY_LOOKUPS = frozenset(
    {
        "crm.find_customer_by_email",
        "crm.find_customer_by_phone",
        "crm.find_customer_by_name_and_zip",
    }
)
"""Lookups whose arguments are the details a visitor tried: never shown in a visitor's summary."""
LAST_MESSAGES = 20
ATTEMPTS = 15
TREND_DELTA = 0.2
_ROLES: dict[str, Literal["customer", "assistant", "agent"]] = {
    "customer": "customer",
    "ai_agent": "assistant",
    "human_agent": "agent",
}
_DIALOGUE_ACTS = frozenset(
    {"affirm", "deny", "provide_info", "greeting", "goodbye", "out_of_scope", "talk_to_human"}
)


def sentiment_trend(scores: list[float]) -> t.SentimentTrend:
    """Improving, stable or worsening: the later half of the scores against the earlier half."""
    if len(scores) < 2:
        return "stable"
    half = len(scores) // 2
    earlier, later = scores[:half], scores[half:]
    delta = sum(later) / len(later) - sum(earlier) / len(earlier)
    if delta > TREND_DELTA:
        return "improving"
    if delta < -TREND_DELTA:
        return "worsening"
    return "stable"


def _request(state: ConversationState) -> str:
    customer_turns = [turn for turn in state.get("turns") or [] if turn["source"] == "customer"]
    topical = [
        turn
        for turn in customer_turns
        if turn["intent"] is not None and turn["intent"] not in _DIALOGUE_ACTS
    ]
    last = customer_turns[-1]["text"] if customer_turns else ""
    if topical:
        wanted = f"{topical[-1]['intent']}: {topical[-1]['text']}"
        if topical[-1] is not customer_turns[-1]:
            wanted += f" | last message: {last}"
        return wanted[:1000]
    return last[:1000] or "(no message)"


def visitor_name(identity_failures: int) -> str:
    """What the agent reads in place of a name when nobody was verified: that the visitor is
    unverified and, after failed checks, how many (never the details tried)."""
    if identity_failures == 0:
        return UNVERIFIED
    times = "once" if identity_failures == 1 else f"{identity_failures} times"
    return f"{UNVERIFIED} (identity verification failed {times})"


def escalation_summary(
    state: ConversationState, customer: Customer | None, escalation: Escalation
) -> t.EscalationSummary:
    """Who, what they want, what was tried and found, order facts, sentiment, last messages.

    With no verified `customer` the summary is an unverified visitor's: it says so, and the
    emails and phone numbers the visitor typed (perhaps someone else's) are masked everywhere,
    identity lookups shown by their result only."""
    turns = state.get("turns") or []
    calls = [call for turn in turns for call in turn["tool_calls"]]
    calls += state.get("turn_tool_calls") or []  # this turn's, not in the transcript yet
    visitor = customer is None
    shown: Callable[[str], str] = redact if visitor else _as_is
    attempts = [
        t.AttemptedStep(
            action=(
                call["tool"]
                if visitor and call["tool"] in IDENTITY_LOOKUPS
                else shown(f"{call['tool']} {_args(call['args'])}".strip())[:200]
            ),
            outcome=(
                (call["error"] or "matched")
                if visitor and call["tool"] in IDENTITY_LOOKUPS
                else shown(call["outcome"] or call["error"] or "done")[:1000]
            ),
        )
        for call in calls
    ]
    attempts += [
        t.AttemptedStep(action="assistant note", outcome=shown(note)[:1000])
        for note in state.get("notes") or []
    ]
    attempts.append(
        t.AttemptedStep(
            action=f"escalated: {escalation['reason']}", outcome=shown(escalation["detail"])
        )
    )
    scores = [
        turn["sentiment"]["score"]
        for turn in turns
        if turn["source"] == "customer" and turn["sentiment"] is not None
    ]
    messages = [turn for turn in turns if turn["source"] in _ROLES and turn["kind"] == "message"]
    return t.EscalationSummary(
        customer_name=(
            visitor_name(state.get("identity_failures", 0))
            if customer is None
            else f"{customer['first_name']} {customer['last_name']}"
        ),
        customer_tier="standard" if customer is None else customer["tier"],
        request=shown(_request(state))[:1000],
        attempts=tuple(attempts[-ATTEMPTS:]),
        order_facts=tuple(
            t.OrderFact(order_id=fact["order_id"], status=fact["status"], detail=fact["detail"])
            for fact in (state.get("order_facts") or {}).values()
        ),
        sentiment_trend=sentiment_trend(scores),
        last_messages=tuple(
            t.TranscriptLine(
                role=_ROLES[turn["source"]],
                text=shown(turn["text"])[:4000],
                at=datetime.fromisoformat(turn["at"]),
            )
            for turn in messages[-LAST_MESSAGES:]
        ),
    )


def _as_is(text: str) -> str:
    return text


def _args(args: dict[str, object]) -> str:
    shown = {k: v for k, v in args.items() if v is not None and k not in ("description", "body")}
    return ", ".join(f"{key}={value}" for key, value in shown.items())
