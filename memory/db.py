"""Engines and sessions for the one schema, on SQLite (embedded) or PostgreSQL (scaled)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from memory.schema import IdCounter
from memory.wal import SAFETY_PAGES, WalCheckpointer

READ_ONLY_OPTION = "cerebro_read_only"
"""Execution option marking a connection's transactions as reads (see `Database.read_session`)."""


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or none)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The stdlib driver opens transactions lazily; let SQLAlchemy's BEGIN be the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        # A read-only transaction begins deferred: in WAL mode it never waits for a writer.
        # Straight to the driver: through `exec_driver_sql` the BEGIN cost about a tenth of a
        # one-event transaction of the journeys' hot path.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.connection.dbapi_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine plus a session factory: the one handle the rest of Cerebro passes around."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.engine = create_db_engine(self.url, **engine_kwargs)
        self._checkpoints: WalCheckpointer | None = None
        """SQLite file: WAL checkpoints on a thread of their own, not in a writer's commit."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            self._checkpoints = WalCheckpointer(str(parsed.database))
            event.listen(self.engine, "connect", _checkpoint_rarely)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session
        if self._checkpoints is not None:
            self._checkpoints.committed()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in one transaction: committed on success, rolled back on any
        error. For code that needs no ORM: an empty transaction through `session` costs about
        twice as much (60 us against 27 on SQLite; the journeys' event transactions make an ORM
        session only if a handler asks)."""
        with self.engine.connect() as connection, connection.begin():
            yield connection
        if self._checkpoints is not None:
            self._checkpoints.committed()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads only, in one transaction that is always rolled back.

        On SQLite its transaction begins deferred, not IMMEDIATE: it reads a snapshot without
        taking the write lock, so lookups neither wait behind writers nor hold them up (with
        every read taking the lock, 50 concurrent conversations queued on it). Nothing written
        in it is kept.
        """
        with self._read_sessions() as session:
            session.begin()
            try:
                yield session
            finally:
                session.expunge_all()  # what was read stays usable, unexpired by the rollback
                session.rollback()

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
        self.engine.dispose()


def _checkpoint_rarely(dbapi_connection: Any, _record: Any) -> None:
    """A writer checkpoints only past `SAFETY_PAGES`: the `WalCheckpointer` does it sooner."""
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")


def next_id(session: Session, prefix: str, width: int = 6) -> str:
    """The next id for `prefix` (e.g. `TCK-000042`), unique across processes and restarts."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(IdCounter)
        .values(prefix=prefix, next_value=1)
        .on_conflict_do_update(
            index_elements=[IdCounter.prefix], set_={"next_value": IdCounter.next_value + 1}
        )
        .returning(IdCounter.next_value)
    )
    value = session.execute(statement).scalar_one()
    return f"{prefix}-{value:0{width}d}"
