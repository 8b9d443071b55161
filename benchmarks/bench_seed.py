"""Seeding throughput, next to a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_seed.py [--customers 20000] [--repeat 3] [--no-postgres]

Rows of the table:
- seed, SQLite: `memory.demo.seeding.seed` into a freshly migrated SQLite database (the demo
  generator plus SQLAlchemy Core executemany, one transaction), as `cerebro seed` runs it;
- generator only: the same rows generated into memory, no database;
- baseline, sqlite3: the same rows, generated beforehand and converted to what SQLite stores,
  inserted with the standard library's `sqlite3` executemany in one transaction into a freshly
  migrated database with the same pragmas (WAL, synchronous=NORMAL, foreign keys on);
- seed, PostgreSQL: when the server answers (in a throwaway schema, dropped afterwards).

Each is repeated and the medians reported, in wall-clock and in CPU seconds: on a small machine
shared with other jobs the clock varies a lot, the CPU time much less. Compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from memory.db import Database
from memory.demo.generator import Chunk, generate
from memory.demo.seeding import seed
from memory.migrate import upgrade
from memory.schema import DOMAIN_TABLES

POSTGRES_URL = os.environ.get(
    "CEREBRO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
Batch = tuple[str, list[tuple[Any, ...]]]
SEED, BASELINE = "seed, SQLite", "baseline, sqlite3"


def _stored(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite (naive UTC text, 0/1, JSON text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def _statements() -> dict[str, tuple[str, list[str]]]:
    statements = {}
    for table in DOMAIN_TABLES:
        columns = [column.name for column in table.columns]
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        statements[table.name] = (sql, columns)
    return statements


def baseline_batches(chunks: list[Chunk]) -> list[Batch]:
    statements = _statements()
    batches = []
    for chunk in chunks:
        for name, rows in chunk.tables.items():
            sql, columns = statements[name]
            batches.append((sql, [tuple(_stored(row[c]) for c in columns) for row in rows]))
    return batches


@dataclass(frozen=True)
class Run:
    rows: int
    wall: float
    """Seconds on the clock."""
    cpu: float
    """CPU seconds of this process (for PostgreSQL: the client's side only); steadier than the
    clock when other jobs share the machine."""


def timed(work: Callable[[], int]) -> Run:
    """Run `work` (which returns the rows it handled) and time it."""
    wall, cpu = time.perf_counter(), time.process_time()
    rows = work()
    return Run(rows, time.perf_counter() - wall, time.process_time() - cpu)


def migrated_sqlite(folder: Path) -> Path:
    path = folder / f"{uuid.uuid4().hex}.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


def run_seed(url: str, customers: int) -> Run:
    """Seed a freshly migrated database; the migration is not timed."""
    db = Database(url)
    try:
        upgrade(db)
        return timed(lambda: seed(db, customers).rows)
    finally:
        db.dispose()


def run_generation(customers: int) -> Run:
    return timed(lambda: sum(chunk.rows for chunk in generate(customers)))


def run_baseline(path: Path, batches: list[Batch]) -> Run:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            connection.execute(f"PRAGMA {pragma}")

        def insert_all() -> int:
            connection.execute("BEGIN IMMEDIATE")
            for sql, rows in batches:
                connection.executemany(sql, rows)
            connection.execute("COMMIT")
            return sum(len(rows) for _, rows in batches)

        return timed(insert_all)
    finally:
        connection.close()


def baseline_runs(folder: Path, customers: int, times: int) -> list[Run]:
    """The baseline runs; the pre-generated rows are freed when it returns."""
    batches = baseline_batches(list(generate(customers)))
    return [run_baseline(migrated_sqlite(folder), batches) for _ in range(times)]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A throwaway PostgreSQL schema; yields a URL whose search_path points at it."""
    schema = f"cerebro_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def postgres_reachable() -> str | None:
    """None if the server answers, else why not."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means "no server to measure"
        return str(error).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL row")
    arguments = parser.parse_args()
    if arguments.customers < 1 or arguments.repeat < 1:
        parser.error("--customers and --repeat must be at least 1")
    console = Console()
    console.width = max(console.width, 100)  # the table needs it, even in a pipe
    customers, times = arguments.customers, arguments.repeat
    console.print(f"Seeding {customers:,} customers, {times} times each...")
    measured: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory() as folder:
        measured[SEED] = [
            run_seed(f"sqlite:///{migrated_sqlite(Path(folder))}", customers) for _ in range(times)
        ]
        measured["generator only"] = [run_generation(customers) for _ in range(times)]
        measured[BASELINE] = baseline_runs(Path(folder), customers, times)
    skipped = "--no-postgres given" if arguments.no_postgres else postgres_reachable()
    if skipped is None:
        measured["seed, PostgreSQL"] = []
        for _ in range(times):
            with postgres_schema() as url:
                measured["seed, PostgreSQL"].append(run_seed(url, customers))
    print_table(console, customers, times, measured)
    if skipped is not None:
        console.print(f"PostgreSQL row skipped: {skipped}")


def print_table(
    console: Console, customers: int, times: int, measured: dict[str, list[Run]]
) -> None:
    table = Table(title=f"Seeding {customers:,} customers: medians of {times} runs")
    for column in ("run", "rows", "wall s", "rows/s", "CPU s", "rows/CPU s", "wall s, each"):
        table.add_column(column, justify="left" if column == "run" else "right", no_wrap=True)
    per_second: dict[str, tuple[float, float]] = {}
    for name, runs in measured.items():
        rows = runs[0].rows
        wall = statistics.median(run.wall for run in runs)
        cpu = statistics.median(run.cpu for run in runs)
        per_second[name] = (rows / wall, rows / cpu)
        each = ", ".join(f"{run.wall:.1f}" for run in runs)
        table.add_row(
            name, f"{rows:,}", f"{wall:.1f}", f"{rows / wall:,.0f}", f"{cpu:.1f}",
            f"{rows / cpu:,.0f}", each,
        )  # fmt: skip
    console.print(table)
    by_wall = per_second[SEED][0] / per_second[BASELINE][0]
    by_cpu = per_second[SEED][1] / per_second[BASELINE][1]
    console.print(f"seeding / baseline, rows per second: {by_wall:.2f} (wall), {by_cpu:.2f} (CPU)")


if __name__ == "__main__":
    main()
