"""Bulk loading shared by seeding and import: the empty-database check, executemany inserts, and
moving `id_counters` past the ids that were loaded."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from memory.schema import DOMAIN_TABLES, Customer, IdCounter

_COUNTER_ID = re.compile(r"([A-Z]+)-(\d+)")
"""Ids in the form `memory.db.next_id` produces, e.g. `ORD-100042`."""


class DatabaseNotEmptyError(Exception):
    """Loading refuses a database that already holds data: ids and references would clash."""

    def __init__(self, customers: int, table: str) -> None:
        self.customers = customers
        self.table = table
        """The first table found with rows."""
        super().__init__(
            f"the database already holds data ({customers:,} customers, rows in {table}); "
            "use an empty database"
        )


def ensure_empty(connection: Connection) -> None:
    """Raise `DatabaseNotEmptyError` unless every domain table is empty.

    Called first in the loading transaction. On PostgreSQL it also locks the customers table
    against other writers until the transaction ends, so that of two loads started at once the
    second waits, then finds the data of the first (SQLite's write lock does the same).
    """
    customers = Customer.__table__
    if connection.dialect.name == "postgresql":
        name = connection.dialect.identifier_preparer.format_table(customers)
        connection.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
    for table in DOMAIN_TABLES:
        if connection.execute(select(1).select_from(table).limit(1)).first() is not None:
            count = connection.execute(select(func.count()).select_from(customers)).scalar_one()
            raise DatabaseNotEmptyError(int(count), table.name)


def insert_rows(connection: Connection, table_name: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the table's every column) with one executemany."""
    if rows:
        connection.execute(_TABLES[table_name].insert(), list(rows))


class HighestIds:
    """The highest number seen per prefix, among ids that look like `next_id`'s (`ORD-100042`)."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def see(self, value: str) -> None:
        match = _COUNTER_ID.fullmatch(value)
        if match:
            prefix, number = match[1], int(match[2])
            if number > self.numbers.get(prefix, 0):
                self.numbers[prefix] = number


def raise_id_counters(connection: Connection, last_numbers: Mapping[str, int]) -> None:
    """Make `next_id` continue after `last_numbers` (prefix -> last number used), never going back.

    `id_counters.next_value` holds the last number handed out: `next_id` adds one and uses it.
    """
    statement = select(IdCounter.prefix, IdCounter.next_value)
    current = {prefix: value for prefix, value in connection.execute(statement)}
    for prefix, number in sorted(last_numbers.items()):
        if prefix not in current:
            connection.execute(insert(IdCounter).values(prefix=prefix, next_value=number))
        elif current[prefix] < number:
            connection.execute(
                update(IdCounter).where(IdCounter.prefix == prefix).values(next_value=number)
            )


_TABLES = {table.name: table for table in DOMAIN_TABLES}
