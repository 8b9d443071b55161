"""The adapter variants every conformance suite runs against.

Each test gets a fresh store holding `world` and the four adapters of one variant: embedded on
SQLite, embedded on PostgreSQL, or HTTP against the reference server (on SQLite or PostgreSQL)
really listening on a loopback port. Tests talk to the adapters only, so the same assertions
hold for every variant.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.schema import Base
from tests.conformance.loopback import SwitchableApp, serve_asgi
from tests.conformance.world import NOW, TOKEN, build_world
from tests.conftest import open_database
from tools.crm import CrmTools
from tools.factory import Toolbox, build_toolbox
from tools.logistics import LogisticsTools
from tools.messaging import MessagingTools
from tools.reference_server import create_reference_app
from tools.routing import RoutingTools

VARIANTS = [
    pytest.param(("embedded", "sqlite"), id="embedded-sqlite"),
    pytest.param(("embedded", "postgresql"), id="embedded-postgresql", marks=pytest.mark.postgres),
    pytest.param(("http", "sqlite"), id="http-sqlite"),
    pytest.param(("http", "postgresql"), id="http-postgresql", marks=pytest.mark.postgres),
]


@dataclass(frozen=True)
class Store:
    """A database holding the world, and the clock its adapters read "now" from."""

    db: Database
    clock: FixedClock


@dataclass(frozen=True)
class Variant:
    """The four adapters of one variant, and the clock they read (tests may move it)."""

    tools: Toolbox
    clock: FixedClock


def embedded_settings() -> Settings:
    return Settings(crm_url=None, logistics_url=None, messaging_url=None, routing_url=None)


def http_settings(base_url: str, retries: int = 1) -> Settings:
    return Settings(
        crm_url=f"{base_url}/crm",
        logistics_url=f"{base_url}/logistics",
        messaging_url=f"{base_url}/messaging",
        routing_url=f"{base_url}/routing",
        tools_token=TOKEN,
        tools_timeout=30.0,
        tools_retries=retries,
    )


@pytest.fixture(scope="session")
def loopback() -> Iterator[tuple[str, SwitchableApp]]:
    """One uvicorn server for the whole run; each HTTP test mounts its own reference app."""
    switch = SwitchableApp()
    with serve_asgi(switch) as base_url:
        yield base_url, switch


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the world, built once and copied by each test."""
    folder = tmp_path_factory.mktemp("world")
    with ExitStack() as stack:
        build_world(open_database("sqlite", folder, stack))
    return folder / "cerebro.db"


@pytest.fixture(scope="session")
def postgres_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated PostgreSQL schema for the whole run; each test refills it with the world."""
    with ExitStack() as stack:
        yield open_database("postgresql", tmp_path_factory.mktemp("pg"), stack)


def refill(db: Database) -> Database:
    """Empty every table (keeping the migrated schema) and put the world back."""
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):  # children first
            session.execute(table.delete())
    build_world(db)
    return db


def world_database(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, stack: ExitStack
) -> Database:
    """A database holding a fresh copy of the world, closed when `stack` closes."""
    if backend == "postgresql":
        return refill(request.getfixturevalue("postgres_world"))
    copy = tmp_path / "cerebro.db"
    shutil.copyfile(request.getfixturevalue("sqlite_world"), copy)
    db = Database(f"sqlite:///{copy}")
    stack.callback(db.dispose)
    return db


@pytest.fixture
def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The world on SQLite, for tests about the HTTP layer itself."""
    with ExitStack() as stack:
        yield Store(world_database(request, "sqlite", tmp_path, stack), FixedClock(NOW))


@pytest.fixture(params=VARIANTS)
def variant(
    request: pytest.FixtureRequest, tmp_path: Path, loopback: tuple[str, SwitchableApp]
) -> Iterator[Variant]:
    kind, backend = request.param
    with ExitStack() as stack:
        db = world_database(request, backend, tmp_path, stack)
        clock = FixedClock(NOW)
        settings = embedded_settings()
        if kind == "http":
            base_url, switch = loopback
            switch.app = create_reference_app(db, clock, token=TOKEN)
            stack.callback(setattr, switch, "app", None)
            settings = http_settings(base_url)
        yield Variant(stack.enter_context(build_toolbox(settings, db, clock)), clock)


@pytest.fixture
def clock(variant: Variant) -> FixedClock:
    return variant.clock


@pytest.fixture
def crm(variant: Variant) -> CrmTools:
    return variant.tools.crm


@pytest.fixture
def logistics(variant: Variant) -> LogisticsTools:
    return variant.tools.logistics


@pytest.fixture
def messaging(variant: Variant) -> MessagingTools:
    return variant.tools.messaging


@pytest.fixture
def routing(variant: Variant) -> RoutingTools:
    return variant.tools.routing
