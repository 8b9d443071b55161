"""`GET /v1/kpis`: journey KPIs computed from what the API was told, checked number by number
against a small story whose answers are worked out by hand (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from memory.db import Database
from tests.journeys.conftest import DIEGO, EMILY, MARIA, OLIVIA, admin
from tests.journeys.test_scenarios import HOUR, START, Cerebro, running

COSTS = {"CEREBRO_KPI_CHANNEL_COSTS": '{"whatsapp": 4.5, "in_app": 1}'}
AGENT_MINUTE_CENTS = 40


def play_story(cerebro: Cerebro) -> None:
    """Five journey runs, two orders, four contacts (María's ticket opened outside a chat is
    one) and 12 minutes of agent time."""
    cerebro.track(DIEGO, "Cart Abandoned", products=[{"sku": "SNK-41", "price": 89.0}])
    cerebro.track(EMILY, "Cart Abandoned", products=[{"sku": "HPH-BLK", "price": 120.0}])
    cerebro.track(MARIA, "Ticket Opened", ticket_id="TCK-000950", severity="critical")
    cerebro.track(MARIA, "Cart Abandoned", products=[{"sku": "LAMP-TER", "price": 39.9}])
    cerebro.track(OLIVIA, "Conversation Started", conversation_id="c-1", channel="in_app")
    cerebro.track(OLIVIA, "Agent Assigned", conversation_id="c-1", agent_id="AGT-000003")
    cerebro.track(EMILY, "Conversation Started", conversation_id="c-2", channel="in_app")
    cerebro.advance(12 * 60)
    cerebro.track(OLIVIA, "Conversation Ended", conversation_id="c-1")
    cerebro.advance(18 * 60)
    # Diego orders after the WhatsApp offer (attributed); Emily before any message (not).
    cerebro.track(DIEGO, "Order Completed", order_id="ORD-300001", revenue=89.0)
    cerebro.track(EMILY, "Order Completed", order_id="ORD-300002", revenue=120.0)
    cerebro.advance(30 * 60)  # María's reminder comes due, and is suppressed
    cerebro.advance(24 * HOUR)
    for _ in range(3):
        cerebro.track(EMILY, "Rage Click", selector="#size-guide")
    cerebro.advance(24 * HOUR)
    cerebro.track(EMILY, "Conversation Started", conversation_id="c-3", channel="in_app")


@pytest.fixture
def story(seeded: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cerebro]:
    for name, value in COSTS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CEREBRO_KPI_AGENT_MINUTE_COST", str(AGENT_MINUTE_CENTS))
    with running(seeded) as cerebro:
        cerebro.upload_examples()
        play_story(cerebro)
        yield cerebro


def kpis(api: TestClient, **params: str) -> dict[str, Any]:
    response = api.get("/v1/kpis", params=params, headers=admin())
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_kpis_add_up_to_what_happened(story: Cerebro) -> None:
    found = kpis(story.api)
    by_journey = {item["journey_id"]: item for item in found["journeys"]}
    assert set(by_journey) == {
        "cart-abandonment",
        "incident-recovery",
        "proactive-help-rage-clicks",
    }
    cart = by_journey["cart-abandonment"]
    assert (cart["entered"], cart["completed"], cart["exited"], cart["failed"]) == (3, 2, 1, 0)
    assert cart["completion_rate"] == 0.6667
    # Diego's run ended at once, María's after its one-hour wait.
    assert cart["avg_time_to_completion_seconds"] == 1800.0
    assert cart["median_time_to_completion_seconds"] == 1800.0
    assert (cart["messages_sent"], cart["revenue_cents"]) == (1, 8900)
    incident = by_journey["incident-recovery"]
    assert (incident["entered"], incident["completed"], incident["completion_rate"]) == (1, 0, None)
    rage = by_journey["proactive-help-rage-clicks"]
    assert (rage["entered"], rage["completed"], rage["completion_rate"]) == (1, 1, 1.0)
    assert rage["avg_time_to_completion_seconds"] == 0.0

    totals = found["totals"]
    assert (totals["entered"], totals["completed"], totals["exited"]) == (5, 3, 1)
    assert totals["completion_rate"] == 0.75
    assert totals["avg_time_to_completion_seconds"] == 1200.0
    assert totals["median_time_to_completion_seconds"] == 0.0
    assert (totals["messages_sent"], totals["revenue_cents"]) == (2, 8900)

    assert found["repeat_contacts"] == {
        "contacts": 4,
        "repeats": 1,
        "rate": 0.25,
        "window_days": 7,
    }
    assert found["suppressed"] == {
        "total": 1,
        "by_policy": {"suppression": 1},
        "by_suppression_rule": {"open_critical_ticket": 1},
    }
    assert found["revenue"] == {
        "attributed_cents": 8900,
        "orders": 2,
        "attribution_window_hours": 168.0,
    }

    cost = found["cost"]
    assert cost["by_channel"]["whatsapp"] == {"messages": 1, "unit_cents": 4.5, "cents": 4.5}
    assert cost["by_channel"]["in_app"] == {"messages": 1, "unit_cents": 1.0, "cents": 1.0}
    assert cost["by_channel"]["email"]["messages"] == 0
    assert cost["messages_cents"] == 5.5
    assert cost["agent_minutes"] == 12.0
    assert cost["agent_cents"] == 12 * AGENT_MINUTE_CENTS
    assert cost["total_cents"] == 485.5
    assert cost["services"] == 4 + 5  # contacts plus journey runs entered
    assert cost["per_service_cents"] == 53.94  # 485.5 / 9
    assert cost["currency"] == "EUR"


def test_a_window_counts_only_what_happened_inside_it(story: Cerebro) -> None:
    day_two = (START.replace(hour=18)).isoformat()
    later = kpis(story.api, since=day_two)
    assert later["totals"]["entered"] == 1  # the rage-click run, a day later
    assert later["revenue"]["orders"] == 0
    assert later["repeat_contacts"] == {"contacts": 1, "repeats": 1, "rate": 1.0, "window_days": 7}
    before = kpis(story.api, since="2026-10-01T00:00:00Z", until=START.isoformat())
    assert before["totals"]["entered"] == 0
    assert before["totals"]["completion_rate"] is None
    assert before["journeys"] == []
    assert before["cost"]["per_service_cents"] is None


def test_kpis_need_the_admin_token_and_a_sane_window(story: Cerebro) -> None:
    assert story.api.get("/v1/kpis").status_code == 401
    backwards = story.api.get(
        "/v1/kpis",
        params={"since": START.isoformat(), "until": "2026-10-01T00:00:00Z"},
        headers=admin(),
    )
    assert backwards.status_code == 400
    assert backwards.json()["detail"] == "since must be before until."
