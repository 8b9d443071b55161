"""The scaled mode's database: events ingested and decided per second on PostgreSQL by one and by
two processes, each on its own customers (as the bus's partitions split them), next to a bare
insert of the same events into the same table, measured in the same run.

    .venv/bin/python benchmarks/bench_events_postgres.py [--profiles 100000] [--events 6000]

PostgreSQL from `CEREBRO_BENCH_POSTGRES_URL` (default: the test server,
postgresql+psycopg://postgres@127.0.0.1:5432/test); the benchmark works in a schema of its own,
dropped at the end, and says so and stops when there is no server.

Rows (what `benchmarks/bench_events.py` measures on SQLite, here in batches of 100):
- example journeys, and a decision on every event, each with 1 and with 2 processes. Each
  process ingests `--events` events of its own customers (customer number modulo the number of
  processes), in batches of 100, starting together; events/s is all their events over the
  slowest one's time. Client CPU is the processes' own, per event (PostgreSQL's is not in it).
- bare insert: the same events with psycopg's `executemany` in one transaction.

A process spends most of an event waiting for PostgreSQL's answers (about 100 us a statement
here, against about 10 us for SQLite in the process), so a second process works while the first
waits, and PostgreSQL's own work takes the same two cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import psycopg
from bench_events import (
    BATCH,
    EXAMPLE_JOURNEYS,
    NOW,
    NextBestAction,
    make_events,
    percentile,
    seed_profiles,
)
from bench_seed import POSTGRES_URL, postgres_reachable, postgres_schema
from psycopg.types.json import Jsonb
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from cerebro.clock import FixedClock
from cerebro.heap import freeze_startup_heap
from cerebro.settings import Settings
from journeys.events import Event
from journeys.pipeline import Pipeline
from journeys.runtime import attach
from journeys.runtime_settings import JourneySettings
from memory.db import Database
from memory.migrate import upgrade
from tools.factory import build_toolbox


@dataclass(frozen=True)
class Share:
    """What one process did."""

    events: int
    seconds: float
    cpu_seconds: float
    latencies_ms: list[float]


def own_events(profiles: int, count: int, part: int, parts: int, seed: int) -> list[Event]:
    """`count` events of the customers whose number modulo `parts` is `part`."""
    events = make_events(count * parts * 2, profiles, seed)
    return [event for event in events if int(str(event.user_id)[4:]) % parts == part][:count]


def ingest_share(
    url: str, journeys: bool, events: list[Event], barrier: Barrier, results: Queue[Share]
) -> None:
    """One process: its own pipeline and connections, then its events once all are ready."""
    database = Database(url)
    clock = FixedClock(NOW)
    pipeline = Pipeline(database, clock, build_toolbox(Settings(), database, clock))
    if journeys:
        attach(pipeline, JourneySettings(journeys_dir=EXAMPLE_JOURNEYS))
    else:
        pipeline.add_handler(NextBestAction())
    freeze_startup_heap()
    barrier.wait()
    latencies: list[float] = []
    cpu, started = time.process_time(), time.perf_counter()
    for start in range(0, len(events), BATCH):
        chunk = events[start : start + BATCH]
        before = time.perf_counter()
        pipeline.ingest_batch(chunk, f"wk:bench-{os.getpid()}")
        latencies.extend([(time.perf_counter() - before) * 1000] * len(chunk))
    seconds = time.perf_counter() - started
    results.put(Share(len(events), seconds, time.process_time() - cpu, latencies))
    database.dispose()


def run_processes(url: str, journeys: bool, shares: list[list[Event]]) -> list[Share]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(shares))
    results: Queue[Share] = context.Queue()
    processes = [
        context.Process(target=ingest_share, args=(url, journeys, events, barrier, results))
        for events in shares
    ]
    for process in processes:
        process.start()
    done = [results.get() for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit code {process.exitcode})")
    return done


def naive_utc(at: datetime) -> datetime:
    """How the events table keeps times (`UTCDateTime`: naive UTC)."""
    return at.astimezone(UTC).replace(tzinfo=None)


def bare_insert(url: str, events: list[Event], run: int) -> float:
    """Seconds to insert `events` with psycopg's executemany in one transaction."""
    target = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows: list[tuple[Any, ...]] = [
        (
            f"wk:bare-{run}",
            event.message_id,
            event.source,
            event.type,
            event.name,
            event.user_id,
            event.user_id,
            None,
            naive_utc(event.timestamp),
            naive_utc(event.received_at),
            Jsonb({"properties": dict(event.properties), "traits": dict(event.traits)}),
        )
        for event in events
    ]
    with psycopg.connect(target) as connection:
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO events (source_key, message_id, source, type, name, profile_id, "
                "user_id, anonymous_id, timestamp, received_at, payload) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=6_000, help="per process")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    console = Console()
    skipped = postgres_reachable()
    if skipped is not None:
        console.print(f"PostgreSQL benchmark skipped: no server at {POSTGRES_URL} ({skipped}).")
        return
    load_at_start = os.getloadavg()
    with postgres_schema() as url:
        database = Database(url)
        upgrade(database)
        started = time.perf_counter()
        seed_profiles(database, args.profiles)
        database.dispose()
        console.print(
            f"Seeded {args.profiles:,} customers and profiles on PostgreSQL in "
            f"{time.perf_counter() - started:.1f} s; {args.events:,} events per process and run, "
            f"{args.repeat} runs."
        )
        rows: dict[tuple[str, int], list[list[Share]]] = {}
        bare: list[float] = []
        seed = 0
        for run in range(args.repeat):
            for label, journeys in (
                ("example journeys", True),
                ("a decision on every event", False),
            ):
                for parts in (1, 2):
                    seed += 1
                    shares = [
                        own_events(args.profiles, args.events, part, parts, seed * 10 + part)
                        for part in range(parts)
                    ]
                    measured = run_processes(url, journeys, shares)
                    rows.setdefault((label, parts), []).append(measured)
            seed += 1
            events = make_events(args.events, args.profiles, seed * 10)
            bare.append(len(events) / bare_insert(url, events, run))

    table = Table(title=f"Events ingested and decided ({args.profiles:,} profiles, PostgreSQL)")
    for column in ("path", "processes", "events/s", "p50 ms", "p99 ms", "client CPU us/event"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for (label, parts), runs in rows.items():
        rate = statistics.median(
            sum(s.events for s in shares) / max(s.seconds for s in shares) for shares in runs
        )
        latencies = [[ms for s in shares for ms in s.latencies_ms] for shares in runs]
        cpu = statistics.median(
            sum(s.cpu_seconds for s in shares) / sum(s.events for s in shares) * 1e6
            for shares in runs
        )
        table.add_row(
            f"{label}, batches of {BATCH}",
            str(parts),
            f"{rate:,.0f}",
            f"{statistics.median(percentile(found, 0.50) for found in latencies):.1f}",
            f"{statistics.median(percentile(found, 0.99) for found in latencies):.1f}",
            f"{cpu:,.0f}",
        )
    table.add_row("bare insert (psycopg executemany)", "1", f"{statistics.median(bare):,.0f}")
    console.print(table)
    console.print(
        "Load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}; at the end: "
        "{:.2f} {:.2f} {:.2f}.".format(*load_at_start, *os.getloadavg())
    )


if __name__ == "__main__":
    main()
