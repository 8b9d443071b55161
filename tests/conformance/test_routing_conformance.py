"""The human-routing contract: handoffs queued with a typed escalation summary."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from cerebro.clock import FixedClock
from memory.vocabulary import HandoffOutcome, Language
from tests.conformance import world as w
from tests.conformance.expect import expect_error
from tools.routing import RoutingTools
from tools.types import AttemptedStep, EscalationSummary, Handoff, OrderFact, TranscriptLine

SUMMARY = EscalationSummary(
    customer_name="María López García",
    customer_tier="standard",
    request="Quiere cancelar el pedido de la chaqueta, que ya salió del almacén.",
    attempts=(
        AttemptedStep(
            action=f"cancel order {w.MARIA_SHIPPED}",
            outcome="refused: the order has shipped",
        ),
    ),
    order_facts=(
        OrderFact(
            order_id=w.MARIA_SHIPPED,
            status="shipped",
            detail="SEUR100043 in transit, expected tomorrow",
        ),
    ),
    sentiment_trend="worsening",
    last_messages=(
        TranscriptLine(role="customer", text="Quiero cancelar ya", at=w.NOW - timedelta(minutes=2)),
        TranscriptLine(
            role="assistant",
            text="El pedido ya salió del almacén.",
            at=w.NOW - timedelta(minutes=1),
        ),
        TranscriptLine(role="customer", text="Quiero hablar con alguien", at=w.NOW),
    ),
)


def request(
    routing: RoutingTools,
    conversation_id: str = "conv-maria-1",
    *,
    reason: str = "trigger_word",
    language: str = "es",
    priority: int = 2,
) -> Handoff:
    """María asks for a human; any argument may be replaced, by invalid values too."""
    return routing.request_handoff(
        w.MARIA,
        conversation_id=conversation_id,
        reason=reason,
        language=cast(Language, language),
        skills=["returns", "delivery"],
        priority=priority,
        summary=SUMMARY,
    )


def test_a_handoff_is_queued_with_its_summary(routing: RoutingTools) -> None:
    handoff = request(routing)
    assert (handoff.id, handoff.customer_id, handoff.conversation_id) == (
        "HOF-000002",
        w.MARIA,
        "conv-maria-1",
    )
    assert (handoff.status, handoff.reason, handoff.priority, handoff.language) == (
        "queued",
        "trigger_word",
        2,
        "es",
    )
    assert handoff.skills == ("returns", "delivery")
    assert handoff.summary == SUMMARY
    assert handoff.assigned_agent_id is None
    assert handoff.created_at == handoff.updated_at == w.NOW
    assert routing.get_handoff(w.MARIA, handoff.id) == handoff
    assert routing.list_handoffs(w.MARIA) == [handoff]


def test_a_conversation_waits_for_one_human_at_a_time(
    routing: RoutingTools, clock: FixedClock
) -> None:
    first = request(routing)
    with expect_error("conflict", "conv-maria-1", first.id, "queued"):
        request(routing, priority=1)
    clock.set(w.NOW + timedelta(minutes=1))
    second = request(routing, conversation_id="conv-maria-2")
    assert [h.id for h in routing.list_handoffs(w.MARIA)] == [second.id, first.id]


@pytest.mark.parametrize(
    ("conversation_id", "reason", "language", "priority", "field"),
    [
        ("conv-maria-1", "trigger_word", "es", 0, "priority"),
        ("conv-maria-1", "trigger_word", "es", 6, "priority"),
        ("conv-maria-1", " ", "es", 2, "reason"),
        ("conv-maria-1", "trigger_word", "fr", 2, "language"),
        ("", "trigger_word", "es", 2, "conversation_id"),
    ],
)
def test_a_handoff_request_is_checked(
    routing: RoutingTools,
    conversation_id: str,
    reason: str,
    language: str,
    priority: int,
    field: str,
) -> None:
    with expect_error("invalid_input", field):
        request(routing, conversation_id, reason=reason, language=language, priority=priority)
    assert routing.list_handoffs(w.MARIA) == []


def test_another_customers_handoff_is_not_found(routing: RoutingTools) -> None:
    with expect_error("not_found", w.JAMES_HANDOFF):
        routing.get_handoff(w.MARIA, w.JAMES_HANDOFF)
    assert routing.list_handoffs(w.MARIA) == []
    [james] = routing.list_handoffs(w.JAMES)
    assert (james.id, james.status, james.summary.customer_tier) == (
        w.JAMES_HANDOFF,
        "queued",
        "vip",
    )
    with expect_error("not_found", "CUS-999999"):
        routing.list_handoffs("CUS-999999")


def test_an_agent_takes_a_handoff_and_closes_it(routing: RoutingTools, clock: FixedClock) -> None:
    queued = request(routing)
    clock.set(w.NOW + timedelta(minutes=3))
    taken = routing.assign_handoff(w.MARIA, queued.id, agent_id=w.ACTIVE_AGENT)
    assert (taken.status, taken.assigned_agent_id, taken.outcome) == (
        "assigned",
        w.ACTIVE_AGENT,
        None,
    )
    assert taken.updated_at == w.NOW + timedelta(minutes=3)
    assert taken.created_at == queued.created_at and taken.summary == SUMMARY
    assert routing.assign_handoff(w.MARIA, queued.id, agent_id=w.ACTIVE_AGENT) == taken

    clock.set(w.NOW + timedelta(minutes=9))
    closed = routing.close_handoff(w.MARIA, queued.id, outcome="resolved")
    assert (closed.status, closed.outcome, closed.assigned_agent_id) == (
        "closed",
        "resolved",
        w.ACTIVE_AGENT,
    )
    assert closed.updated_at == w.NOW + timedelta(minutes=9)
    assert routing.get_handoff(w.MARIA, queued.id) == closed
    with expect_error("conflict", queued.id, "closed"):
        routing.close_handoff(w.MARIA, queued.id, outcome="handed_back")
    with expect_error("conflict", queued.id, "closed"):
        routing.assign_handoff(w.MARIA, queued.id, agent_id=w.ACTIVE_AGENT)


def test_a_closed_handoff_lets_the_conversation_reach_a_human_again(
    routing: RoutingTools,
) -> None:
    first = request(routing)
    handed_back = routing.close_handoff(w.MARIA, first.id, outcome="handed_back")
    assert (handed_back.status, handed_back.outcome, handed_back.assigned_agent_id) == (
        "closed",
        "handed_back",
        None,
    )
    again = request(routing)
    assert again.status == "queued" and again.id != first.id


def test_only_an_active_agent_takes_an_unclaimed_handoff(routing: RoutingTools) -> None:
    queued = request(routing)
    with expect_error("not_found", "AGT-999"):
        routing.assign_handoff(w.MARIA, queued.id, agent_id="AGT-999")
    with expect_error("rule_violation", w.INACTIVE_AGENT):
        routing.assign_handoff(w.MARIA, queued.id, agent_id=w.INACTIVE_AGENT)
    with expect_error("invalid_input", "agent_id"):
        routing.assign_handoff(w.MARIA, queued.id, agent_id=" ")
    assert routing.get_handoff(w.MARIA, queued.id).status == "queued"


def test_a_handoff_another_agent_has_is_a_conflict(routing: RoutingTools) -> None:
    queued = request(routing)
    routing.assign_handoff(w.MARIA, queued.id, agent_id=w.ACTIVE_AGENT)
    with expect_error("conflict", queued.id, w.ACTIVE_AGENT):
        routing.assign_handoff(w.MARIA, queued.id, agent_id=w.OTHER_AGENT)
    assert routing.get_handoff(w.MARIA, queued.id).assigned_agent_id == w.ACTIVE_AGENT


def test_closing_needs_a_known_outcome(routing: RoutingTools) -> None:
    queued = request(routing)
    with expect_error("invalid_input", "outcome"):
        routing.close_handoff(w.MARIA, queued.id, outcome=cast(HandoffOutcome, "solved"))
    assert routing.get_handoff(w.MARIA, queued.id).status == "queued"


def test_another_customers_handoff_cannot_be_taken_or_closed(routing: RoutingTools) -> None:
    with expect_error("not_found", w.JAMES_HANDOFF):
        routing.assign_handoff(w.MARIA, w.JAMES_HANDOFF, agent_id=w.ACTIVE_AGENT)
    with expect_error("not_found", w.JAMES_HANDOFF):
        routing.close_handoff(w.MARIA, w.JAMES_HANDOFF, outcome="resolved")
    [james] = routing.list_handoffs(w.JAMES)
    assert (james.status, james.assigned_agent_id, james.outcome) == ("queued", None, None)


VISITOR_SUMMARY = SUMMARY.model_copy(
    update={
        "customer_name": "Unverified visitor",
        "attempts": (
            AttemptedStep(
                action="identity not verified",
                outcome="3 verification attempts matched no customer",
            ),
        ),
        "order_facts": (),
    }
)


def visitor_request(routing: RoutingTools, conversation_id: str = "conv-visitor-1") -> Handoff:
    """A visitor who never proved who they are asks for a human."""
    return routing.request_handoff(
        None,
        conversation_id=conversation_id,
        reason="customer_request",
        language="en",
        skills=[],
        priority=3,
        summary=VISITOR_SUMMARY,
    )


def test_an_unverified_visitor_reaches_a_human_like_a_customer(
    routing: RoutingTools, clock: FixedClock
) -> None:
    queued = visitor_request(routing)
    assert (queued.customer_id, queued.conversation_id, queued.status) == (
        None,
        "conv-visitor-1",
        "queued",
    )
    assert queued.summary == VISITOR_SUMMARY
    assert routing.get_handoff(None, queued.id) == queued
    with expect_error("conflict", "conv-visitor-1", queued.id):
        visitor_request(routing)

    clock.set(w.NOW + timedelta(minutes=2))
    taken = routing.assign_handoff(None, queued.id, agent_id=w.ACTIVE_AGENT)
    assert (taken.status, taken.assigned_agent_id) == ("assigned", w.ACTIVE_AGENT)
    closed = routing.close_handoff(None, queued.id, outcome="resolved")
    assert (closed.status, closed.outcome, closed.customer_id) == ("closed", "resolved", None)
    assert routing.get_handoff(None, queued.id) == closed


def test_a_visitors_handoff_is_never_seen_through_a_customers_calls(
    routing: RoutingTools,
) -> None:
    queued = visitor_request(routing)
    with expect_error("not_found", queued.id):
        routing.get_handoff(w.MARIA, queued.id)
    with expect_error("not_found", queued.id):
        routing.assign_handoff(w.MARIA, queued.id, agent_id=w.ACTIVE_AGENT)
    with expect_error("not_found", queued.id):
        routing.close_handoff(w.MARIA, queued.id, outcome="resolved")
    assert routing.list_handoffs(w.MARIA) == []
    assert routing.get_handoff(None, queued.id).status == "queued"


def test_a_customers_handoff_is_never_seen_through_the_visitor_scope(
    routing: RoutingTools,
) -> None:
    with expect_error("not_found", w.JAMES_HANDOFF):
        routing.get_handoff(None, w.JAMES_HANDOFF)
    with expect_error("not_found", w.JAMES_HANDOFF):
        routing.assign_handoff(None, w.JAMES_HANDOFF, agent_id=w.ACTIVE_AGENT)
    with expect_error("not_found", w.JAMES_HANDOFF):
        routing.close_handoff(None, w.JAMES_HANDOFF, outcome="resolved")
    [james] = routing.list_handoffs(w.JAMES)
    assert (james.status, james.assigned_agent_id) == ("queued", None)
