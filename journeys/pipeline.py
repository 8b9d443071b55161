"""The ingestion pipeline: event in -> identity -> profile -> handlers (journeys) -> decisions ->
outbox. One transaction per event (a batch shares one, each event in its own savepoint).

Extension points, for the journey runtime and anything else that reacts to events:

- `EventHandler`: `handle(event, context)` runs, in registration order, for every new event
  (never for a replay), after the profile was updated, inside the event's transaction.
  `context.decide(SendRequest)` asks the policy layer; the decision is logged at once, its
  message written to the transactional outbox (`journeys.outbox`) and handed to the messaging
  system after the transaction commits.
- `DueRunner`: `run_due(pipeline, now)` runs on each tick (after the clock moved, and every
  `CEREBRO_DUE_INTERVAL` seconds in a served process): timers that came due. Each tick first
  delivers what the outbox still holds, then retakes deferred decisions.
- `MembershipReader`: `memberships(connection, profile_id)` lists the journeys a profile is in
  (for `GET /v1/profiles/{id}`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from cerebro.clock import Clock
from cerebro.settings import Settings
from journeys import store
from journeys.clock import build_clock
from journeys.config import EngineSettings
from journeys.events import Event
from journeys.hotpath import Raw, sql
from journeys.outbox import OutboxRelay
from journeys.policy import (
    Decision,
    DecisionState,
    Outcome,
    PastSend,
    PolicyConfig,
    Reason,
    Recipient,
    Ruling,
    SendRequest,
    evaluate,
)
from journeys.profiles import Hold, Profile, apply, release_hold, set_hold
from journeys.schema import DecisionRecord, table
from memory.db import Database
from memory.schema import Consent, Customer
from memory.vocabulary import Channel, Purpose
from tools.factory import Toolbox, build_toolbox
from tools.messaging.embedded import Outgoing

logger = logging.getLogger("cerebro.journeys")

_decisions = table(DecisionRecord)
_customers = table(Customer)
_consents = table(Consent)

INTERNAL_SOURCE_KEYS = {"chat": "chat", "journey": "journey", "system": "system"}
"""Source keys (the idempotency scope of `messageId`) of events that come from inside."""

MAX_DUE_PER_TICK = 500
_WITH_PHONE: frozenset[Channel] = frozenset({"email", "in_app", "sms", "whatsapp"})
_WITHOUT_PHONE: frozenset[Channel] = frozenset({"email", "in_app"})
_CUSTOMER_AND_CONSENTS = sql(
    "SELECT customers.phone, consents.channel, consents.purpose, consents.granted "
    "FROM customers LEFT OUTER JOIN consents ON consents.customer_id = customers.id "
    "WHERE customers.id = ?"
)
_PAST_SENDS = sql(
    "SELECT channel, purpose, decided_at FROM decisions WHERE profile_id = ? "
    "AND decided_at > ? AND outcome = 'send' AND state != 'failed'"
)
_INSERT_DECISION = sql(
    "INSERT INTO decisions (profile_id, outcome, state, offer_id, purpose, channel, "
    "defer_until, journey_id, step, event_id, replaces, reasons, request, decided_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
_INSERT_OUTBOX = sql(
    "INSERT INTO outbox (decision_id, customer_id, channel, purpose, subject, body, attempts, "
    "next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?)"
)
_SAVEPOINT = sql("SAVEPOINT cerebro_event")
_RELEASE = sql("RELEASE SAVEPOINT cerebro_event")
_ROLLBACK_TO = sql("ROLLBACK TO SAVEPOINT cerebro_event")
_INITIAL_STATE: dict[Outcome, DecisionState] = {
    "send": "pending",
    "defer": "waiting",
    "suppress": "final",
}


class EventHandler(Protocol):
    def handle(self, event: Event, context: EventContext) -> None:
        """React to a new event; raise to reject it (its transaction rolls back). Keep its
        effects in the transaction: in a batch that is run again it sees the event again."""
        ...


class _EventFailed(Exception):
    """An event of a batch run without savepoints failed: run the batch again with them."""


class _TransactionLost(Exception):
    """An event failed in a way that ended the batch's whole transaction, not only the event's
    savepoint (a handler's ORM flush that failed rolls back the transaction it joined): run the
    batch again without that event."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class DueRunner(Protocol):
    def run_due(self, pipeline: Pipeline, now: datetime) -> int:
        """Do the work that came due by `now`; return how many items were done."""
        ...


@dataclass(frozen=True, slots=True)
class JourneyMembership:
    """One journey a profile is in (or was in), as shown on the profile."""

    journey_id: str
    status: str
    entered_at: datetime
    updated_at: datetime
    step: str | None = None


class MembershipReader(Protocol):
    def memberships(
        self, connection: Connection, profile_id: str
    ) -> Sequence[JourneyMembership]: ...


IngestStatus = Literal["accepted", "duplicate", "failed"]
"""`duplicate`: the message id was seen before, nothing changed; `failed`: a handler raised,
the event was rolled back (send it again)."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    message_id: str
    status: IngestStatus
    event_id: int | None = None
    profile_id: str | None = None
    decisions: tuple[Decision, ...] = ()


class Unit:
    """One transaction of the engine: read and change profiles, ask for decisions, emit events.

    A `send` decision writes its message to the transactional outbox in this transaction; the
    relay hands it to the messaging system after the commit (or, after a crash, on the next
    tick). Events given to `emit` are ingested after the commit, each in its own transaction."""

    def __init__(self, pipeline: Pipeline, connection: Connection, now: datetime) -> None:
        self.pipeline = pipeline
        self.connection = connection
        self.raw = Raw(connection)
        self.now = now
        self._sessions: list[Session] = []
        """The transaction's ORM session once made (a list an `EventContext` shares; a
        reference back to the unit would make a cycle, leaving each unit to the collector)."""
        self.decisions: list[Decision] = []
        """Decisions taken in this transaction, in order."""
        self._dispatches: list[int] = []
        """Ids of the `send` decisions whose outbox rows this transaction wrote."""
        self._inline: list[tuple[int, Outgoing]] = []
        """`send` decisions whose messages the embedded messaging queues in this transaction."""
        self._emitted: list[Event] = []

    @property
    def session(self) -> Session:
        """An ORM session in this transaction, made on first use: most transactions need
        none, and one costs about 30 us (half of an empty transaction's cost)."""
        if not self._sessions:
            self._sessions.append(
                Session(bind=self.connection, join_transaction_mode="rollback_only")
            )
        return self._sessions[0]

    def flush(self) -> None:
        """Write what was done through the ORM session, if any, into the transaction."""
        for session in self._sessions:
            session.flush()

    def profile(self, profile_id: str) -> Profile | None:
        """The profile (locked until the transaction ends), or None when there is none."""
        return store.load(self.raw, profile_id)

    def decide(self, request: SendRequest, *, event_id: int | None = None) -> Decision:
        """Ask the policy layer; the decision is logged now, its message sent after commit."""
        return self.pipeline._decide(self, request, event_id=event_id, replaces=None)

    def hold(self, profile_id: str, name: str, purposes: Sequence[Purpose], reason: str) -> Profile:
        """Pause `purposes` for the profile until `release(name)` (e.g. marketing after an
        incident, until a positive survey)."""
        profile = self._current(profile_id)
        held = set_hold(profile, name, Hold(tuple(purposes), reason, self.now))
        store.save(self.raw, held, self.now)
        return held

    def release(self, profile_id: str, name: str) -> Profile:
        released = release_hold(self._current(profile_id), name)
        store.save(self.raw, released, self.now)
        return released

    def emit(self, event: Event) -> None:
        """Ingest `event` (e.g. a journey's outcome) once this transaction has committed. A
        transaction's emitted events are ingested together, in order, in one transaction of
        their own (`ingest_batch`: one that fails is logged and the others are kept)."""
        self._emitted.append(event)

    def _current(self, profile_id: str) -> Profile:
        return store.load_or_create(self.raw, profile_id, self.now)


class EventContext(Unit):
    """The unit of one event, with the event's id and the profile as it is after the event."""

    def __init__(
        self, unit: Unit, event_id: int, profile: Profile, merged: tuple[str, ...]
    ) -> None:
        # The same transaction: share the unit's connection, cursor, session and lists.
        self.pipeline, self.connection, self.raw, self.now, self._sessions = (
            unit.pipeline,
            unit.connection,
            unit.raw,
            unit.now,
            unit._sessions,
        )
        self.decisions, self._dispatches, self._inline, self._emitted = (
            unit.decisions,
            unit._dispatches,
            unit._inline,
            unit._emitted,
        )
        self.event_id = event_id
        self.profile_after = profile
        self.merged = merged
        """Profiles merged into this one by this event (their ids no longer exist)."""

    def decide(self, request: SendRequest, *, event_id: int | None = None) -> Decision:
        profile = self.profile_after if request.customer_id == self.profile_after.id else None
        return self.pipeline._decide(
            self, request, event_id=event_id or self.event_id, replaces=None, profile=profile
        )

    def hold(self, profile_id: str, name: str, purposes: Sequence[Purpose], reason: str) -> Profile:
        return self._track(super().hold(profile_id, name, purposes, reason))

    def release(self, profile_id: str, name: str) -> Profile:
        return self._track(super().release(profile_id, name))

    def _track(self, changed: Profile) -> Profile:
        if changed.id == self.profile_after.id:
            self.profile_after = changed
        return changed


@dataclass
class Pipeline:
    """The engine: ingests events, keeps profiles, runs handlers, decides and sends."""

    db: Database
    clock: Clock
    tools: Toolbox
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    handlers: list[EventHandler] = field(default_factory=list)
    due_runners: list[DueRunner] = field(default_factory=list)
    membership_readers: list[MembershipReader] = field(default_factory=list)
    _tick_lock: threading.Lock = field(default_factory=threading.Lock)
    outbox: OutboxRelay = field(init=False)
    """Hands the messages of `send` decisions to the messaging system."""

    def __post_init__(self) -> None:
        self.outbox = OutboxRelay(self.db, self.tools.messaging)

    def close(self) -> None:
        """Release the tool adapters' HTTP connections."""
        self.tools.close()

    def add_handler(self, handler: EventHandler) -> None:
        self.handlers.append(handler)

    def add_due_runner(self, runner: DueRunner) -> None:
        self.due_runners.append(runner)

    def add_membership_reader(self, reader: MembershipReader) -> None:
        self.membership_readers.append(reader)

    # -- ingestion ---------------------------------------------------------------------------

    def ingest(self, event: Event, source_key: str | None = None) -> IngestResult:
        """Ingest one event in its own transaction; a failing handler rolls it back and raises.
        `source_key` scopes the message id (a write key's fingerprint); events from inside use
        their source's name."""
        with self._transaction(self.clock.now()) as unit:
            result = self._ingest(unit, event, source_key or INTERNAL_SOURCE_KEYS[event.source])
        self._after_commit(unit)
        return result

    def ingest_batch(
        self,
        events: Sequence[Event],
        source_key: str | None = None,
        *,
        source_keys: Sequence[str] | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest events in order in one transaction: an event whose handling fails is rolled
        back alone and reported `failed`; the others are kept.
        `source_keys`: one per event (events from the bus come from several write keys).
        `before_commit` runs last, inside the transaction: if it raises, the whole batch is
        rolled back and the error goes to the caller (a bus worker checks there that it still
        holds the partition's lease, so a worker that lost it commits nothing).

        The batch first runs without a savepoint per event (two statements fewer per event);
        only when one of its events fails is it rolled back and run again, each event in its
        own savepoint. A handler may therefore see an event of a failing batch twice; what it
        does in the transaction is rolled back with the first attempt. An event whose failure
        ends the transaction itself (a failed ORM flush) is left out of one more run."""
        keys = [
            source_keys[index]
            if source_keys is not None
            else source_key or INTERNAL_SOURCE_KEYS[event.source]
            for index, event in enumerate(events)
        ]
        now = self.clock.now()
        try:
            unit, results = self._ingest_together(events, keys, now, before_commit)
        except _EventFailed:
            skipped: set[int] = set()
            while True:
                try:
                    unit, results = self._ingest_isolated(events, keys, now, before_commit, skipped)
                    break
                except _TransactionLost as lost:
                    skipped.add(lost.index)
        self._after_commit(unit)
        return results

    def _ingest_together(
        self,
        events: Sequence[Event],
        keys: Sequence[str],
        now: datetime,
        before_commit: Callable[[], None] | None,
    ) -> tuple[Unit, list[IngestResult]]:
        """The batch in one transaction with no savepoints; `_EventFailed` (after the rollback)
        when one of its events fails."""
        with self._transaction(now, before_commit) as unit:
            results: list[IngestResult] = []
            for event, key in zip(events, keys, strict=True):
                try:
                    results.append(self._ingest(unit, event, key))
                    unit.flush()  # what a handler did through the ORM, for the next events
                except Exception as error:
                    raise _EventFailed from error
        return unit, results

    def _ingest_isolated(
        self,
        events: Sequence[Event],
        keys: Sequence[str],
        now: datetime,
        before_commit: Callable[[], None] | None,
        skipped: set[int],
    ) -> tuple[Unit, list[IngestResult]]:
        """The batch in one transaction, each event in a savepoint: a failing event is rolled
        back to it and reported `failed`, as are the events at `skipped` (not run);
        `_TransactionLost` when a failure ended the transaction."""
        with self._transaction(now, before_commit) as unit:
            results: list[IngestResult] = []
            for index, (event, key) in enumerate(zip(events, keys, strict=True)):
                if index in skipped:
                    results.append(IngestResult(event.message_id, "failed"))
                    continue
                marks = (
                    len(unit.decisions),
                    len(unit._dispatches),
                    len(unit._emitted),
                    len(unit._inline),
                )
                unit.raw.run(_SAVEPOINT, ())
                try:
                    results.append(self._ingest(unit, event, key))
                    unit.flush()  # what a handler did through the ORM, in the savepoint
                    unit.raw.run(_RELEASE, ())
                except Exception as error:
                    logger.exception("event processing failed", extra={"event_type": event.type})
                    if not unit.connection.in_transaction():
                        raise _TransactionLost(index) from error
                    unit.raw.run(_ROLLBACK_TO, ())
                    for session in unit._sessions:
                        session.expunge_all()
                    del unit.decisions[marks[0] :]
                    del unit._dispatches[marks[1] :]
                    del unit._emitted[marks[2] :]
                    del unit._inline[marks[3] :]
                    results.append(IngestResult(event.message_id, "failed"))
        return unit, results

    def _ingest(self, unit: Unit, event: Event, source_key: str) -> IngestResult:
        raw = unit.raw
        if event.type == "alias":
            assert event.user_id is not None and event.previous_id is not None
            profile_id = store.resolve(raw, replace(event, anonymous_id=None))[0]
            other = store.alias_source(raw, event.previous_id)
        else:
            profile_id, other = store.resolve(raw, event)
        event_id = store.insert_event(raw, event, source_key, profile_id)
        if event_id is None:
            return IngestResult(event.message_id, "duplicate")
        profile = store.load_or_create(raw, profile_id, event.timestamp)
        merged: tuple[str, ...] = ()
        if other is not None and other != profile.id:
            profile = store.absorb(raw, profile, other)
            merged = (other,)
        if event.type == "alias":
            assert event.previous_id is not None
            for key in (store.user_key(event.previous_id), store.anonymous_key(event.previous_id)):
                store.link(raw, key, profile.id, unit.now)
        elif event.user_id is not None and event.anonymous_id is not None and other is not None:
            store.link(raw, store.anonymous_key(event.anonymous_id), profile.id, unit.now)
        unlinked = profile.customer_id is None
        profile = store.hydrate(raw, apply(profile, event))
        if event.name == "Consent Updated" and profile.customer_id is not None:
            store.record_consent(raw, profile.customer_id, event.properties, event.timestamp)
        store.save(raw, profile, unit.now, linked=unlinked and profile.customer_id is not None)
        first = len(unit.decisions)
        if self.handlers:
            context = EventContext(unit, event_id, profile, merged)
            for handler in self.handlers:
                handler.handle(event, context)
            profile = context.profile_after
        return IngestResult(
            event.message_id, "accepted", event_id, profile.id, tuple(unit.decisions[first:])
        )

    # -- decisions ---------------------------------------------------------------------------

    def decide(self, request: SendRequest) -> Decision:
        """Decide (and send) in a transaction of its own, e.g. from a timer."""
        with self.unit() as unit:
            return unit.decide(request)

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """A transaction of the engine (see `Unit`); dispatches and emits after the commit."""
        with self._transaction(self.clock.now()) as unit:
            yield unit
        self._after_commit(unit)

    @contextmanager
    def _transaction(
        self, now: datetime, before_commit: Callable[[], None] | None = None
    ) -> Iterator[Unit]:
        """A unit in a new transaction; at its end the ORM session (if one was made) is
        flushed, the transaction's embedded messages queued, `before_commit` run, and the
        transaction committed (or, on any error, rolled back)."""
        with self.db.transaction() as connection:
            unit = Unit(self, connection, now)
            try:
                yield unit
                unit.flush()
                self._before_commit(unit)
                if before_commit is not None:
                    before_commit()
            finally:
                for session in unit._sessions:
                    session.close()

    def _decide(
        self,
        unit: Unit,
        request: SendRequest,
        *,
        event_id: int | None,
        replaces: int | None,
        profile: Profile | None = None,
    ) -> Decision:
        if profile is None:
            profile = store.load_or_create(unit.raw, request.customer_id, unit.now)
        recipient = self._recipient(unit.raw, profile, unit.now)
        ruling = evaluate(self.policy, request, recipient, unit.now)
        decision = self._log(unit.raw, request, ruling, unit.now, event_id, replaces)
        if ruling.outcome == "send" and self.outbox.inline:
            assert ruling.candidate is not None and ruling.channel is not None
            unit._inline.append(
                (
                    decision.id,
                    Outgoing(
                        request.customer_id,
                        ruling.channel,
                        ruling.candidate.purpose,
                        ruling.candidate.body,
                        ruling.candidate.subject,
                    ),
                )
            )
        elif ruling.outcome == "send":
            assert ruling.candidate is not None and ruling.channel is not None
            unit.raw.run(
                _INSERT_OUTBOX,
                (
                    decision.id,
                    request.customer_id,
                    ruling.channel,
                    ruling.candidate.purpose,
                    ruling.candidate.subject,
                    ruling.candidate.body,
                    unit.raw.time(unit.now),
                    unit.raw.time(unit.now),
                ),
            )
            unit._dispatches.append(decision.id)
        unit.decisions.append(decision)
        logger.info(
            "decision",
            extra={
                "decision_id": decision.id,
                "outcome": decision.outcome,
                "offer_id": decision.offer_id,
                "channel": decision.channel,
                "journey_id": decision.journey_id,
            },
        )
        return decision

    def _recipient(self, raw: Raw, profile: Profile, now: datetime) -> Recipient:
        if profile.customer_id is None:
            return Recipient(profile=profile, addresses=frozenset(), consents={})
        rows = raw.run(_CUSTOMER_AND_CONSENTS, (profile.customer_id,)).fetchall()
        phone = rows[0][0] if rows else None
        consents = {(channel, purpose): bool(granted) for _, channel, purpose, granted in rows}
        consents.pop((None, None), None)  # a customer who answered nothing
        addresses: frozenset[Channel] = _WITH_PHONE if phone else _WITHOUT_PHONE
        past: list[PastSend] = []
        window = self.policy.longest_cap_window
        if window:
            sent = raw.run(_PAST_SENDS, (profile.id, raw.time(now - window))).fetchall()
            past = [PastSend(channel, purpose, raw.time_of(at)) for channel, purpose, at in sent]
        return Recipient(profile=profile, addresses=addresses, consents=consents, past_sends=past)

    def _log(
        self,
        raw: Raw,
        request: SendRequest,
        ruling: Ruling,
        now: datetime,
        event_id: int | None,
        replaces: int | None,
    ) -> Decision:
        candidate = ruling.candidate
        state = _INITIAL_STATE[ruling.outcome]
        reasons = [_reason_json(reason) for reason in ruling.reasons]
        kept = request.model_dump(mode="json") if ruling.outcome == "defer" else None
        (decision_id,) = raw.run(
            _INSERT_DECISION,
            (
                request.customer_id,
                ruling.outcome,
                state,
                candidate.offer_id if candidate else None,
                candidate.purpose if candidate else None,
                ruling.channel,
                raw.time(ruling.defer_until),
                request.journey_id,
                request.step,
                event_id,
                replaces,
                raw.json(reasons),
                None if kept is None else raw.json(kept),
                raw.time(now),
            ),
        ).fetchone()
        return Decision(
            id=decision_id,
            customer_id=request.customer_id,
            outcome=ruling.outcome,
            state=state,
            decided_at=now,
            reasons=ruling.reasons,
            offer_id=candidate.offer_id if candidate else None,
            purpose=candidate.purpose if candidate else None,
            channel=ruling.channel,
            defer_until=ruling.defer_until,
            journey_id=request.journey_id,
            step=request.step,
            event_id=event_id,
            replaces=replaces,
        )

    def _before_commit(self, unit: Unit) -> None:
        """Queue the messages of the transaction's sends in it, when the messaging is embedded
        on this database: the decisions and their messages commit together, or neither does."""
        if unit._inline:
            self.outbox.queue_in(unit.raw, unit._inline, unit.now)

    def _after_commit(self, unit: Unit) -> None:
        if unit._dispatches:
            self.outbox.deliver(unit._dispatches, unit.now)
        if unit._emitted:
            self.ingest_batch(unit._emitted)

    # -- time --------------------------------------------------------------------------------

    def run_due(self) -> int:
        """Retake deferred decisions that came due, then run the registered due runners;
        repeat while work turns up (a timer may make more work due at the same moment)."""
        with self._tick_lock:
            total = 0
            for _round in range(10):
                now = self.clock.now()
                done = self.outbox.deliver_due(now) + self._redecide_due(now)
                for runner in self.due_runners:
                    done += runner.run_due(self, now)
                total += done
                if done == 0:
                    break
            return total

    def _redecide_due(self, now: datetime) -> int:
        with self.db.session() as session:
            due = (
                session.connection()
                .execute(
                    select(_decisions.c.id)
                    .where(_decisions.c.state == "waiting", _decisions.c.defer_until <= now)
                    .order_by(_decisions.c.defer_until, _decisions.c.id)
                    .limit(MAX_DUE_PER_TICK)
                )
                .scalars()
                .all()
            )
        done = 0
        for decision_id in due:
            with self.unit() as unit:
                claimed = unit.connection.execute(
                    update(_decisions)
                    .where(_decisions.c.id == decision_id, _decisions.c.state == "waiting")
                    .values(state="redecided")
                    .returning(_decisions.c.request, _decisions.c.event_id)
                ).first()
                if claimed is None:
                    continue  # another process took it
                request = SendRequest.model_validate(claimed.request)
                self._decide(unit, request, event_id=claimed.event_id, replaces=decision_id)
                done += 1
        return done


def _reason_json(reason: Reason) -> dict[str, str]:
    """A reason as the log stores it (what `Reason.model_dump(exclude_none=True)` gives)."""
    found = {"rule": reason.rule, "verdict": reason.verdict, "detail": reason.detail}
    if reason.offer_id is not None:
        found["offer_id"] = reason.offer_id
    if reason.channel is not None:
        found["channel"] = reason.channel
    return found


def build_pipeline(
    settings: Settings, db: Database, engine_settings: EngineSettings | None = None
) -> Pipeline:
    """The pipeline as configured: clock (`CEREBRO_CLOCK`), policy (`CEREBRO_POLICY_FILE`),
    tool adapters (embedded, or the company's over HTTP), and the registered handlers."""
    engine_settings = engine_settings or EngineSettings()
    clock = build_clock(engine_settings, db)
    pipeline = Pipeline(
        db=db,
        clock=clock,
        tools=build_toolbox(settings, db, clock),
        policy=engine_settings.policy(),
    )
    from journeys.runtime import attach  # the journey runtime (it imports this module)

    attach(pipeline)
    return pipeline
