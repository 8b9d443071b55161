"""Seeding a database with the demo data: streamed chunk by chunk, in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from memory.db import Database
from memory.demo.generator import DEFAULT_CHUNK_SIZE, DEFAULT_NOW, DEFAULT_SEED, generate
from memory.transfer.bulk import ensure_empty, insert_rows, raise_id_counters


@dataclass(frozen=True)
class SeedProgress:
    customers_done: int
    rows: int
    """Rows inserted so far."""


@dataclass(frozen=True)
class SeedResult:
    customers: int
    rows: int
    seconds: float
    rows_by_table: dict[str, int]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def seed(
    db: Database,
    customers: int,
    *,
    seed: int = DEFAULT_SEED,
    now: datetime = DEFAULT_NOW,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[SeedProgress], None] | None = None,
) -> SeedResult:
    """Fill an empty, migrated database with the demo data for `customers` customers.

    All or nothing: one transaction, so an error or an interruption leaves the database empty.
    Raises `DatabaseNotEmptyError` if any domain table already has rows. Afterwards `next_id`
    continues after the seeded ids.
    """
    started = time.perf_counter()
    rows_by_table: dict[str, int] = {}
    done = rows = 0
    last_ids: dict[str, int] = {}
    with db.engine.begin() as connection:
        ensure_empty(connection)
        for chunk in generate(customers, seed=seed, now=now, chunk_size=chunk_size):
            for table_name, table_rows in chunk.tables.items():
                insert_rows(connection, table_name, table_rows)
                rows_by_table[table_name] = rows_by_table.get(table_name, 0) + len(table_rows)
            done += chunk.customers
            rows += chunk.rows
            last_ids = chunk.last_ids
            if progress:
                progress(SeedProgress(done, rows))
        raise_id_counters(connection, {p: n for p, n in last_ids.items() if n > 0})
    return SeedResult(customers, rows, time.perf_counter() - started, rows_by_table)
