"""The demo data as a stream of chunks: reference data first, then customers a chunk at a time.

Everything comes from random generators seeded from `seed` (one each for the catalogue, the
agents and the customers, so that the first customers come out the same whatever the number of
customers and agents; only the agents owning their tickets differ) and every timestamp is relative
to a fixed "now": the same arguments give the same rows, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random

from memory.demo.agents import AgentPool, agent_count, build_agents
from memory.demo.builder import Builder
from memory.demo.catalogue import build_catalogue
from memory.demo.crowd import random_customer
from memory.demo.ids import Ids
from memory.demo.rows import Row
from memory.demo.stories import STORIES
from memory.schema import DOMAIN_TABLES

DEFAULT_SEED = 42
DEFAULT_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
"""The moment the demo data describes; fixed so that the output does not depend on the date."""
DEFAULT_CHUNK_SIZE = 1_000


@dataclass(frozen=True)
class Chunk:
    """Rows of some tables (table name -> rows), ready to insert in `DOMAIN_TABLES` order."""

    tables: dict[str, list[Row]]
    customers: int
    """How many customers this chunk adds (0 for the reference data: catalogue and agents)."""
    last_ids: dict[str, int]
    """Last number used per id prefix so far, e.g. {"ORD": 100250}: what `id_counters` holds."""

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def generate(
    customers: int,
    *,
    seed: int = DEFAULT_SEED,
    now: datetime = DEFAULT_NOW,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[Chunk]:
    """The demo data for `customers` customers; the first ones are the story customers.

    Only one chunk of customers is in memory at a time, whatever `customers` is.
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, not {customers}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ids = Ids()
    catalogue = build_catalogue(Random(f"{seed}:catalogue"), ids)
    agents = build_agents(agent_count(customers), Random(f"{seed}:agents"), ids)
    reference = {
        "products": catalogue.products,
        "product_variants": catalogue.variants,
        "human_agents": agents,
    }
    yield Chunk(_in_table_order(reference), 0, dict(ids.last))
    builder = Builder(Random(f"{seed}:customers"), now, ids, catalogue, AgentPool(agents))
    done = 0
    while done < customers:
        size = min(chunk_size, customers - done)
        for number in range(done + 1, done + size + 1):
            if number <= len(STORIES):
                STORIES[number - 1](builder)
            else:
                random_customer(builder)
        done += size
        yield Chunk(_in_table_order(builder.take_rows()), size, dict(ids.last))


def _in_table_order(tables: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """The non-empty tables, parents first."""
    return {table.name: tables[table.name] for table in DOMAIN_TABLES if tables.get(table.name)}
