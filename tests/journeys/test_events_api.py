"""Ingestion over HTTP: the five Segment endpoints, write keys, idempotency on messageId,
out-of-order events, errors that name the field, batches that keep their good items."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from journeys.schema import EventRecord
from memory.db import Database
from tests.journeys.conftest import MARIA, OLIVIA, WRITE_KEY, admin, basic, engine_settings


def event_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(EventRecord)) or 0


def profile(client: TestClient, profile_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/profiles/{profile_id}", headers=admin())
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_each_type_is_accepted_and_stored(client: TestClient, seeded: Database) -> None:
    calls = [
        ("identify", {"userId": MARIA, "traits": {"plan": "gold"}}),
        ("track", {"userId": MARIA, "event": "Product Added", "properties": {"sku": "LMP-1"}}),
        ("page", {"anonymousId": "anon-7", "name": "Lamps", "properties": {"path": "/lamps"}}),
        ("alias", {"previousId": "anon-7", "userId": MARIA}),
    ]
    for kind, body in calls:
        response = client.post(f"/v1/{kind}", json=body, headers=basic())
        assert response.status_code == 202, response.text
        answer = response.json()
        assert answer["success"] is True and answer["duplicate"] is False
        assert answer["eventId"] > 0 and answer["messageId"]
    assert event_count(seeded) == 4
    maria = profile(client, MARIA)
    assert maria["traits"] == {"plan": "gold"}
    assert [item["sku"] for item in maria["cart"]] == ["LMP-1"]
    assert [page["path"] for page in maria["pages_seen"]] == ["/lamps"]
    assert "anon:anon-7" in maria["identities"]


def test_bearer_and_basic_write_keys_both_work(client: TestClient) -> None:
    body = {"userId": MARIA, "event": "Signed In"}
    assert client.post("/v1/track", json=body, headers=basic()).status_code == 202
    bearer = {"Authorization": f"Bearer {WRITE_KEY}"}
    assert client.post("/v1/track", json=body, headers=bearer).status_code == 202


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic " + base64.b64encode(b"wrong:").decode()},
        {"Authorization": "Basic !!!not-base64"},
    ],
    ids=["none", "bad-bearer", "bad-basic", "garbled"],
)
def test_a_missing_or_wrong_write_key_is_a_401_problem(
    client: TestClient, seeded: Database, headers: dict[str, str]
) -> None:
    response = client.post("/v1/track", json={"userId": MARIA, "event": "X"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Basic")
    assert "write key" in response.json()["detail"]
    assert event_count(seeded) == 0


def test_no_configured_write_keys_refuses_everything(app: FastAPI) -> None:
    app.state.engine_settings = engine_settings(write_keys=())
    with TestClient(app) as client:
        response = client.post("/v1/track", json={"userId": MARIA, "event": "X"}, headers=basic())
    assert response.status_code == 401


def test_a_replayed_message_id_changes_nothing(client: TestClient, seeded: Database) -> None:
    body = {
        "userId": MARIA,
        "event": "Order Completed",
        "messageId": "msg-1",
        "properties": {"revenue": 10},
    }
    first = client.post("/v1/track", json=body, headers=basic())
    assert first.status_code == 202
    value = profile(client, MARIA)["lifetime_value_cents"]
    replay = client.post("/v1/track", json=body, headers=basic())
    assert replay.status_code == 200
    assert replay.json()["duplicate"] is True and replay.json()["messageId"] == "msg-1"
    assert event_count(seeded) == 1
    assert profile(client, MARIA)["lifetime_value_cents"] == value


def test_message_ids_are_scoped_per_write_key(app: FastAPI, seeded: Database) -> None:
    app.state.engine_settings = engine_settings(
        write_keys=(SecretStr(WRITE_KEY), SecretStr("other-key"))
    )
    body = {"userId": MARIA, "event": "X", "messageId": "same"}
    with TestClient(app) as client:
        assert client.post("/v1/track", json=body, headers=basic()).status_code == 202
        assert client.post("/v1/track", json=body, headers=basic("other-key")).status_code == 202
    assert event_count(seeded) == 2


def test_an_older_identify_does_not_overwrite_newer_traits(client: TestClient) -> None:
    newer = {
        "userId": MARIA,
        "timestamp": "2026-11-02T10:00:00Z",
        "traits": {"plan": "gold", "preferred_channel": "email"},
    }
    older = {
        "userId": MARIA,
        "timestamp": "2026-11-01T10:00:00Z",
        "traits": {"plan": "silver", "company": "ACME", "preferred_channel": "sms"},
    }
    assert client.post("/v1/identify", json=newer, headers=basic()).status_code == 202
    assert client.post("/v1/identify", json=older, headers=basic()).status_code == 202
    maria = profile(client, MARIA)
    assert maria["traits"] == {"plan": "gold", "company": "ACME", "preferred_channel": "email"}
    assert maria["preferred_channel"] == "email"


def test_sent_at_corrects_the_device_clock(client: TestClient, seeded: Database) -> None:
    # The device's clock runs one hour ahead: sentAt says 13:00 when the server has 12:00 UTC.
    body = {
        "userId": MARIA,
        "event": "X",
        "timestamp": "2026-11-02T12:59:00Z",
        "sentAt": "2026-11-02T13:00:00Z",
    }
    assert client.post("/v1/track", json=body, headers=basic()).status_code == 202
    with seeded.session() as session:
        stored = session.scalars(select(EventRecord)).one()
    assert stored.timestamp.isoformat() == "2026-11-02T10:59:00+00:00"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("track", {"userId": MARIA}, "event"),
        ("track", {"event": "X"}, "userId"),
        ("track", {"userId": MARIA, "event": "X", "timestamp": "yesterday"}, "timestamp"),
        ("track", {"userId": MARIA, "event": "X", "timestamp": "2026-11-02T10:00:00"}, "timestamp"),
        ("track", {"type": "identify", "userId": MARIA}, "type"),
        ("identify", {"userId": MARIA, "traits": ["not", "an", "object"]}, "traits"),
        ("alias", {"userId": MARIA}, "previousId"),
        ("page", {"anonymousId": "a" * 101}, "anonymousId"),
    ],
)
def test_an_invalid_event_is_a_400_problem_naming_the_field(
    client: TestClient, seeded: Database, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/v1/{path}", json=body, headers=basic())
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "/problems/validation"
    assert [error["field"] for error in problem["errors"]] == [field]
    assert field in problem["detail"]
    assert event_count(seeded) == 0


def test_a_batch_reports_bad_items_and_keeps_the_good_ones(
    client: TestClient, seeded: Database
) -> None:
    batch = [
        {"type": "identify", "userId": OLIVIA, "traits": {"plan": "gold"}},
        {"type": "track", "userId": MARIA},
        {"type": "page", "userId": MARIA, "properties": {"path": "/help"}, "messageId": "p-1"},
        {"type": "track", "userId": MARIA, "event": "X", "timestamp": "not a time"},
        "not an object",
        {"type": "page", "userId": MARIA, "properties": {"path": "/help"}, "messageId": "p-1"},
    ]
    response = client.post(
        "/v1/batch", json={"batch": batch, "context": {"library": {"name": "t"}}}, headers=basic()
    )
    assert response.status_code == 202
    answer = response.json()
    assert answer["success"] is False
    statuses = [(item["index"], item["status"]) for item in answer["results"]]
    assert statuses == [
        (0, "accepted"),
        (1, "invalid"),
        (2, "accepted"),
        (3, "invalid"),
        (4, "invalid"),
        (5, "duplicate"),
    ]
    fields = [error["field"] for item in answer["results"] for error in item["errors"]]
    assert fields == ["batch[1].event", "batch[3].timestamp", "batch[4]"]
    assert event_count(seeded) == 2
    assert profile(client, OLIVIA)["traits"] == {"plan": "gold"}
    with seeded.session() as session:
        contexts = [row.payload["context"] for row in session.scalars(select(EventRecord))]
    assert contexts == [{"library": {"name": "t"}}] * 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"batch": []}, "batch"),
        ({"batch": "nope"}, "batch"),
        ({"batch": [{"type": "bogus", "userId": MARIA}]}, "batch[0].type"),
    ],
    ids=["empty", "not-a-list", "all-invalid"],
)
def test_a_batch_without_any_valid_item_is_a_400(
    client: TestClient, seeded: Database, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/batch", json=body, headers=basic())
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert event_count(seeded) == 0
