"""The durable runtime itself: its tables, timers that fire once with two workers, waits and
their timeouts, exits, versions that running instances keep, jobs (CRM tasks, webhooks against
a local server) and what happens when something breaks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI, Request, Response
from sqlalchemy import MetaData, delete, func, select

from cerebro.clock import FixedClock
from cerebro.settings import Settings
from journeys.definitions import versions
from journeys.definitions.conditions import PROFILE_FIELDS
from journeys.events import parse_message
from journeys.pipeline import Pipeline
from journeys.profiles import new_profile
from journeys.runtime import JourneyRuntime, attach, profile_facts
from journeys.runtime_jobs import RETRY_DELAYS
from journeys.runtime_schema import (
    JOURNEY_TABLES,
    JourneyInstanceRecord,
    JourneyJobRecord,
    JourneyVersionRecord,
)
from journeys.runtime_settings import JourneySettings
from journeys.schema import DecisionRecord
from journeys.webhooks import WebhookError, call_webhook
from memory.db import Database
from memory.schema import Base
from tests.journeys.conftest import MARIA, NOON, OLIVIA
from tests.web import serve_in_thread
from tools.factory import build_toolbox

HOUR = timedelta(hours=1)


def make_pipeline(db: Database, clock: FixedClock, **settings: Any) -> Pipeline:
    pipeline = Pipeline(db, clock, build_toolbox(Settings(), db, clock))
    attach(pipeline, JourneySettings(**settings))
    return pipeline


@pytest.fixture
def engine(seeded: Database) -> Iterator[tuple[Pipeline, FixedClock]]:
    clock = FixedClock(NOON)
    pipeline = make_pipeline(seeded, clock)
    yield pipeline, clock
    pipeline.close()


def define(pipeline: Pipeline, source: str) -> int:
    version, _created = versions.save(pipeline.db, source, "test", pipeline.clock.now())
    return version.version


def track(pipeline: Pipeline, name: str, user: str | None = None, **extra: Any) -> None:
    message: dict[str, Any] = {"type": "track", "event": name, "properties": extra}
    if user is not None:
        message["userId"] = user
    if "anonymous" in extra:
        message["anonymousId"] = extra.pop("anonymous")
    pipeline.ingest(parse_message(message, received_at=pipeline.clock.now()), "wk:test")


def instances(db: Database, journey_id: str) -> list[Any]:
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                select(JourneyInstanceRecord.__table__)
                .where(JourneyInstanceRecord.journey_id == journey_id)
                .order_by(JourneyInstanceRecord.id)
            )
        )


def journey_decisions(db: Database, step: str) -> list[Any]:
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                select(DecisionRecord.__table__)
                .where(DecisionRecord.step == step)
                .order_by(DecisionRecord.id)
            )
        )


def jobs(db: Database) -> list[Any]:
    with db.engine.connect() as connection:
        return list(
            connection.execute(select(JourneyJobRecord.__table__).order_by(JourneyJobRecord.id))
        )


PING = """
id: ping
name: Ping
trigger: {event: Ping}
reentry: {mode: always}
steps:
  - wait: {duration: 1h}
  - id: ping
    send: {offer_id: ping, purpose: service, body: "Ping {{ journey.instance }}"}
"""


def test_the_migration_builds_exactly_the_runtime_tables(db: Database) -> None:
    declared = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in JOURNEY_TABLES:
        table.to_metadata(declared)

    def ours(name: str | None, kind: str, _parents: Any) -> bool:
        return kind != "table" or name in declared.tables

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        assert set(declared.tables) <= set(connection.dialect.get_table_names(connection))
        assert compare_metadata(context, declared) == []


def test_two_runtimes_polling_one_database_fire_each_timer_once(seeded: Database) -> None:
    clock = FixedClock(NOON)
    workers = [make_pipeline(Database(seeded.url), clock) for _ in range(2)]
    define(workers[0], PING)
    visitors = 12
    for number in range(visitors):
        track(workers[number % 2], "Ping", anonymous=f"visitor-{number}")
    clock.set(NOON + 2 * HOUR)
    start = threading.Barrier(2)
    done: list[int] = []

    def tick(pipeline: Pipeline) -> None:
        start.wait()
        done.append(pipeline.run_due())

    threads = [threading.Thread(target=tick, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for worker in workers:
        worker.close()
        worker.db.dispose()
    assert sum(done) == visitors
    fired = journey_decisions(seeded, "ping")
    assert len(fired) == visitors
    assert len({row.profile_id for row in fired}) == visitors
    assert {row.status for row in instances(seeded, "ping")} == {"completed"}


def test_a_wait_for_an_event_resumes_on_a_match_or_times_out(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, clock = engine
    define(
        pipeline,
        """
id: answer
name: Await an answer
trigger: {event: Asked}
steps:
  - wait:
      event: Answered
      where: [{field: event.question, equals: "{{ trigger.question }}"}]
      timeout: 2h
  - id: thanks
    send: {offer_id: thanks, purpose: service, body: "Thanks"}
""",
    )
    track(pipeline, "Asked", MARIA, question="q1")
    track(pipeline, "Asked", OLIVIA, question="q2")
    track(pipeline, "Answered", MARIA, question="another")
    assert journey_decisions(seeded, "thanks") == []
    track(pipeline, "Answered", MARIA, question="q1")
    assert [row.profile_id for row in journey_decisions(seeded, "thanks")] == [MARIA]
    clock.set(NOON + 3 * HOUR)
    assert pipeline.run_due() >= 1
    maria, olivia = instances(seeded, "answer")
    assert maria.status == "completed"
    assert (olivia.status, olivia.end_reason) == ("exited", "no Answered within the timeout")
    assert [row.profile_id for row in journey_decisions(seeded, "thanks")] == [MARIA]


def test_exit_criteria_and_condition_triggers(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, clock = engine
    define(
        pipeline,
        """
id: big-cart
name: Big cart
trigger:
  condition: {field: profile.cart_value_cents, above: 10000}
reentry: {mode: never}
exit_when:
  - condition: {field: profile.cart_items, equals: 0}
steps:
  - wait: {duration: 1d}
  - id: nudge
    send: {offer_id: nudge, purpose: service, body: "Still thinking?"}
""",
    )
    track(pipeline, "Product Added", MARIA, sku="A", price=50.0)
    assert instances(seeded, "big-cart") == []
    track(pipeline, "Product Added", MARIA, sku="B", price=60.0)
    [run] = instances(seeded, "big-cart")
    assert (run.status, run.waiting) == ("active", "timer")
    track(pipeline, "Product Removed", MARIA, sku="A")
    track(pipeline, "Product Removed", MARIA, sku="B")
    clock.set(NOON + 2 * timedelta(days=1))
    pipeline.run_due()
    [run] = instances(seeded, "big-cart")
    assert (run.status, run.end_reason) == ("exited", "exit: condition")
    assert journey_decisions(seeded, "nudge") == []
    track(pipeline, "Product Added", MARIA, sku="C", price=500.0)
    assert len(instances(seeded, "big-cart")) == 1  # re-entry: never


def test_running_instances_keep_the_version_they_started_on(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, clock = engine
    assert define(pipeline, PING) == 1
    track(pipeline, "Ping", MARIA)
    assert define(pipeline, PING.replace("Ping {{", "Pong {{")) == 2
    assert define(pipeline, PING.replace("Ping {{", "Pong {{")) == 2  # unchanged: no version
    track(pipeline, "Ping", OLIVIA)
    clock.set(NOON + 2 * HOUR)
    pipeline.run_due()
    runs = {row.profile_id: row.version for row in instances(seeded, "ping")}
    assert runs == {MARIA: 1, OLIVIA: 2}
    bodies = {
        message.customer_id: message.body
        for customer in (MARIA, OLIVIA)
        for message in pipeline.tools.messaging.list_messages(customer, 1)
    }
    assert bodies[MARIA].startswith("Ping") and bodies[OLIVIA].startswith("Pong")


def test_waiting_until_a_time_of_day_uses_the_customers_time_zone(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, _clock = engine
    define(
        pipeline,
        """
id: morning
name: Next morning
trigger: {event: Evening}
steps:
  - wait: {until: "09:30"}
  - send: {offer_id: morning, purpose: service, body: Buenos días}
""",
    )
    track(pipeline, "Evening", MARIA)  # Madrid (UTC+1 in November): 12:00 local now
    track(pipeline, "Evening", OLIVIA)  # London: 11:00 local now
    waits = {row.profile_id: row.wait_until for row in instances(seeded, "morning")}
    assert waits[MARIA] == NOON.replace(hour=8, minute=30) + timedelta(days=1)
    assert waits[OLIVIA] == NOON.replace(hour=9, minute=30) + timedelta(days=1)


def test_identifying_a_visitor_brings_their_journeys_along(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, _clock = engine
    define(pipeline, PING)
    track(pipeline, "Ping", anonymous="browser-1")
    [run] = instances(seeded, "ping")
    assert run.profile_id == "anon:browser-1"
    track(pipeline, "Signed In", MARIA, anonymous="browser-1")
    [run] = instances(seeded, "ping")
    assert run.profile_id == MARIA
    with seeded.engine.connect() as connection:
        [membership] = pipeline.membership_readers[0].memberships(connection, MARIA)
    assert (membership.journey_id, membership.step, membership.status) == (
        "ping",
        "step-1",
        "active",
    )


def test_a_run_whose_definition_is_gone_fails_instead_of_blocking_anything(
    seeded: Database,
) -> None:
    clock = FixedClock(NOON)
    pipeline = make_pipeline(seeded, clock)
    define(pipeline, PING)
    track(pipeline, "Ping", MARIA)
    track(pipeline, "Ping", OLIVIA)
    pipeline.close()
    with seeded.session() as session:
        session.execute(delete(JourneyVersionRecord))
    restarted = make_pipeline(seeded, clock)  # nothing cached
    track(restarted, "Signed In", MARIA)  # her events still go through
    clock.set(NOON + 2 * HOUR)
    assert restarted.run_due() == 1  # Olivia's timer
    runs = {row.profile_id: row for row in instances(seeded, "ping")}
    assert {run.status for run in runs.values()} == {"failed"}
    assert runs[OLIVIA].end_reason == "LookupError: journey ping has no version 1"
    assert restarted.run_due() == 0
    restarted.close()


def test_what_journeys_emit_cannot_make_them_loop(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, _clock = engine
    define(
        pipeline,
        """
id: touch
name: Touch on identify
trigger: {type: identify}
reentry: {mode: always}
steps:
  - update_traits: {touched: "{{ journey.instance }}"}
""",
    )
    for journey_id, after in (
        ("start", None),
        ("ping-a", "[start, ping-b]"),
        ("ping-b", "[ping-a]"),
    ):
        trigger = (
            "{event: Go}"
            if after is None
            else f"{{event: Journey Completed, where: [{{field: event.journey_id, in: {after}}}]}}"
        )
        define(
            pipeline,
            f"id: {journey_id}\nname: {journey_id}\ntrigger: {trigger}\n"
            "reentry: {mode: always}\nsteps:\n  - release: nothing\n",
        )
    pipeline.ingest(
        parse_message({"type": "identify", "userId": MARIA}, received_at=NOON), "wk:test"
    )
    track(pipeline, "Go", MARIA)
    assert len(instances(seeded, "touch")) == 1
    # start -> ping-a -> ping-b, and there the chain stops (MAX_CHAIN_DEPTH).
    assert [len(instances(seeded, name)) for name in ("start", "ping-a", "ping-b")] == [1, 1, 1]


def test_a_task_for_a_visitor_without_a_customer_record_fails_at_once(
    engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    pipeline, _clock = engine
    define(
        pipeline,
        """
id: call-back
name: Call back
trigger: {event: Call Me}
steps:
  - task: {subject: Call back, description: "They asked for a call"}
""",
    )
    track(pipeline, "Call Me", anonymous="browser-9")
    [job] = jobs(seeded)
    assert (job.kind, job.status) == ("task", "failed")
    assert job.last_error == "no customer record: a CRM ticket needs a known customer"


# --- webhooks --------------------------------------------------------------------------------


class Receiver:
    """A local HTTP server standing in for a company's webhook endpoint."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        self.failures_left = 0
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.calls.append(("hook", dict(request.headers), await request.json()))
            if self.failures_left:
                self.failures_left -= 1
                return Response(status_code=503, content="busy")
            return Response(status_code=204)

        @self.app.post("/slow")
        def slow() -> Response:
            time.sleep(1.5)
            return Response(status_code=204)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    made = Receiver()
    with serve_in_thread(made.app) as base_url:
        yield made, base_url


def hook_journey(url: str, body: str = "") -> str:
    return f"""
id: notify
name: Notify
trigger: {{event: Order Completed}}
steps:
  - webhook:
      url: {url}
      headers: {{X-Shop: demo}}
{body}
"""


def test_a_webhook_step_calls_the_endpoint_after_the_commit(
    receiver: tuple[Receiver, str], engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    server, base_url = receiver
    pipeline, _clock = engine
    define(pipeline, hook_journey(f"{base_url}/hook"))
    track(pipeline, "Order Completed", MARIA, order_id="ORD-1", revenue=10.0)
    assert server.calls == []  # a job: it runs on the next tick
    pipeline.run_due()
    [(_, headers, body)] = server.calls
    assert headers["x-shop"] == "demo"
    assert headers["idempotency-key"].startswith("cerebro-journey-job-")
    assert body["journey"] == {"id": "notify", "name": "Notify"}
    assert body["profile_id"] == MARIA and body["customer_id"] == MARIA
    assert body["trigger"] == {"order_id": "ORD-1", "revenue": 10.0}
    assert [job.status for job in jobs(seeded)] == ["done"]


def test_a_failing_webhook_is_retried_with_the_same_key_then_given_up(
    receiver: tuple[Receiver, str], engine: tuple[Pipeline, FixedClock], seeded: Database
) -> None:
    server, base_url = receiver
    pipeline, clock = engine
    define(
        pipeline,
        hook_journey(f"{base_url}/hook", '      body: {order: "{{ event.order_id }}"}'),
    )
    server.failures_left = 1
    track(pipeline, "Order Completed", MARIA, order_id="ORD-2")
    pipeline.run_due()
    [job] = jobs(seeded)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error == f"POST {base_url}/hook: HTTP 503 busy"
    clock.set(NOON + RETRY_DELAYS[0])
    pipeline.run_due()
    assert [call[2] for call in server.calls] == [{"order": "ORD-2"}] * 2
    keys = {call[1]["idempotency-key"] for call in server.calls}
    assert len(keys) == 1
    assert [job.status for job in jobs(seeded)] == ["done"]

    server.failures_left = 100
    track(pipeline, "Order Completed", OLIVIA, order_id="ORD-3")
    for delay in (timedelta(0), *RETRY_DELAYS):
        clock.set(clock.now() + delay)
        pipeline.run_due()
    last = jobs(seeded)[-1]
    assert (last.status, last.attempts) == ("failed", len(RETRY_DELAYS) + 1)


def test_a_webhook_that_answers_too_late_times_out(receiver: tuple[Receiver, str]) -> None:
    _server, base_url = receiver
    with pytest.raises(WebhookError, match=r"no answer within 0\.3 s"):
        call_webhook(
            f"{base_url}/slow",
            method="POST",
            body={},
            headers={},
            timeout=0.3,
            idempotency_key="k",
        )
    with pytest.raises(WebhookError, match="ConnectError"):
        call_webhook(
            "http://127.0.0.1:9/nothing",
            method="POST",
            body={},
            headers={},
            timeout=0.3,
            idempotency_key="k",
        )


def test_profile_facts_offer_exactly_the_documented_fields() -> None:
    facts = profile_facts(new_profile("CUS-1", NOON))
    assert set(facts) - {"traits"} == PROFILE_FIELDS


def test_the_runtime_reads_new_versions_saved_by_another_process(seeded: Database) -> None:
    runtime = JourneyRuntime(JourneySettings())
    with seeded.engine.connect() as connection:
        assert runtime.newest(connection) == []
    versions.save(seeded, PING, "elsewhere", NOON)
    with seeded.engine.connect() as connection:
        [(version, journey)] = runtime.newest(connection)
        count = connection.execute(select(func.count()).select_from(JourneyVersionRecord)).scalar()
    assert (version, journey.id, count) == (1, "ping", 1)
