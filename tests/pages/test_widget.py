"""The customer chat widget on the demo shop page, as a customer uses it in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from agent.nlu import Parser
from memory.knowledge.store import KnowledgeBase
from tests.agent.conftest import EMAILS, MARIA, OLIVIA
from tests.pages.conftest import ADMIN, Site, start_site
from tests.web import serve_in_thread


def open_chat(page: Page, site: Site, query: str = "", button: str = "Chat with us") -> None:
    page.goto(f"{site.url}/widget{query}")
    page.get_by_role("button", name=button).click()


def say(page: Page, text: str, box: str = "Your message") -> None:
    field = page.get_by_role("textbox", name=box)
    field.fill(text)
    field.press("Enter")


def messages(page: Page, source: str) -> Locator:
    return page.locator(f"#cerebro-widget .message.{source}:not(.pending)")


def test_a_customer_chats_in_english_and_reaches_a_human(page: Page, site: Site) -> None:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site.url) else outside.append(r.url))
    open_chat(page, site, "?lang=en")
    expect(page.get_by_role("status")).to_have_text("You're chatting with an AI assistant.")
    say(page, "Where is my order?")
    expect(messages(page, "customer")).to_have_text(["YouWhere is my order?"])
    expect(messages(page, "ai_agent").first).to_contain_text("I'm Cerebro's AI assistant")

    talk = page.get_by_role("button", name="Talk to a human")
    expect(talk).to_be_visible()
    talk.click()
    expect(messages(page, "customer").last).to_contain_text("I want to talk to a human")
    expect(messages(page, "ai_agent").last).to_contain_text("email")
    say(page, EMAILS[OLIVIA])
    expect(messages(page, "ai_agent").last).to_contain_text("passing you to a colleague")
    expect(page.get_by_role("status")).to_have_text(
        "Waiting for a person from our team. They will answer here."
    )
    expect(talk).to_be_visible()
    assert outside == []


def test_spanish_from_the_data_lang_attribute(page: Page, site: Site) -> None:
    open_chat(page, site, "?lang=es", button="Chatea con nosotros")
    expect(page.get_by_role("status")).to_have_text("Estás hablando con un asistente de IA.")
    say(page, "¿Dónde está mi pedido?", box="Tu mensaje")
    expect(messages(page, "ai_agent").first).to_contain_text("soy el asistente de IA de Cerebro")
    page.get_by_role("button", name="Hablar con una persona").click()
    expect(messages(page, "customer").last).to_contain_text("Quiero hablar con una persona")
    say(page, EMAILS[MARIA], box="Tu mensaje")
    expect(messages(page, "ai_agent").last).to_contain_text("compañero")


def test_spanish_from_the_browser_language(browser: Browser, site: Site) -> None:
    context = browser.new_context(locale="es-ES")
    try:
        page = context.new_page()
        open_chat(page, site, button="Chatea con nosotros")
        expect(page.get_by_role("button", name="Hablar con una persona")).to_be_visible()
        expect(page.get_by_role("textbox", name="Tu mensaje")).to_be_focused()
    finally:
        context.close()


def test_a_reload_keeps_the_chat(page: Page, site: Site) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.headers.get("authorization", "")))
    open_chat(page, site, "?lang=en")
    say(page, "Where is my order?")
    expect(messages(page, "ai_agent")).to_have_count(1)
    page.reload()
    expect(page.get_by_role("dialog", name="Customer support")).to_be_visible()
    expect(messages(page, "customer")).to_have_text(["YouWhere is my order?"])
    expect(messages(page, "ai_agent")).to_have_count(1)
    say(page, EMAILS[OLIVIA])
    expect(messages(page, "ai_agent")).to_have_count(2)
    stored = page.evaluate("Object.keys(sessionStorage)")
    assert stored == [f"cerebro-widget:{site.url}"]
    saved = page.evaluate(f"JSON.parse(sessionStorage.getItem('{stored[0]}'))")
    token = saved["conversation"]["token"]
    assert set(sent) == {"", f"Bearer {token}"}  # the conversation's own token, nothing else


def test_a_human_agents_messages_arrive_live(page: Page, site: Site) -> None:
    open_chat(page, site, "?lang=en")
    say(page, "Hello")
    expect(messages(page, "ai_agent")).to_have_count(1)
    saved = page.evaluate(f"JSON.parse(sessionStorage.getItem('cerebro-widget:{site.url}'))")
    conversation_id = saved["conversation"]["id"]
    admin = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=site.url, headers=admin) as api:
        taken = api.post(
            f"/v1/conversations/{conversation_id}/agent/messages",
            json={"text": "Hi, I'm Lucía from the support team.", "author": "Lucía"},
        )
        assert taken.status_code == 200, taken.text
        expect(messages(page, "human_agent")).to_have_text(
            ["Lucía (team)Hi, I'm Lucía from the support team."]
        )
        expect(page.get_by_role("status")).to_have_text(
            "Lucía, a person from our team, is answering you now."
        )
        back = api.post(
            f"/v1/conversations/{conversation_id}/agent/handback", json={"author": "Lucía"}
        )
        assert back.status_code == 200, back.text
    expect(page.get_by_role("status")).to_have_text("You're chatting with an AI assistant.")
    expect(page.locator("#cerebro-widget .event").last).to_contain_text("handed the conversation")


def test_the_widget_works_from_the_keyboard(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/widget?lang=en")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Customer support")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("textbox", name="Your message")).to_be_focused()
    page.keyboard.type("Hello")
    page.keyboard.press("Enter")
    expect(messages(page, "ai_agent")).to_have_count(1)
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


@dataclass(frozen=True)
class Shops:
    """Cerebro, a shop on another origin allowed to embed the widget, and one not allowed."""

    site: Site
    allowed: str
    other: str


def shop_app(cerebro: dict[str, str]) -> Starlette:
    """A shop's own page on its own origin, embedding the widget with its one script tag."""

    async def home(_request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang='en'><title>Shop</title><h1>Another shop</h1>"
            f"<script src='{cerebro['url']}/widget.js' data-lang='en' defer></script></html>"
        )

    return Starlette(routes=[Route("/", home)])


@pytest.fixture
def shops(
    tmp_path: Path, nlu_cache: Path, parser: Parser, knowledge: KnowledgeBase
) -> Iterator[Shops]:
    cerebro: dict[str, str] = {}
    with (
        serve_in_thread(shop_app(cerebro)) as allowed,
        serve_in_thread(shop_app(cerebro)) as other,
    ):
        for site in start_site(tmp_path, nlu_cache, knowledge, ADMIN, widget_origins=allowed):
            cerebro["url"] = site.url
            yield Shops(site, allowed, other)


def test_a_shop_on_another_origin_embeds_the_widget(page: Page, shops: Shops) -> None:
    page.goto(shops.allowed)
    page.get_by_role("button", name="Chat with us").click()
    say(page, "Hello")
    expect(messages(page, "ai_agent").first).to_contain_text("I'm Cerebro's AI assistant")
    page.reload()
    expect(messages(page, "customer")).to_have_text(["YouHello"])


def test_an_origin_not_listed_cannot_use_the_api(page: Page, shops: Shops) -> None:
    page.goto(shops.other)
    page.get_by_role("button", name="Chat with us").click()
    say(page, "Hello")
    expect(page.get_by_role("alert")).to_have_text(
        "Your message could not be sent. Please try again."
    )
    expect(messages(page, "ai_agent")).to_have_count(0)
