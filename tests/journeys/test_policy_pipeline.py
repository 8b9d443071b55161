"""The policy layer on the database: decisions from live profiles, logged with their reasons
(sent or not), messages through the outbox, deferral that survives until the window ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cerebro.clock import FixedClock
from cerebro.settings import Settings
from journeys import chat_events
from journeys.clock import SimulatedClock
from journeys.pipeline import Pipeline
from journeys.policy import Candidate, Decision, SendRequest
from journeys.schema import DecisionRecord
from memory.db import Database
from memory.schema import Message
from memory.vocabulary import Purpose
from tests.journeys.conftest import JAVIER, MARIA, NOON, OLIVIA
from tools.errors import RuleViolationError
from tools.factory import Toolbox, build_toolbox

PROMO = Candidate(offer_id="promo", purpose="marketing", body="Un 10% para ti", propensity=0.8)
UPSELL = Candidate(offer_id="upsell", purpose="sales", body="Amplía tu pedido", propensity=0.9)
SURVEY = Candidate(offer_id="survey", purpose="service", body="¿Qué tal fue?", propensity=0.1)


def request(customer_id: str, *candidates: Candidate) -> SendRequest:
    return SendRequest(
        customer_id=customer_id, candidates=candidates, journey_id="test", step="step-1"
    )


def outbox(db: Database, customer_id: str) -> list[tuple[str, str, str]]:
    """(channel, purpose, body) of the messages the tests queued (seeded ones are delivered)."""
    with db.session() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.customer_id == customer_id, Message.status == "queued")
            .order_by(Message.id)
        )
        return [(row.channel, row.purpose, row.body) for row in rows]


def logged(db: Database, decision_id: int) -> DecisionRecord:
    with db.session() as session:
        row = session.get(DecisionRecord, decision_id)
        assert row is not None
        return row


def test_a_sent_decision_reaches_the_outbox_and_records_the_message(
    pipeline: Pipeline, seeded: Database
) -> None:
    decision = pipeline.decide(request(MARIA, PROMO))
    assert decision.outcome == "send" and decision.channel == "whatsapp"
    assert decision.journey_id == "test" and decision.step == "step-1"
    assert outbox(seeded, MARIA) == [("whatsapp", "marketing", "Un 10% para ti")]
    row = logged(seeded, decision.id)
    assert row.state == "dispatched" and row.message_id is not None
    assert row.reasons[-1]["rule"] == "channel"


@pytest.mark.parametrize(
    ("customer", "candidate"), [(MARIA, PROMO), (OLIVIA, UPSELL)], ids=["marketing", "sales"]
)
def test_a_critical_ticket_suppresses_marketing_and_sales_until_resolved(
    pipeline: Pipeline, seeded: Database, customer: str, candidate: Candidate
) -> None:
    assert pipeline.decide(request(customer, candidate)).outcome == "send"
    chat_events.record(
        pipeline,
        chat_events.TicketOpened(customer_id=customer, ticket_id="TCK-9", severity="critical"),
    )
    decision = pipeline.decide(request(customer, candidate))
    assert decision.outcome == "suppress"
    assert "suppression" in [r.rule for r in decision.reasons]
    assert logged(seeded, decision.id).state == "final"
    survey = pipeline.decide(request(customer, candidate, SURVEY))
    assert survey.outcome == "send" and survey.offer_id == "survey"

    chat_events.record(
        pipeline, chat_events.TicketResolved(customer_id=customer, ticket_id="TCK-9")
    )
    after = pipeline.decide(request(customer, candidate.model_copy(update={"offer_id": "again"})))
    assert after.outcome == "send", after.reasons


def test_frequency_caps_hold_per_channel_within_the_window(
    pipeline: Pipeline, seeded: Database, clock: FixedClock
) -> None:
    first = pipeline.decide(request(MARIA, PROMO))
    second = pipeline.decide(request(MARIA, PROMO))
    third = pipeline.decide(request(MARIA, PROMO))
    assert (first.channel, second.channel) == ("whatsapp", "email")
    assert third.outcome == "suppress"  # WhatsApp and email capped today, SMS refused
    assert {r.rule for r in third.reasons} == {"consent", "frequency_cap"}
    clock.set(NOON + timedelta(days=1, minutes=1))
    assert pipeline.decide(request(MARIA, PROMO)).channel == "whatsapp"
    # three a week across channels: the fourth is capped even on a new day
    clock.set(NOON + timedelta(days=2, minutes=2))
    capped = pipeline.decide(request(MARIA, PROMO))
    assert capped.outcome == "suppress"
    assert any("3 marketing/sales per 7 days" in r.detail for r in capped.reasons)
    assert len(outbox(seeded, MARIA)) == 3


def test_the_channel_falls_back_when_the_preferred_one_lacks_consent_or_address(
    pipeline: Pipeline,
) -> None:
    # Olivia prefers email but refused nothing there; sales on email and SMS only.
    assert pipeline.decide(request(OLIVIA, UPSELL)).channel == "email"
    # Javier has no phone: a service message offered on WhatsApp first goes by email.
    notice = SURVEY.model_copy(update={"channels": ("whatsapp", "email")})
    decision = pipeline.decide(request(JAVIER, notice))
    assert decision.channel == "email"
    assert any(r.detail == "no address on whatsapp" for r in decision.reasons)
    # ... and he refused marketing everywhere: nothing goes, and the log says why.
    refused = pipeline.decide(request(JAVIER, PROMO))
    assert refused.outcome == "suppress"
    assert next(r.detail for r in refused.reasons if r.rule == "consent") == (
        "no consent for marketing on whatsapp"
    )


def test_quiet_hours_defer_and_the_message_goes_once_the_clock_passes_the_window(
    seeded: Database,
) -> None:
    clock = SimulatedClock(seeded, start=datetime(2026, 11, 2, 22, 30, tzinfo=UTC))  # 23:30 Madrid
    pipeline = Pipeline(seeded, clock, build_toolbox(Settings(), seeded, clock))
    deferred = pipeline.decide(request(MARIA, PROMO))
    assert deferred.outcome == "defer"
    assert deferred.defer_until == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert outbox(seeded, MARIA) == []

    clock.advance(timedelta(hours=9))  # 08:30 Madrid: still quiet
    assert pipeline.run_due() == 0
    assert logged(seeded, deferred.id).state == "waiting"

    clock.advance(timedelta(minutes=30))  # 09:00 Madrid
    assert pipeline.run_due() == 1
    assert outbox(seeded, MARIA) == [("whatsapp", "marketing", "Un 10% para ti")]
    assert logged(seeded, deferred.id).state == "redecided"
    with seeded.session() as session:
        retaken = session.scalars(
            select(DecisionRecord).where(DecisionRecord.replaces == deferred.id)
        ).one()
    assert (retaken.outcome, retaken.state, retaken.journey_id) == ("send", "dispatched", "test")
    assert pipeline.run_due() == 0  # taken once only


def test_an_outbox_refusal_marks_the_decision_failed(seeded: Database, clock: FixedClock) -> None:
    class RefusingMessaging:
        def send(self, customer_id: str, **_: object) -> object:
            raise RuleViolationError(f"gateway refused {customer_id}")

    real = build_toolbox(Settings(), seeded, clock)
    tools = Toolbox(real.crm, real.logistics, RefusingMessaging(), real.routing)  # type: ignore[arg-type]
    pipeline = Pipeline(seeded, clock, tools)
    decision = pipeline.decide(request(MARIA, PROMO))
    row = logged(seeded, decision.id)
    assert (row.state, row.error) == ("failed", f"gateway refused {MARIA}")
    # a failed send does not count towards the caps
    assert pipeline.decide(request(MARIA, PROMO)).channel == "whatsapp"


def test_every_decision_is_logged_including_those_that_sent_nothing(
    pipeline: Pipeline, seeded: Database
) -> None:
    made: list[Decision] = [
        pipeline.decide(request(MARIA, PROMO)),
        pipeline.decide(request(JAVIER, PROMO)),
        pipeline.decide(request("nobody-known", SURVEY)),
    ]
    assert [d.outcome for d in made] == ["send", "suppress", "suppress"]
    with seeded.session() as session:
        rows = session.scalars(select(DecisionRecord).order_by(DecisionRecord.id)).all()
    assert [(r.profile_id, r.outcome) for r in rows] == [
        (MARIA, "send"),
        (JAVIER, "suppress"),
        ("nobody-known", "suppress"),
    ]
    assert all(row.reasons for row in rows)
    assert rows[2].reasons[0]["detail"] == "no customer record, so no address on any channel"


@pytest.mark.parametrize("purpose", ["marketing", "sales"])
def test_a_hold_set_by_a_journey_pauses_its_purpose(pipeline: Pipeline, purpose: Purpose) -> None:
    candidate = PROMO if purpose == "marketing" else UPSELL
    customer = MARIA if purpose == "marketing" else OLIVIA
    with pipeline.unit() as unit:
        unit.hold(customer, "after_incident", [purpose], "until a positive survey")
        assert unit.decide(request(customer, candidate)).outcome == "suppress"
    with pipeline.unit() as unit:
        unit.release(customer, "after_incident")
        assert unit.decide(request(customer, candidate)).outcome == "send"
