"""The scaled deployment, for real: events through Redis Streams (the bus) to workers deciding
on PostgreSQL. Each customer's events stay in order across two workers; a consumer killed with
entries in hand loses nothing and nothing is decided or sent twice; the María scenario runs
through the bus."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.app import create_app
from cerebro.clock import FixedClock, SystemClock
from cerebro.settings import Settings
from journeys.bus import EventBus
from journeys.events import Event
from journeys.pipeline import EventContext, Pipeline, build_pipeline
from journeys.schema import DecisionRecord, EventRecord
from journeys.worker import Worker
from memory.db import Database
from memory.demo.seeding import seed
from memory.schema import Message
from tests.conftest import open_database
from tests.journeys.conftest import (
    ADMIN_TOKEN,
    DIEGO,
    EMILY,
    JAVIER,
    MARIA,
    NOON,
    OLIVIA,
    WRITE_KEY,
    engine_settings,
)
from tests.journeys.test_policy_pipeline import SURVEY, request
from tests.journeys.test_scenarios import EXAMPLES, HOUR, START, Cerebro
from tests.journeys.test_served_restart import Served
from tests.services import REDIS_URL, postgres_schema, redis_prefix
from tests.test_serve import CEREBRO
from tests.web import free_port
from tools.factory import build_toolbox
from tools.reference_server import create_reference_app

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

SOURCE_KEY = "wk:bus-test"
PARTITIONS = 4


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    """PostgreSQL with the five story customers."""
    with ExitStack() as stack:
        db = open_database("postgresql", tmp_path, stack)
        seed(db, 5)
        yield db


@pytest.fixture
def bus() -> Iterator[EventBus]:
    """The bus on the real Redis, under a prefix of its own (removed afterwards)."""
    with redis_prefix() as (client, prefix):
        yield EventBus(client, PARTITIONS, prefix=prefix)


class AskToSend:
    """A handler that asks the policy layer for a (service) message on every event."""

    def handle(self, event: Event, context: EventContext) -> None:
        assert event.user_id is not None
        context.decide(request(event.user_id, SURVEY))


def pipeline_on(db: Database, *, deciding: bool = False) -> Pipeline:
    clock = FixedClock(NOON)
    made = Pipeline(db, clock, build_toolbox(Settings(), db, clock))
    if deciding:
        made.add_handler(AskToSend())
    return made


def event(user_id: str, n: int) -> Event:
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    return Event(
        type="track",
        message_id=f"{user_id}-{n}",
        source="api",
        timestamp=at,
        received_at=at,
        user_id=user_id,
        name="Step",
        properties={"n": n},
    )


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class Running:
    """Workers consuming in background threads until the block ends."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=w.run, args=(self.stop,)) for w in workers]

    def __enter__(self) -> Running:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        for worker in self.workers:
            worker.pipeline.close()


def worker(db: Database, bus: EventBus, name: str, **options: Any) -> Worker:
    return Worker(
        pipeline_on(db, deciding=options.pop("deciding", False)),
        bus,
        name,
        **{"lease": 2.0, "block_ms": 50, "due_interval": 3600.0, **options},
    )


def customers_on_every_partition(bus: EventBus) -> list[str]:
    """Customer ids that, together, land on every partition (twice each)."""
    found: dict[int, list[str]] = {}
    n = 0
    while any(len(found.get(p, [])) < 2 for p in range(bus.partitions)):
        n += 1
        customer = f"CUS-9{n:05d}"
        found.setdefault(bus.partition_of(event(customer, 0)), []).append(customer)
    return [c for ids in found.values() for c in ids[:2]]


def stored_order(db: Database) -> dict[str, list[int]]:
    """Each profile's events, in the order they were stored."""
    with db.session() as session:
        rows = session.execute(
            select(EventRecord.profile_id, EventRecord.payload).order_by(EventRecord.id)
        ).all()
    order: dict[str, list[int]] = {}
    for profile_id, payload in rows:
        order.setdefault(profile_id, []).append(payload["properties"]["n"])
    return order


def test_each_customers_events_stay_in_order_across_two_workers(
    pg: Database, bus: EventBus
) -> None:
    customers = customers_on_every_partition(bus)
    first, second = worker(pg, bus, "w1"), worker(pg, bus, "w2")
    per_customer = 25
    with Running(first, second):
        wait_for(lambda: len(first.partitions) == len(second.partitions) == PARTITIONS // 2)
        assert set(first.partitions).isdisjoint(second.partitions)
        for n in range(per_customer):  # interleaved, in waves, while the workers consume
            bus.publish([event(customer, n) for customer in customers], SOURCE_KEY)
        total = per_customer * len(customers)
        wait_for(lambda: first.processed + second.processed == total)
    assert first.processed > 0 and second.processed > 0
    order = stored_order(pg)
    assert set(order) == set(customers)
    assert all(order[c] == list(range(per_customer)) for c in customers)
    assert all(bus.pending(p) == 0 for p in range(PARTITIONS))


def test_a_killed_consumers_entries_are_reclaimed_and_decided_once(
    pg: Database, bus: EventBus
) -> None:
    customers = [MARIA, OLIVIA, DIEGO, EMILY, JAVIER]
    sent = [event(customer, n) for n in range(8) for customer in customers]
    bus.publish(sent, SOURCE_KEY)

    doomed = worker(pg, bus, "doomed", lease=1.0, deciding=True)
    doomed.step()  # takes every partition, reads and decides what it can
    assert doomed.processed == len(sent)
    # Now the same with a consumer that dies in the middle: publish again (new messages),
    # read them all, decide half (committed, not acknowledged), and never come back.
    more = [event(customer, n) for n in range(8, 16) for customer in customers]
    bus.publish(more, SOURCE_KEY)
    in_hand = bus.read_new("doomed", doomed.partitions, count=1000, block_ms=100)
    assert len(in_hand) == len(more)
    half = in_hand[: len(in_hand) // 2]
    doomed.pipeline.ingest_batch([e.event for e in half], source_keys=[e.source_key for e in half])
    assert sum(bus.pending(p) for p in range(PARTITIONS)) == len(more)

    survivor = worker(pg, bus, "survivor", lease=1.0, deciding=True)
    with Running(survivor):
        wait_for(lambda: survivor.processed == len(more), seconds=30)
    assert all(bus.pending(p) == 0 for p in range(PARTITIONS))
    assert all(bus.client.xlen(bus.stream(p)) == 0 for p in range(PARTITIONS))
    assert all("doomed" not in bus.consumers(p) for p in range(PARTITIONS))  # forgotten
    total = len(sent) + len(more)
    with pg.session() as session:
        events = session.scalar(select(func.count()).select_from(EventRecord))
        decisions = session.execute(select(DecisionRecord.outcome, DecisionRecord.message_id)).all()
        messages = session.scalars(select(Message.id).where(Message.body == SURVEY.body)).all()
    assert events == len(decisions) == total  # one decision per event, none twice
    send_ids = [str(message_id) for outcome, message_id in decisions if outcome == "send"]
    assert send_ids and sorted(send_ids) == sorted(messages)  # one message per send, none twice
    order = stored_order(pg)
    assert all(order[c] == list(range(16)) for c in customers)


class LosesTheLease:
    """Stands for a stall past the lease: on event 2 another worker takes the partition."""

    def __init__(self, client: redis.Redis, lease_key: str) -> None:
        self.client = client
        self.lease_key = lease_key

    def handle(self, event: Event, context: EventContext) -> None:
        if event.properties.get("n") == 2:
            self.client.set(self.lease_key, "another-worker's-token", px=60_000)


def test_a_worker_that_lost_its_lease_commits_nothing_and_the_new_owner_decides_once(
    pg: Database, bus: EventBus
) -> None:
    partition = bus.partition_of(event(MARIA, 0))
    lease_key = f"{bus.prefix}:partition-lease:{partition}"
    bus.publish([event(MARIA, n) for n in range(6)], SOURCE_KEY)
    stalled = worker(pg, bus, "stalled", deciding=True)
    stalled.pipeline.add_handler(LosesTheLease(bus.client, lease_key))
    stalled.step()
    assert stalled.processed == 0 and partition not in stalled.partitions
    assert MARIA not in stored_order(pg)  # the whole batch was rolled back
    assert bus.pending(partition) == 6  # kept for the partition's new owner

    bus.client.delete(lease_key)  # that owner is gone too
    successor = worker(pg, bus, "successor", deciding=True)
    successor.step()
    assert stored_order(pg)[MARIA] == list(range(6))
    with pg.session() as session:
        decisions = session.scalar(select(func.count()).select_from(DecisionRecord))
    assert decisions == 6  # one per event: nothing of the stalled batch survived
    assert bus.pending(partition) == 0
    assert bus.consumers(partition) == ["successor"]


def test_entries_left_pending_by_a_stalled_worker_reach_the_owner_after_a_lease(
    pg: Database, bus: EventBus
) -> None:
    owner = worker(pg, bus, "owner", lease=1.0)
    owner.step()  # holds every partition
    partition = bus.partition_of(event(MARIA, 0))
    bus.publish([event(MARIA, n) for n in range(4)], SOURCE_KEY)
    # A worker that lost the partition but has not noticed yet reads them, then stalls.
    assert len(bus.read_new("stalled", [partition], count=10, block_ms=100)) == 4
    owner.step()
    assert MARIA not in stored_order(pg)  # not theirs to take yet: they may still come
    with Running(owner):  # renewing its leases all along: no takeover, the entries age
        wait_for(lambda: stored_order(pg).get(MARIA) == [0, 1, 2, 3], seconds=20)
        wait_for(lambda: bus.consumers(partition) == ["owner"], seconds=20)
    assert all(bus.consumers(p) == [] for p in range(PARTITIONS))  # it left the group


def test_maria_through_the_bus(pg: Database, bus: EventBus) -> None:
    settings = engine_settings(clock_start=START, due_interval=3600)
    app = create_app(Settings(admin_token=SecretStr(ADMIN_TOKEN)), pg)
    app.state.engine_settings = settings
    app.state.bus = bus
    consumer = Worker(
        build_pipeline(Settings(), pg, settings), bus, "w1", block_ms=50, due_interval=3600.0
    )
    with (
        TestClient(app) as api,
        TestClient(create_reference_app(pg, SystemClock())) as tools,
        Running(consumer),
    ):
        cerebro = Cerebro(api, tools)
        for path in sorted(EXAMPLES.glob("*.yaml")):
            cerebro.upload(path.read_text(encoding="utf-8"))
        opened = cerebro.track(MARIA, "Ticket Opened", ticket_id="TCK-000900", severity="critical")
        assert opened["queued"] is True and opened["messageId"]
        cerebro.track(MARIA, "Ticket Resolved", ticket_id="TCK-000900")
        wait_for(lambda: consumer.processed == 2)
        assert cerebro.journeys(MARIA)["incident-recovery"]["step"] == "let_it_settle"
        cerebro.advance(48 * HOUR - 60)
        assert cerebro.decisions(MARIA, "incident_survey") == []
        cerebro.advance(60)
        [survey] = cerebro.decisions(MARIA, "incident_survey")
        assert (survey["outcome"], survey["channel"], survey["state"]) == (
            "send",
            "whatsapp",
            "dispatched",
        )
        answered = cerebro.track(
            MARIA, "Survey Answered", survey_id="incident_survey", positive=True, score=5
        )
        assert answered["queued"] is True
        wait_for(lambda: consumer.processed == 3)
        [welcome] = cerebro.sent(MARIA, "welcome_back_after_incident")
        assert "TCK-000900" in welcome["body"]
        assert cerebro.journeys(MARIA)["incident-recovery"]["status"] == "completed"
        cerebro.advance(48 * HOUR)
        assert len(cerebro.sent(MARIA, "incident_survey")) == 1


def test_served_api_and_worker_processes_survive_a_killed_worker(
    bus: EventBus, tmp_path: Path
) -> None:
    """`cerebro serve` and `cerebro worker` as a user runs them; a worker SIGKILLed between
    two of María's events is replaced and the journey goes on."""
    with postgres_schema() as url:
        env = {
            **os.environ,
            "CEREBRO_DATA_DIR": str(tmp_path),
            "CEREBRO_DATABASE_URL": url,
            "CEREBRO_REDIS_URL": REDIS_URL,
            "CEREBRO_BUS_PREFIX": bus.prefix,
            "CEREBRO_BUS_PARTITIONS": str(PARTITIONS),
            "CEREBRO_BUS_LEASE": "1",
            "CEREBRO_LOG_LEVEL": "WARNING",
            "CEREBRO_CLOCK": "simulated",
            "CEREBRO_CLOCK_START": START.isoformat(),
            "CEREBRO_ADMIN_TOKEN": ADMIN_TOKEN,
            "CEREBRO_WRITE_KEYS": WRITE_KEY,
            "CEREBRO_JOURNEYS_DIR": str(EXAMPLES),
            "CEREBRO_DUE_INTERVAL": "3600",
        }
        for command in (["migrate"], ["seed", "--customers", "5"]):
            done = subprocess.run([CEREBRO, *command], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        server = Served(env)
        first = start_worker(env, "w1")
        second: subprocess.Popen[bytes] | None = None
        try:
            server.track("Ticket Opened", ticket_id="TCK-000900", severity="critical")
            wait_for(lambda: server.step() == "until_resolved")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
            server.track("Ticket Resolved", ticket_id="TCK-000900")
            time.sleep(0.5)
            assert server.step() == "until_resolved"  # nobody consumes
            second = start_worker(env, "w2")
            wait_for(lambda: server.step() == "let_it_settle")
            server.advance(48 * HOUR)
            [survey] = server.surveys()
            assert (survey["outcome"], survey["state"]) == ("send", "dispatched")
            second.terminate()
            _, stderr = second.communicate(timeout=30)
            assert second.returncode == 0 and b"Traceback" not in stderr
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)
            server.stop()


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CEREBRO, "worker", "--name", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_without_redis_is_a_clear_cli_error(tmp_path: Path) -> None:
    env = {**os.environ, "CEREBRO_DATA_DIR": str(tmp_path)}
    env.pop("CEREBRO_REDIS_URL", None)
    result = subprocess.run([CEREBRO, "worker"], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "CEREBRO_REDIS_URL" in result.stderr and "Traceback" not in result.stderr


class RejectsNumberThree:
    """A handler that fails on one event (say, a bug a journey hits)."""

    def handle(self, event: Event, context: EventContext) -> None:
        if event.properties.get("n") == 3:
            raise RuntimeError("cannot handle this one")


def test_an_event_that_fails_goes_to_the_dead_letters_and_the_rest_goes_on(
    pg: Database, bus: EventBus
) -> None:
    bus.publish([event(MARIA, n) for n in range(6)], SOURCE_KEY)
    consumer = worker(pg, bus, "w1")
    consumer.pipeline.add_handler(RejectsNumberThree())
    consumer.step()
    assert consumer.processed == 6
    assert stored_order(pg)[MARIA] == [0, 1, 2, 4, 5]
    [(_, fields)] = cast(list[Any], bus.client.xrange(f"{bus.prefix}:events:dead"))
    assert json.loads(fields[b"event"])["message_id"] == f"{MARIA}-3"
    assert b"rolled back" in fields[b"error"]
    assert all(bus.pending(p) == 0 for p in range(PARTITIONS))


class DatabaseDown(Exception):
    pass


def test_when_the_database_fails_nothing_is_acknowledged_and_order_is_kept(
    pg: Database, bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus.publish([event(MARIA, n) for n in range(3)], SOURCE_KEY)
    consumer = worker(pg, bus, "w1")
    real = consumer.pipeline.ingest_batch

    def down(*_args: object, **_kwargs: object) -> None:
        raise DatabaseDown

    monkeypatch.setattr(consumer.pipeline, "ingest_batch", down)
    consumer.step()
    assert consumer.processed == 0
    assert sum(bus.pending(p) for p in range(PARTITIONS)) == 3  # read, kept for a retry
    bus.publish([event(MARIA, n) for n in range(3, 5)], SOURCE_KEY)
    monkeypatch.setattr(consumer.pipeline, "ingest_batch", real)
    consumer.step()  # the pending ones first, then what came after
    consumer.step()
    assert consumer.processed == 5
    assert stored_order(pg)[MARIA] == [0, 1, 2, 3, 4]
    assert all(bus.pending(p) == 0 for p in range(PARTITIONS))


def test_a_batch_through_the_bus_is_queued_item_by_item(pg: Database, bus: EventBus) -> None:
    app = create_app(Settings(admin_token=SecretStr(ADMIN_TOKEN)), pg)
    app.state.engine_settings = engine_settings()
    app.state.bus = bus
    items = [
        {"type": "track", "userId": MARIA, "event": "Step", "properties": {"n": 0}},
        {"type": "track", "userId": MARIA},
        {"type": "track", "userId": OLIVIA, "event": "Step", "properties": {"n": 0}},
    ]
    with TestClient(app) as api:
        response = api.post("/v1/batch", json={"batch": items}, auth=(WRITE_KEY, ""))
    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["queued", "invalid", "queued"]
    assert results[1]["errors"][0]["field"] == "batch[1].event"
    consumer = worker(pg, bus, "w1")
    consumer.step()
    assert consumer.processed == 2
    assert stored_order(pg) == {MARIA: [0], OLIVIA: [0]}


def test_with_redis_down_ingestion_is_a_503_and_nothing_is_accepted(pg: Database) -> None:
    app = create_app(Settings(admin_token=SecretStr(ADMIN_TOKEN)), pg)
    app.state.engine_settings = engine_settings()
    app.state.bus = EventBus(redis.Redis(port=free_port(), socket_connect_timeout=1), 4)
    with TestClient(app) as api:
        response = api.post(
            "/v1/track", json={"userId": MARIA, "event": "Step"}, auth=(WRITE_KEY, "")
        )
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/bus-unavailable"
    assert "nothing was accepted" in response.json()["detail"]
    assert stored_order(pg) == {}
