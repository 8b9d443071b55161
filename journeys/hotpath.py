"""The statements of the ingestion hot path, run on the DBAPI cursor of the caller's connection.

SQLAlchemy Core costs about 100 us per statement on this project's machines, against about 10 us
for the driver itself; an event takes about eight statements, so the hot path talks to the driver
directly, inside the transaction SQLAlchemy opened (savepoints included). Values are converted as
SQLAlchemy would store them (`UTCDateTime`: naive UTC; JSON: text on SQLite, `json` on
PostgreSQL), so rows written here and rows written through the ORM are the same. Every statement
runs on both databases in the test suite. JSON goes through orjson (about ten times faster than
the standard library on these documents; the text differs only in not escaping non-ASCII), with
the standard library for what orjson refuses (integers beyond 64 bits).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg.types.json import Json
from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class Sql:
    """One statement, written with `?` placeholders, in each database's parameter style."""

    sqlite: str
    postgresql: str


def sql(text: str, *, postgresql_suffix: str = "") -> Sql:
    return Sql(text, text.replace("?", "%s") + postgresql_suffix)


class Raw:
    """The driver's cursor on a connection that is inside a transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        """The SQLAlchemy connection, for the statements off the hot path."""
        self.postgres = connection.dialect.name == "postgresql"
        self._cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._times: dict[datetime, Any] = {}
        """Times already converted in this transaction: most statements store its `now`."""

    def run(self, statement: Sql, params: Sequence[Any]) -> Any:
        """Execute; the cursor is returned for `fetchone`/`fetchall`."""
        self._cursor.execute(statement.postgresql if self.postgres else statement.sqlite, params)
        return self._cursor

    def run_many(self, statement: Sql, rows: Sequence[Sequence[Any]]) -> None:
        """Execute once per row of parameters (`executemany`)."""
        self._cursor.executemany(statement.postgresql if self.postgres else statement.sqlite, rows)

    def time(self, value: datetime | None) -> Any:
        """A parameter for a `UTCDateTime` column."""
        if value is None:
            return None
        stored = self._times.get(value)
        if stored is None:
            naive = value.astimezone(UTC).replace(tzinfo=None)
            stored = naive if self.postgres else naive.isoformat(" ", "microseconds")
            self._times[value] = stored
        return stored

    def read_time(self, value: Any) -> datetime | None:
        """A `UTCDateTime` column's value, aware in UTC (None stays None)."""
        return None if value is None else self.time_of(value)

    def time_of(self, value: Any) -> datetime:
        """A non-null `UTCDateTime` column's value, aware in UTC."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)

    def json(self, value: Any) -> Any:
        """A parameter for a `JSON` column."""
        return Json(value, dumps=dumps) if self.postgres else dumps(value)

    def read_json(self, value: Any) -> Any:
        return orjson.loads(value) if isinstance(value, str) else value


def dumps(value: Any) -> str:
    """`value` as JSON text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits, say
        return json.dumps(value)
