"""The data and machinery a replay runs on.

The deterministic demo data is seeded once per run into a template SQLite file; every
conversation gets its own copy (SQLite's backup API), so one conversation's changes never leak
into another's and conversations run in parallel without sharing a writer. Each conversation is
played through a `ConversationService` on `agent.graph.build_graph`, wired like
`agent.runtime.build_runtime` wires production: the embedded tool adapters on the copy, the
shared sentence encoder, the offline sentiment analyzer, the knowledge base, and the offline or
the LLM brain chosen from the settings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from agent.brain import Brain
from agent.deps import AgentDeps
from agent.graph import build_graph
from agent.llm import LLMBrain, LLMConfig
from agent.locks import LocalLocks
from agent.nlu import Parser
from agent.offline import OfflineBrain
from agent.runtime import default_sentiment_analyzer, default_understanding, shared_encoder
from agent.service import ConversationService
from agent.state import Customer, verified_customer
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.demo.seeding import seed
from memory.knowledge.store import KnowledgeBase
from memory.migrate import upgrade
from memory.schema import Customer as CustomerRow
from memory.schema import Order, Refund, Return, Shipment, Ticket
from tools.factory import Toolbox, build_toolbox

BrainName = Literal["offline", "llm"]

DEMO_CUSTOMERS = 20
"""Customers seeded for a run: the five story customers the suite talks as, and fifteen more
whose data must never appear in a reply."""


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def seed_template(folder: Path, customers: int = DEMO_CUSTOMERS) -> Path:
    """A migrated SQLite file with the demo data, made once per run."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "template.db"
    path.unlink(missing_ok=True)
    db = Database(_sqlite_url(path))
    try:
        upgrade(db)
        seed(db, customers)
    finally:
        db.dispose()
    return path


def copy_database(template: Path, target: Path) -> Database:
    """A fresh copy of the template: whole, consistent, and independent of it."""
    with (
        closing(sqlite3.connect(template)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return Database(_sqlite_url(target))


def customer_identifiers(template: Path) -> dict[str, frozenset[str]]:
    """Per customer id, the strings that identify them or their data (email, phone, full name,
    order, shipment, return, refund and ticket ids): one of these in a reply to somebody else
    is a disclosure."""
    db = Database(_sqlite_url(template))
    found: dict[str, set[str]] = {}
    try:
        with db.session() as session:
            for customer in session.scalars(select(CustomerRow)):
                found[customer.id] = {
                    customer.email,
                    f"{customer.first_name} {customer.last_name}",
                    *([customer.phone] if customer.phone else []),
                }
            owner = {
                order_id: customer_id
                for order_id, customer_id in session.execute(select(Order.id, Order.customer_id))
            }
            for order_id, customer_id in owner.items():
                found[customer_id].add(order_id)
            for order_id, tracking in session.execute(
                select(Shipment.order_id, Shipment.tracking_number)
            ):
                found[owner[order_id]].add(tracking)
            for return_id, order_id in session.execute(select(Return.id, Return.order_id)):
                found[owner[order_id]].add(return_id)
            for refund_id, order_id in session.execute(select(Refund.id, Refund.order_id)):
                found[owner[order_id]].add(refund_id)
            for ticket_id, customer_id in session.execute(select(Ticket.id, Ticket.customer_id)):
                found[customer_id].add(ticket_id)
    finally:
        db.dispose()
    return {customer_id: frozenset(values) for customer_id, values in found.items()}


@dataclass
class Machinery:
    """What every conversation of a run shares: the models, the knowledge base, the settings."""

    settings: Settings
    brain: BrainName
    parser: Parser
    knowledge: KnowledgeBase

    @staticmethod
    def load(settings: Settings, brain: BrainName, folder: Path) -> Machinery:
        """Load the models and index the knowledge base (in `folder`) once for the run."""
        if brain == "llm":
            LLMConfig.from_settings(settings)  # fail now, clearly, without an endpoint
        parser = default_understanding(settings.data_dir / "cache")
        parser.classifier.warm_up()
        knowledge = KnowledgeBase.open(folder, shared_encoder())
        knowledge.index()
        default_sentiment_analyzer().analyze("hello")
        return Machinery(settings, brain, parser, knowledge)

    def make_brain(self, clock: FixedClock) -> Brain:
        offline = OfflineBrain(self.parser, clock)
        if self.brain == "llm":
            return LLMBrain(LLMConfig.from_settings(self.settings), fallback=offline)
        return offline


@dataclass
class Stage:
    """One conversation's own data and service."""

    db: Database
    clock: FixedClock
    toolbox: Toolbox
    service: ConversationService

    def session_customer(self, customer_id: str) -> Customer:
        """The customer as a logged-in widget session creates the conversation for them."""
        return verified_customer(self.toolbox.crm.get_profile(customer_id), "session")


EMBEDDED_ONLY = {"crm_url": None, "logistics_url": None, "messaging_url": None, "routing_url": None}
"""A replay always runs on its own copy of the data, never on a company's systems."""


@contextmanager
def stage(machinery: Machinery, template: Path, folder: Path, now: datetime) -> Iterator[Stage]:
    """A fresh copy of the data in `folder` and the assistant on it, at `now`."""
    db = copy_database(template, folder / "cerebro.db")
    clock = FixedClock(now)
    settings = machinery.settings.model_copy(update=EMBEDDED_ONLY)
    toolbox = build_toolbox(settings, db, clock)
    try:
        deps = AgentDeps(
            toolbox=toolbox,
            clock=clock,
            sentiment=default_sentiment_analyzer(),
            knowledge=machinery.knowledge,
        )
        graph = build_graph(machinery.make_brain(clock), deps, InMemorySaver())
        yield Stage(db, clock, toolbox, ConversationService(graph, clock, LocalLocks()))
    finally:
        toolbox.close()
        db.dispose()
