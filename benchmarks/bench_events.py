"""Events ingested and decided per second, and the time from event to decision, next to a bare
insert of the same events into the same database, measured in the same run.

    .venv/bin/python benchmarks/bench_events.py [--profiles 100000] [--events 20000] [--repeat 3]

Setup: a freshly migrated SQLite database with `--profiles` customers, their consents and their
profiles (a lean seeding: customers, consents and profile rows only, no orders). Each run starts
from a copy of it.

Rows (in process, no HTTP):
- one event per transaction: `Pipeline.ingest` for each event (what `/v1/track` does). Each event
  resolves its identity, is stored (idempotently), updates the profile, and a handler asks the
  policy layer for the next best action among two offers; the decision is logged with its
  reasons, and a `send`'s message is queued by the embedded messaging in the same transaction
  (the default deployment). Latency: from handing the event over to its commit.
- batches of 100: `Pipeline.ingest_batch` (what `/v1/batch` and a bus worker do), same work, the
  batch's messages queued together before its commit; an event's latency runs from the start of
  its batch to the batch's commit.
- batches of 10: the same in smaller batches. An event waits for its whole batch, so the
  batch size trades throughput for latency: this row shows what a p99 of a few milliseconds
  costs in events per second.
- batches of 100, remote messaging: the same with a messaging adapter that is not on this
  database (a stub that answers at once, standing for a company's service without its network
  time): messages go through the outbox table and the relay (claim, send, record) after the
  commit, as with `CEREBRO_MESSAGING_URL`.
- example journeys, batches of 100 and of 10: the same events, with the journey runtime and the
  example journeys of `journeys/examples` (what `make run` serves) instead of a decision on every
  event: each event is checked against every journey's trigger and against the runs its
  customer is in; a "Cart Abandoned" enters the cart journey (a run row, its first steps, a
  timer, and a "Journey Entered" event ingested after the commit). Decisions come only when a
  step sends, here none within the run (the reminder waits an hour).
- example journeys, batches of 10, customers with a history: the same, on profiles that already
  hold what an active customer's does (the newest 50 pages seen, traits, a cart, sentiments, a
  ticket: `with_history`), from a second database seeded so. The other rows start from empty
  profiles, which cost less to read and write.
- bare insert: the same events, converted to what SQLite stores, inserted into the same `events`
  table with the standard library's `sqlite3` executemany in one transaction: the floor of
  "writing events down", with no identity, profile, decision or outbox work. It takes a few
  milliseconds, so one scheduling hiccup on the shared machine moves it a lot: each run takes the
  median of `BARE_REPEAT` inserts, each into a fresh copy of the database.

The mix: 60% track (Product Added, Cart Abandoned...), 25% page, 15% identify, over random
customers; each run uses new message ids. Medians of `--repeat` runs. The machine is small and
noisy: compare rows of the same run.

Each run starts, as `cerebro serve` and `cerebro worker` do once started, with the heap built so
far frozen (`cerebro.heap`): without it one full garbage collection of about 50 ms lands in one
run's batches and not another's, and the batches' p99 doubles or not by chance.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from cerebro.clock import FixedClock
from cerebro.heap import freeze_startup_heap
from cerebro.settings import Settings
from journeys.events import Event
from journeys.pipeline import EventContext, Pipeline
from journeys.policy import Candidate, SendRequest
from journeys.profile_rows import to_row
from journeys.profiles import (
    MAX_PAGES,
    CartItem,
    PageView,
    Profile,
    SentimentFact,
    TicketFact,
)
from journeys.runtime import attach
from journeys.runtime_settings import JourneySettings
from journeys.schema import ProfileRecord, table
from memory.db import Database
from memory.migrate import upgrade
from memory.schema import Consent, Customer
from tools.factory import Toolbox, build_toolbox

NOW = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
BATCH = 100
SMALL_BATCH = 10
BARE_REPEAT = 5
OFFERS = (
    Candidate(offer_id="discount", purpose="marketing", body="10% off", propensity=0.3, value=2),
    Candidate(offer_id="help", purpose="service", body="Need a hand?", propensity=0.2),
)
EXAMPLE_JOURNEYS = Path(__file__).resolve().parent.parent / "journeys" / "examples"
TIMEZONES = ("Europe/Madrid", "Europe/London", "America/Mexico_City", "America/New_York")


class RemoteStub:
    """A messaging service elsewhere that answers at once and keeps nothing."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, customer_id: str, **_message: Any) -> Any:
        self.sent += 1
        return SimpleNamespace(id=f"MSG-{self.sent}")


class NextBestAction:
    """The decision taken on every event: the better of two offers, through the policy layer."""

    def handle(self, event: Event, context: EventContext) -> None:
        context.decide(SendRequest(customer_id=context.profile_after.id, candidates=OFFERS))


def seed_profiles(db: Database, count: int, *, history: bool = False) -> None:
    """Customers, their consents and their profiles: what the hot path reads. With `history`,
    each profile already holds what an active customer's does (`with_history`)."""
    rng = random.Random(7)
    chunk = 5000
    with db.session() as session:
        connection = session.connection()
        for start in range(0, count, chunk):
            customers, consents, profiles = [], [], []
            for n in range(start, min(start + chunk, count)):
                customer_id = f"CUS-{n + 1:06d}"
                channel = rng.choice(("email", "whatsapp", "sms"))
                timezone = rng.choice(TIMEZONES)
                customers.append(
                    {
                        "id": customer_id,
                        "first_name": "Ana",
                        "last_name": "Bench",
                        "email": f"c{n}@example.com",
                        "phone": f"+3460{n:07d}",
                        "language": "es",
                        "timezone": timezone,
                        "preferred_channel": channel,
                        "tier": "standard",
                        "lifetime_value_cents": rng.randrange(0, 200_000),
                        "created_at": NOW,
                    }
                )
                for consent_channel in ("email", channel):
                    for purpose in ("service", "marketing"):
                        consents.append(
                            {
                                "customer_id": customer_id,
                                "channel": consent_channel,
                                "purpose": purpose,
                                "granted": rng.random() < 0.7,
                                "updated_at": NOW,
                            }
                        )
                profile = Profile(
                    id=customer_id,
                    created_at=NOW,
                    last_seen_at=NOW,
                    customer_id=customer_id,
                    timezone=timezone,
                    preferred_channel=channel,  # type: ignore[arg-type]
                )
                if history:
                    profile = with_history(profile, rng)
                profiles.append({"id": customer_id, **to_row(profile, NOW)})
            connection.execute(insert(table(Customer)), customers)
            unique = {(c["customer_id"], c["channel"], c["purpose"]): c for c in consents}
            connection.execute(insert(table(Consent)), list(unique.values()))
            connection.execute(insert(table(ProfileRecord)), profiles)


def with_history(profile: Profile, rng: random.Random) -> Profile:
    """The profile of a customer who has been around: the last `MAX_PAGES` pages they saw,
    a few traits, two items in the cart, recent sentiments and a resolved ticket."""
    day = timedelta(days=1)
    return replace(
        profile,
        traits={"plan": "plus", "newsletter": True, "city": "Madrid", "age_band": "35-44"},
        trait_times=dict.fromkeys(("plan", "newsletter", "city", "age_band"), NOW - 30 * day),
        pages=tuple(
            PageView(
                path=f"/products/{rng.randrange(500)}", at=NOW - day + n * timedelta(minutes=9)
            )
            for n in range(MAX_PAGES)
        ),
        cart=tuple(
            CartItem(sku=f"SKU-{n}", quantity=1, added_at=NOW - day, price_cents=1990)
            for n in range(2)
        ),
        sentiments=tuple(SentimentFact(score=0.4, at=NOW - n * day) for n in (9, 5, 2)),
        tickets=(TicketFact("TCK-1", "low", "resolved", NOW - 20 * day, "delivery"),),
    )


def seeded_template(folder: Path, profiles: int, history: bool, console: Console) -> Path:
    """A migrated database with `profiles` customers and profiles, to copy for each run."""
    template = folder / f"template{'-history' if history else ''}.db"
    db = Database(f"sqlite:///{template}")
    upgrade(db)
    started = time.perf_counter()
    seed_profiles(db, profiles, history=history)
    db.dispose()  # the last connection closing folds the WAL into the file we copy
    console.print(
        f"Seeded {profiles:,} customers and profiles{' with a history' if history else ''} in "
        f"{time.perf_counter() - started:.1f} s."
    )
    return template


def make_events(count: int, profiles: int, run: int) -> list[Event]:
    rng = random.Random(run)
    events = []
    for n in range(count):
        user = f"CUS-{rng.randrange(profiles) + 1:06d}"
        at = NOW - timedelta(seconds=rng.randrange(3600))
        common: dict[str, Any] = {
            "message_id": f"bench-{run}-{n}",
            "source": "api",
            "timestamp": at,
            "received_at": NOW,
            "user_id": user,
            "context": {"library": {"name": "bench"}},
        }
        kind = rng.random()
        if kind < 0.6:
            name = rng.choice(("Product Added", "Product Viewed", "Cart Abandoned"))
            properties = {"sku": f"SKU-{rng.randrange(500)}", "price": 19.9, "quantity": 1}
            events.append(Event(type="track", name=name, properties=properties, **common))
        elif kind < 0.85:
            path = f"/products/{rng.randrange(500)}"
            events.append(Event(type="page", properties={"path": path}, **common))
        else:
            traits = {"plan": rng.choice(("free", "plus")), "newsletter": rng.random() < 0.5}
            events.append(Event(type="identify", traits=traits, **common))
    return events


@dataclass
class Measure:
    seconds: float
    latencies_ms: list[float]


@dataclass(frozen=True)
class Mode:
    """One row: how the events go in, what reacts to them, and where messages go."""

    label: str
    measure: Callable[[Path, Pipeline, list[Event]], Measure]
    journeys: bool = False
    """The example journeys (what `make run` serves) instead of a decision on every event."""
    remote: bool = False
    """A messaging service elsewhere (the outbox and its relay) instead of the embedded one."""
    history: bool = False
    """Profiles that already hold an active customer's history (`with_history`)."""


def run_single(pipeline: Pipeline, events: list[Event]) -> Measure:
    latencies = []
    started = time.perf_counter()
    for event in events:
        before = time.perf_counter()
        pipeline.ingest(event, "wk:bench")
        latencies.append((time.perf_counter() - before) * 1000)
    return Measure(time.perf_counter() - started, latencies)


def run_batches(pipeline: Pipeline, events: list[Event], size: int = BATCH) -> Measure:
    latencies = []
    started = time.perf_counter()
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        before = time.perf_counter()
        pipeline.ingest_batch(chunk, "wk:bench")
        latencies.extend([(time.perf_counter() - before) * 1000] * len(chunk))
    return Measure(time.perf_counter() - started, latencies)


def run_bare_median(template: Path, path: Path, events: list[Event]) -> Measure:
    """The median of `BARE_REPEAT` bare inserts, each into a fresh copy of the database."""
    measures = []
    for _ in range(BARE_REPEAT):
        remove_database(path)
        shutil.copy(template, path)
        measures.append(run_bare(path, events))
    return sorted(measures, key=lambda measure: measure.seconds)[BARE_REPEAT // 2]


def run_bare(path: Path, events: list[Event]) -> Measure:
    def stored(at: datetime) -> str:
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    rows = [
        (
            "wk:bare",
            e.message_id,
            e.source,
            e.type,
            e.name,
            e.user_id,
            e.user_id,
            None,
            stored(e.timestamp),
            stored(e.received_at),
            json.dumps(
                {
                    k: dict(v)
                    for k, v in (
                        ("properties", e.properties),
                        ("traits", e.traits),
                        ("context", e.context),
                    )
                    if v
                }
            ),
        )
        for e in events
    ]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO events (source_key, message_id, source, type, name, profile_id, user_id, "
        "anonymous_id, timestamp, received_at, payload) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return Measure(seconds, [seconds * 1000] * len(events))


def remove_database(path: Path) -> None:
    """The file and its WAL and shared-memory files: a WAL left behind would be replayed into
    the next copy made under the same name, and corrupt it."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    load_at_start = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="cerebro-bench-events-") as folder:
        templates = {
            history: seeded_template(Path(folder), args.profiles, history, console)
            for history in (False, True)
        }
        template = templates[False]
        console.print(f"{args.events:,} events per run, {args.repeat} runs.")

        def fresh(run: int, mode: Mode) -> tuple[Path, Database, Pipeline]:
            path = Path(folder) / f"run-{run}.db"
            shutil.copy(templates[mode.history], path)
            database = Database(f"sqlite:///{path}")
            clock = FixedClock(NOW)
            tools = build_toolbox(Settings(), database, clock)
            if mode.remote:
                tools = Toolbox(tools.crm, tools.logistics, RemoteStub(), tools.routing)  # type: ignore[arg-type]
            pipeline = Pipeline(database, clock, tools)
            if mode.journeys:
                attach(pipeline, JourneySettings(journeys_dir=EXAMPLE_JOURNEYS))
            else:
                pipeline.add_handler(NextBestAction())
            return path, database, pipeline

        modes = {
            "single": Mode("one event per transaction", lambda _p, pipe, ev: run_single(pipe, ev)),
            "batch": Mode(f"batches of {BATCH}", lambda _p, pipe, ev: run_batches(pipe, ev)),
            "small": Mode(
                f"batches of {SMALL_BATCH}",
                lambda _p, pipe, ev: run_batches(pipe, ev, SMALL_BATCH),
            ),
            "remote": Mode(
                f"batches of {BATCH}, remote messaging (outbox relay)",
                lambda _p, pipe, ev: run_batches(pipe, ev),
                remote=True,
            ),
            "journeys": Mode(
                f"example journeys, batches of {BATCH}",
                lambda _p, pipe, ev: run_batches(pipe, ev),
                journeys=True,
            ),
            "journeys-small": Mode(
                f"example journeys, batches of {SMALL_BATCH}",
                lambda _p, pipe, ev: run_batches(pipe, ev, SMALL_BATCH),
                journeys=True,
            ),
            "history": Mode(
                f"example journeys, batches of {SMALL_BATCH}, customers with a history",
                lambda _p, pipe, ev: run_batches(pipe, ev, SMALL_BATCH),
                journeys=True,
                history=True,
            ),
            "bare": Mode(
                f"bare insert (sqlite3 executemany, median of {BARE_REPEAT})",
                lambda path, _pipe, ev: run_bare_median(template, path, ev),
            ),
        }
        rows: dict[str, list[Measure]] = {name: [] for name in modes}
        for run in range(args.repeat):
            events = make_events(args.events, args.profiles, run)
            for name, mode in modes.items():
                path, database, pipeline = fresh(run, mode)
                freeze_startup_heap()
                rows[name].append(mode.measure(path, pipeline, events))
                gc.unfreeze()
                database.dispose()
                remove_database(path)

    bare_rate = statistics.median(args.events / m.seconds for m in rows["bare"])
    result = Table(title=f"Events ingested and decided ({args.profiles:,} profiles, SQLite)")
    for column in ("path", "events/s", "p50 ms", "p99 ms", "share of bare insert rate"):
        result.add_column(column, justify="left" if column == "path" else "right")
    for name, measures in rows.items():
        rate = statistics.median(args.events / m.seconds for m in measures)
        p50 = statistics.median(percentile(m.latencies_ms, 0.50) for m in measures)
        p99 = statistics.median(percentile(m.latencies_ms, 0.99) for m in measures)
        result.add_row(
            modes[name].label, f"{rate:,.0f}", f"{p50:.2f}", f"{p99:.2f}", f"{rate / bare_rate:.1%}"
        )
    console.print(result)
    console.print("Goal: 10,000 events/s and p99 under 5 ms (docs/journeys.md, section Speed).")
    console.print(
        "Load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}; at the end: "
        "{:.2f} {:.2f} {:.2f} (the machine is shared: other work slows every row).".format(
            *load_at_start, *os.getloadavg()
        )
    )
    console.print(f"CPU time of this process: {time.process_time():.1f} s.")


if __name__ == "__main__":
    main()
