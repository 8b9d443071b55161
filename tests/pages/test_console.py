"""The agent console with a customer in the widget, both in Chromium: the queue, the summary, a
live takeover, hand back and resolve; and a refused sign-in."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agent.conftest import EMAILS, MARIA, OLIVIA
from tests.pages.conftest import ADMIN, Site
from tests.pages.test_widget import messages, open_chat, say


@pytest.fixture
def agent_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def first_agent_name(site: Site) -> str:
    agents = httpx.get(
        f"{site.url}/v1/console/agents", headers={"Authorization": f"Bearer {ADMIN}"}
    ).json()
    return str(agents[0]["name"])


def sign_in(page: Page, site: Site, token: str = ADMIN) -> None:
    page.goto(f"{site.url}/console")
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def open_case(page: Page, customer: str) -> None:
    page.locator("#queue .entry", has_text=customer).click()
    expect(page.get_by_role("heading", name=customer)).to_be_visible()


def test_an_agent_takes_over_hands_back_and_resolves(
    page: Page, agent_page: Page, site: Site
) -> None:
    customer = page
    open_chat(customer, site, "?lang=en")
    say(customer, "Where is my order?")
    expect(messages(customer, "ai_agent").first).to_contain_text("AI assistant")
    customer.get_by_role("button", name="Talk to a human").click()
    expect(messages(customer, "ai_agent").last).to_contain_text("email")
    say(customer, EMAILS[OLIVIA])
    expect(messages(customer, "ai_agent").last).to_contain_text("passing you to a colleague")

    agent = agent_page
    sign_in(agent, site)
    expect(agent.get_by_role("status")).to_contain_text("Signed in")
    expect(agent.get_by_role("button", name="Sign in")).to_be_hidden()
    entry = agent.locator("#queue .entry", has_text="Olivia Bennett")
    expect(entry).to_contain_text("customer request")
    expect(entry).to_contain_text("EN")
    expect(entry).to_contain_text("waiting")
    open_case(agent, "Olivia Bennett")
    expect(agent.locator("#request")).to_contain_text("Where is my order?")
    expect(agent.locator("#trend")).to_have_text("stable")
    expect(agent.locator("#attempts")).to_contain_text("find_customer_by_email")
    log = agent.get_by_role("log", name="Live conversation")
    expect(log).to_contain_text("I want to talk to a human")

    agent.get_by_role("button", name="Take over").click()
    expect(agent.get_by_role("button", name="You have this chat")).to_be_disabled()
    name = first_agent_name(site)
    reply = agent.get_by_label("Reply to the customer")
    reply.fill("Hi Olivia, I'm looking at your order now.")
    agent.get_by_role("button", name="Send reply").click()
    expect(messages(customer, "human_agent")).to_have_text(
        [f"{name} (team)Hi Olivia, I'm looking at your order now."]
    )
    expect(customer.get_by_role("status")).to_have_text(
        f"{name}, a person from our team, is answering you now."
    )
    say(customer, "Thank you!")
    expect(log).to_contain_text("Thank you!")
    expect(reply).to_have_value("")

    agent.get_by_role("button", name="Hand back to the assistant").click()
    expect(agent.get_by_role("status")).to_have_text("Handed back to the assistant.")
    expect(agent.locator("#case-meta")).to_contain_text("closed (handed back)")
    expect(agent.locator("#queue .entry", has_text="Olivia Bennett")).to_have_count(0)
    expect(customer.get_by_role("status")).to_have_text("You're chatting with an AI assistant.")

    customer.reload()
    expect(messages(customer, "human_agent")).to_have_count(1)
    expect(messages(customer, "customer").last).to_contain_text("Thank you!")
    expect(customer.get_by_role("status")).to_have_text("You're chatting with an AI assistant.")


def test_a_spanish_escalation_is_resolved(page: Page, agent_page: Page, site: Site) -> None:
    customer = page
    open_chat(customer, site, "?lang=es", button="Chatea con nosotros")
    say(customer, "Hola", box="Tu mensaje")
    expect(messages(customer, "ai_agent").first).to_contain_text("asistente de IA")
    customer.get_by_role("button", name="Hablar con una persona").click()
    say(customer, EMAILS[MARIA], box="Tu mensaje")
    expect(customer.get_by_role("status")).to_contain_text("Esperando a una persona")

    sign_in(agent_page, site)
    entry = agent_page.locator("#queue .entry", has_text="María")
    expect(entry.first).to_contain_text("ES")
    open_case(agent_page, "María García")
    agent_page.get_by_label("Reply to the customer").fill("Hola María, soy del equipo.")
    agent_page.get_by_label("Reply to the customer").press("Enter")
    expect(messages(customer, "human_agent")).to_contain_text(["Hola María, soy del equipo."])
    expect(customer.get_by_role("status")).to_contain_text("una persona de nuestro equipo")

    agent_page.get_by_role("button", name="Resolve").click()
    expect(agent_page.get_by_role("status")).to_contain_text("Resolved")
    expect(agent_page.locator("#case-meta")).to_contain_text("closed (resolved)")
    expect(agent_page.get_by_role("button", name="Resolve")).to_be_disabled()
    expect(customer.get_by_role("status")).to_have_text("Estás hablando con un asistente de IA.")


def test_a_wrong_admin_token_is_refused_clearly(agent_page: Page, site: Site) -> None:
    sign_in(agent_page, site, token="not-the-token")
    expect(agent_page.get_by_role("status")).to_have_text(
        "That admin token was refused. Check it and sign in again."
    )
    expect(agent_page.locator("#desk")).to_be_hidden()
    expect(agent_page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(agent_page.get_by_label("Admin token")).to_be_focused()
    stored = agent_page.evaluate("sessionStorage.getItem('cerebro-console-token')")
    assert stored is None


def test_the_console_says_when_the_server_has_no_admin_token(
    agent_page: Page, site_without_admin: Site
) -> None:
    sign_in(agent_page, site_without_admin, token="anything")
    expect(agent_page.get_by_role("status")).to_contain_text(
        "The agent console is disabled on this server: CEREBRO_ADMIN_TOKEN is not set."
    )


def test_a_signed_in_agent_stays_signed_in_after_a_reload(agent_page: Page, site: Site) -> None:
    sign_in(agent_page, site)
    expect(agent_page.locator("#queue .entry").first).to_be_visible()
    agent_page.reload()
    expect(agent_page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(agent_page.locator("#queue .entry").first).to_be_visible()


def test_an_unverified_visitor_reaches_an_agent(page: Page, agent_page: Page, site: Site) -> None:
    customer = page
    open_chat(customer, site, "?lang=en")
    say(customer, "Hello")
    expect(messages(customer, "ai_agent").first).to_contain_text("AI assistant")
    customer.get_by_role("button", name="Talk to a human").click()
    expect(messages(customer, "ai_agent").last).to_contain_text("ask for a person again")
    customer.get_by_role("button", name="Talk to a human").click()
    expect(messages(customer, "ai_agent").last).to_contain_text("haven't confirmed your identity")

    sign_in(agent_page, site)
    entry = agent_page.locator("#queue .entry", has_text="Unverified visitor")
    expect(entry).to_contain_text("unverified visitor")
    open_case(agent_page, "Unverified visitor")
    expect(agent_page.locator("#case-meta")).to_contain_text("check identity before any account")
    agent_page.get_by_role("button", name="Take over").click()
    expect(agent_page.get_by_role("status")).to_contain_text("the unverified visitor's chat")
    agent_page.get_by_label("Reply to the customer").fill("Hi, what's your order number?")
    agent_page.get_by_role("button", name="Send reply").click()
    expect(messages(customer, "human_agent")).to_contain_text(["Hi, what's your order number?"])

    agent_page.get_by_role("button", name="Resolve").click()
    expect(agent_page.locator("#case-meta")).to_contain_text("closed (resolved)")
    expect(agent_page.locator("#queue .entry", has_text="Unverified visitor")).to_have_count(0)
    expect(customer.get_by_role("status")).to_have_text("You're chatting with an AI assistant.")
