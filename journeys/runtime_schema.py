"""The journey runtime's tables (definitions' versions, running instances, queued jobs), declared
on `memory.schema.Base` so they share its metadata; revision 0003_journeys creates them.

Instances keep their position (`step`) and their timer (`wait_until`) in the database, so a
restart loses nothing; `revision` goes up with every change, so two workers never both act on
the same state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from memory.schema import Base

RowId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit ids; on SQLite an INTEGER primary key (the autoincrementing row id)."""


class JourneyVersionRecord(Base):
    """One version of a journey definition: the YAML as given, and its checksum."""

    __tablename__ = "journey_versions"
    __table_args__ = (
        UniqueConstraint("journey_id", "version", name="uq_journey_versions_journey_id_version"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    journey_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class JourneyInstanceRecord(Base):
    """One customer's run through one version of a journey: where it is and what it waits for."""

    __tablename__ = "journey_instances"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'completed', 'exited', 'failed')", name="status"),
        CheckConstraint("waiting IN ('timer', 'event')", name="waiting"),
        Index("ix_journey_instances_profile_status", "profile_id", "status"),
        Index("ix_journey_instances_status_wait_until", "status", "wait_until"),
        Index("ix_journey_instances_journey_profile", "journey_id", "profile_id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    journey_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(12))
    step: Mapped[str | None] = mapped_column(String(64))
    waiting: Mapped[str | None] = mapped_column(String(8))
    wait_event: Mapped[str | None] = mapped_column(String(200))
    wait_until: Mapped[datetime | None]
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    steps_run: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(300))


class JourneyJobRecord(Base):
    """Work a step hands to another system (a CRM task or alert, a webhook), run after the
    step's transaction committed, retried with backoff until it succeeds or gives up."""

    __tablename__ = "journey_jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('task', 'alert', 'webhook')", name="kind"),
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status"),
        Index("ix_journey_jobs_status_run_at", "status", "run_at"),
        Index("ix_journey_jobs_instance_id", "instance_id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(BigInteger)
    journey_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    profile_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class."""
    return cast(Table, model.__table__)


JOURNEY_TABLES = tuple(
    table(model) for model in (JourneyVersionRecord, JourneyInstanceRecord, JourneyJobRecord)
)
