"""The agent console's view of human routing, read from Cerebro's own store: every customer's open
handoffs and the agents who can take them.

This is an admin capability, kept out of `tools.routing.RoutingTools` on purpose: that protocol is
what the assistant (and any prompt steering it) can reach, and every call there is scoped to one
verified customer. Listing all customers' handoffs is for the console, behind the admin token.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select

from memory.db import Database
from memory.schema import Handoff, HumanAgent
from tools import types as t

OPEN = ("queued", "assigned")


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]


def open_handoffs(db: Database) -> list[t.Handoff]:
    """Handoffs not closed yet: those waiting for an agent first, then those an agent has; each
    group by priority (1, the most urgent, first), then oldest first."""
    waiting_first = case((Handoff.status == "queued", 0), else_=1)
    with db.session() as session:
        rows = session.scalars(
            select(Handoff)
            .where(Handoff.status.in_(OPEN))
            .order_by(waiting_first, Handoff.priority, Handoff.created_at, Handoff.id)
        )
        return [t.Handoff.model_validate(row, from_attributes=True) for row in rows]


def find_handoff(db: Database, handoff_id: str) -> t.Handoff | None:
    """Any customer's handoff by id (the console's lookup; never the assistant's)."""
    with db.session() as session:
        row = session.get(Handoff, handoff_id)
        return None if row is None else t.Handoff.model_validate(row, from_attributes=True)


def active_agents(db: Database) -> list[Agent]:
    """The agents who can sign in to the console, by name."""
    with db.session() as session:
        rows = session.scalars(
            select(HumanAgent).where(HumanAgent.active.is_(True)).order_by(HumanAgent.name)
        )
        return [Agent(row.id, row.name, tuple(row.skills), tuple(row.languages)) for row in rows]


def find_agent(db: Database, agent_id: str) -> Agent | None:
    """An active agent by id."""
    with db.session() as session:
        row = session.get(HumanAgent, agent_id)
        if row is None or not row.active:
            return None
        return Agent(row.id, row.name, tuple(row.skills), tuple(row.languages))
