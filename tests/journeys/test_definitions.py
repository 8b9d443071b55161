"""Journeys as files: the YAML schema and its path-naming errors, versions, the example folder,
loading a folder at start, and `GET/POST /v1/journeys`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from journeys.definitions import JourneyDefinitionError, parse_journey
from journeys.definitions.model import LocalText
from tests.journeys.conftest import admin
from tests.journeys.test_scenarios import EXAMPLES

GOOD = """
id: welcome
name: Welcome
trigger: {event: Signed Up}
steps:
  - id: hello
    send:
      offer_id: hello
      purpose: service
      body: {es: "Hola {{ customer.first_name }}", en: "Hi {{ customer.first_name }}"}
  - wait: {duration: 2d}
  - id: check
    branch:
      if:
        any:
          - {field: profile.lifetime_value_cents, above: 0}
          - {not: {field: trigger.source, exists: true}}
      then: end
      else: nudge
  - id: nudge
    send: {offer_id: nudge, purpose: marketing, body: "Come back"}
"""


def issues(source: str) -> list[str]:
    with pytest.raises(JourneyDefinitionError) as raised:
        parse_journey(source)
    return [str(issue) for issue in raised.value.issues]


def test_a_good_definition_parses_with_its_defaults() -> None:
    journey = parse_journey(GOOD)
    assert journey.step_ids == ("hello", "step-2", "check", "nudge")
    assert journey.reentry.mode == "after_exit" and journey.enabled
    assert journey.following("hello") == "step-2"
    assert journey.following("nudge") == "end"
    hello = journey.step("hello").send
    assert hello is not None and hello.body.for_language("es") == "Hola {{ customer.first_name }}"
    assert hello.body.for_language(None) == "Hi {{ customer.first_name }}"
    assert LocalText({"es": "Hola"}).for_language("en") == "Hola"


def test_a_bad_duration_names_its_path() -> None:
    source = GOOD.replace("{duration: 2d}", "{duration: 48x}")
    assert issues(source) == [
        "steps[1].wait.duration: invalid duration '48x' (try 48h, 2d, 90m, 1h30m or 45s)"
    ]


def test_every_problem_is_reported_with_its_path() -> None:
    source = """
id: Bad Id
name: Broken
trigger: {event: Ticket Opened, within: 2m}
reentry: {mode: sometimes}
steps:
  - send: {offer_id: a, purpose: gossip, body: {fr: Bonjour}}
  - wait: {until: "25:00"}
  - branch: {if: {field: profile.tierr, equals: vip}, then: a}
  - hold: {name: h, purposes: [], reason: "for {{ nobody.knows }}"}
  - wiat: {duration: 1h}
  - {}
"""
    assert issues(source) == [
        "id: String should match pattern '^[a-z0-9][a-z0-9_-]*$'",
        "trigger: count (above 1) and within go together",
        "reentry.mode: Input should be 'never', 'after_exit' or 'always'",
        "steps[0].send.purpose: Input should be 'service', 'marketing' or 'sales'",
        "steps[0].send.body: unknown language 'fr' (use en, es)",
        "steps[1].wait.until: invalid time of day '25:00' (use HH:MM, 24-hour, e.g. '09:30')",
        "steps[2].branch.if.field: unknown field 'profile.tierr' (known: anonymous, cart_items, "
        "cart_value_cents, customer_id, held_purposes, holds, id, last_agent_id, "
        "last_survey_positive, lifetime_value_cents, open_critical_tickets, open_tickets, "
        "preferred_channel, recent_sentiment, timezone, traits.<name>)",
        "steps[2].branch.else: required",
        "steps[3].hold.purposes: Tuple should have at least 1 item after validation, not 0",
        "steps[3].hold.reason: unknown field 'nobody.knows' (a field starts with event, "
        "trigger, profile, customer, journey)",
        "steps[4].wiat: unknown field",
        "steps[5]: a step needs exactly one of send, chat, task, alert, webhook, "
        "update_traits, hold, release, wait, branch",
    ]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            "  - {id: a, release: x, next: nowhere}\n",
            ["steps[0].next: no step 'nowhere'"],
        ),
        (
            "  - {id: a, release: x}\n  - {id: a, release: y}\n  - {id: end, release: z}\n",
            [
                "steps[1].id: duplicate step id 'a' (also steps[0])",
                "steps[2].id: 'end' is reserved (it ends the journey)",
            ],
        ),
        (
            "  - id: a\n    branch: {if: {field: event.x, equals: 1}, then: b, else: end}\n"
            "  - {id: b, update_traits: {seen: true}, next: a}\n",
            ["steps[0]: these steps loop without a wait: a -> b -> a"],
        ),
        (
            "  - {id: a, wait: {event: Paid, on_timeout: b}}\n  - {id: b, release: x}\n",
            ["steps[0].wait: on_timeout needs a timeout"],
        ),
        (
            "  - {wait: {duration: 1h, timeout: 2h}}\n",
            ["steps[0].wait: where, timeout and on_timeout only go with event"],
        ),
        (
            "  - {send: {offer_id: a, purpose: service, body: 'x {{ event.a'}}\n",
            ["steps[0].send.body: unbalanced '{{' or '}}' in template"],
        ),
    ],
    ids=["unknown-target", "duplicate-and-reserved", "loop", "timeout", "wait-kind", "braces"],
)
def test_the_flow_of_steps_is_checked(steps: str, expected: list[str]) -> None:
    assert issues(f"id: j\nname: J\ntrigger: {{event: X}}\nsteps:\n{steps}") == expected


def test_a_loop_through_a_wait_is_fine() -> None:
    journey = parse_journey(
        "id: j\nname: J\ntrigger: {event: X}\nsteps:\n"
        "  - {id: a, wait: {duration: 1d}}\n  - {id: b, release: x, next: a}\n"
    )
    assert journey.following("b") == "a"


def test_a_document_that_is_not_yaml_or_not_a_mapping_is_refused() -> None:
    assert issues("id: x\n  name: [unclosed") == [
        "invalid YAML at line 2, column 7: mapping values are not allowed here"
    ]
    assert issues("- just\n- a list") == [
        "the document must be a mapping (id, name, trigger, steps...)"
    ]
    assert issues("id: x\nname: y\n") == ["trigger: required", "steps: required"]


def test_the_example_journeys_are_valid_and_cover_every_kind_of_step() -> None:
    journeys = [parse_journey(path.read_text(encoding="utf-8")) for path in EXAMPLES.glob("*.yaml")]
    assert {journey.id for journey in journeys} == {
        "incident-recovery",
        "cart-abandonment",
        "proactive-help-rage-clicks",
        "proactive-help-checkout",
        "new-customer-onboarding",
    }
    actions = {step.action for journey in journeys for step in journey.steps}
    assert actions == {
        "send",
        "chat",
        "task",
        "alert",
        "update_traits",
        "hold",
        "release",
        "wait",
        "branch",
    }


# --- the API --------------------------------------------------------------------------------


def post(client: TestClient, source: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/v1/journeys",
        content=source.encode(),
        headers={**admin(), "Content-Type": "application/yaml"},
    )
    return response.status_code, dict(response.json())


def test_uploading_versions_and_reading_them_back(client: TestClient) -> None:
    status, saved = post(client, GOOD)
    assert status == 201 and saved["created"] is True
    assert saved["journey"]["version"] == 1  # type: ignore[index]
    assert post(client, GOOD)[0] == 200  # the same text: unchanged, no new version
    changed = GOOD.replace("Come back", "We miss you")
    status, saved = post(client, changed)
    assert status == 201 and saved["journey"]["version"] == 2  # type: ignore[index]

    [listed] = client.get("/v1/journeys", headers=admin()).json()
    assert (listed["id"], listed["version"], listed["steps"], listed["origin"]) == (
        "welcome",
        2,
        4,
        "api",
    )
    assert listed["trigger"] == {"event": "Signed Up"}
    detail = client.get("/v1/journeys/welcome", headers=admin()).json()
    assert detail["source"] == changed
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["definition"]["steps"][2]["branch"]["if"]["any"][1] == {
        "not": {"field": "trigger.source", "exists": True}
    }
    first = client.get("/v1/journeys/welcome", params={"version": 1}, headers=admin()).json()
    assert first["source"] == GOOD and first["version"] == 1
    assert client.get("/v1/journeys/nope", headers=admin()).status_code == 404
    missing = client.get("/v1/journeys/welcome", params={"version": 9}, headers=admin())
    assert missing.json()["detail"] == "Journey welcome has no version 9."


def test_an_invalid_upload_is_a_400_problem_naming_each_path(client: TestClient) -> None:
    status, problem = post(client, GOOD.replace("{duration: 2d}", "{duration: 48x}"))
    assert status == 400
    assert problem["type"] == "/problems/journey-definition"
    assert problem["errors"] == [
        {
            "field": "steps[1].wait.duration",
            "message": "invalid duration '48x' (try 48h, 2d, 90m, 1h30m or 45s)",
        }
    ]
    assert str(problem["detail"]).startswith(
        "Invalid journey definition: steps[1].wait.duration: invalid duration '48x'"
    )
    assert client.get("/v1/journeys", headers=admin()).json() == []


def test_journeys_need_the_admin_token(client: TestClient) -> None:
    assert client.get("/v1/journeys").status_code == 401
    refused = client.post("/v1/journeys", content=GOOD.encode())
    assert refused.status_code == 401


# --- a folder loaded at start ---------------------------------------------------------------


def test_the_journeys_folder_is_loaded_at_start_and_versioned_on_change(
    app: FastAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "journeys"
    folder.mkdir()
    for example in EXAMPLES.glob("*.yaml"):
        (folder / example.name).write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "broken.yaml").write_text("id: broken\nname: Broken\n", encoding="utf-8")
    (folder / "zz-copy.yml").write_text(GOOD.replace("welcome", "onboarding"), encoding="utf-8")
    (folder / "zz-twin.yaml").write_text(GOOD.replace("welcome", "onboarding"), encoding="utf-8")
    monkeypatch.setenv("CEREBRO_JOURNEYS_DIR", str(folder))

    def listed() -> dict[str, int]:
        with TestClient(app) as client:  # a start: the lifespan loads the folder
            found = client.get("/v1/journeys", headers=admin()).json()
        app.state.pipeline = None  # the next start builds a new engine
        return {item["id"]: item["version"] for item in found}

    assert listed() == {
        "cart-abandonment": 1,
        "incident-recovery": 1,
        "new-customer-onboarding": 1,
        "onboarding": 1,
        "proactive-help-checkout": 1,
        "proactive-help-rage-clicks": 1,
    }
    skipped = {
        Path(record.__dict__["file"]).name: record.__dict__["reason"]
        for record in caplog.records
        if record.getMessage() == "journey file skipped"
    }
    assert skipped["broken.yaml"] == "trigger: required\nsteps: required"
    assert skipped["zz-twin.yaml"] == "journey 'onboarding' is already defined by zz-copy.yml"
    onboarding = folder / "onboarding.yaml"
    onboarding.write_text(onboarding.read_text().replace("10:00", "09:30"), encoding="utf-8")
    assert listed()["new-customer-onboarding"] == 2
    assert listed()["new-customer-onboarding"] == 2  # unchanged since: no new version


def test_a_missing_journeys_folder_stops_the_start(
    app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CEREBRO_JOURNEYS_DIR", str(tmp_path / "nowhere"))
    with (
        pytest.raises(FileNotFoundError, match=r"journeys folder .*nowhere does not exist"),
        TestClient(app),
    ):
        pass
