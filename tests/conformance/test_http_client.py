"""The HTTP client against small scripted servers: retries, idempotency keys, timeouts, errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conformance import world as w
from tests.conformance.expect import expect_error
from tests.conformance.loopback import Answer, serve_script
from tests.web import free_port
from tools.crm import HttpCrm
from tools.errors import ErrorCode
from tools.http_client import HttpToolClient
from tools.logistics import HttpLogistics

GENEROUS = 15.0
"""Seconds a failing call may take at most: far below the 30 s a stalled server waits."""

TICKET = {
    "id": "TCK-000007",
    "customer_id": w.MARIA,
    "order_id": None,
    "subject": "Help",
    "description": "Where is my order?",
    "category": "order",
    "severity": "low",
    "status": "open",
    "owner_agent_id": None,
    "created_at": "2026-03-01T12:00:00Z",
    "updated_at": "2026-03-01T12:00:00Z",
    "resolved_at": None,
    "resolution": None,
}


def problem(status: int, code: str, detail: str) -> Answer:
    body = {"type": f"urn:cerebro:problem:{code}", "title": code, "status": status}
    return Answer(status, {**body, "detail": detail, "code": code}, "application/problem+json")


def client(base_url: str, *, timeout: float = 5.0, retries: int = 2) -> HttpToolClient:
    return HttpToolClient(
        base_url, service="the CRM", token="t0ken", timeout=timeout, retries=retries, backoff=0.01
    )


def open_ticket(crm: HttpCrm) -> Any:
    return crm.open_ticket(
        w.MARIA, subject="Help", description="Where is my order?", category="order", severity="low"
    )


def test_a_503_is_retried_with_the_same_idempotency_key() -> None:
    with serve_script(problem(503, "unavailable", "busy"), Answer(201, TICKET)) as (url, script):
        ticket = open_ticket(HttpCrm(client(f"{url}/crm")))
    assert ticket.id == "TCK-000007"
    first, retry = script.seen
    assert first.method == retry.method == "POST"
    assert first.path == retry.path == f"/crm/customers/{w.MARIA}/tickets"
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"] != ""
    assert first.body == retry.body
    assert first.headers["Authorization"] == "Bearer t0ken"


def test_every_call_has_its_own_idempotency_key() -> None:
    with serve_script(Answer(201, TICKET)) as (url, script):
        crm = HttpCrm(client(url))
        open_ticket(crm)
        open_ticket(crm)
    assert len({seen.headers["Idempotency-Key"] for seen in script.seen}) == 2


def test_a_server_slower_than_the_timeout_is_unavailable_without_hanging() -> None:
    with serve_script(Answer(200, TICKET, stall=30.0)) as (url, script):
        crm = HttpCrm(client(url, timeout=0.2, retries=1))
        started = time.monotonic()
        with expect_error("unavailable", "the CRM could not be reached", "2 attempt"):
            crm.get_profile(w.MARIA)
        assert time.monotonic() - started < GENEROUS
    assert len(script.seen) == 2


def test_5xx_answers_are_retried_then_unavailable() -> None:
    with (
        serve_script(problem(502, "unavailable", "upstream down")) as (url, script),
        expect_error("unavailable", "answered HTTP 502: upstream down", "3 attempt"),
    ):
        HttpCrm(client(url, retries=2)).list_notes(w.MARIA)
    assert len(script.seen) == 3


def test_an_unreachable_server_is_unavailable() -> None:
    port = free_port()  # bound, then released: nothing listens there
    with expect_error("unavailable", "could not be reached"):
        HttpCrm(client(f"http://127.0.0.1:{port}", retries=1)).get_profile(w.MARIA)


def test_a_problem_404_is_not_found_with_the_servers_words_and_no_retry() -> None:
    with (
        serve_script(problem(404, "not_found", "order ORD-9 not found")) as (url, script),
        expect_error("not_found", "order ORD-9 not found"),
    ):
        HttpLogistics(client(url)).get_order(w.MARIA, "ORD-9")
    assert len(script.seen) == 1


@pytest.mark.parametrize(
    ("answer", "code", "fragment"),
    [
        (problem(422, "rule_violation", "order has shipped"), "rule_violation", "has shipped"),
        (problem(409, "conflict", "already resolved"), "conflict", "already resolved"),
        (problem(400, "invalid_input", "subject: too long"), "invalid_input", "subject"),
        (Answer(404, "<h1>Not Found</h1>", "text/html"), "not_found", "answered HTTP 404"),
        (Answer(422, {"detail": "bad"}), "invalid_input", "bad"),
        (Answer(401, {"detail": "who are you"}), "unavailable", "refused the credentials"),
        (Answer(200, {"id": 1}), "unavailable", "breaks the contract"),
        (Answer(302, ""), "unavailable", "HTTP 302"),
    ],
)
def test_answers_map_to_typed_errors(answer: Answer, code: ErrorCode, fragment: str) -> None:
    with serve_script(answer) as (url, script), expect_error(code, fragment):
        HttpCrm(client(url)).get_profile(w.MARIA)
    assert len(script.seen) == 1


def test_ids_are_escaped_in_paths() -> None:
    with (
        serve_script(problem(404, "not_found", "no")) as (url, script),
        expect_error("not_found"),
    ):
        HttpLogistics(client(url)).get_order("CUS 1", "ORD/9?x")
    assert script.seen[0].path == "/customers/CUS%201/orders/ORD%2F9%3Fx"


def test_invalid_input_is_refused_before_anything_is_sent() -> None:
    with (
        serve_script(Answer(201, TICKET)) as (url, script),
        expect_error("invalid_input", "subject"),
    ):
        HttpCrm(client(url)).open_ticket(
            w.MARIA, subject="", description="x", category="order", severity="low"
        )
    assert script.seen == []
