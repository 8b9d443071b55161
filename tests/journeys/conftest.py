"""Fixtures for the journeys engine: a seeded database, a pipeline on a fixed clock, and an API
client with a write key and an admin token (the story customers of docs/demo-data.md)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from journeys.config import EngineSettings
from journeys.pipeline import Pipeline
from memory.db import Database
from memory.demo.seeding import seed
from tools.factory import build_toolbox

NOON = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
"""12:00 in Madrid: outside quiet hours for the story customers in Europe."""

WRITE_KEY = "wk_test_123"
ADMIN_TOKEN = "admin-secret"
MARIA, OLIVIA, DIEGO, EMILY, JAVIER = (f"CUS-00000{n}" for n in range(1, 6))


@pytest.fixture
def seeded(db: Database) -> Database:
    """The database with the five story customers (and their orders, consents, tickets)."""
    seed(db, 5)
    return db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON)


@pytest.fixture
def pipeline(seeded: Database, clock: FixedClock) -> Iterator[Pipeline]:
    made = Pipeline(seeded, clock, build_toolbox(Settings(), seeded, clock))
    yield made
    made.close()


def engine_settings(**overrides: object) -> EngineSettings:
    values: dict[str, object] = {
        "write_keys": (SecretStr(WRITE_KEY),),
        "clock": "simulated",
        "clock_start": NOON,
    }
    values.update(overrides)
    return EngineSettings.model_validate(values)


@pytest.fixture
def app(seeded: Database) -> FastAPI:
    """The API on the seeded database, with a simulated clock starting at `NOON`."""
    made = create_app(Settings(admin_token=SecretStr(ADMIN_TOKEN)), seeded)
    made.state.engine_settings = engine_settings()
    return made


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def basic(key: str = WRITE_KEY) -> dict[str, str]:
    """Segment's way: the write key as HTTP Basic user name, empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
