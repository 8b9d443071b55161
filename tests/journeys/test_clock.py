"""The simulated clock: kept in the database, moved only forward by an admin (API and CLI), and
moving it runs what came due."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.engine import app_pipeline
from cerebro.cli import app as cli
from journeys.clock import ClockError, SimulatedClock, parse_duration
from journeys.pipeline import Pipeline
from journeys.policy import Candidate, SendRequest
from memory.db import Database
from tests.journeys.conftest import MARIA, NOON, admin, basic, engine_settings


def test_the_simulated_time_is_shared_and_survives_a_restart(seeded: Database) -> None:
    first = SimulatedClock(seeded, start=NOON)
    assert first.now() == NOON
    other_process = SimulatedClock(Database(seeded.url), start=NOON + timedelta(days=9))
    assert other_process.now() == NOON  # the stored time wins over another start
    assert first.advance(timedelta(hours=48)) == NOON + timedelta(hours=48)
    assert other_process.now() == NOON + timedelta(hours=48)
    target = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    assert other_process.advance_to(target) == target
    assert first.now() == target


def test_the_simulated_clock_can_be_read_inside_an_open_write_transaction(
    seeded: Database,
) -> None:
    clock = SimulatedClock(seeded, start=NOON)
    clock.now()
    with seeded.session() as session:
        session.connection()  # on SQLite this holds the write lock until the end of the block
        started = time.monotonic()
        assert clock.now() == NOON
        assert time.monotonic() - started < 5


def test_the_simulated_clock_never_goes_back(seeded: Database) -> None:
    clock = SimulatedClock(seeded, start=NOON)
    with pytest.raises(ClockError, match="only moves forward"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ClockError, match="only moves forward"):
        clock.advance_to(NOON - timedelta(minutes=1))
    assert clock.now() == NOON


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("48h", 172800), ("2d", 172800), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("3600", 3600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["soon", "5x", "", "h", "2d later"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_the_clock_endpoints(client: TestClient) -> None:
    shown = client.get("/v1/admin/clock", headers=admin())
    assert shown.json() == {"mode": "simulated", "now": "2026-11-02T11:00:00Z"}
    moved = client.post("/v1/admin/clock/advance", json={"seconds": 172800}, headers=admin())
    assert moved.status_code == 200
    assert moved.json() == {"mode": "simulated", "now": "2026-11-04T11:00:00Z", "due_work_done": 0}
    moved = client.post(
        "/v1/admin/clock/advance", json={"to": "2026-11-05T00:00:00+01:00"}, headers=admin()
    )
    assert moved.json()["now"] == "2026-11-04T23:00:00Z"
    back = client.post(
        "/v1/admin/clock/advance", json={"to": "2026-11-01T00:00:00Z"}, headers=admin()
    )
    assert back.status_code == 409
    assert "only moves forward" in back.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{}, {"seconds": 5, "to": "2026-11-05T00:00:00Z"}, {"seconds": -5}, {"to": "2026-11-05T00:00"}],
    ids=["nothing", "both", "negative", "naive"],
)
def test_an_invalid_advance_is_a_400(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/v1/admin/clock/advance", json=body, headers=admin())
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/validation"


def test_the_clock_endpoints_need_the_admin_token(client: TestClient) -> None:
    assert client.get("/v1/admin/clock").status_code == 401
    response = client.post("/v1/admin/clock/advance", json={"seconds": 5}, headers=basic())
    assert response.status_code == 401


def test_the_system_clock_cannot_be_moved(app: FastAPI) -> None:
    app.state.engine_settings = engine_settings(clock="system")
    with TestClient(app) as client:
        assert client.get("/v1/admin/clock", headers=admin()).json()["mode"] == "system"
        response = client.post("/v1/admin/clock/advance", json={"seconds": 60}, headers=admin())
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "CEREBRO_CLOCK=simulated" in response.json()["detail"]


def test_advancing_runs_deferred_sends_and_registered_timers(
    app: FastAPI, client: TestClient
) -> None:
    pipeline = app_pipeline(app)
    ticks: list[datetime] = []

    class Timer:
        def run_due(self, pipeline: Pipeline, now: datetime) -> int:
            ticks.append(now)
            return 0

    pipeline.add_due_runner(Timer())
    client.post("/v1/admin/clock/advance", json={"to": "2026-11-02T22:00:00Z"}, headers=admin())
    deferred = pipeline.decide(
        SendRequest(
            customer_id=MARIA,
            candidates=(Candidate(offer_id="survey", purpose="service", body="¿Qué tal?"),),
        )
    )
    assert deferred.outcome == "defer"
    moved = client.post("/v1/admin/clock/advance", json={"seconds": 36000}, headers=admin())
    assert moved.json()["due_work_done"] == 1
    log = client.get(f"/v1/profiles/{MARIA}/decisions", headers=admin()).json()
    assert [(d["outcome"], d["state"], d["replaces"]) for d in log] == [
        ("send", "dispatched", deferred.id),
        ("defer", "redecided", None),
    ]
    assert ticks[-1] == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def test_the_cli_shows_and_advances_the_clock(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CEREBRO_DATABASE_URL", seeded.url)
    monkeypatch.setenv("CEREBRO_CLOCK", "simulated")
    monkeypatch.setenv("CEREBRO_CLOCK_START", NOON.isoformat())
    runner = CliRunner()
    shown = runner.invoke(cli, ["clock", "show"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == "2026-11-02T11:00:00+00:00 (simulated)"
    moved = runner.invoke(cli, ["clock", "advance", "48h"])
    assert moved.exit_code == 0, moved.output
    assert "2026-11-04T11:00:00+00:00" in moved.output
    assert SimulatedClock(seeded).now() == NOON + timedelta(hours=48)
    bad = runner.invoke(cli, ["clock", "advance", "soon"])
    assert bad.exit_code == 1 and "not a duration" in bad.output


def test_the_cli_refuses_to_move_the_system_clock(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CEREBRO_DATABASE_URL", seeded.url)
    monkeypatch.setenv("CEREBRO_CLOCK", "system")
    result = CliRunner().invoke(cli, ["clock", "advance", "1h"])
    assert result.exit_code == 1
    assert "system clock" in result.output
    shown = CliRunner().invoke(cli, ["clock", "show"])
    assert shown.exit_code == 0 and shown.output.strip().endswith("(system)")
