"""The engine's tables (events, identities, profiles, decisions, outbox, simulated clock),
declared on `memory.schema.Base` so they share its metadata; revisions 0002 and 0004 create
them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from memory.schema import Base

EventId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit ids; on SQLite an INTEGER primary key, so the row id itself (autoincrementing)."""


class EventRecord(Base):
    """Every accepted event, once: `message_id` is unique per source key (idempotency)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source_key", "message_id", name="uq_events_source_key_message_id"),
        CheckConstraint("type IN ('identify', 'track', 'page', 'alias')", name="type"),
        CheckConstraint("source IN ('api', 'chat', 'journey', 'system')", name="source"),
        Index("ix_events_profile_timestamp", "profile_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    source_key: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(200))
    profile_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(100))
    anonymous_id: Mapped[str | None] = mapped_column(String(100))
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class Identity(Base):
    """A user id or anonymous id (`user:<id>`, `anon:<id>`) that belongs to another profile.

    Absent means the id is its own profile (`<userId>` or `anon:<anonymousId>`)."""

    __tablename__ = "profile_identities"

    external_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime]


class ProfileRecord(Base):
    """A profile: queryable facts as columns, the rest (traits, cart, pages...) in `state`."""

    __tablename__ = "profiles"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    timezone: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    lifetime_value_cents: Mapped[int] = mapped_column(BigInteger)
    open_critical_tickets: Mapped[int] = mapped_column(Integer)
    last_agent_id: Mapped[str | None] = mapped_column(String(32))
    recent_sentiment: Mapped[float | None] = mapped_column(Float)
    cart_value_cents: Mapped[int] = mapped_column(BigInteger)
    cart_abandoned_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    state: Mapped[dict[str, Any]]


class DecisionRecord(Base):
    """The decision log: every policy decision with its reasons, including what was not sent."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("outcome IN ('send', 'defer', 'suppress')", name="outcome"),
        CheckConstraint(
            "state IN ('pending', 'dispatched', 'failed', 'waiting', 'redecided', 'final')",
            name="state",
        ),
        Index("ix_decisions_profile_decided", "profile_id", "decided_at"),
        # The due query's: only deferred decisions still waiting (migration 0008).
        Index(
            "ix_decisions_waiting_defer_until",
            "defer_until",
            sqlite_where=text("state = 'waiting'"),
            postgresql_where=text("state = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    profile_id: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12))
    offer_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16))
    defer_until: Mapped[datetime | None]
    journey_id: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    replaces: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decided_at: Mapped[datetime]


class OutboxRecord(Base):
    """A message of a `send` decision not yet handed to the messaging system (the transactional
    outbox): written in the decision's transaction, deleted in the one that records the hand-off.
    `next_attempt_at` is when the relay may (re)try it; `attempts` counts hand-offs begun."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_next_attempt_at", "next_attempt_at"),)

    decision_id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=False)
    customer_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class SimulatedClockRecord(Base):
    """The simulated time (one row), shared by every process on the database."""

    __tablename__ = "simulated_clock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[datetime]
    updated_at: Mapped[datetime]


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class (for the lean Core statements of the hot path)."""
    return cast(Table, model.__table__)
