"""The outbox on the project's own store: the `messages` table, whatever the channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cerebro.clock import Clock
from memory.db import Database, next_id
from memory.schema import Consent, Customer, Message
from memory.vocabulary import MESSAGE_TRANSITIONS, Channel, MessageStatus, Purpose
from tools import types as t
from tools.errors import ConflictError, NotFoundError, RuleViolationError
from tools.store import require_customer

NEEDS_CONSENT = frozenset({"marketing", "sales"})


class EmbeddedMessaging:
    """`MessagingTools` on `memory.db.Database`: messages are queued for the channel gateways."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    @property
    def database(self) -> Database:
        """The store the messages are queued in."""
        return self._db

    def send(
        self,
        customer_id: str,
        *,
        channel: Channel,
        purpose: Purpose,
        body: str,
        subject: str | None = None,
    ) -> t.Message:
        now = self._clock.now()
        with self._db.session() as session:
            return self.queue(
                session,
                customer_id,
                channel=channel,
                purpose=purpose,
                body=body,
                subject=subject,
                now=now,
            )

    def queue(
        self,
        session: Session,
        customer_id: str,
        *,
        channel: Channel,
        purpose: Purpose,
        body: str,
        subject: str | None,
        now: datetime,
    ) -> t.Message:
        """`send` inside the caller's transaction on `database`: the message is queued if and
        only if that transaction commits (the journeys' outbox relay records the hand-off in
        the same one, so a message is never queued twice nor lost)."""
        draft = t.NewMessage.parse(channel=channel, purpose=purpose, body=body, subject=subject)
        customer = require_customer(session, customer_id)
        address = _address(customer, draft.channel)
        if draft.purpose in NEEDS_CONSENT:
            _check_consent(session, customer_id, draft.channel, draft.purpose)
        message = Message(
            id=next_id(session, "MSG"),
            customer_id=customer_id,
            channel=draft.channel,
            purpose=draft.purpose,
            to_address=address,
            subject=draft.subject,
            body=draft.body,
            status="queued",
            error=None,
            created_at=now,
            updated_at=now,
        )
        session.add(message)
        return _message(message)

    def get_message(self, customer_id: str, message_id: str) -> t.Message:
        with self._db.session() as session:
            require_customer(session, customer_id)
            message = session.scalars(
                select(Message).where(Message.id == message_id, Message.customer_id == customer_id)
            ).one_or_none()
            if message is None:
                raise NotFoundError(f"message {message_id} not found")
            return _message(message)

    def list_messages(self, customer_id: str, limit: int = t.DEFAULT_LIST_LIMIT) -> list[t.Message]:
        page = t.Page.parse(limit=limit)
        with self._db.session() as session:
            require_customer(session, customer_id)
            rows = session.scalars(
                select(Message)
                .where(Message.customer_id == customer_id)
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(page.limit)
            )
            return [_message(row) for row in rows]

    def update_status(
        self, message_id: str, status: MessageStatus, error: str | None = None
    ) -> t.Message:
        report = t.StatusUpdate.parse(status=status, error=error)
        now = self._clock.now()
        with self._db.session() as session:
            message = session.scalars(
                select(Message).where(Message.id == message_id).with_for_update()
            ).one_or_none()
            if message is None:
                raise NotFoundError(f"message {message_id} not found")
            if report.status == message.status:
                return _message(message)
            allowed = MESSAGE_TRANSITIONS[message.status]
            if report.status not in allowed:
                following = ", ".join(sorted(allowed)) or "none, it is final"
                raise ConflictError(
                    f"message {message_id} is already {message.status} and cannot become "
                    f"{report.status} (next allowed: {following})"
                )
            message.status = report.status
            message.error = report.error
            message.updated_at = now
            return _message(message)


def _address(customer: Customer, channel: str) -> str:
    """Where `channel` reaches the customer, or a `rule_violation` when it cannot."""
    if channel == "email":
        return customer.email
    if channel == "in_app":
        return customer.id
    if not customer.phone:
        raise RuleViolationError(
            f"customer {customer.id} has no phone number on file, so no {channel} message can "
            "be sent; use email or in_app instead"
        )
    return customer.phone


def _check_consent(session: Session, customer_id: str, channel: str, purpose: str) -> None:
    consent = session.get(Consent, (customer_id, channel, purpose))
    if consent is None:
        raise RuleViolationError(
            f"customer {customer_id} has not agreed to {purpose} messages on {channel}"
        )
    if not consent.granted:
        raise RuleViolationError(
            f"customer {customer_id} declined {purpose} messages on {channel} "
            f"(on {consent.updated_at:%Y-%m-%d})"
        )


def _message(row: Message) -> t.Message:
    return t.Message.model_validate(row, from_attributes=True)
