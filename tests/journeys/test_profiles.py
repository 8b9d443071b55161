"""The CDP: identity merge, computed facts kept current (in any arrival order), the profile
endpoint and the decision log endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.engine import app_pipeline
from journeys import chat_events, store
from journeys.events import parse_message
from journeys.hotpath import Raw
from journeys.pipeline import Pipeline
from journeys.policy import Candidate, SendRequest
from journeys.profiles import Profile
from journeys.schema import EventRecord, ProfileRecord
from memory.db import Database
from memory.schema import Consent, Customer
from tests.journeys.conftest import EMILY, JAVIER, MARIA, NOON, OLIVIA, admin, basic


def send(pipeline: Pipeline, message: dict[str, Any], at: datetime | None = None) -> None:
    if at is not None:
        message = {**message, "timestamp": at.isoformat()}
    event = parse_message(message, received_at=pipeline.clock.now())
    assert pipeline.ingest(event, "wk:test").status == "accepted"


def current(pipeline: Pipeline, profile_id: str) -> Profile:
    with pipeline.db.session() as session:
        found = store.load(Raw(session.connection()), profile_id, lock=False)
    assert found is not None
    return found


def track(user: str, name: str, **properties: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": name, "properties": properties}


def test_anonymous_page_views_join_the_customer_on_identify(
    pipeline: Pipeline, seeded: Database
) -> None:
    for minute, path in enumerate(["/", "/lamps", "/lamps/ceramic"]):
        send(
            pipeline,
            {"type": "page", "anonymousId": "visitor-1", "properties": {"path": path}},
            NOON + timedelta(minutes=minute),
        )
    send(
        pipeline,
        {
            "type": "track",
            "anonymousId": "visitor-1",
            "event": "Product Added",
            "properties": {"sku": "LMP-1", "price": 49.9, "name": "Ceramic lamp"},
        },
    )
    assert current(pipeline, "anon:visitor-1").cart[0].sku == "LMP-1"
    send(pipeline, {"type": "identify", "userId": MARIA, "anonymousId": "visitor-1"})

    maria = current(pipeline, MARIA)
    assert [page.path for page in maria.pages] == ["/", "/lamps", "/lamps/ceramic"]
    assert [(item.sku, item.price_cents) for item in maria.cart] == [("LMP-1", 4990)]
    assert maria.customer_id == MARIA and maria.timezone == "Europe/Madrid"
    with seeded.session() as session:
        assert session.get(ProfileRecord, "anon:visitor-1") is None
        owners = set(session.scalars(select(EventRecord.profile_id)))
    assert owners == {MARIA}
    # the same browser, still anonymous, now lands on María's profile
    page = {"type": "page", "anonymousId": "visitor-1", "properties": {"path": "/cart"}}
    send(pipeline, page, NOON + timedelta(minutes=10))
    assert current(pipeline, MARIA).pages[-1].path == "/cart"


def test_alias_merges_an_older_id_into_the_customer(pipeline: Pipeline) -> None:
    send(pipeline, track("legacy-42", "Order Completed", revenue=12))
    send(pipeline, {"type": "page", "anonymousId": "device-9", "properties": {"path": "/x"}})
    send(pipeline, {"type": "alias", "previousId": "legacy-42", "userId": OLIVIA})
    send(pipeline, {"type": "alias", "previousId": "device-9", "userId": OLIVIA})
    olivia = current(pipeline, OLIVIA)
    assert olivia.lifetime_value_cents == 166_900 + 1200
    assert [page.path for page in olivia.pages] == ["/x"]
    send(pipeline, track("legacy-42", "Order Completed", revenue=1))
    assert current(pipeline, OLIVIA).lifetime_value_cents == 166_900 + 1300


def test_a_device_of_another_customer_is_relinked_not_merged(pipeline: Pipeline) -> None:
    send(pipeline, {"type": "identify", "userId": MARIA, "anonymousId": "shared-tablet"})
    send(pipeline, {"type": "identify", "userId": OLIVIA, "anonymousId": "shared-tablet"})
    send(pipeline, {"type": "page", "anonymousId": "shared-tablet", "properties": {"path": "/o"}})
    assert current(pipeline, MARIA).pages == ()
    assert [page.path for page in current(pipeline, OLIVIA).pages] == ["/o"]


def test_critical_tickets_open_and_resolve_through_chat_events(pipeline: Pipeline) -> None:
    opened = chat_events.TicketOpened(
        customer_id=MARIA, ticket_id="TCK-7", severity="critical", category="damaged_item"
    )
    chat_events.record(pipeline, opened)
    chat_events.record(
        pipeline, chat_events.TicketOpened(customer_id=MARIA, ticket_id="TCK-8", severity="low")
    )
    maria = current(pipeline, MARIA)
    assert maria.open_critical_tickets == 1 and len(maria.open_tickets) == 2
    chat_events.record(pipeline, chat_events.TicketResolved(customer_id=MARIA, ticket_id="TCK-7"))
    assert current(pipeline, MARIA).open_critical_tickets == 0


def test_a_resolution_that_arrives_before_its_opening_wins(pipeline: Pipeline) -> None:
    chat_events.record(
        pipeline,
        chat_events.TicketResolved(
            customer_id=MARIA, ticket_id="TCK-7", at=NOON + timedelta(hours=2)
        ),
    )
    chat_events.record(
        pipeline,
        chat_events.TicketOpened(
            customer_id=MARIA, ticket_id="TCK-7", severity="critical", at=NOON
        ),
    )
    maria = current(pipeline, MARIA)
    assert maria.open_critical_tickets == 0
    assert maria.tickets[0].severity == "critical" and maria.tickets[0].status == "resolved"


def test_open_tickets_in_the_crm_are_known_from_the_start(pipeline: Pipeline) -> None:
    send(pipeline, track(JAVIER, "Signed In"))
    assert [t.ticket_id for t in current(pipeline, JAVIER).open_tickets] == ["TCK-000002"]


def test_the_cart_follows_adds_removals_abandonment_and_orders(pipeline: Pipeline) -> None:
    t = [NOON + timedelta(minutes=m) for m in range(6)]
    send(pipeline, track(MARIA, "Product Added", sku="A", price=10, quantity=2), t[0])
    send(pipeline, track(MARIA, "Product Added", sku="B", price=5), t[1])
    send(pipeline, track(MARIA, "Product Removed", sku="B"), t[2])
    send(pipeline, track(MARIA, "Cart Abandoned"), t[3])
    maria = current(pipeline, MARIA)
    assert [(i.sku, i.quantity) for i in maria.cart] == [("A", 2)]
    assert maria.cart_value_cents == 2000 and maria.cart_abandoned_at == t[3]
    value = maria.lifetime_value_cents

    send(pipeline, track(MARIA, "Product Added", sku="C", price=1), t[5])  # after the order
    send(pipeline, track(MARIA, "Order Completed", revenue=20), t[4])  # arrives late
    maria = current(pipeline, MARIA)
    assert [i.sku for i in maria.cart] == ["C"]
    assert maria.cart_abandoned_at is None
    assert maria.lifetime_value_cents == value + 2000
    send(pipeline, track(MARIA, "Product Added", sku="Z", price=1), t[3])  # before the order
    assert [i.sku for i in current(pipeline, MARIA).cart] == ["C"]


def test_an_abandoned_cart_event_can_carry_the_cart(pipeline: Pipeline) -> None:
    products = [{"product_id": "P1", "price": 3.5, "quantity": 2}, {"sku": "P2"}]
    send(pipeline, track(OLIVIA, "Cart Abandoned", products=products))
    olivia = current(pipeline, OLIVIA)
    assert [(i.sku, i.quantity, i.price_cents) for i in olivia.cart] == [
        ("P1", 2, 350),
        ("P2", 1, None),
    ]


def test_last_agent_sentiment_and_survey(pipeline: Pipeline) -> None:
    record = chat_events.record
    record(pipeline, chat_events.ConversationStarted(customer_id=MARIA, conversation_id="c1"))
    for turn, score in enumerate([0.2, -0.6, -0.9, -0.3]):
        record(
            pipeline,
            chat_events.MessageReceived(
                customer_id=MARIA,
                conversation_id="c1",
                sentiment=score,
                at=NOON + timedelta(seconds=turn),
                event_id=f"c1:{turn}",
            ),
        )
    record(
        pipeline,
        chat_events.HandoffRequested(
            customer_id=MARIA, conversation_id="c1", reason="trigger_word", agent_id="AGT-000002"
        ),
    )
    record(
        pipeline,
        chat_events.AgentAssigned(
            customer_id=MARIA, agent_id="AGT-000001", at=NOON - timedelta(days=1)
        ),
    )
    record(
        pipeline,
        chat_events.SurveyAnswered(customer_id=MARIA, survey_id="csat", positive=True, score=5),
    )
    maria = current(pipeline, MARIA)
    assert maria.recent_sentiment == pytest.approx((-0.6 - 0.9 - 0.3) / 3)
    assert maria.last_agent_id == "AGT-000002"  # the older assignment arrived late
    assert maria.last_survey is not None and maria.last_survey.positive
    assert maria.last_survey.score == 5


def test_a_replayed_chat_event_counts_once(pipeline: Pipeline) -> None:
    message = chat_events.MessageReceived(customer_id=MARIA, sentiment=-1, event_id="c1:1")
    assert chat_events.record(pipeline, message).status == "accepted"
    assert chat_events.record(pipeline, message).status == "duplicate"
    assert len(current(pipeline, MARIA).sentiments) == 1


def test_consent_updates_keep_the_newest_answer(pipeline: Pipeline, seeded: Database) -> None:
    refuse = track(EMILY, "Consent Updated", channel="email", purpose="marketing", granted=True)
    send(pipeline, refuse, NOON)
    older = track(EMILY, "Consent Updated", channel="email", purpose="marketing", granted=False)
    send(pipeline, older, NOON - timedelta(hours=1))
    with seeded.session() as session:
        consent = session.get(Consent, (EMILY, "email", "marketing"))
        assert consent is not None and consent.granted is True


def test_a_profile_seen_before_its_customer_record_is_linked_once_the_record_exists(
    pipeline: Pipeline, seeded: Database
) -> None:
    # A user id the shop's site sends before the CRM has the customer: facts, but no record.
    send(pipeline, track("CUS-000777", "Product Viewed"))
    assert current(pipeline, "CUS-000777").customer_id is None
    with seeded.session() as session:
        session.add(
            Customer(
                id="CUS-000777",
                first_name="Lía",
                last_name="Nueva",
                email="lia@example.com",
                phone=None,
                language="es",
                timezone="Europe/Madrid",
                preferred_channel="email",
                tier="standard",
                created_at=NOON,
            )
        )
    send(pipeline, track("CUS-000777", "Product Viewed"))
    linked = current(pipeline, "CUS-000777")
    assert (linked.customer_id, linked.timezone) == ("CUS-000777", "Europe/Madrid")
    # Later events keep the link (they no longer write it).
    send(pipeline, track("CUS-000777", "Product Viewed"))
    assert current(pipeline, "CUS-000777").customer_id == "CUS-000777"


def test_traits_set_time_zone_and_preferred_channel(pipeline: Pipeline) -> None:
    send(
        pipeline,
        {
            "type": "identify",
            "userId": MARIA,
            "traits": {"timezone": "Atlantic/Canary", "preferredChannel": "email", "x": 1},
        },
    )
    maria = current(pipeline, MARIA)
    assert (maria.timezone, maria.preferred_channel) == ("Atlantic/Canary", "email")
    assert maria.traits["x"] == 1


def test_the_profile_endpoint_shows_consents_decisions_and_merged_ids(
    app: FastAPI, client: TestClient
) -> None:
    client.post("/v1/page", json={"anonymousId": "v-1", "name": "Home"}, headers=basic())
    client.post("/v1/identify", json={"userId": MARIA, "anonymousId": "v-1"}, headers=basic())
    engine = app_pipeline(app)
    engine.decide(
        SendRequest(
            customer_id=MARIA,
            candidates=(Candidate(offer_id="promo", purpose="marketing", body="Hola"),),
        )
    )
    body = client.get(f"/v1/profiles/{MARIA}", headers=admin()).json()
    assert body["identities"] == ["anon:v-1"]
    assert {(c["channel"], c["purpose"], c["granted"]) for c in body["consents"]} >= {
        ("whatsapp", "marketing", True),
        ("sms", "marketing", False),
    }
    assert body["journeys"] == []
    (decision,) = body["recent_decisions"]
    assert decision["outcome"] == "send" and decision["channel"] == "whatsapp"
    assert decision["reasons"][-1]["rule"] == "channel"
    # the anonymous id now names María's profile
    assert client.get("/v1/profiles/anon:v-1", headers=admin()).json()["id"] == MARIA
    log = client.get(f"/v1/profiles/{MARIA}/decisions", headers=admin()).json()
    assert [d["id"] for d in log] == [decision["id"]]


def test_the_decision_log_pages_newest_first(app: FastAPI, client: TestClient) -> None:
    engine = app_pipeline(app)
    request = SendRequest(
        customer_id=JAVIER,
        candidates=(Candidate(offer_id="promo", purpose="marketing", body="Hola"),),
    )
    ids = [engine.decide(request).id for _ in range(3)]
    page = client.get(f"/v1/profiles/{JAVIER}/decisions?limit=2", headers=admin()).json()
    assert [d["id"] for d in page] == ids[:0:-1]
    assert all(d["outcome"] == "suppress" and d["reasons"] for d in page)
    rest = client.get(f"/v1/profiles/{JAVIER}/decisions?before={ids[1]}", headers=admin()).json()
    assert [d["id"] for d in rest] == ids[:1]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, basic()],
    ids=["none", "wrong-token", "write-key"],
)
def test_profiles_need_the_admin_token(client: TestClient, headers: dict[str, str]) -> None:
    for path in (f"/v1/profiles/{MARIA}", f"/v1/profiles/{MARIA}/decisions"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_profile_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/v1/profiles/CUS-999999", headers=admin())
    assert response.status_code == 404
    assert response.json()["detail"] == "No profile CUS-999999."
