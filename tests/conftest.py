"""Shared fixtures: a freshly migrated database on each backend (SQLite and PostgreSQL).

Tests that take `db` run twice, once per backend, so both deployments pass the same tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from memory.db import Database
from memory.migrate import upgrade
from tests.services import postgres_schema, require_service
from tests.web import CHROMIUM_ARGS, chromium_path

PAGE_WAIT_MS = 20_000
"""How long a page assertion waits for what it expects (Playwright's default is 5 s). A bound, not
a timing check: on the 2-core CI machine a reply can take seconds while other tests load models."""
expect.set_options(timeout=PAGE_WAIT_MS)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def open_database(backend: str, tmp_path: Path, stack: ExitStack) -> Database:
    """A migrated, empty database on `backend`, closed (and dropped) when `stack` closes."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cerebro.db'}"
    else:
        url = stack.enter_context(postgres_schema())
    db = Database(url)
    stack.callback(db.dispose)
    upgrade(db)
    return db


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Database]:
    with ExitStack() as stack:
        yield open_database(backend, tmp_path, stack)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (skipped locally when absent, required in CI)."""
    executable = chromium_path()
    if executable is None:
        require_service("Chromium", FileNotFoundError("no chromium on PATH (make browser)"))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
