"""The reference server: auth, problem details, Idempotency-Key, and the written contract."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conformance import world as w
from tests.conformance.conftest import Store, http_settings
from tests.conformance.expect import expect_error
from tests.conformance.loopback import LoseFirstAnswer, SwitchableApp
from tools.crm import EmbeddedCrm, HttpCrm
from tools.factory import build_toolbox
from tools.http_client import HttpToolClient
from tools.idempotency import IdempotencyStore, StoredAnswer
from tools.reference_server import create_reference_app

GENEROUS = 15.0
AUTH = {"Authorization": f"Bearer {w.TOKEN}"}
CONTRACT = Path(__file__).parents[2] / "docs" / "tools-http-contract.md"
PREFIXES = {
    "CRM": "/crm",
    "Logistics": "/logistics",
    "Messaging": "/messaging",
    "Routing": "/routing",
}
NEW_TICKET = {
    "subject": "Pedido incompleto",
    "description": "Falta un calcetín.",
    "category": "order",
    "severity": "medium",
}


@pytest.fixture
def served(sqlite_store: Store, loopback: tuple[str, SwitchableApp]) -> Iterator[str]:
    base_url, switch = loopback
    switch.app = create_reference_app(sqlite_store.db, sqlite_store.clock, token=w.TOKEN)
    yield base_url
    switch.app = None


def test_calls_need_the_bearer_token(served: str) -> None:
    answer = httpx.get(f"{served}/crm/customers/{w.MARIA}")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["code"] == "unavailable"
    client = HttpToolClient(
        f"{served}/crm", service="the CRM", token="wrong", timeout=5.0, retries=2
    )
    with expect_error("unavailable", "refused the credentials"):
        HttpCrm(client).get_profile(w.MARIA)


def test_errors_are_problem_details_carrying_the_code(served: str) -> None:
    answer = httpx.get(
        f"{served}/logistics/customers/{w.MARIA}/orders/{w.JAMES_PENDING}", headers=AUTH
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "urn:cerebro:problem:not_found",
        "title": "Not found",
        "status": 404,
        "detail": f"order {w.JAMES_PENDING} not found",
        "code": "not_found",
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", f"/crm/customers/{w.MARIA}/tickets", {"subject": ""}, 400, "invalid_input"),
        ("POST", "/crm/customers/search", {"email": "x", "extra": 1}, 400, "invalid_input"),
        ("GET", f"/messaging/customers/{w.MARIA}/messages?limit=0", None, 400, "invalid_input"),
        ("GET", "/crm/nowhere/at/all", None, 404, "not_found"),
        (
            "POST",
            f"/logistics/customers/{w.MARIA}/orders/{w.MARIA_SHIPPED}/cancel",
            {"reason": "too slow"},
            422,
            "rule_violation",
        ),
    ],
)
def test_each_error_has_its_status_and_code(
    served: str, method: str, path: str, body: object, status: int, code: str
) -> None:
    answer = httpx.request(method, f"{served}{path}", json=body, headers=AUTH)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.json()["detail"]


def test_a_post_repeated_with_its_key_runs_once(served: str, sqlite_store: Store) -> None:
    url = f"{served}/crm/customers/{w.MARIA}/tickets"
    headers = {**AUTH, "Idempotency-Key": "key-1"}
    first = httpx.post(url, json=NEW_TICKET, headers=headers)
    again = httpx.post(url, json=NEW_TICKET, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    crm = EmbeddedCrm(sqlite_store.db, sqlite_store.clock)
    assert [t.id for t in crm.list_tickets(w.MARIA)] == [first.json()["id"], w.MARIA_TICKET]
    reused = httpx.post(url, json={**NEW_TICKET, "subject": "Otro"}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (409, "conflict")
    assert "different request" in reused.json()["detail"]
    unkeyed = httpx.post(url, json=NEW_TICKET, headers=AUTH)
    assert unkeyed.json()["id"] != first.json()["id"]


def test_a_refusal_is_replayed_as_it_was(served: str) -> None:
    url = f"{served}/logistics/customers/{w.MARIA}/orders/{w.MARIA_SHIPPED}/cancel"
    headers = {**AUTH, "Idempotency-Key": "key-2"}
    first = httpx.post(url, json={"reason": "late"}, headers=headers)
    again = httpx.post(url, json={"reason": "late"}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_an_answer_lost_on_the_way_is_retried_and_creates_one_record(
    sqlite_store: Store, loopback: tuple[str, SwitchableApp]
) -> None:
    base_url, switch = loopback
    lossy = LoseFirstAnswer(
        create_reference_app(sqlite_store.db, sqlite_store.clock, token=w.TOKEN)
    )
    switch.app = lossy
    try:
        settings = http_settings(base_url, retries=2)
        with build_toolbox(settings, sqlite_store.db, sqlite_store.clock) as tools:
            ticket = tools.crm.open_ticket(w.MARIA, **NEW_TICKET)  # type: ignore[arg-type]
            assert [t.id for t in tools.crm.list_tickets(w.MARIA)] == [ticket.id, w.MARIA_TICKET]
    finally:
        switch.app = None
    assert lossy.lost == 1


def test_the_written_contract_lists_exactly_the_served_routes(sqlite_store: Store) -> None:
    app = create_reference_app(sqlite_store.db, sqlite_store.clock)
    documented = {
        (method, PREFIXES[api] + path)
        for api, method, path in re.findall(
            r"^\| (\w+) \| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|",
            CONTRACT.read_text(encoding="utf-8"),
            re.M,
        )
    }
    served = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented == served


def test_a_repeat_arriving_while_the_first_runs_waits_for_its_answer() -> None:
    store = IdempotencyStore()
    started, finish = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow() -> StoredAnswer:
        runs.append("slow")
        started.set()
        finish.wait(GENEROUS)
        return StoredAnswer(201, b'{"id": "TCK-1"}', "application/json")

    answers: list[tuple[StoredAnswer, bool]] = []
    first = threading.Thread(target=lambda: answers.append(store.run("k", "POST /x", slow)))
    first.start()
    assert started.wait(GENEROUS)
    second = threading.Thread(target=lambda: answers.append(store.run("k", "POST /x", slow)))
    second.start()
    finish.set()
    first.join(GENEROUS)
    second.join(GENEROUS)
    assert runs == ["slow"]
    assert sorted(replayed for _, replayed in answers) == [False, True]
    assert answers[0][0] == answers[1][0]


def test_a_server_failure_is_not_remembered() -> None:
    store = IdempotencyStore()
    failed = StoredAnswer(503, b"{}", "application/problem+json")
    created = StoredAnswer(201, b"{}", "application/json")
    assert store.run("k", "POST /x", lambda: failed) == (failed, False)
    assert store.run("k", "POST /x", lambda: created) == (created, False)
    assert store.run("k", "POST /x", lambda: failed) == (created, True)
