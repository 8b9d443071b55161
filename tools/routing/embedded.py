"""Handoffs on the project's own store: a queue the routing engine and the console read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from cerebro.clock import Clock
from memory.db import Database, next_id
from memory.schema import Handoff, HumanAgent
from memory.vocabulary import HandoffOutcome, Language
from tools import types as t
from tools.errors import ConflictError, NotFoundError, RuleViolationError
from tools.store import require_customer

ACTIVE = ("queued", "assigned")


class EmbeddedRouting:
    """`RoutingTools` on `memory.db.Database`; new handoffs wait in `queued`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def request_handoff(
        self,
        customer_id: str | None,
        *,
        conversation_id: str,
        reason: str,
        language: Language,
        skills: Sequence[str],
        priority: int,
        summary: t.EscalationSummary,
    ) -> t.Handoff:
        request = t.HandoffRequest.parse(
            conversation_id=conversation_id,
            reason=reason,
            language=language,
            skills=tuple(skills),
            priority=priority,
            summary=summary,
        )
        now = self._clock.now()
        with self._db.session() as session:
            waiting = session.scalars(
                select(Handoff).where(
                    _in_scope(session, customer_id),
                    Handoff.conversation_id == request.conversation_id,
                    Handoff.status.in_(ACTIVE),
                )
            ).first()
            if waiting is not None:
                raise ConflictError(
                    f"conversation {request.conversation_id} already has handoff {waiting.id} "
                    f"({waiting.status})"
                )
            handoff = Handoff(
                id=next_id(session, "HOF"),
                customer_id=customer_id,
                conversation_id=request.conversation_id,
                status="queued",
                reason=request.reason,
                priority=request.priority,
                language=request.language,
                skills=list(request.skills),
                summary=request.summary.model_dump(mode="json"),
                assigned_agent_id=None,
                created_at=now,
                updated_at=now,
            )
            session.add(handoff)
            return _handoff(handoff)

    def get_handoff(self, customer_id: str | None, handoff_id: str) -> t.Handoff:
        with self._db.session() as session:
            return _handoff(_customer_handoff(session, customer_id, handoff_id))

    def list_handoffs(self, customer_id: str) -> list[t.Handoff]:
        with self._db.session() as session:
            require_customer(session, customer_id)
            rows = session.scalars(
                select(Handoff)
                .where(Handoff.customer_id == customer_id)
                .order_by(Handoff.created_at.desc(), Handoff.id.desc())
            )
            return [_handoff(row) for row in rows]

    def assign_handoff(
        self, customer_id: str | None, handoff_id: str, *, agent_id: str
    ) -> t.Handoff:
        request = t.HandoffAssignment.parse(agent_id=agent_id)
        now = self._clock.now()
        with self._db.session() as session:
            handoff = _customer_handoff(session, customer_id, handoff_id)
            agent = session.get(HumanAgent, request.agent_id)
            if agent is None:
                raise NotFoundError(f"agent {request.agent_id} not found")
            if not agent.active:
                raise RuleViolationError(f"agent {agent.id} is not active")
            if handoff.status == "assigned" and handoff.assigned_agent_id == agent.id:
                return _handoff(handoff)
            if handoff.status != "queued":
                holder = f" by {handoff.assigned_agent_id}" if handoff.assigned_agent_id else ""
                raise ConflictError(f"handoff {handoff.id} is {handoff.status}{holder}")
            handoff.status = "assigned"
            handoff.assigned_agent_id = agent.id
            handoff.updated_at = now
            session.flush()
            return _handoff(handoff)

    def close_handoff(
        self, customer_id: str | None, handoff_id: str, *, outcome: HandoffOutcome
    ) -> t.Handoff:
        request = t.HandoffClosing.parse(outcome=outcome)
        now = self._clock.now()
        with self._db.session() as session:
            handoff = _customer_handoff(session, customer_id, handoff_id)
            if handoff.status == "closed":
                raise ConflictError(f"handoff {handoff.id} is closed already ({handoff.outcome})")
            handoff.status = "closed"
            handoff.outcome = request.outcome
            handoff.updated_at = now
            session.flush()
            return _handoff(handoff)


def _in_scope(session: Session, customer_id: str | None) -> ColumnElement[bool]:
    """The customer's handoffs (`not_found` for an unknown customer), or with None the
    unverified visitors' ones, which belong to no customer."""
    if customer_id is None:
        return Handoff.customer_id.is_(None)
    require_customer(session, customer_id)
    return Handoff.customer_id == customer_id


def _customer_handoff(session: Session, customer_id: str | None, handoff_id: str) -> Handoff:
    """The customer's (or with None a visitor's) handoff, locked for a change; another
    customer's is `not_found`."""
    handoff = session.scalars(
        select(Handoff)
        .where(Handoff.id == handoff_id, _in_scope(session, customer_id))
        .with_for_update()
    ).one_or_none()
    if handoff is None:
        raise NotFoundError(f"handoff {handoff_id} not found")
    return handoff


def _handoff(row: Handoff) -> t.Handoff:
    return t.Handoff.model_validate(row, from_attributes=True)
