"""The KPI dashboard in a real headless Chromium: it shows the numbers `GET /v1/kpis` gives,
as tiles and SVG charts, from files Cerebro serves itself (no outside network)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr

from api.app import create_app
from cerebro.settings import Settings
from memory.db import Database
from tests.journeys.conftest import ADMIN_TOKEN, admin, engine_settings
from tests.journeys.test_kpis import play_story
from tests.journeys.test_scenarios import START, running
from tests.web import serve_in_thread


@pytest.fixture
def site(seeded: Database) -> Iterator[str]:
    with running(seeded) as cerebro:
        cerebro.upload_examples()
        play_story(cerebro)
    app = create_app(Settings(admin_token=SecretStr(ADMIN_TOKEN)), seeded)
    app.state.engine_settings = engine_settings(clock_start=START, due_interval=3600)
    with serve_in_thread(app) as base_url:
        yield base_url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    new_page = context.new_page()
    yield new_page
    context.close()


def expected_kpis(site: str, days: int) -> dict[str, Any]:
    """What the API says for the period the page asks for (the engine's now minus `days`)."""
    now = datetime.fromisoformat(httpx.get(f"{site}/v1/admin/clock", headers=admin()).json()["now"])
    since = (now - timedelta(days=days)).isoformat()
    answer = httpx.get(f"{site}/v1/kpis", params={"since": since}, headers=admin())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def number(text: str | None) -> float | None:
    return float(text) if text else None


def tile(page: Page, name: str) -> tuple[float | None, str]:
    """A summary tile: the number it holds, and the text it shows."""
    node = page.locator(f'[data-kpi="{name}"]')
    return number(node.get_attribute("data-value")), node.inner_text()


def bars(page: Page, chart: str) -> dict[str, float | None]:
    """A chart's bars: label -> the number drawn."""
    rows = page.locator(f"#{chart} svg g.row")
    return {
        str(rows.nth(i).get_attribute("data-label")): number(
            rows.nth(i).get_attribute("data-value")
        )
        for i in range(rows.count())
    }


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_dashboard_shows_the_kpis_of_the_api(page: Page, site: str) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site) else None)
    page.goto(f"{site}/dashboard")
    expect(page.get_by_role("heading", name="Journey KPIs")).to_be_visible()
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_label("Period").select_option("7")
    page.get_by_role("button", name="Show KPIs").click()
    expect(page.locator("#report")).to_be_visible()
    kpis = expected_kpis(site, days=7)
    totals = kpis["totals"]

    assert tile(page, "entered") == (totals["entered"], "5")
    assert tile(page, "completion_rate") == (totals["completion_rate"], "75.0%")
    assert tile(page, "avg_time_to_completion") == (
        totals["avg_time_to_completion_seconds"],
        "0.3 h",
    )
    assert tile(page, "repeat_contact_rate") == (kpis["repeat_contacts"]["rate"], "25.0%")
    assert tile(page, "suppressed") == (kpis["suppressed"]["total"], "1")
    assert tile(page, "revenue") == (kpis["revenue"]["attributed_cents"], "EUR 89.00")
    per_service = kpis["cost"]["per_service_cents"]
    assert tile(page, "cost_per_service") == (
        per_service,
        f"EUR {per_service / 100:.2f}",
    )

    completion = {
        j["journey_id"]: j["completion_rate"]
        for j in kpis["journeys"]
        if j["completion_rate"] is not None
    }
    assert bars(page, "chart-completion") == completion
    assert bars(page, "chart-suppressed") == {
        policy: count for policy, count in kpis["suppressed"]["by_policy"].items()
    }
    assert bars(page, "chart-revenue") == {"cart-abandonment": 8900}
    cost_bars = bars(page, "chart-cost")
    assert cost_bars["agent time"] == kpis["cost"]["agent_cents"]
    assert cost_bars["whatsapp"] == kpis["cost"]["by_channel"]["whatsapp"]["cents"]
    rows = page.locator("#journeys tbody tr")
    assert rows.count() == len(kpis["journeys"])
    cart = page.locator('#journeys tr[data-journey="cart-abandonment"] td')
    assert cart.all_inner_texts() == [
        "cart-abandonment",
        "3",
        "2",
        "1",
        "0",
        "66.7%",
        "1",
        "EUR 89.00",
    ]
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_wrong_token_shows_the_error_and_no_numbers(page: Page, site: str) -> None:
    page.goto(f"{site}/dashboard")
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_role("button", name="Show KPIs").click()
    expect(page.get_by_role("status")).to_contain_text("The admin token is required")
    expect(page.locator("#report")).to_be_hidden()
