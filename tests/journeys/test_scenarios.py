"""The seed scenarios, end to end, through the public API only: the example journeys uploaded
with `POST /v1/journeys`, events in through `/v1/track` and `/v1/page`, time moved with the
admin clock, and what came out read from the decision log, the profile and the tools' HTTP
contract (the outbox and the CRM as the reference server serves them). On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from cerebro.clock import SystemClock
from cerebro.settings import Settings
from memory.db import Database
from tests.journeys.conftest import (
    ADMIN_TOKEN,
    DIEGO,
    EMILY,
    MARIA,
    OLIVIA,
    admin,
    basic,
    engine_settings,
)
from tools.reference_server import create_reference_app

EXAMPLES = Path(__file__).resolve().parents[2] / "journeys" / "examples"
START = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
"""17:00 in Madrid, 16:00 in London, 11:00 in New York, 10:00 in Mexico City: no quiet hours."""
HOUR = 3600


class Cerebro:
    """Cerebro as its clients see it: the API, plus the tools' HTTP contract for the outbox and
    the CRM (what a company's messaging gateway and helpdesk would read)."""

    def __init__(self, api: TestClient, tools: TestClient) -> None:
        self.api = api
        self.tools = tools

    def upload(self, source: str) -> dict[str, Any]:
        response = self.api.post(
            "/v1/journeys",
            content=source.encode(),
            headers={**admin(), "Content-Type": "application/yaml"},
        )
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def upload_examples(self) -> None:
        for path in sorted(EXAMPLES.glob("*.yaml")):
            self.upload(path.read_text(encoding="utf-8"))

    def track(self, user_id: str, event: str, **properties: Any) -> dict[str, Any]:
        body = {"userId": user_id, "event": event, "properties": properties}
        response = self.api.post("/v1/track", json=body, headers=basic())
        assert response.status_code == 202, response.text
        return dict(response.json())

    def page(self, user_id: str, path: str) -> None:
        body = {"userId": user_id, "name": "Checkout", "properties": {"path": path}}
        response = self.api.post("/v1/page", json=body, headers=basic())
        assert response.status_code == 202, response.text

    def advance(self, seconds: float) -> None:
        response = self.api.post(
            "/v1/admin/clock/advance", json={"seconds": seconds}, headers=admin()
        )
        assert response.status_code == 200, response.text

    def profile(self, profile_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v1/profiles/{profile_id}", headers=admin())
        assert response.status_code == 200, response.text
        return dict(response.json())

    def decisions(self, profile_id: str, offer_id: str | None = None) -> list[dict[str, Any]]:
        """The profile's decision log, oldest first; with `offer_id`, the decisions about that
        offer (a suppressed one names it in its reasons only)."""
        response = self.api.get(f"/v1/profiles/{profile_id}/decisions", headers=admin())
        assert response.status_code == 200, response.text
        found = list(reversed(response.json()))
        return [
            d
            for d in found
            if offer_id is None
            or d["offer_id"] == offer_id
            or any(reason.get("offer_id") == offer_id for reason in d["reasons"])
        ]

    def journeys(self, profile_id: str) -> dict[str, dict[str, Any]]:
        """The profile's journeys by id (the newest run of each)."""
        runs = self.profile(profile_id)["journeys"]
        return {run["journey_id"]: run for run in reversed(runs)}

    def message(self, customer_id: str, message_id: str) -> dict[str, Any]:
        response = self.tools.get(f"/messaging/customers/{customer_id}/messages/{message_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def sent(self, profile_id: str, offer_id: str) -> list[dict[str, Any]]:
        """The outbox messages that the journeys' decisions for `offer_id` put there."""
        return [
            self.message(profile_id, decision["message_id"])
            for decision in self.decisions(profile_id, offer_id)
            if decision["outcome"] == "send" and decision["message_id"]
        ]

    def tickets(self, customer_id: str) -> list[dict[str, Any]]:
        response = self.tools.get(f"/crm/customers/{customer_id}/tickets")
        assert response.status_code == 200, response.text
        return list(response.json())


@contextmanager
def running(db: Database) -> Iterator[Cerebro]:
    """A fresh Cerebro process on `db` (its own app, pipeline and journey runtime)."""
    app = create_app(Settings(admin_token=SecretStr(ADMIN_TOKEN)), db)
    # The background tick is left idle: the tests move time themselves.
    app.state.engine_settings = engine_settings(clock_start=START, due_interval=3600)
    with (
        TestClient(app) as api,
        TestClient(create_reference_app(db, SystemClock())) as tools,
    ):
        yield Cerebro(api, tools)


@pytest.fixture
def cerebro(seeded: Database) -> Iterator[Cerebro]:
    with running(seeded) as started:
        started.upload_examples()
        yield started


# --- (a) María ------------------------------------------------------------------------------


def open_and_resolve_critical_ticket(cerebro: Cerebro) -> None:
    cerebro.track(MARIA, "Ticket Opened", ticket_id="TCK-000900", severity="critical")
    cerebro.track(MARIA, "Ticket Resolved", ticket_id="TCK-000900")


def test_maria_positive_survey_re_enables_marketing_with_an_acknowledgement(
    cerebro: Cerebro,
) -> None:
    cerebro.track(MARIA, "Ticket Opened", ticket_id="TCK-000900", severity="critical")
    maria = cerebro.profile(MARIA)
    assert set(maria["holds"]) == {"incident"}
    assert cerebro.journeys(MARIA)["incident-recovery"]["step"] == "until_resolved"

    # While the ticket is open, a marketing reminder for her abandoned cart is suppressed.
    cerebro.track(MARIA, "Cart Abandoned", products=[{"sku": "LAMP-TER", "price": 39.9}])
    cerebro.advance(HOUR)
    [reminder] = cerebro.decisions(MARIA, "cart_reminder")
    assert reminder["outcome"] == "suppress"
    assert {r["rule"] for r in reminder["reasons"] if r["verdict"] == "block"} >= {"suppression"}

    cerebro.track(MARIA, "Ticket Resolved", ticket_id="TCK-000900")
    assert cerebro.journeys(MARIA)["incident-recovery"]["step"] == "let_it_settle"
    cerebro.advance(48 * HOUR - 60)
    assert cerebro.decisions(MARIA, "incident_survey") == []

    cerebro.advance(60)
    [survey] = cerebro.decisions(MARIA, "incident_survey")
    assert (survey["outcome"], survey["channel"], survey["state"]) == (
        "send",
        "whatsapp",
        "dispatched",
    )
    [message] = cerebro.sent(MARIA, "incident_survey")
    assert message["channel"] == "whatsapp" and message["purpose"] == "service"
    assert "María" in message["body"] and "TCK-000900" in message["body"]
    assert cerebro.decisions(MARIA, "welcome_back_after_incident") == []

    cerebro.track(MARIA, "Survey Answered", survey_id="incident_survey", positive=True, score=5)
    [welcome] = cerebro.sent(MARIA, "welcome_back_after_incident")
    assert welcome["purpose"] == "marketing" and welcome["channel"] == "whatsapp"
    assert "TCK-000900" in welcome["body"] and "paciencia" in welcome["body"]
    assert cerebro.profile(MARIA)["holds"] == {}
    assert cerebro.journeys(MARIA)["incident-recovery"]["status"] == "completed"
    assert not any("Follow up" in t["subject"] for t in cerebro.tickets(MARIA))


def test_maria_negative_survey_opens_a_follow_up_task_and_keeps_marketing_paused(
    cerebro: Cerebro,
) -> None:
    open_and_resolve_critical_ticket(cerebro)
    cerebro.advance(48 * HOUR)
    assert len(cerebro.sent(MARIA, "incident_survey")) == 1

    cerebro.track(MARIA, "Survey Answered", survey_id="incident_survey", positive=False, score=2)
    assert cerebro.decisions(MARIA, "welcome_back_after_incident") == []
    assert set(cerebro.profile(MARIA)["holds"]) == {"incident"}
    cerebro.advance(60)  # the task reaches the CRM on the next tick
    [task] = [t for t in cerebro.tickets(MARIA) if t["subject"].startswith("Follow up")]
    assert task["subject"] == "Follow up after incident TCK-000900"
    assert task["severity"] == "high" and task["status"] == "open"

    # Marketing stays paused: the next cart reminder is suppressed by the journey's hold.
    cerebro.advance(24 * HOUR)
    cerebro.track(MARIA, "Cart Abandoned", products=[{"sku": "LAMP-TER", "price": 39.9}])
    cerebro.advance(HOUR)
    [reminder] = cerebro.decisions(MARIA, "cart_reminder")
    assert reminder["outcome"] == "suppress"
    assert any("hold incident" in r["detail"] for r in reminder["reasons"])


def test_a_restart_in_the_middle_of_the_48_hour_wait_loses_nothing_and_sends_once(
    seeded: Database,
) -> None:
    with running(seeded) as first:
        first.upload_examples()
        open_and_resolve_critical_ticket(first)
        first.advance(20 * HOUR)
    # The first process is gone (app, pipeline, runtime); a new one starts on the database.
    with running(seeded) as second:
        assert second.journeys(MARIA)["incident-recovery"]["step"] == "let_it_settle"
        second.advance(27 * HOUR)
        assert second.sent(MARIA, "incident_survey") == []
        second.advance(HOUR)
        second.advance(HOUR)
        assert len(second.sent(MARIA, "incident_survey")) == 1
    with running(seeded) as third:
        third.advance(48 * HOUR)
        assert len(third.decisions(MARIA, "incident_survey")) == 1
        assert third.journeys(MARIA)["incident-recovery"]["step"] == "answer"


# --- (b) cart abandonment -----------------------------------------------------------------


def test_a_vip_abandoning_a_cart_gets_a_sales_executive_alert(cerebro: Cerebro) -> None:
    cerebro.track(OLIVIA, "Cart Abandoned", products=[{"sku": "ESP-STL", "price": 499.0}])
    assert cerebro.journeys(OLIVIA)["cart-abandonment"]["status"] == "completed"
    assert cerebro.decisions(OLIVIA) == []  # no message to her: a person will call
    cerebro.advance(60)
    [alert] = [t for t in cerebro.tickets(OLIVIA) if t["subject"].startswith("VIP cart")]
    assert alert["subject"] == "VIP cart abandoned: Olivia Bennett"
    assert "49900 cents" in alert["description"]
    assert alert["severity"] == "high"
    assert alert["owner_agent_id"] in {"AGT-000003", "AGT-000005"}  # the sales/VIP agents


def test_a_new_customer_on_whatsapp_gets_an_offer_there(cerebro: Cerebro) -> None:
    answer = cerebro.track(DIEGO, "Cart Abandoned", products=[{"sku": "SNK-41", "price": 89.0}])
    assert [(d["offer_id"], d["outcome"], d["channel"]) for d in answer["decisions"]] == [
        ("first_cart_offer", "send", "whatsapp")
    ]
    [offer] = cerebro.sent(DIEGO, "first_cart_offer")
    assert offer["purpose"] == "marketing" and "BIENVENIDA10" in offer["body"]
    assert "Diego" in offer["body"]
    assert not any(t["subject"].startswith("VIP cart") for t in cerebro.tickets(DIEGO))


def test_an_order_before_the_reminder_exits_the_cart_journey(cerebro: Cerebro) -> None:
    cerebro.track(EMILY, "Cart Abandoned", products=[{"sku": "HPH-BLK", "price": 120.0}])
    assert cerebro.journeys(EMILY)["cart-abandonment"]["step"] == "give_them_an_hour"
    cerebro.track(EMILY, "Order Completed", order_id="ORD-200001", revenue=120.0)
    cerebro.advance(2 * HOUR)
    assert cerebro.journeys(EMILY)["cart-abandonment"]["status"] == "exited"
    assert cerebro.decisions(EMILY, "cart_reminder") == []


# --- (c) proactive help ---------------------------------------------------------------------


def test_repeated_rage_clicks_open_a_proactive_chat_offer(cerebro: Cerebro) -> None:
    for _ in range(2):
        cerebro.track(EMILY, "Rage Click", selector="#pay-button")
        cerebro.advance(20)
    assert cerebro.decisions(EMILY, "rage_click_help") == []
    cerebro.track(EMILY, "Rage Click", selector="#pay-button")
    [offer] = cerebro.sent(EMILY, "rage_click_help")
    assert offer["channel"] == "in_app" and offer["purpose"] == "service"
    assert offer["body"].startswith("Looks like something is not working")
    # More rage clicks right after do not repeat the offer (cooldown of an hour).
    cerebro.track(EMILY, "Rage Click", selector="#pay-button")
    assert len(cerebro.decisions(EMILY, "rage_click_help")) == 1


def test_rage_clicks_spread_over_time_do_not_count(cerebro: Cerebro) -> None:
    for _ in range(3):
        cerebro.track(EMILY, "Rage Click", selector="#menu")
        cerebro.advance(90)
    assert cerebro.decisions(EMILY, "rage_click_help") == []


def test_leaving_the_checkout_page_without_ordering_brings_an_offer_of_help(
    cerebro: Cerebro,
) -> None:
    cerebro.page(OLIVIA, "/checkout/payment")
    cerebro.advance(9 * 60)
    assert cerebro.decisions(OLIVIA, "checkout_help") == []
    cerebro.advance(60)
    [offer] = cerebro.sent(OLIVIA, "checkout_help")
    assert offer["channel"] == "in_app" and "finish your order" in offer["body"]

    cerebro.page(EMILY, "/checkout")
    cerebro.track(EMILY, "Order Completed", order_id="ORD-200002", revenue=35.0)
    cerebro.advance(HOUR)
    assert cerebro.decisions(EMILY, "checkout_help") == []
    assert cerebro.journeys(EMILY)["proactive-help-checkout"]["status"] == "completed"


# --- (d) onboarding -------------------------------------------------------------------------


def test_onboarding_a_new_customer_over_several_days(cerebro: Cerebro) -> None:
    cerebro.track(DIEGO, "Signed Up", method="email")
    [welcome] = cerebro.sent(DIEGO, "onboarding_welcome")
    assert welcome["channel"] == "whatsapp" and welcome["body"].startswith("¡Bienvenido/a, Diego!")
    # Tips come the next morning at 10:00 in Mexico City (16:00 UTC): 24 hours later.
    cerebro.advance(24 * HOUR - 60)
    assert cerebro.decisions(DIEGO, "onboarding_tips") == []
    cerebro.advance(60)
    assert len(cerebro.sent(DIEGO, "onboarding_tips")) == 1
    # No order within three days: a first-order offer, and the profile is marked onboarded.
    cerebro.advance(3 * 24 * HOUR)
    [offer] = cerebro.sent(DIEGO, "onboarding_first_order_offer")
    assert offer["purpose"] == "marketing" and "HOLA10" in offer["body"]
    assert cerebro.decisions(DIEGO, "onboarding_first_order_thanks") == []
    diego = cerebro.profile(DIEGO)
    assert diego["traits"]["onboarding"] == "completed"
    assert cerebro.journeys(DIEGO)["new-customer-onboarding"]["status"] == "completed"
    # Signing up again never restarts it (re-entry: never).
    cerebro.track(DIEGO, "Signed Up", method="email")
    assert len(cerebro.decisions(DIEGO, "onboarding_welcome")) == 1


def test_onboarding_thanks_a_first_order_instead_of_offering_a_discount(cerebro: Cerebro) -> None:
    cerebro.track(DIEGO, "Signed Up", method="email")
    cerebro.advance(24 * HOUR)
    cerebro.track(DIEGO, "Order Completed", order_id="ORD-200003", revenue=89.0)
    [thanks] = cerebro.sent(DIEGO, "onboarding_first_order_thanks")
    assert thanks["body"] == "¡Gracias por tu primer pedido, Diego!"
    cerebro.advance(4 * 24 * HOUR)
    assert cerebro.decisions(DIEGO, "onboarding_first_order_offer") == []


# --- several at once ------------------------------------------------------------------------


def test_a_customer_runs_several_journeys_at_once(cerebro: Cerebro) -> None:
    cerebro.track(MARIA, "Ticket Opened", ticket_id="TCK-000901", severity="critical")
    cerebro.track(MARIA, "Cart Abandoned", products=[{"sku": "LAMP-TER", "price": 39.9}])
    cerebro.page(MARIA, "/checkout")
    runs = cerebro.journeys(MARIA)
    assert {name: run["status"] for name, run in runs.items()} == {
        "incident-recovery": "active",
        "cart-abandonment": "active",
        "proactive-help-checkout": "active",
    }
    cerebro.advance(HOUR)
    # The service chat offer goes out; the marketing reminder is held back by the incident.
    assert len(cerebro.sent(MARIA, "checkout_help")) == 1
    [reminder] = cerebro.decisions(MARIA, "cart_reminder")
    assert reminder["outcome"] == "suppress"
