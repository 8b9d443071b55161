"""The clock the engine runs on: the wall clock, or a simulated one that tests and demos move.

`CEREBRO_CLOCK=simulated` (never in production) keeps the time in the database
(`simulated_clock`), so every process and every restart sees the same time, and it only moves
when an admin advances it (`POST /v1/admin/clock/advance`, `cerebro clock advance 48h`): a 48-hour
wait then takes a second to test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from cerebro.clock import Clock, SystemClock
from journeys.config import EngineSettings
from journeys.schema import SimulatedClockRecord, table
from journeys.store import upsert
from memory.db import Database

_clock = table(SimulatedClockRecord)


class ClockError(Exception):
    """The clock cannot do what was asked (not simulated, or asked to go back)."""


class SimulatedClock:
    """Time kept in the database; it stands still until `advance` or `advance_to` moves it.

    Reading it never waits for a writer (it is a plain read on a connection of its own, outside
    any transaction of the caller), so it can be read while an engine transaction is open; the
    first read of a new database stores the start time."""

    def __init__(self, db: Database, start: datetime | None = None) -> None:
        self._db = db
        self._start = start

    def now(self) -> datetime:
        found = self._read()
        if found is not None:
            return found
        with self._db.engine.begin() as connection:
            connection.execute(
                upsert(connection)(_clock)
                .values(
                    id=1, now=self._start or SystemClock().now(), updated_at=SystemClock().now()
                )
                .on_conflict_do_nothing(index_elements=[_clock.c.id])
            )
        stored = self._read()
        assert stored is not None
        return stored

    def _read(self) -> datetime | None:
        connection = self._db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT now FROM simulated_clock WHERE id = 1")
            row = cursor.fetchone()
        finally:
            connection.close()  # back to the pool, which rolls back what the read began
        if row is None:
            return None
        value = row[0]
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        assert isinstance(moment, datetime)
        return moment.replace(tzinfo=UTC)

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward by `by` (not negative); returns the new time."""
        if by < timedelta(0):
            raise ClockError("the clock only moves forward")
        return self._move(lambda now: now + by)

    def advance_to(self, to: datetime) -> datetime:
        """Move the clock to `to` (aware, not before the current time)."""
        if to.tzinfo is None:
            raise ClockError("the target time needs a time zone")

        def target(now: datetime) -> datetime:
            if to < now:
                raise ClockError(
                    f"the clock only moves forward: it is {now.isoformat()}, "
                    f"{to.isoformat()} is earlier"
                )
            return to.astimezone(UTC)

        return self._move(target)

    def _move(self, target: Callable[[datetime], datetime]) -> datetime:
        self.now()  # make sure the row exists
        with self._db.engine.begin() as connection:
            current: datetime = connection.execute(
                select(_clock.c.now).where(_clock.c.id == 1).with_for_update()
            ).scalar_one()
            moved: datetime = target(current)
            connection.execute(
                update(_clock)
                .where(_clock.c.id == 1)
                .values(now=moved, updated_at=SystemClock().now())
            )
            return moved


def build_clock(settings: EngineSettings, db: Database) -> Clock:
    """The clock `CEREBRO_CLOCK` asks for."""
    if settings.clock == "simulated":
        return SimulatedClock(db, settings.clock_start)
    return SystemClock()


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """`48h`, `2d`, `90m`, `1h30m`, `45s` or a plain number of seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    try:
        return timedelta(seconds=float(cleaned))
    except ValueError:
        pass
    matches = list(_DURATION.finditer(cleaned))
    if not matches or "".join(m.group(0) for m in matches) != cleaned:
        raise ValueError(f"not a duration: {text!r} (try 48h, 2d, 90m, 1h30m or 45s)")
    return timedelta(seconds=sum(float(m.group(1)) * _UNIT_SECONDS[m.group(2)] for m in matches))
