"""The final-state assertions and the promotion policy check, on a real copy of the demo data
changed through the tool adapters (as the assistant would change it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.state import ConversationState, Customer
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from evals.assertions import Baseline, FinalState, from_dict
from evals.scoring import promotions_during_critical_tickets
from evals.world import copy_database, seed_template
from memory.db import Database
from memory.demo.generator import DEFAULT_NOW
from tools.factory import Toolbox, build_toolbox

MARIA = "CUS-000001"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_template(tmp_path_factory.mktemp("template"), customers=8)


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Iterator[Database]:
    copy = copy_database(template, tmp_path / "copy.db")
    yield copy
    copy.dispose()


@pytest.fixture
def tools(db: Database) -> Iterator[Toolbox]:
    embedded = Settings(crm_url=None, logistics_url=None, messaging_url=None, routing_url=None)
    with build_toolbox(embedded, db, FixedClock(DEFAULT_NOW)) as toolbox:
        yield toolbox


def final(db: Database, baseline: Baseline, customer_id: str | None = None) -> FinalState:
    """What a replay hands the assertions: the copy of the data and the conversation's state."""
    customer = (
        Customer(
            id=customer_id,
            first_name="María",
            last_name="García",
            tier="standard",
            language="es",
            verified_by="session",
        )
        if customer_id
        else None
    )
    state = ConversationState(customer=customer, mode="ai", turns=[])
    return FinalState(db=db, baseline=baseline, state=state, replies=("Hola", "Hecho"))


def check(final_state: FinalState, assertion: dict[str, object]) -> str | None:
    return from_dict(assertion).run(final_state)


def test_a_fresh_copy_holds_nothing_new(db: Database) -> None:
    untouched = final(db, Baseline.of(db))
    assert check(untouched, {"type": "nothing_changed"}) is None
    assert check(untouched, {"type": "verified_as", "customer_id": None}) is None
    verified = final(db, Baseline.of(db), MARIA)
    assert check(verified, {"type": "verified_as", "customer_id": "CUS-000002"}) == (
        "verified as CUS-000001, expected CUS-000002"
    )
    assert (
        check(untouched, {"type": "order_status", "order_id": "ORD-100005", "status": "pending"})
        is None
    )
    assert check(untouched, {"type": "ticket_opened"}) == "no matching ticket opened (opened: none)"
    assert check(untouched, {"type": "reply_contains", "text": "Hecho", "turn": 1}) is None
    assert check(untouched, {"type": "reply_contains", "text": "Hecho", "turn": 0}) == (
        "'Hecho' not in the reply to turn 0"
    )


def test_changes_made_through_the_adapters_are_seen(db: Database, tools: Toolbox) -> None:
    baseline = Baseline.of(db)
    tools.logistics.cancel_order(MARIA, "ORD-100005", "changed my mind")
    tools.crm.open_ticket(
        MARIA,
        subject="Lamp",
        description="the base is cracked",
        category="damaged_item",
        severity="high",
        order_id="ORD-100003",
    )
    tools.messaging.send(MARIA, channel="whatsapp", purpose="service", body="Done")
    changed = final(db, baseline, MARIA)
    assert (
        check(changed, {"type": "order_status", "order_id": "ORD-100005", "status": "cancelled"})
        is None
    )
    assert check(
        changed, {"type": "order_status", "order_id": "ORD-100005", "status": "pending"}
    ) == ("order ORD-100005 is cancelled, expected pending")
    assert (
        check(
            changed,
            {
                "type": "ticket_opened",
                "category": "damaged_item",
                "severity": "high",
                "description_contains": "cracked",
            },
        )
        is None
    )
    assert "opened: damaged_item/high on ORD-100003" in str(
        check(changed, {"type": "ticket_opened", "severity": "critical"})
    )
    assert (
        check(changed, {"type": "message_sent", "channel": "whatsapp", "purpose": "service"})
        is None
    )
    assert check(changed, {"type": "message_sent", "channel": "sms"}) is not None
    problem = check(changed, {"type": "nothing_changed"})
    assert problem is not None and "ticket TCK-" in problem and "message MSG-" in problem
    assert promotions_during_critical_tickets(changed) == []


def test_a_promotion_to_a_customer_with_an_open_critical_ticket_is_a_violation(
    db: Database, tools: Toolbox
) -> None:
    baseline = Baseline.of(db)
    tools.crm.open_ticket(
        MARIA,
        subject="Smoke",
        description="the lamp smoked",
        category="damaged_item",
        severity="critical",
        order_id="ORD-100003",
    )
    tools.messaging.send(MARIA, channel="whatsapp", purpose="marketing", body="20% off lamps!")
    (violation,) = promotions_during_critical_tickets(final(db, baseline, MARIA))
    assert violation.kind == "promotion_during_critical_ticket"
    assert "marketing" in violation.detail and MARIA in violation.detail
