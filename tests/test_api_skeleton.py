"""The API's common behaviour: probes, docs, problem+json errors, request ids, no PII in logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, EmailStr

from api.app import create_app
from api.problems import PROBLEM_JSON
from cerebro.logging import JsonFormatter, redact
from cerebro.settings import Settings
from memory.db import Database
from memory.migrate import upgrade


class Signup(BaseModel):
    email: EmailStr
    age: int


def build_client(db: Database) -> TestClient:
    app = create_app(Settings(), db=db)
    router = APIRouter()

    @router.post("/test/signup")
    def signup(body: Signup) -> dict[str, str]:
        return {"ok": body.email}

    @router.get("/test/crash")
    def crash() -> None:
        raise RuntimeError("boom with maria@example.com inside")

    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with build_client(db) as test_client:
        yield test_client


def test_healthz_and_readyz_report_ok_on_a_migrated_database(
    client: TestClient, db: Database
) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["database"] == db.dialect
    # An app built without start_assistant loads the models on the first chat, not before.
    assert ready.json()["assistant"] == "not_started"


def test_readyz_says_what_to_do_when_the_schema_is_missing(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(Settings(), db=empty)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "cerebro migrate" in response.json()["detail"]
    upgrade(empty)
    with TestClient(create_app(Settings(), db=empty)) as client:
        assert client.get("/readyz").status_code == 200
    empty.dispose()


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert "swagger" in client.get("/docs").text.lower()
    spec = client.get("/openapi.json").json()
    assert "/healthz" in spec["paths"] and "/readyz" in spec["paths"]


def test_unknown_path_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["request_id"] == response.headers["x-request-id"]


def test_invalid_body_names_each_bad_field(client: TestClient) -> None:
    response = client.post("/test/signup", json={"email": "not-an-email", "age": "old"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/problems/validation"
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"body.email", "body.age"}


def test_malformed_json_is_a_400_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/test/signup", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON


def test_a_crash_is_a_500_problem_without_traceback(client: TestClient) -> None:
    response = client.get("/test/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "Traceback" not in response.text and "boom" not in response.text
    assert response.json()["request_id"]


def test_request_id_is_echoed_when_well_formed_and_replaced_when_not(
    client: TestClient,
) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"
    assert len(replaced.headers["x-request-id"]) == 32


def test_logs_are_json_with_request_id_and_no_personal_data(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/test/crash", headers={"X-Request-ID": "req-42"})
        client.get("/healthz?email=maria@example.com&phone=+34600111222")
    lines = [JsonFormatter().format(record) for record in caplog.records]
    text = "\n".join(lines)
    assert "maria@example.com" not in text and "600111222" not in text
    entries = [json.loads(line) for line in lines]
    crash_entries = [entry for entry in entries if entry.get("request_id") == "req-42"]
    assert any(entry["level"] == "ERROR" for entry in crash_entries)
    access = [entry for entry in entries if entry["logger"] == "cerebro.access"]
    assert {"path": "/healthz", "status": 200}.items() <= access[-1].items()


def test_redact_masks_emails_and_phone_numbers_but_not_ids() -> None:
    text = "Ana <ana.g+x@mail.example.es> +34 600 111 222, order ORD-100042 on 2026-11-01"
    assert redact(text) == "Ana <[email]> [phone], order ORD-100042 on 2026-11-01"
