"""Fixtures for the assistant's tests: the models (loaded once per session), a seeded store on
each backend, and a conversation service playing the offline brain on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.brain import Brain
from agent.deps import AgentDeps
from agent.graph import build_graph
from agent.locks import LocalLocks
from agent.nlu import Parser
from agent.offline import OfflineBrain
from agent.runtime import default_sentiment_analyzer, default_understanding, shared_encoder
from agent.sentiment import SentimentAnalyzer
from agent.service import ConversationService, TurnResult
from agent.state import ConversationState, Customer, ToolCallRecord, verified_customer
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.demo.generator import DEFAULT_NOW
from memory.demo.seeding import seed
from memory.knowledge.store import KnowledgeBase
from memory.vocabulary import Language
from tools.factory import Toolbox, build_toolbox

CUSTOMERS = 8
"""Seeded per test: the five story customers (docs/demo-data.md) and three more."""

MARIA, OLIVIA, DIEGO, EMILY, JAVIER = (f"CUS-00000{n}" for n in range(1, 6))
EMAILS = {
    MARIA: "maria.garcia@example.com",
    OLIVIA: "olivia.bennett@example.com",
    DIEGO: "diego.hernandez@example.com",
    EMILY: "emily.johnson@example.com",
    JAVIER: "javier.lopez@example.com",
}


@pytest.fixture(scope="session")
def nlu_cache(pytestconfig: pytest.Config) -> Path:
    """Where the NLU keeps its examples' embeddings between test runs (pytest's cache)."""
    return pytestconfig.cache.mkdir("cerebro-nlu") if pytestconfig.cache else Path(".")


@pytest.fixture(scope="session")
def parser(nlu_cache: Path) -> Parser:
    loaded = default_understanding(nlu_cache)
    loaded.classifier.warm_up()
    return loaded


@pytest.fixture(scope="session")
def sentiment() -> SentimentAnalyzer:
    return default_sentiment_analyzer()


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path_factory.mktemp("knowledge"), shared_encoder())
    base.index()
    return base


@dataclass
class Chat:
    """One conversation, played through the service like the API does."""

    service: ConversationService
    conversation_id: str
    results: list[TurnResult] = field(default_factory=list)

    def say(self, text: str) -> TurnResult:
        result = self.service.post_message(self.conversation_id, text)
        self.results.append(result)
        return result

    @property
    def state(self) -> ConversationState:
        return self.service.get(self.conversation_id)

    @property
    def calls(self) -> list[ToolCallRecord]:
        """Every tool call of the conversation so far, in order."""
        return [call for turn in self.state.get("turns") or [] for call in turn["tool_calls"]]

    def tools_used(self) -> list[str]:
        return [call["tool"] for call in self.calls if call["ok"]]


def reply(result: TurnResult) -> str:
    """The assistant's answer in one run."""
    return " ".join(t["text"] for t in result.new_turns if t["source"] == "ai_agent")


def tools_of(result: TurnResult) -> list[str]:
    """The tools the assistant called successfully in one run."""
    return [call["tool"] for turn in result.new_turns for call in turn["tool_calls"] if call["ok"]]


@dataclass
class World:
    """A seeded store and the assistant on it, at the demo data's "now"."""

    db: Database
    clock: FixedClock
    toolbox: Toolbox
    deps: AgentDeps
    brain: Brain
    service: ConversationService

    def chat(self, language: Language | None = None, customer: Customer | None = None) -> Chat:
        created = self.service.create(language=language, customer=customer)
        return Chat(self.service, created.conversation_id)

    def session_customer(self, customer_id: str) -> Customer:
        return verified_customer(self.toolbox.crm.get_profile(customer_id), "session")


def make_world(
    db: Database,
    parser: Parser,
    sentiment: SentimentAnalyzer,
    knowledge: KnowledgeBase,
    toolbox: Toolbox | None = None,
) -> World:
    clock = FixedClock(DEFAULT_NOW)
    tools = toolbox or build_toolbox(Settings(), db, clock)
    deps = AgentDeps(toolbox=tools, clock=clock, sentiment=sentiment, knowledge=knowledge)
    brain = OfflineBrain(parser, clock)
    graph = build_graph(brain, deps, InMemorySaver())
    return World(db, clock, tools, deps, brain, ConversationService(graph, clock, LocalLocks()))


@pytest.fixture
def seeded(db: Database) -> Database:
    seed(db, CUSTOMERS)
    return db


@pytest.fixture
def world(
    seeded: Database,
    parser: Parser,
    sentiment: SentimentAnalyzer,
    knowledge: KnowledgeBase,
) -> Iterator[World]:
    made = make_world(seeded, parser, sentiment, knowledge)
    yield made
    made.toolbox.close()
