"""The chat API over HTTP: conversations, tokens, the agent takeover, events, sentiment."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.customer_tools import MAX_IDENTITY_FAILURES
from agent.identity_throttle import DEFAULT_LIMIT
from agent.nlu import Parser
from agent.runtime import AgentRuntime, build_runtime
from api.app import create_app
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.demo.generator import DEFAULT_NOW
from memory.knowledge.store import KnowledgeBase
from tests.agent.conftest import EMAILS, MARIA, OLIVIA
from tests.web import serve_in_thread

ADMIN = "admin-secret-token"
PROBLEM = "application/problem+json"


def prefill_nlu_cache(nlu_cache: Path, data_dir: Path) -> None:
    """Give a new data folder the examples' embeddings the session already computed."""
    target = data_dir / "cache"
    target.mkdir(parents=True, exist_ok=True)
    for cached in nlu_cache.glob("nlu-examples-*.npy"):
        shutil.copy(cached, target / cached.name)


@dataclass
class Api:
    client: TestClient
    runtime: AgentRuntime
    app: FastAPI

    def create(self, **body: object) -> tuple[str, dict[str, str]]:
        created = self.client.post("/v1/conversations", json=body)
        assert created.status_code == 201, created.text
        data = created.json()
        return data["id"], {"Authorization": f"Bearer {data['token']}"}

    def say(self, conversation_id: str, headers: dict[str, str], text: str) -> dict[str, object]:
        answer = self.client.post(
            f"/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        data: dict[str, object] = answer.json()
        return data


def make_runtime(
    db: Database, data_dir: Path, nlu_cache: Path, knowledge: KnowledgeBase, admin: str | None
) -> tuple[Settings, AgentRuntime]:
    settings = Settings(data_dir=data_dir, admin_token=admin)
    prefill_nlu_cache(nlu_cache, data_dir)
    runtime = build_runtime(settings, db, FixedClock(DEFAULT_NOW))
    runtime.knowledge.index()
    return settings, runtime


@pytest.fixture
def api(
    seeded: Database, tmp_path: Path, nlu_cache: Path, parser: Parser, knowledge: KnowledgeBase
) -> Iterator[Api]:
    settings, runtime = make_runtime(seeded, tmp_path, nlu_cache, knowledge, ADMIN)
    app = create_app(settings, seeded)
    app.state.agent = runtime
    try:
        with TestClient(app) as client:
            yield Api(client, runtime, app)
    finally:
        runtime.close()


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_a_conversation_over_http(api: Api) -> None:
    conversation_id, headers = api.create(language="es")
    first = api.say(conversation_id, headers, "Quiero cancelar mi pedido")
    assert first["mode"] == "ai" and first["language"] == "es"
    assert "asistente de IA" in str(first["reply"])
    assert first["intent"] == "cancel_order" and float(first["confidence"]) > 0.5  # type: ignore[arg-type]
    assert set(first["sentiment"]) == {"label", "score"}  # type: ignore[arg-type]
    second = api.say(conversation_id, headers, EMAILS[MARIA])
    assert [c["tool"] for c in second["tool_calls"]][:2] == [  # type: ignore[index,union-attr]
        "crm.find_customer_by_email",
        "logistics.list_orders",
    ]
    done = api.say(conversation_id, headers, "sí")
    assert "ORD-100005" in str(done["reply"])
    assert "logistics.cancel_order" in [c["tool"] for c in done["tool_calls"]]  # type: ignore[union-attr]

    transcript = api.client.get(f"/v1/conversations/{conversation_id}/transcript", headers=headers)
    assert transcript.status_code == 200
    body = transcript.json()
    assert [t["source"] for t in body["turns"]] == ["customer", "ai_agent"] * 3
    assert body["customer"] == {"id": MARIA, "first_name": "María", "verified_by": "email"}
    assert all(t["sentiment"] for t in body["turns"] if t["source"] == "customer")


def test_a_customer_only_ever_sees_their_own_conversation(api: Api) -> None:
    mine, my_headers = api.create()
    theirs, _ = api.create()
    url = f"/v1/conversations/{theirs}"
    assert_problem(api.client.get(f"{url}/transcript"), 401)
    assert_problem(api.client.get(f"{url}/transcript", headers=my_headers), 401)
    assert_problem(api.client.post(f"{url}/messages", json={"text": "hi"}, headers=my_headers), 401)
    assert_problem(
        api.client.post(
            f"{url}/messages", json={"text": "hi"}, headers={"Authorization": "Bearer nope"}
        ),
        401,
    )
    assert_problem(
        api.client.get("/v1/conversations/conv_missing/transcript", headers=my_headers), 404
    )
    assert (
        api.client.get(f"/v1/conversations/{mine}/transcript", headers=my_headers).status_code
        == 200
    )


def test_the_customer_id_is_never_taken_from_a_message(api: Api) -> None:
    conversation_id, headers = api.create()
    sneaky = api.client.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"text": "where is my order?", "customer_id": OLIVIA},
        headers=headers,
    )
    assert_problem(sneaky, 400)
    assert_problem(
        api.client.post(
            f"/v1/conversations/{conversation_id}/messages", json={"text": ""}, headers=headers
        ),
        400,
    )
    assert_problem(
        api.client.post(
            f"/v1/conversations/{conversation_id}/messages",
            json={"text": "x" * 2001},
            headers=headers,
        ),
        400,
    )


def test_a_logged_in_customer_needs_the_sites_backend(api: Api) -> None:
    assert_problem(api.client.post("/v1/conversations", json={"customer_id": OLIVIA}), 401)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    missing = api.client.post(
        "/v1/conversations", json={"customer_id": "CUS-999999"}, headers=admin
    )
    assert_problem(missing, 404)
    created = api.client.post("/v1/conversations", json={"customer_id": OLIVIA}, headers=admin)
    assert created.status_code == 201
    data = created.json()
    assert data["customer"] == {"id": OLIVIA, "first_name": "Olivia", "verified_by": "session"}
    headers = {"Authorization": f"Bearer {data['token']}"}
    answer = api.say(data["id"], headers, "where is my order?")
    assert "ORD-100007" in str(answer["reply"])


def test_a_human_agent_takes_over_and_hands_back(api: Api) -> None:
    conversation_id, headers = api.create()
    api.say(conversation_id, headers, f"hi, I'm {EMAILS[OLIVIA]}")
    base = f"/v1/conversations/{conversation_id}/agent"
    message = {"text": "Hi Olivia, Emma here.", "author": "AGT-000003"}
    assert_problem(api.client.post(f"{base}/messages", json=message), 401)
    assert_problem(api.client.post(f"{base}/messages", json=message, headers=headers), 401)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    taken = api.client.post(f"{base}/messages", json=message, headers=admin)
    assert taken.status_code == 200 and taken.json()["mode"] == "human"
    waiting = api.say(conversation_id, headers, "Thanks Emma!")
    assert waiting["reply"] is None and waiting["mode"] == "human"
    back = api.client.post(f"{base}/handback", json={"author": "AGT-000003"}, headers=admin)
    assert back.status_code == 200 and back.json()["mode"] == "ai"
    assert_problem(api.client.post(f"{base}/handback", json={"author": "x"}, headers=admin), 409)
    transcript = api.client.get(f"/v1/conversations/{conversation_id}/transcript", headers=admin)
    assert [t["source"] for t in transcript.json()["turns"]] == [
        "customer", "ai_agent", "system", "human_agent", "customer", "system",
    ]  # fmt: skip


def test_the_agent_api_is_off_without_an_admin_token(
    seeded: Database, tmp_path: Path, nlu_cache: Path, parser: Parser, knowledge: KnowledgeBase
) -> None:
    settings, runtime = make_runtime(seeded, tmp_path, nlu_cache, knowledge, None)
    app = create_app(settings, seeded)
    app.state.agent = runtime
    try:
        with TestClient(app) as client:
            conversation_id = client.post("/v1/conversations").json()["id"]
            answer = client.post(
                f"/v1/conversations/{conversation_id}/agent/messages",
                json={"text": "hi", "author": "me"},
                headers={"Authorization": "Bearer anything"},
            )
            assert_problem(answer, 403)
    finally:
        runtime.close()


def test_sentiment_endpoint(api: Api) -> None:
    answer = api.client.post(
        "/v1/sentiment",
        json={"texts": ["I love it, thank you so much!", "Esto es horrible, estoy harta"]},
    )
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [(r["label"], r["language"]) for r in results] == [
        ("positive", "en"),
        ("negative", "es"),
    ]
    assert results[0]["score"] > 0 > results[1]["score"]
    forced = api.client.post("/v1/sentiment", json={"texts": ["ok"], "language": "es-MX"})
    assert forced.json()["results"][0]["language"] == "es"
    assert_problem(api.client.post("/v1/sentiment", json={"texts": ["ok"], "language": "fr"}), 400)
    assert_problem(api.client.post("/v1/sentiment", json={"texts": []}), 400)


@pytest.fixture
def live(api: Api) -> Iterator[str]:
    """The same app served by uvicorn on a free port (streams need a real server)."""
    with serve_in_thread(api.app, startup_timeout=20) as base_url:
        yield base_url


def read_events(response: httpx.Response, wanted: int) -> list[tuple[str, dict[str, object]]]:
    events: list[tuple[str, dict[str, object]]] = []
    name = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, json.loads(line.removeprefix("data: "))))
            if len(events) == wanted:
                break
    return events


def test_events_stream_replies_and_mode_changes(api: Api, live: str) -> None:
    conversation_id, headers = api.create()
    url = f"{live}/v1/conversations/{conversation_id}/events?max_seconds=20"
    with httpx.Client(timeout=30) as client:
        assert client.get(url).status_code == 401
        with client.stream("GET", url, headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")

            def talk() -> None:
                time.sleep(0.3)
                api.say(conversation_id, headers, f"hi, I'm {EMAILS[OLIVIA]}")
                api.say(conversation_id, headers, "I want to speak to a human")

            speaker = threading.Thread(target=talk)
            speaker.start()
            events = read_events(stream, 8)
            speaker.join()
    assert events[0] == ("mode", {"mode": "ai", "handoff": None})
    turns = [data for name, data in events if name == "turn"]
    assert [t["source"] for t in turns] == [
        "customer", "ai_agent", "customer", "ai_agent", "system",
    ]  # fmt: skip
    assert "passing you to a colleague" in str(turns[3]["text"])
    name, data = events[-1]
    assert name == "mode" and data["mode"] == "human"
    assert data["handoff"]["status"] == "queued"  # type: ignore[index]


def test_identity_misses_count_per_client_across_conversations(api: Api) -> None:
    """New conversations do not reset the guessing: past `DEFAULT_LIMIT` misses from one client,
    no identity check is made for it, even with a customer's real address; others go on."""
    misses = 0
    while misses < DEFAULT_LIMIT:
        conversation_id, headers = api.create(language="en")
        api.say(conversation_id, headers, "Where is my order?")
        for _ in range(MAX_IDENTITY_FAILURES):
            answer = api.say(conversation_id, headers, f"it's guess{misses}@example.org")
            misses += any(c["error"] == "not_found" for c in answer["tool_calls"])  # type: ignore[union-attr]
    conversation_id, headers = api.create(language="en")
    api.say(conversation_id, headers, "Where is my order?")
    refused = api.say(conversation_id, headers, EMAILS[MARIA])
    assert [c["error"] for c in refused["tool_calls"]] == ["identity_locked"]  # type: ignore[union-attr]
    assert "for your security" in str(refused["reply"]).lower()
    assert "ORD-1" not in str(refused["reply"])

    elsewhere = TestClient(api.app, client=("198.51.100.9", 50000))
    created = elsewhere.post("/v1/conversations", json={"language": "en"}).json()
    auth = {"Authorization": f"Bearer {created['token']}"}
    url = f"/v1/conversations/{created['id']}/messages"
    elsewhere.post(url, json={"text": "Where is my order?"}, headers=auth)
    verified = elsewhere.post(url, json={"text": EMAILS[MARIA]}, headers=auth).json()
    assert verified["tool_calls"][0]["tool"] == "crm.find_customer_by_email"
    assert verified["tool_calls"][0]["error"] is None
