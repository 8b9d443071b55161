"""A running Cerebro with the demo customers and the offline assistant, for the widget and
console pages in a real headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from agent.nlu import Parser
from agent.runtime import AgentRuntime, build_runtime
from api.app import create_app
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.demo.generator import DEFAULT_NOW
from memory.demo.seeding import seed
from memory.knowledge.store import KnowledgeBase
from memory.migrate import upgrade
from tests.agent.conftest import knowledge, nlu_cache, parser
from tests.web import serve_in_thread

__all__ = ["knowledge", "nlu_cache", "parser"]  # the assistant's session fixtures, shared

ADMIN = "console-admin-token"
CUSTOMERS = 8


def prefill_nlu_cache(nlu_cache: Path, data_dir: Path) -> None:
    """Give a new data folder the examples' embeddings the session already computed."""
    target = data_dir / "cache"
    target.mkdir(parents=True, exist_ok=True)
    for cached in nlu_cache.glob("nlu-examples-*.npy"):
        shutil.copy(cached, target / cached.name)


@dataclass(frozen=True)
class Site:
    url: str
    runtime: AgentRuntime
    db: Database


def start_site(
    tmp_path: Path,
    nlu_cache: Path,
    knowledge: KnowledgeBase,
    admin: str | None,
    widget_origins: str | None = None,
) -> Iterator[Site]:
    db = Database(f"sqlite:///{tmp_path / 'cerebro.db'}")
    upgrade(db)
    seed(db, CUSTOMERS)
    settings = Settings(data_dir=tmp_path, admin_token=admin, widget_origins=widget_origins)
    prefill_nlu_cache(nlu_cache, tmp_path)
    runtime = build_runtime(settings, db, FixedClock(DEFAULT_NOW))
    runtime.knowledge.index()
    app = create_app(settings, db)
    app.state.agent = runtime
    try:
        with serve_in_thread(app) as url:
            yield Site(url, runtime, db)
    finally:
        runtime.close()
        db.dispose()


@pytest.fixture
def site(
    tmp_path: Path, nlu_cache: Path, parser: Parser, knowledge: KnowledgeBase
) -> Iterator[Site]:
    """Cerebro with the admin token set (the console works)."""
    yield from start_site(tmp_path, nlu_cache, knowledge, ADMIN)


@pytest.fixture
def site_without_admin(
    tmp_path: Path, nlu_cache: Path, parser: Parser, knowledge: KnowledgeBase
) -> Iterator[Site]:
    """Cerebro with CEREBRO_ADMIN_TOKEN unset: the agent API answers 403."""
    yield from start_site(tmp_path, nlu_cache, knowledge, None)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(locale="en-US")
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
