"""A restart in the middle of the 48-hour wait, for real: `cerebro serve` as a user runs it, the
María scenario driven through the public API with the simulated clock, the server SIGKILLed
during the wait and started again; the survey goes out exactly once (decision log and outbox).
On SQLite in the data folder and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from memory.db import Database
from memory.schema import Message
from tests.journeys.conftest import ADMIN_TOKEN, MARIA, WRITE_KEY
from tests.journeys.test_scenarios import EXAMPLES, HOUR, START
from tests.services import postgres_schema
from tests.test_serve import CEREBRO, start_serve
from tests.web import free_port

TICKET = "TCK-000900"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Served:
    """One `cerebro serve` process and what its clients can ask it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = start_serve(env, self.port)
        self.http = httpx.Client(base_url=self.base, timeout=60)

    def track(self, event: str, **properties: Any) -> None:
        body = {"userId": MARIA, "event": event, "properties": properties}
        response = self.http.post("/v1/track", json=body, auth=(WRITE_KEY, ""))
        assert response.status_code == 202, response.text

    def advance(self, seconds: float) -> None:
        response = self.http.post(
            "/v1/admin/clock/advance", json={"seconds": seconds}, headers=ADMIN
        )
        assert response.status_code == 200, response.text

    def surveys(self) -> list[dict[str, Any]]:
        response = self.http.get(f"/v1/profiles/{MARIA}/decisions", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [d for d in response.json() if d["offer_id"] == "incident_survey"]

    def step(self) -> str | None:
        response = self.http.get(f"/v1/profiles/{MARIA}", headers=ADMIN)
        if response.status_code == 404:  # no event of hers decided yet
            return None
        assert response.status_code == 200, response.text
        runs = [r for r in response.json()["journeys"] if r["journey_id"] == "incident-recovery"]
        return runs[0]["step"] if runs else None

    def kill(self) -> None:
        self.http.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> bytes:
        self.http.close()
        self.process.terminate()
        _, stderr = self.process.communicate(timeout=30)
        return stderr


def survey_messages(database_url: str) -> list[Message]:
    """The outbox rows of the survey (the embedded messaging's `messages` table)."""
    db = Database(database_url)
    try:
        with db.session() as session:
            rows = session.scalars(select(Message).where(Message.customer_id == MARIA)).all()
            return [row for row in rows if TICKET in row.body and "SÍ" in row.body.upper()]
    finally:
        db.dispose()


def play_maria_across_a_kill(env: dict[str, str], database_url: str) -> None:
    for command in (["migrate"], ["seed", "--customers", "5"]):
        done = subprocess.run([CEREBRO, *command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    first = Served(env)
    try:
        first.track("Ticket Opened", ticket_id=TICKET, severity="critical")
        first.track("Ticket Resolved", ticket_id=TICKET)
        first.advance(20 * HOUR)
        assert first.step() == "let_it_settle"
        assert first.surveys() == []
    finally:
        first.kill()  # no shutdown: whatever was in memory is gone

    second = Served(env)
    try:
        assert second.step() == "let_it_settle"
        second.advance(27 * HOUR)
        assert second.surveys() == []
        second.advance(2 * HOUR)
        [survey] = second.surveys()
        assert (survey["outcome"], survey["channel"], survey["state"]) == (
            "send",
            "whatsapp",
            "dispatched",
        )
    finally:
        second.kill()

    third = Served(env)
    try:
        third.advance(48 * HOUR)
        assert len(third.surveys()) == 1
        assert third.step() == "answer"
    finally:
        stderr = third.stop()
    assert b"Traceback" not in stderr
    [message] = survey_messages(database_url)
    assert (message.channel, message.purpose) == ("whatsapp", "service")
    assert message.id == survey["message_id"]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {
        **os.environ,
        "CEREBRO_DATA_DIR": str(tmp_path),
        "CEREBRO_LOG_LEVEL": "WARNING",
        "CEREBRO_CLOCK": "simulated",
        "CEREBRO_CLOCK_START": START.isoformat(),
        "CEREBRO_ADMIN_TOKEN": ADMIN_TOKEN,
        "CEREBRO_WRITE_KEYS": WRITE_KEY,
        "CEREBRO_JOURNEYS_DIR": str(EXAMPLES),
        "CEREBRO_DUE_INTERVAL": "0.2",
    }
    for name in ("CEREBRO_DATABASE_URL", "CEREBRO_REDIS_URL", "CEREBRO_MESSAGING_URL"):
        values.pop(name, None)
    yield values


def test_sqlite_maria_survives_a_kill_during_the_48_hour_wait(
    env: dict[str, str], tmp_path: Path
) -> None:
    play_maria_across_a_kill(env, f"sqlite:///{tmp_path / 'cerebro.db'}")


@pytest.mark.postgres
def test_postgresql_maria_survives_a_kill_during_the_48_hour_wait(env: dict[str, str]) -> None:
    with postgres_schema() as url:
        play_maria_across_a_kill({**env, "CEREBRO_DATABASE_URL": url}, url)
