"""Size limits on ingestion: an oversized message or batch is a 413 problem that names what is
too large and stores nothing; an oversized item of a batch is reported, its neighbours kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from memory.db import Database
from tests.journeys.conftest import MARIA, OLIVIA, basic, engine_settings
from tests.journeys.test_events_api import event_count, profile

EVENT_LIMIT = 2048
BATCH_LIMIT = 8192


@pytest.fixture
def limited(app: FastAPI) -> Iterator[TestClient]:
    app.state.engine_settings = engine_settings(
        event_max_bytes=EVENT_LIMIT, batch_max_bytes=BATCH_LIMIT, batch_max_items=10
    )
    with TestClient(app) as test_client:
        yield test_client


def track(note: str, **fields: Any) -> dict[str, Any]:
    return {"userId": MARIA, "event": "Note", "properties": {"note": note}, **fields}


def assert_too_large(response: Any, field: str, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/too-large"
    assert problem["limit"] == limit
    assert [error["field"] for error in problem["errors"]] == [field]
    assert "nothing was stored" in problem["detail"]


def test_a_message_over_the_limit_is_a_413_and_stores_nothing(
    limited: TestClient, seeded: Database
) -> None:
    response = limited.post("/v1/track", json=track("x" * EVENT_LIMIT), headers=basic())
    assert_too_large(response, "body", EVENT_LIMIT)
    assert event_count(seeded) == 0
    fits = limited.post("/v1/track", json=track("x" * 100), headers=basic())
    assert fits.status_code == 202, fits.text
    assert event_count(seeded) == 1


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(
    limited: TestClient, seeded: Database
) -> None:
    """A chunked body carries no Content-Length: it is counted as it arrives."""
    encoded = json.dumps(track("y" * 3 * EVENT_LIMIT)).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(encoded), 512):
            yield encoded[start : start + 512]

    response = limited.post(
        "/v1/track",
        content=chunks(),
        headers={**basic(), "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_too_large(response, "body", EVENT_LIMIT)
    assert event_count(seeded) == 0


def test_a_batch_over_its_byte_limit_is_a_413(limited: TestClient, seeded: Database) -> None:
    items = [{"type": "track", **track("z" * 1500, messageId=f"m-{n}")} for n in range(6)]
    response = limited.post("/v1/batch", json={"batch": items}, headers=basic())
    assert_too_large(response, "body", BATCH_LIMIT)
    assert event_count(seeded) == 0


def test_a_batch_with_too_many_items_is_a_413_naming_the_batch(
    limited: TestClient, seeded: Database
) -> None:
    items = [{"type": "track", **track("hi", messageId=f"m-{n}")} for n in range(11)]
    response = limited.post("/v1/batch", json={"batch": items}, headers=basic())
    assert_too_large(response, "batch", 10)
    assert "11 messages" in response.json()["errors"][0]["message"]
    assert event_count(seeded) == 0


def test_an_oversized_batch_item_is_reported_and_the_others_kept(
    limited: TestClient, seeded: Database
) -> None:
    items = [
        {"type": "identify", "userId": OLIVIA, "traits": {"plan": "gold"}},
        {"type": "track", **track("w" * EVENT_LIMIT)},
        {"type": "track", **track("fine")},
    ]
    response = limited.post("/v1/batch", json={"batch": items}, headers=basic())
    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [item["status"] for item in results] == ["accepted", "invalid", "accepted"]
    assert results[1]["errors"][0]["field"] == "batch[1]"
    assert f"more than {EVENT_LIMIT}" in results[1]["errors"][0]["message"]
    assert event_count(seeded) == 2
    assert profile(limited, OLIVIA)["traits"] == {"plan": "gold"}


def test_a_body_that_is_not_json_is_a_400_naming_the_body(
    limited: TestClient, seeded: Database
) -> None:
    response = limited.post(
        "/v1/track", content=b"{not json", headers={**basic(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["body"]
    assert event_count(seeded) == 0


def test_a_missing_write_key_is_refused_before_the_body_is_read(limited: TestClient) -> None:
    response = limited.post("/v1/track", json=track("x" * EVENT_LIMIT))
    assert response.status_code == 401
