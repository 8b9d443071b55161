"""The transactional outbox: a crash between the decision's commit and the hand-off to the
messaging system loses nothing and sends nothing twice; a messaging service that is down is
retried with backoff, then the decision is marked failed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, func, select

from cerebro.clock import FixedClock
from cerebro.settings import Settings
from journeys.events import Event
from journeys.outbox import RETRY_DELAYS, idempotency_key
from journeys.pipeline import EventContext, Pipeline
from journeys.schema import DecisionRecord, EventRecord, OutboxRecord
from memory.db import Database
from memory.vocabulary import Channel, MessageStatus, Purpose
from tests.journeys.conftest import MARIA, NOON
from tests.journeys.test_policy_pipeline import PROMO, SURVEY, logged, outbox, request
from tests.web import free_port, serve_in_thread
from tools.errors import ToolError
from tools.factory import Toolbox, build_toolbox
from tools.http_client import HttpToolClient
from tools.messaging import EmbeddedMessaging, HttpMessaging, MessagingTools
from tools.messaging.embedded import Outgoing
from tools.reference_server import create_reference_app
from tools.types import DEFAULT_LIST_LIMIT, Message


class SimulatedCrash(BaseException):
    """The process dies here (a BaseException: nothing in the engine may catch it)."""


def pipeline_with(db: Database, clock: FixedClock, messaging: MessagingTools) -> Pipeline:
    real = build_toolbox(Settings(), db, clock)
    return Pipeline(db, clock, Toolbox(real.crm, real.logistics, messaging, real.routing))


def left_in_outbox(db: Database) -> list[OutboxRecord]:
    with db.session() as session:
        rows = list(session.scalars(select(OutboxRecord)))
        session.expunge_all()
        return rows


class CrashingEmbedded(EmbeddedMessaging):
    """Dies while queueing messages: before writing them, or after (before the commit)."""

    def __init__(self, db: Database, clock: FixedClock, *, after_writing: bool) -> None:
        super().__init__(db, clock)
        self.after_writing = after_writing

    def queue_many(
        self, connection: Connection, drafts: Sequence[Outgoing], now: datetime
    ) -> list[Message | ToolError]:
        if self.after_writing:  # the message rows are written, the transaction not committed
            super().queue_many(connection, drafts, now)
        raise SimulatedCrash


class AskToSend:
    """A handler deciding on a message for every event."""

    def handle(self, event: Event, context: EventContext) -> None:
        context.decide(request(MARIA, PROMO))


def promo_event() -> Event:
    return Event(
        type="track",
        message_id="evt-1",
        source="api",
        timestamp=NOON,
        received_at=NOON,
        user_id=MARIA,
        name="Promo Asked",
    )


def count(db: Database, model: type[EventRecord] | type[DecisionRecord]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("after_writing", [False, True], ids=["before-writing", "after-writing"])
def test_embedded_messages_commit_with_their_decisions_or_not_at_all(
    seeded: Database, clock: FixedClock, after_writing: bool
) -> None:
    """With the embedded messaging on the same database there is no gap between the commit and
    the hand-off: a crash while queueing leaves nothing (event, decision or message), and the
    client's retry of the same message decides and sends once."""
    crashing = pipeline_with(
        seeded, clock, CrashingEmbedded(seeded, clock, after_writing=after_writing)
    )
    crashing.add_handler(AskToSend())
    with pytest.raises(SimulatedCrash):
        crashing.ingest(promo_event(), "wk:test")
    assert (count(seeded, EventRecord), count(seeded, DecisionRecord)) == (0, 0)
    assert outbox(seeded, MARIA) == []

    restarted = pipeline_with(seeded, clock, EmbeddedMessaging(seeded, clock))
    restarted.add_handler(AskToSend())
    [decision] = restarted.ingest(promo_event(), "wk:test").decisions
    assert restarted.ingest(promo_event(), "wk:test").status == "duplicate"
    row = logged(seeded, decision.id)
    assert row.state == "dispatched" and row.message_id is not None
    assert outbox(seeded, MARIA) == [("whatsapp", "marketing", PROMO.body)]
    assert left_in_outbox(seeded) == []


class CrashingGateway:
    """A messaging adapter (not on this database) whose process dies as it is called."""

    def send(self, customer_id: str, **_message: object) -> Message:
        raise SimulatedCrash


def test_a_crash_between_the_commit_and_the_hand_off_is_delivered_once_later(
    seeded: Database, clock: FixedClock
) -> None:
    crashing = pipeline_with(seeded, clock, CrashingGateway())  # type: ignore[arg-type]
    with pytest.raises(SimulatedCrash):
        crashing.decide(request(MARIA, PROMO))
    [kept] = left_in_outbox(seeded)
    decision = logged(seeded, kept.decision_id)
    assert (decision.outcome, decision.state, decision.message_id) == ("send", "pending", None)
    assert (kept.channel, kept.purpose, kept.body) == ("whatsapp", "marketing", PROMO.body)
    assert outbox(seeded, MARIA) == []

    # The next process (here with the embedded messaging) delivers it once the first attempt's
    # claim has run out (it may have reached the gateway: the retry carries the same key).
    restarted = pipeline_with(seeded, clock, EmbeddedMessaging(seeded, clock))
    assert restarted.run_due() == 0
    clock.set(clock.now() + RETRY_DELAYS[0])
    assert restarted.run_due() == 1
    assert outbox(seeded, MARIA) == [("whatsapp", "marketing", PROMO.body)]
    delivered = logged(seeded, kept.decision_id)
    assert delivered.state == "dispatched" and delivered.message_id is not None
    assert left_in_outbox(seeded) == []
    assert restarted.run_due() == 0
    assert len(outbox(seeded, MARIA)) == 1


def test_a_delivered_message_is_not_delivered_again(pipeline: Pipeline, seeded: Database) -> None:
    decision = pipeline.decide(request(MARIA, SURVEY))
    assert logged(seeded, decision.id).state == "dispatched"
    assert pipeline.outbox.deliver([decision.id], pipeline.clock.now()) == 0
    assert pipeline.run_due() == 0
    assert len(outbox(seeded, MARIA)) == 1


class OwnAdapter:
    """A company's own `MessagingTools`, neither HTTP nor on this database (it queues in its own
    store, here the embedded messaging). With `crash`, this process dies after the adapter
    queued the message and before the relay recorded it."""

    def __init__(self, store: EmbeddedMessaging, *, crash: bool) -> None:
        self.store = store
        self.crash = crash
        self.keys: list[str | None] = []

    def send(
        self,
        customer_id: str,
        *,
        channel: Channel,
        purpose: Purpose,
        body: str,
        subject: str | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        self.keys.append(idempotency_key)
        message = self.store.send(
            customer_id,
            channel=channel,
            purpose=purpose,
            body=body,
            subject=subject,
            idempotency_key=idempotency_key,
        )
        if self.crash:
            raise SimulatedCrash
        return message

    def get_message(self, customer_id: str, message_id: str) -> Message:
        return self.store.get_message(customer_id, message_id)

    def list_messages(self, customer_id: str, limit: int = DEFAULT_LIST_LIMIT) -> list[Message]:
        return self.store.list_messages(customer_id, limit)

    def update_status(
        self, message_id: str, status: MessageStatus, error: str | None = None
    ) -> Message:
        return self.store.update_status(message_id, status, error)


@pytest.mark.parametrize("retried_by", ["own-adapter", "embedded-inline"])
def test_any_adapter_gets_the_decisions_key_so_a_crash_after_sending_sends_once(
    seeded: Database, clock: FixedClock, retried_by: str
) -> None:
    """The key is part of every `MessagingTools.send`, not a favour of the HTTP adapter: the
    retry after a crash between the send and its record is a replay, whether the same kind of
    adapter retries or a process with the embedded messaging on this database (which queues in
    the decision's transaction, with the same key)."""
    first = OwnAdapter(EmbeddedMessaging(seeded, clock), crash=True)
    with pytest.raises(SimulatedCrash):
        pipeline_with(seeded, clock, first).decide(request(MARIA, PROMO))
    [kept] = left_in_outbox(seeded)
    assert logged(seeded, kept.decision_id).state == "pending"
    [queued] = EmbeddedMessaging(seeded, clock).list_messages(MARIA, limit=1)
    assert queued.body == PROMO.body  # the adapter has it

    again = OwnAdapter(EmbeddedMessaging(seeded, clock), crash=False)
    retrying = again if retried_by == "own-adapter" else EmbeddedMessaging(seeded, clock)
    restarted = pipeline_with(seeded, clock, retrying)
    clock.set(clock.now() + RETRY_DELAYS[0])
    assert restarted.run_due() == 1
    decision = logged(seeded, kept.decision_id)
    assert (decision.state, decision.message_id) == ("dispatched", queued.id)
    assert outbox(seeded, MARIA) == [("whatsapp", "marketing", PROMO.body)]
    assert left_in_outbox(seeded) == []
    assert first.keys + again.keys == [idempotency_key(kept.decision_id)] * (
        2 if retried_by == "own-adapter" else 1
    )


@pytest.fixture
def service(seeded: Database) -> Iterator[str]:
    """The messaging service over HTTP (the reference server, which honours Idempotency-Key)."""
    with serve_in_thread(create_reference_app(seeded, FixedClock(NOON))) as url:
        yield f"{url}/messaging"


def client(url: str) -> HttpToolClient:
    return HttpToolClient(url, service="the messaging service", token=None, timeout=5, retries=0)


def http_messaging(url: str) -> HttpMessaging:
    return HttpMessaging(client(url))


class CrashAfterSending(HttpMessaging):
    """The service queued the message, then this process died before recording it."""

    def send(
        self,
        customer_id: str,
        *,
        channel: Channel,
        purpose: Purpose,
        body: str,
        subject: str | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        super().send(
            customer_id,
            channel=channel,
            purpose=purpose,
            body=body,
            subject=subject,
            idempotency_key=idempotency_key,
        )
        raise SimulatedCrash


def test_over_http_a_crash_after_sending_is_retried_with_the_same_key_and_sent_once(
    seeded: Database, clock: FixedClock, service: str
) -> None:
    crashing = pipeline_with(seeded, clock, CrashAfterSending(client(service)))
    with pytest.raises(SimulatedCrash):
        crashing.decide(request(MARIA, PROMO))
    [kept] = left_in_outbox(seeded)
    assert kept.attempts == 1 and logged(seeded, kept.decision_id).state == "pending"
    assert len(outbox(seeded, MARIA)) == 1  # the service has it

    restarted = pipeline_with(seeded, clock, http_messaging(service))
    assert restarted.run_due() == 0  # the first attempt's lease has not run out
    clock.set(clock.now() + RETRY_DELAYS[0])
    assert restarted.run_due() == 1
    decision = logged(seeded, kept.decision_id)
    assert decision.state == "dispatched"
    assert left_in_outbox(seeded) == []
    [message_body] = [body for _, _, body in outbox(seeded, MARIA)]
    assert message_body == PROMO.body  # the retry was a replay, not a second message
    assert restarted.run_due() == 0


def test_over_http_an_unreachable_service_is_retried_with_backoff_then_failed(
    seeded: Database, clock: FixedClock
) -> None:
    nowhere = http_messaging(f"http://127.0.0.1:{free_port()}/messaging")
    pipeline = pipeline_with(seeded, clock, nowhere)
    decision = pipeline.decide(request(MARIA, PROMO))
    for delay in RETRY_DELAYS:
        [kept] = left_in_outbox(seeded)
        assert logged(seeded, decision.id).state == "pending"
        assert kept.last_error is not None and "could not be reached" in kept.last_error
        assert pipeline.run_due() == 0  # not due before its delay
        clock.set(clock.now() + delay)
        pipeline.run_due()
    failed = logged(seeded, decision.id)
    assert failed.state == "failed" and "could not be reached" in (failed.error or "")
    assert left_in_outbox(seeded) == []
    assert outbox(seeded, MARIA) == []


def test_over_http_a_service_back_up_gets_the_message_on_the_next_tick(
    seeded: Database, clock: FixedClock, service: str
) -> None:
    down = pipeline_with(seeded, clock, http_messaging(f"http://127.0.0.1:{free_port()}/m"))
    decision = down.decide(request(MARIA, PROMO))
    assert logged(seeded, decision.id).state == "pending"
    back = pipeline_with(seeded, clock, http_messaging(service))
    clock.set(clock.now() + timedelta(minutes=1))
    assert back.run_due() == 1
    assert logged(seeded, decision.id).state == "dispatched"
    assert outbox(seeded, MARIA) == [("whatsapp", "marketing", PROMO.body)]
