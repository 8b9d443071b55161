"""Fixtures of the LLM brain's tests: the conformance world on SQLite, its adapters, and the
local OpenAI protocol server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import select

from agent.brain import Outcome, TurnRequest, Understanding
from agent.customer_tools import CustomerTools
from agent.llm import LLMConfig
from agent.state import Customer, PendingChange
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.knowledge.store import Passage
from memory.schema import Message, Order, Ticket
from memory.vocabulary import Language
from tests.conformance.world import NOW, build_world
from tests.conftest import open_database
from tests.llm_server import LocalOpenAI, serve_openai
from tools.factory import Toolbox, build_toolbox


@pytest.fixture(scope="session")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("llm-world")
    with ExitStack() as stack:
        build_world(open_database("sqlite", folder, stack))
    return folder / "cerebro.db"


@pytest.fixture
def db(world_file: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh copy of the conformance world (María, James, Lin, Pablo) on SQLite."""
    copy = tmp_path / "cerebro.db"
    shutil.copyfile(world_file, copy)
    database = Database(f"sqlite:///{copy}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def toolbox(db: Database, clock: FixedClock) -> Iterator[Toolbox]:
    settings = Settings(crm_url=None, logistics_url=None, messaging_url=None, routing_url=None)
    with build_toolbox(settings, db, clock) as tools:
        yield tools


@pytest.fixture
def server() -> Iterator[LocalOpenAI]:
    """The local OpenAI protocol server; every request the brain sent must have been valid."""
    with serve_openai() as running:
        yield running
    assert running.invalid == [], "the brain sent requests OpenAI would refuse"


def config_for(server: LocalOpenAI, **overrides: Any) -> LLMConfig:
    """A configuration pointing at the local server, with short limits so failures are quick."""
    config = LLMConfig(
        model="local-model",
        base_url=server.base_url,
        timeout=2.0,
        max_retries=1,
        budget=4.0,
        cooldown=0.0,
    )
    return replace(config, **overrides)


class Knowledge:
    """A knowledge base with one article per language (the facade's `KnowledgeSearch`)."""

    def search(self, query: str, language: Language, k: int = 3) -> list[Passage]:
        text = {
            "en": "Returns are free within 30 days of delivery.",
            "es": "Las devoluciones son gratuitas durante 30 días desde la entrega.",
        }[language]
        return [Passage("KB-RETURNS", "Returns", text, 0.9, language)][:k]


@dataclass
class FallbackBrain:
    """A stand-in for the offline brain that records when the LLM brain hands it a turn."""

    name: str = "offline"
    understood: list[str] = field(default_factory=list)
    acted: list[str] = field(default_factory=list)

    def understand(self, request: TurnRequest) -> Understanding:
        self.understood.append(request.text)
        return Understanding("order_status", 0.9, (("order_id", "ORD-100043"),))

    def act(
        self, request: TurnRequest, understanding: Understanding, tools: CustomerTools
    ) -> Outcome:
        self.acted.append(request.text)
        return Outcome(reply=f"offline answer to: {request.text}")


@dataclass
class Turn:
    """Builds the `TurnRequest` and `CustomerTools` of one turn for a direct brain test."""

    toolbox: Toolbox
    clock: FixedClock
    conversation_id: str = "conv-llm-1"

    def tools(
        self,
        language: Language = "en",
        customer: Customer | None = None,
        confirmed: PendingChange | None = None,
    ) -> CustomerTools:
        return CustomerTools(
            self.toolbox,
            conversation_id=self.conversation_id,
            language=language,
            clock=self.clock,
            customer=customer,
            confirmed=confirmed,
            knowledge=Knowledge(),
        )

    def customer(self, email: str) -> Customer:
        return self.tools().identify_by_email(email)

    def request(
        self,
        text: str,
        language: Language = "en",
        customer: Customer | None = None,
        pending: PendingChange | None = None,
        affirmation: Literal["yes", "no"] | None = None,
    ) -> TurnRequest:
        return TurnRequest(
            conversation_id=self.conversation_id,
            text=text,
            language=language,
            customer=customer,
            flow=None,
            pending_change=pending,
            affirmation=affirmation,
            sentiment={"label": "neutral", "score": 0.0},
        )


@pytest.fixture
def turn(toolbox: Toolbox, clock: FixedClock) -> Turn:
    return Turn(toolbox, clock)


def order_status(db: Database, order_id: str) -> str:
    with db.session() as session:
        return str(session.scalars(select(Order.status).where(Order.id == order_id)).one())


def tickets_of(db: Database, customer_id: str) -> list[Ticket]:
    with db.session() as session:
        found = session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)).all()
        session.expunge_all()
        return list(found)


def messages_of(db: Database, customer_id: str) -> list[Message]:
    with db.session() as session:
        found = session.scalars(select(Message).where(Message.customer_id == customer_id)).all()
        session.expunge_all()
        return list(found)
