"""The agent console's API: the queue, a handoff's summary, claim, hand back and resolve."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.agent.conftest import EMAILS, OLIVIA
from tests.pages.conftest import ADMIN, Site

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60
    ) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def escalate(site: Site, email: str) -> tuple[str, dict[str, str]]:
    """A customer asks for a human and says who they are; the conversation id and its headers."""
    created = httpx.post(f"{site.url}/v1/conversations", json={"language": "en"}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    for text in ("I want to talk to a human", email):
        answer = httpx.post(
            f"{site.url}/v1/conversations/{created['id']}/messages",
            json={"text": text},
            headers=headers,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
    return created["id"], headers


def entry_of(admin: httpx.Client, conversation_id: str) -> dict[str, object]:
    entries: list[dict[str, object]] = [
        e
        for e in admin.get("/v1/console/queue").json()["entries"]
        if e["conversation_id"] == conversation_id
    ]
    [entry] = entries
    return entry


def test_the_console_api_needs_the_admin_token(site: Site) -> None:
    for path in ("/v1/console/queue", "/v1/console/agents", "/v1/console/handoffs/HOF-000001"):
        problem(httpx.get(f"{site.url}{path}"), 401)
        problem(httpx.get(f"{site.url}{path}", headers={"Authorization": "Bearer nope"}), 401)
    claim = httpx.post(
        f"{site.url}/v1/console/handoffs/HOF-000001/claim",
        json={"agent_id": "AGT-000001"},
        headers={"Authorization": "Bearer nope"},
    )
    problem(claim, 401)


def test_without_an_admin_token_set_the_console_is_disabled(site_without_admin: Site) -> None:
    answer = httpx.get(
        f"{site_without_admin.url}/v1/console/queue", headers={"Authorization": "Bearer x"}
    )
    assert "CEREBRO_ADMIN_TOKEN" in str(problem(answer, 403)["detail"])


def test_an_escalation_is_queued_with_its_summary(site: Site, admin: httpx.Client) -> None:
    conversation_id, _ = escalate(site, EMAILS[OLIVIA])
    entry = entry_of(admin, conversation_id)
    assert entry["customer_id"] == OLIVIA and entry["customer_name"] == "Olivia Bennett"
    assert (entry["status"], entry["reason"], entry["language"]) == (
        "queued",
        "customer_request",
        "en",
    )
    assert entry["priority"] in range(1, 6) and float(entry["waiting_seconds"]) >= 0  # type: ignore[arg-type]
    entries = admin.get("/v1/console/queue").json()["entries"]
    order = [(e["status"] != "queued", e["priority"], e["created_at"]) for e in entries]
    assert order == sorted(order) and len(entries) > 1

    detail = admin.get(f"/v1/console/handoffs/{entry['handoff_id']}").json()
    summary = detail["summary"]
    assert summary["customer_name"] == "Olivia Bennett"
    assert summary["last_messages"][0]["text"] == "I want to talk to a human"
    assert summary["sentiment_trend"] in {"improving", "stable", "worsening"}
    assert any("find_customer_by_email" in a["action"] for a in summary["attempts"])


def test_claim_hand_back_and_escalate_again(site: Site, admin: httpx.Client) -> None:
    conversation_id, headers = escalate(site, EMAILS[OLIVIA])
    handoff_id = entry_of(admin, conversation_id)["handoff_id"]
    agents = admin.get("/v1/console/agents").json()
    first, second = agents[0]["id"], agents[1]["id"]
    url = f"/v1/console/handoffs/{handoff_id}"

    problem(admin.post(f"{url}/claim", json={}), 400)
    problem(admin.post(f"{url}/claim", json={"agent_id": first, "customer_id": "x"}), 400)
    problem(admin.post(f"{url}/claim", json={"agent_id": "AGT-999999"}), 404)
    claimed = admin.post(f"{url}/claim", json={"agent_id": first})
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["status"], claimed.json()["assigned_agent_id"]) == ("assigned", first)
    taken = problem(admin.post(f"{url}/claim", json={"agent_id": second}), 409)
    assert first in str(taken["detail"])
    assert entry_of(admin, conversation_id)["status"] == "assigned"

    back = admin.post(f"{url}/handback", json={"agent_id": first})
    assert back.status_code == 200, back.text
    assert back.json()["conversation_mode"] == "ai"
    assert (back.json()["handoff"]["status"], back.json()["handoff"]["outcome"]) == (
        "closed",
        "handed_back",
    )
    problem(admin.post(f"{url}/handback", json={"agent_id": first}), 409)
    problem(admin.post(f"{url}/resolve", json={"agent_id": first}), 409)
    listed = admin.get("/v1/console/queue").json()["entries"]
    assert conversation_id not in [e["conversation_id"] for e in listed]

    again = httpx.post(
        f"{site.url}/v1/conversations/{conversation_id}/messages",
        json={"text": "Actually I need a human again"},
        headers=headers,
        timeout=60,
    ).json()
    assert again["mode"] == "human" and again["handoff"]["status"] == "queued"
    assert entry_of(admin, conversation_id)["handoff_id"] != handoff_id


def test_a_handoff_without_a_conversation_here_can_be_resolved(admin: httpx.Client) -> None:
    [demo, *_] = [e for e in admin.get("/v1/console/queue").json()["entries"]]
    resolved = admin.post(
        f"/v1/console/handoffs/{demo['handoff_id']}/resolve",
        json={"agent_id": admin.get("/v1/console/agents").json()[0]["id"]},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["conversation_mode"] is None
    assert resolved.json()["handoff"]["outcome"] == "resolved"


def test_an_unknown_handoff_is_not_found(admin: httpx.Client) -> None:
    assert "HOF-999999" in str(problem(admin.get("/v1/console/handoffs/HOF-999999"), 404)["detail"])
    problem(admin.post("/v1/console/handoffs/HOF-999999/claim", json={"agent_id": "AGT-1"}), 404)
    problem(admin.post("/v1/console/handoffs/HOF-999999/resolve", json={"agent_id": "A"}), 404)
    problem(admin.post("/v1/console/handoffs/HOF-999999/resolve", json={"agent_id": ""}), 400)


def test_a_hand_back_through_the_conversation_api_closes_the_escalation(
    site: Site, admin: httpx.Client
) -> None:
    conversation_id, _ = escalate(site, EMAILS[OLIVIA])
    handoff_id = entry_of(admin, conversation_id)["handoff_id"]
    back = admin.post(
        f"/v1/conversations/{conversation_id}/agent/handback", json={"author": "Lucía"}
    )
    assert back.status_code == 200, back.text
    listed = admin.get("/v1/console/queue").json()["entries"]
    assert conversation_id not in [e["conversation_id"] for e in listed]
    closed = admin.get(f"/v1/console/handoffs/{handoff_id}").json()
    assert (closed["status"], closed["outcome"]) == ("closed", "handed_back")


def escalate_unverified(site: Site) -> tuple[str, dict[str, str]]:
    """A visitor asks for a person twice without saying who they are; they reach one anyway."""
    created = httpx.post(f"{site.url}/v1/conversations", json={"language": "en"}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    for text in ("I want to talk to a human", "No, just put me through to a person"):
        answer = httpx.post(
            f"{site.url}/v1/conversations/{created['id']}/messages",
            json={"text": text},
            headers=headers,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
    assert answer.json()["mode"] == "human"
    return created["id"], headers


def test_an_unverified_visitor_is_queued_and_handled_like_any_customer(
    site: Site, admin: httpx.Client
) -> None:
    conversation_id, headers = escalate_unverified(site)
    entry = entry_of(admin, conversation_id)
    assert (entry["customer_id"], entry["verified"], entry["customer_name"]) == (
        None,
        False,
        "Unverified visitor",
    )
    assert entry["status"] == "queued" and entry["customer_tier"] == "standard"
    verified = [e["verified"] for e in admin.get("/v1/console/queue").json()["entries"]]
    assert True in verified  # the demo's customers' escalations stay verified
    handoff_id = entry["handoff_id"]
    url = f"/v1/console/handoffs/{handoff_id}"
    detail = admin.get(url).json()
    assert detail["customer_id"] is None
    assert detail["summary"]["last_messages"][0]["text"] == "I want to talk to a human"

    agent = admin.get("/v1/console/agents").json()[0]["id"]
    claimed = admin.post(f"{url}/claim", json={"agent_id": agent})
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["status"], claimed.json()["customer_id"]) == ("assigned", None)
    written = admin.post(
        f"/v1/conversations/{conversation_id}/agent/messages",
        json={"text": "Hi, Lucía here. Could you tell me your order number?", "author": agent},
    )
    assert written.status_code == 200, written.text
    transcript = httpx.get(
        f"{site.url}/v1/conversations/{conversation_id}/transcript", headers=headers
    ).json()
    assert "Lucía here" in str(transcript)

    back = admin.post(f"{url}/handback", json={"agent_id": agent})
    assert back.status_code == 200, back.text
    assert back.json()["conversation_mode"] == "ai"
    assert back.json()["handoff"]["outcome"] == "handed_back"

    again = httpx.post(
        f"{site.url}/v1/conversations/{conversation_id}/messages",
        json={"text": "I need a human again"},  # offered to verify once per conversation only
        headers=headers,
        timeout=60,
    ).json()
    assert again["mode"] == "human"
    second = entry_of(admin, conversation_id)
    assert second["handoff_id"] != handoff_id and second["verified"] is False
    resolved = admin.post(
        f"/v1/console/handoffs/{second['handoff_id']}/resolve", json={"agent_id": agent}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["handoff"]["outcome"] == "resolved"
    assert resolved.json()["conversation_mode"] == "ai"
    listed = admin.get("/v1/console/queue").json()["entries"]
    assert conversation_id not in [e["conversation_id"] for e in listed]


def test_a_visitors_hand_back_through_the_conversation_api_closes_the_escalation(
    site: Site, admin: httpx.Client
) -> None:
    conversation_id, _ = escalate_unverified(site)
    handoff_id = entry_of(admin, conversation_id)["handoff_id"]
    back = admin.post(
        f"/v1/conversations/{conversation_id}/agent/handback", json={"author": "Lucía"}
    )
    assert back.status_code == 200, back.text
    closed = admin.get(f"/v1/console/handoffs/{handoff_id}").json()
    assert (closed["status"], closed["outcome"], closed["customer_id"]) == (
        "closed",
        "handed_back",
        None,
    )
