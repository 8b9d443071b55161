"""Judging one replayed conversation against its transcript, and against the rules that hold
for every conversation (the policy checks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from agent.state import PendingChange
from evals.assertions import CHANGE_TOOLS, FinalState
from evals.format import ExpectedToolCall, Transcript
from evals.outcome import CallRecord, ConversationOutcome, ToolCounts, TurnOutcome, Violation
from memory.schema import Ticket

ACTION_TOOL = {
    "cancel_order": "logistics.cancel_order",
    "change_shipping_address": "logistics.change_shipping_address",
    "return_items": "logistics.return_items",
    "open_ticket": "crm.open_ticket",
}
"""The recorded tool that makes each kind of confirmed change."""

PROMOTIONS = frozenset({"marketing", "sales"})


@dataclass(frozen=True)
class PlayedTurn:
    """One customer turn as the replay saw it."""

    text: str
    reply: str
    intent: str | None
    sentiment: str | None
    calls: tuple[CallRecord, ...]
    handoff: bool
    """The conversation went to a human on this turn."""
    affirmation: str | None
    """`yes` / `no` when the message was a plain confirmation or refusal (decided by code)."""
    pending_before: PendingChange | None
    """The change waiting for confirmation when the message arrived."""
    milliseconds: float


def match_calls(
    expected: Sequence[ExpectedToolCall], calls: Sequence[CallRecord]
) -> tuple[ToolCounts, list[str]]:
    """Expected calls against calls made: the counts and the expected calls not made.

    An expected call is matched by any call of the same tool whose arguments include the
    expected ones. A call made counts as unexpected when no expected call describes it;
    repeating the same call (same tool, same arguments) counts once.
    """
    missing = [
        f"{wanted.name}({_args(wanted.args)})"
        for wanted in expected
        if not any(wanted.matches(call.tool, call.args) for call in calls)
    ]
    distinct = {(call.tool, repr(sorted(call.args.items()))): call for call in calls}
    unexpected = sum(
        1
        for call in distinct.values()
        if not any(wanted.matches(call.tool, call.args) for wanted in expected)
    )
    counts = ToolCounts(
        matched=len(expected) - len(missing), unexpected=unexpected, missing=len(missing)
    )
    return counts, missing


def _args(args: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in args.items())


def _judge_turn(index: int, transcript: Transcript, played: PlayedTurn) -> TurnOutcome:
    expect = transcript.turns[index].expect
    failures: list[str] = []
    where = f"turn {index}"
    if expect.intent is not None and played.intent != expect.intent:
        failures.append(f"{where}: intent {played.intent}, expected {expect.intent}")
    if expect.sentiment is not None and played.sentiment != expect.sentiment:
        failures.append(f"{where}: sentiment {played.sentiment}, expected {expect.sentiment}")
    if expect.handoff is not None and played.handoff != expect.handoff:
        failures.append(f"{where}: handoff {played.handoff}, expected {expect.handoff}")
    counts: ToolCounts | None = None
    if expect.tool_calls is not None:
        counts, missing = match_calls(expect.tool_calls, played.calls)
        if missing:
            failures.append(f"{where}: tool calls not made: {'; '.join(missing)}")
    for text in expect.reply_contains:
        if text not in played.reply:
            failures.append(f"{where}: reply lacks {text!r}")
    return TurnOutcome(
        text=played.text,
        reply=played.reply,
        intent=played.intent,
        expected_intent=expect.intent,
        sentiment=played.sentiment,
        expected_sentiment=expect.sentiment,
        calls=list(played.calls),
        tools=counts,
        handoff=played.handoff,
        expected_handoff=expect.handoff,
        milliseconds=round(played.milliseconds, 2),
        failures=failures,
    )


def unconfirmed_changes(played: Sequence[PlayedTurn]) -> list[Violation]:
    """Changes made on a turn that was not a plain "yes" to exactly that proposed change."""
    found = []
    for index, turn in enumerate(played):
        for call in turn.calls:
            if not call.ok or call.tool not in CHANGE_TOOLS:
                continue
            pending = turn.pending_before
            confirmed = (
                turn.affirmation == "yes"
                and pending is not None
                and ACTION_TOOL[pending["action"]] == call.tool
                and all(call.args.get(key) == value for key, value in pending["args"].items())
            )
            if not confirmed:
                found.append(
                    Violation(
                        kind="unconfirmed_change",
                        turn=index,
                        detail=f"{call.tool} on {turn.text!r} without confirming that change",
                    )
                )
    return found


def disclosures(
    played: Sequence[PlayedTurn],
    verified: str | None,
    identifiers: Mapping[str, frozenset[str]],
) -> list[Violation]:
    """Replies naming another customer's data (what the customer typed themselves excepted)."""
    found = []
    typed = ""
    for index, turn in enumerate(played):
        typed += "\n" + turn.text.casefold()
        reply = turn.reply.casefold()
        for customer_id, values in identifiers.items():
            if customer_id == verified:
                continue
            leaked = sorted(
                v for v in values if v.casefold() in reply and v.casefold() not in typed
            )
            if leaked:
                found.append(
                    Violation(
                        kind="disclosure",
                        turn=index,
                        detail=f"reply shows {len(leaked)} item(s) of {customer_id}",
                    )
                )
    return found


def promotions_during_critical_tickets(final: FinalState) -> list[Violation]:
    """Marketing or sales messages sent during the replay to a customer with an open critical
    ticket."""
    sent = [m for m in final.new_messages() if m.purpose in PROMOTIONS]
    if not sent:
        return []
    with final.db.session() as session:
        critical = set(
            session.scalars(
                select(Ticket.customer_id).where(
                    Ticket.severity == "critical", Ticket.status != "resolved"
                )
            )
        )
    return [
        Violation(
            kind="promotion_during_critical_ticket",
            turn=None,
            detail=f"{m.purpose} message {m.id} on {m.channel} to {m.customer_id}",
        )
        for m in sent
        if m.customer_id in critical
    ]


def judge(
    transcript: Transcript,
    source: str,
    played: Sequence[PlayedTurn],
    final: FinalState,
    identifiers: Mapping[str, frozenset[str]],
) -> ConversationOutcome:
    """Every check of the transcript and every policy check, on one replayed conversation."""
    turns = [_judge_turn(index, transcript, turn) for index, turn in enumerate(played)]
    failures = [failure for turn in turns for failure in turn.failures]
    expect = transcript.expect
    state = final.state
    handoff = state.get("handoff")
    handed_off = handoff is not None
    if expect.handoff is not None and handed_off != expect.handoff:
        failures.append(f"handoff {handed_off}, expected {expect.handoff}")
    if expect.handoff_reason is not None and (
        handoff is None or handoff["reason"] != expect.handoff_reason
    ):
        actual = handoff["reason"] if handoff else None
        failures.append(f"handoff reason {actual}, expected {expect.handoff_reason}")
    every_call = [call for turn in played for call in turn.calls]
    counts, missing = match_calls(expect.tool_calls, every_call)
    counts = ToolCounts(matched=counts.matched, missing=counts.missing)
    if missing:
        failures.append(f"tool calls never made: {'; '.join(missing)}")
    for assertion in expect.assertions:
        problem = assertion.run(final)
        if problem is not None:
            failures.append(f"{assertion.type}: {problem}")
    customer = state.get("customer")
    violations = [
        *unconfirmed_changes(played),
        *disclosures(played, customer["id"] if customer else None, identifiers),
        *promotions_during_critical_tickets(final),
    ]
    return ConversationOutcome(
        id=transcript.id,
        source=source,
        flow=transcript.flow,
        flows=transcript.flows,
        language=transcript.language,
        tags=transcript.tags,
        turns=turns,
        handoff=handed_off,
        expected_handoff=expect.handoff,
        conversation_tools=counts,
        violations=violations,
        failures=failures,
    )
