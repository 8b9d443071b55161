"""Handing the messages of `send` decisions to the messaging system so that none is lost or
sent twice, whatever crashes when.

- **Embedded messaging on the same database** (`OutboxRelay.inline`): the decision's own
  transaction queues its message (`queue_in`, called by the pipeline before the commit) and
  records the outcome on the decision: both commit together, or neither does.
- **Any other messaging** (a company's service over HTTP, its own `MessagingTools`, the
  embedded one on another database): the decision's transaction writes an `outbox` row next to
  the decision (`pending`). After the commit the pipeline asks the relay to deliver it; the
  relay claims rows by moving their `next_attempt_at` past the next retry delay (a lease: a
  relay that dies mid-send is retried after it), sends each with the `idempotency_key` of its
  decision, the same on every attempt in every process (every `MessagingTools` queues it once,
  see `MessagingTools.send`), then records the outcome and deletes the row. Whatever was not
  handed off is delivered on a later tick of due work. An `unavailable` error is retried
  (`RETRY_DELAYS`); any other refusal fails the decision at once. Rows left behind are also
  delivered by a process whose messaging is embedded (in one transaction with the record, with
  the same key, in case an earlier attempt reached this store through a service).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, delete, select, update

from journeys.hotpath import Raw, sql
from journeys.schema import DecisionRecord, OutboxRecord, table
from memory.db import Database
from tools.errors import ToolError
from tools.messaging import EmbeddedMessaging, MessagingTools
from tools.messaging.embedded import Outgoing
from tools.types import Message

logger = logging.getLogger("cerebro.journeys.outbox")

_outbox = table(OutboxRecord)
_decisions = table(DecisionRecord)

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
"""Wait before attempt n+1 of a hand-off over HTTP; after the last, the decision is `failed`."""
MAX_PER_TICK = 500
_RECORD = sql("UPDATE decisions SET state = ?, message_id = ?, error = ? WHERE id = ?")


def idempotency_key(decision_id: int) -> str:
    """The key every attempt at the message of `decision_id` carries."""
    return f"cerebro-decision-{decision_id}"


@dataclass(frozen=True, slots=True)
class _Outcome:
    state: str
    message_id: str | None
    error: str | None


class OutboxRelay:
    """Delivers the outbox of `db` to `messaging`."""

    def __init__(self, db: Database, messaging: MessagingTools) -> None:
        self.db = db
        self.messaging = messaging
        self.inline = isinstance(messaging, EmbeddedMessaging) and messaging.database is db
        """The messaging is embedded on this database: a decision's transaction queues its
        message itself (`queue_in`), no outbox row needed."""

    def deliver(self, decision_ids: Sequence[int], now: datetime) -> int:
        """Hand off the messages of these decisions (just committed); return how many were."""
        if not decision_ids:
            return 0
        if self.inline:
            return self._deliver_embedded(list(decision_ids), now)
        return self._deliver_remote(list(decision_ids), now)

    def deliver_due(self, now: datetime) -> int:
        """Hand off what is due: left behind by a crash, or waiting for a retry."""
        with self.db.session() as session:
            due = list(
                session.connection()
                .execute(
                    select(_outbox.c.decision_id)
                    .where(_outbox.c.next_attempt_at <= now)
                    .order_by(_outbox.c.next_attempt_at, _outbox.c.decision_id)
                    .limit(MAX_PER_TICK)
                )
                .scalars()
            )
        return self.deliver(due, now)

    # -- the messages table on the same database: one transaction -----------------------------

    def _deliver_embedded(self, decision_ids: list[int], now: datetime) -> int:
        assert isinstance(self.messaging, EmbeddedMessaging)
        with self.db.session() as session:
            connection = session.connection()
            rows = connection.execute(
                select(_outbox)
                .where(_outbox.c.decision_id.in_(decision_ids))
                .order_by(_outbox.c.decision_id)
                .with_for_update(skip_locked=True)
            ).all()  # the others were delivered (or are being) by another relay
            if not rows:
                return 0
            drafts = [  # keyed: an earlier attempt may have reached this store another way
                Outgoing(
                    row.customer_id,
                    row.channel,
                    row.purpose,
                    row.body,
                    row.subject,
                    idempotency_key(row.decision_id),
                )
                for row in rows
            ]
            queued = self.messaging.queue_many(connection, drafts, now)
            _record(
                connection,
                {
                    row.decision_id: _outcome(row.decision_id, result)
                    for row, result in zip(rows, queued, strict=True)
                },
            )
        return len(rows)

    def queue_in(self, raw: Raw, sends: Sequence[tuple[int, Outgoing]], now: datetime) -> None:
        """Queue the messages of these `send` decisions in the caller's transaction (embedded
        messaging on this database) and record the outcomes on the decisions."""
        assert isinstance(self.messaging, EmbeddedMessaging)
        queued = self.messaging.queue_many(raw.connection, [draft for _, draft in sends], now)
        outcomes = [
            _outcome(decision_id, result)
            for (decision_id, _), result in zip(sends, queued, strict=True)
        ]
        raw.run_many(
            _RECORD,
            [
                (outcome.state, outcome.message_id, outcome.error, decision_id)
                for (decision_id, _), outcome in zip(sends, outcomes, strict=True)
            ],
        )

    # -- anything else: claim, send with a stable key, record ---------------------------------

    def _deliver_remote(self, decision_ids: list[int], now: datetime) -> int:
        with self.db.session() as session:
            connection = session.connection()
            rows = connection.execute(
                select(_outbox)
                .where(_outbox.c.decision_id.in_(decision_ids), _outbox.c.next_attempt_at <= now)
                .order_by(_outbox.c.decision_id)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            connection.execute(  # the claim: nobody else tries before the retry delay
                update(_outbox)
                .where(_outbox.c.decision_id == bindparam("decision"))
                .values(attempts=bindparam("attempt"), next_attempt_at=bindparam("retry_at")),
                [
                    {
                        "decision": row.decision_id,
                        "attempt": row.attempts + 1,
                        "retry_at": now
                        + RETRY_DELAYS[min(row.attempts + 1, len(RETRY_DELAYS)) - 1],
                    }
                    for row in rows
                ],
            )
        outcomes: dict[int, _Outcome] = {}
        retried: list[dict[str, object]] = []
        for row in rows:
            try:
                message = self._send(row)
            except ToolError as error:
                _log_refusal(row.decision_id, error)
                if error.code == "unavailable" and row.attempts + 1 <= len(RETRY_DELAYS):
                    retried.append({"decision": row.decision_id, "why": error.message})
                else:
                    outcomes[row.decision_id] = _Outcome("failed", None, error.message)
            else:
                outcomes[row.decision_id] = _Outcome("dispatched", message.id, None)
        with self.db.session() as session:
            connection = session.connection()
            _record(connection, outcomes)
            if retried:
                connection.execute(
                    update(_outbox)
                    .where(_outbox.c.decision_id == bindparam("decision"))
                    .values(last_error=bindparam("why")),
                    retried,
                )
        return len(outcomes)

    def _send(self, row: Row[tuple[object, ...]]) -> Message:
        return self.messaging.send(
            row.customer_id,
            channel=row.channel,
            purpose=row.purpose,
            body=row.body,
            subject=row.subject,
            idempotency_key=idempotency_key(row.decision_id),
        )


def _outcome(decision_id: int, queued: Message | ToolError) -> _Outcome:
    if isinstance(queued, ToolError):
        _log_refusal(decision_id, queued)
        return _Outcome("failed", None, queued.message)
    return _Outcome("dispatched", queued.id, None)


def _record(connection: Connection, outcomes: dict[int, _Outcome]) -> None:
    """The hand-offs' outcomes on their decisions; their outbox rows go."""
    if not outcomes:
        return
    connection.execute(
        update(_decisions)
        .where(_decisions.c.id == bindparam("decision"))
        .values(
            state=bindparam("new_state"), message_id=bindparam("message"), error=bindparam("why")
        ),
        [
            {"decision": decision_id, "new_state": o.state, "message": o.message_id, "why": o.error}
            for decision_id, o in outcomes.items()
        ],
    )
    connection.execute(delete(_outbox).where(_outbox.c.decision_id.in_(list(outcomes))))


def _log_refusal(decision_id: int, error: ToolError) -> None:
    logger.warning(
        "outbox refused a message", extra={"decision_id": decision_id, "code": error.code}
    )
