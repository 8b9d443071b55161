"""The pages as a person sees them, in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from cerebro.settings import Settings
from memory.db import Database
from memory.migrate import upgrade
from tests.web import serve_in_thread


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    db = Database(f"sqlite:///{tmp_path / 'cerebro.db'}")
    upgrade(db)
    with serve_in_thread(create_app(Settings(), db=db)) as base_url:
        yield base_url
    db.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    new_page = context.new_page()
    yield new_page
    context.close()


def test_start_page_leads_to_the_api_reference(page: Page, site: str) -> None:
    page.goto(site)
    expect(page.get_by_role("heading", name="Cerebro")).to_be_visible()
    page.get_by_role("link", name="API reference").click()
    expect(page).to_have_url(f"{site}/docs")
    # Swagger UI renders from files served by Cerebro itself: no CDN is reachable here.
    expect(page.locator(".swagger-ui .title")).to_contain_text("Cerebro")
    expect(page.get_by_text("/readyz", exact=True)).to_be_visible()


def test_api_reference_needs_no_outside_network(page: Page, site: str) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(site) else None,
    )
    page.goto(f"{site}/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Cerebro")
    assert outside == []
