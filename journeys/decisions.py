"""Reading the decision log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from journeys.policy import Decision, Reason
from journeys.schema import DecisionRecord, table

_decisions = table(DecisionRecord)

MAX_PAGE = 200


def from_row(row: Mapping[str, Any]) -> Decision:
    return Decision(
        id=row["id"],
        customer_id=row["profile_id"],
        outcome=row["outcome"],
        state=row["state"],
        decided_at=row["decided_at"],
        reasons=tuple(Reason(**reason) for reason in row["reasons"]),
        offer_id=row["offer_id"],
        purpose=row["purpose"],
        channel=row["channel"],
        defer_until=row["defer_until"],
        journey_id=row["journey_id"],
        step=row["step"],
        event_id=row["event_id"],
        replaces=row["replaces"],
        message_id=row["message_id"],
        error=row["error"],
    )


def recent(
    connection: Connection, profile_id: str, limit: int = 20, before: int | None = None
) -> list[Decision]:
    """The profile's decisions, newest first (`before`: only those with a smaller id)."""
    statement = select(_decisions).where(_decisions.c.profile_id == profile_id)
    if before is not None:
        statement = statement.where(_decisions.c.id < before)
    rows = connection.execute(statement.order_by(_decisions.c.id.desc()).limit(limit))
    return [from_row(row._asdict()) for row in rows]
