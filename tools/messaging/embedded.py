"""The outbox on the project's own store: the `messages` table, whatever the channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from cerebro.clock import Clock
from memory.db import Database
from memory.schema import Message
from memory.vocabulary import MESSAGE_TRANSITIONS, Channel, MessageStatus, Purpose
from tools import types as t
from tools.errors import ConflictError, NotFoundError, RuleViolationError, ToolError
from tools.messaging.keys import checked_key
from tools.store import require_customer

NEEDS_CONSENT = frozenset({"marketing", "sales"})

# The three statements of `queue_many` go straight to the driver, inside the caller's
# transaction: through SQLAlchemy Core each costs about 100 us of CPU on these machines, about
# ten times the driver's own time, and a message is queued for every `send` decision.
_RECIPIENTS = (
    "SELECT customers.id, customers.email, customers.phone, consents.channel, consents.purpose, "
    "consents.granted, consents.updated_at FROM customers "
    "LEFT OUTER JOIN consents ON consents.customer_id = customers.id WHERE customers.id IN ({})"
)
"""Each customer with each of their consents (one row with empty consent columns if none)."""
_MESSAGE_COLUMNS = (
    "id",
    "customer_id",
    "channel",
    "purpose",
    "to_address",
    "subject",
    "body",
    "status",
    "error",
    "idempotency_key",
    "created_at",
    "updated_at",
)
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({', '.join(_MESSAGE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _MESSAGE_COLUMNS)})"
)
_COUNTER = (
    "INSERT INTO id_counters (prefix, next_value) VALUES (?, ?) ON CONFLICT (prefix) "
    "DO UPDATE SET next_value = id_counters.next_value + ? RETURNING next_value"
)
"""Take `count` ids at once from the counter `memory.db.next_id` uses."""


class _Driver:
    """The DBAPI cursor of a connection, with SQLAlchemy's storage conventions
    (`UTCDateTime`: naive UTC, as ISO text on SQLite)."""

    def __init__(self, connection: Connection) -> None:
        self.postgres = connection.dialect.name == "postgresql"
        self.cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def statement(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def time(self, value: datetime) -> Any:
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive if self.postgres else naive.isoformat(" ", "microseconds")


@dataclass(frozen=True, slots=True)
class _Consent:
    granted: bool
    updated_at: datetime


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
        idempotency_key: str | None = None,
    ) -> t.Message:
        draft = Outgoing(customer_id, channel, purpose, body, subject, idempotency_key)
        integrity_error = self._db.engine.dialect.loaded_dbapi.IntegrityError
        try:
            queued = self._queue(draft)
        except integrity_error:
            if idempotency_key is None:
                raise
            # A concurrent send with the same key committed between our look-up and our insert
            # (PostgreSQL; on SQLite writers queue up): look again, it answers that message.
            queued = self._queue(draft)
        if isinstance(queued, ToolError):
            raise queued
        return queued

    def _queue(self, draft: Outgoing) -> t.Message | ToolError:
        with self._db.session() as session:
            [queued] = self.queue_many(session.connection(), [draft], self._clock.now())
        return queued

    def queue_many(
        self, connection: Connection, drafts: Sequence[Outgoing], now: datetime
    ) -> list[t.Message | ToolError]:
        """`send` for each draft, inside the caller's transaction on `database`, with a few
        statements for all of them: each is queued if and only if that transaction commits (the
        journeys' outbox relay records the hand-off in the same one, so a message is never
        queued twice nor lost). One result per draft: the message, or why it was refused.

        A draft with an `idempotency_key` the customer already used (stored, or earlier in
        `drafts`) answers that message, or a `conflict`, and queues nothing (`send`'s rules).
        If a concurrent transaction stores the same key first, the insert raises the driver's
        `IntegrityError` (`send` then looks again)."""
        if not drafts:
            return []  # (and no `IN ()`, which PostgreSQL refuses)
        outcomes: list[ToolError | t.Message | int] = []
        """Per draft: why it was refused, the message its key answers, or its index in
        `checked`."""
        checked: list[tuple[t.NewMessage, str, str, str | None]] = []
        driver = _Driver(connection)
        customers, consents = _recipients(driver, sorted({d.customer_id for d in drafts}))
        keyed: dict[tuple[str, str], t.Message | int] = dict(_sent_with_keys(connection, drafts))
        """The message each (customer, key) answers: stored, or the index of an earlier draft."""
        for draft in drafts:
            try:
                message = t.NewMessage.parse(
                    channel=draft.channel,
                    purpose=draft.purpose,
                    body=draft.body,
                    subject=draft.subject,
                )
                key = checked_key(draft.idempotency_key)
                if key is not None and (draft.customer_id, key) in keyed:
                    outcomes.append(_replay(keyed[(draft.customer_id, key)], message, key, checked))
                    continue
                customer = customers.get(draft.customer_id)
                if customer is None:
                    raise NotFoundError(f"customer {draft.customer_id} not found")
                address = _address(*customer, message.channel)
                if message.purpose in NEEDS_CONSENT:
                    consent = consents.get((draft.customer_id, message.channel, message.purpose))
                    _check_consent(draft.customer_id, message.channel, message.purpose, consent)
            except ToolError as error:
                outcomes.append(error)
                continue
            if key is not None:
                keyed[(draft.customer_id, key)] = len(checked)
            outcomes.append(len(checked))
            checked.append((message, draft.customer_id, address, key))
        rows = [
            {
                "id": message_id,
                "customer_id": customer_id,
                "channel": message.channel,
                "purpose": message.purpose,
                "to_address": address,
                "subject": message.subject,
                "body": message.body,
                "status": "queued",
                "error": None,
                "idempotency_key": key,
                "created_at": now,
                "updated_at": now,
            }
            for message_id, (message, customer_id, address, key) in zip(
                _next_ids(driver, "MSG", len(checked)), checked, strict=True
            )
        ]
        if rows:
            driver.cursor.executemany(
                driver.statement(_INSERT_MESSAGE),
                [
                    [
                        *(row[column] for column in _MESSAGE_COLUMNS[:-2]),
                        driver.time(now),
                        driver.time(now),
                    ]
                    for row in rows
                ],
            )
        queued = [t.Message.model_validate(row) for row in rows]
        return [queued[item] if isinstance(item, int) else item for item in outcomes]

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


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to queue (see `EmbeddedMessaging.queue_many`)."""

    customer_id: str
    channel: Channel
    purpose: Purpose
    body: str
    subject: str | None = None
    idempotency_key: str | None = None


_Customers = dict[str, tuple[str, str, str | None]]
_Consents = dict[tuple[str, str, str], _Consent]


def _recipients(driver: _Driver, ids: list[str]) -> tuple[_Customers, _Consents]:
    """Each customer's id, email and phone, and their consents by (customer, channel, purpose)."""
    customers: _Customers = {}
    consents: _Consents = {}
    driver.cursor.execute(driver.statement(_RECIPIENTS.format(", ".join("?" for _ in ids))), ids)
    for (
        customer_id,
        email,
        phone,
        channel,
        purpose,
        granted,
        updated_at,
    ) in driver.cursor.fetchall():
        customers[customer_id] = (customer_id, email, phone)
        if channel is not None:
            if isinstance(updated_at, str):
                updated_at = datetime.fromisoformat(updated_at)
            consents[(customer_id, channel, purpose)] = _Consent(
                bool(granted), updated_at.replace(tzinfo=UTC)
            )
    return customers, consents


def _sent_with_keys(
    connection: Connection, drafts: Sequence[Outgoing]
) -> dict[tuple[str, str], t.Message]:
    """The stored messages the drafts' (customer, idempotency key) pairs name (one look-up,
    only when some draft has a key: the journeys' hot path sends none)."""
    wanted = {(d.customer_id, d.idempotency_key) for d in drafts if d.idempotency_key is not None}
    if not wanted:
        return {}
    rows = connection.execute(
        select(Message.__table__).where(
            Message.customer_id.in_({customer for customer, _ in wanted}),
            Message.idempotency_key.in_({key for _, key in wanted}),
        )
    )
    found: dict[tuple[str, str], t.Message] = {}
    for row in rows:
        pair = (row.customer_id, row.idempotency_key or "")
        if pair in wanted:
            found[pair] = t.Message.model_validate(row, from_attributes=True)
    return found


def _replay(
    first: t.Message | int,
    message: t.NewMessage,
    key: str,
    checked: list[tuple[t.NewMessage, str, str, str | None]],
) -> t.Message | int:
    """What a send repeating `key` answers: the `first` message sent with it (stored, or the
    index of an earlier draft in `checked`), if `message` is the same, else a `conflict`."""
    earlier = checked[first][0] if isinstance(first, int) else first
    if (earlier.channel, earlier.purpose, earlier.subject, earlier.body) != (
        message.channel,
        message.purpose,
        message.subject,
        message.body,
    ):
        named = "" if isinstance(first, int) else f" ({first.id})"
        raise ConflictError(
            f"idempotency key {key} was already used for another message{named}: a retry must "
            "repeat the same channel, purpose, subject and body; use a new key for a new message"
        )
    return first


def _next_ids(driver: _Driver, prefix: str, count: int, width: int = 6) -> list[str]:
    """`count` new ids for `prefix` in one statement, from the counter `memory.db.next_id`
    uses (so ids from both never collide)."""
    if count == 0:
        return []
    driver.cursor.execute(driver.statement(_COUNTER), (prefix, count, count))
    row = driver.cursor.fetchone()
    assert row is not None  # an upsert with RETURNING always returns its row
    last = int(row[0])
    return [f"{prefix}-{value:0{width}d}" for value in range(last - count + 1, last + 1)]


def _address(customer_id: str, email: str, phone: str | None, channel: str) -> str:
    """Where `channel` reaches the customer, or a `rule_violation` when it cannot."""
    if channel == "email":
        return email
    if channel == "in_app":
        return customer_id
    if not phone:
        raise RuleViolationError(
            f"customer {customer_id} has no phone number on file, so no {channel} message can "
            "be sent; use email or in_app instead"
        )
    return phone


def _check_consent(customer_id: str, channel: str, purpose: str, consent: _Consent | None) -> None:
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
