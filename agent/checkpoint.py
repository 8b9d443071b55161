"""The LangGraph checkpointer of a deployment: SQLite in the data folder (embedded) or the
PostgreSQL database itself (scaled). One checkpoint thread per conversation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from sqlalchemy.engine import make_url

from memory.db import Database

CHECKPOINT_FILE = "checkpoints.db"
POOL_SIZE = 10


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg (libpq) takes it: no `+driver`, same query."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """`SqliteSaver` on a file (WAL, so a killed process loses nothing that was committed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        saver = SqliteSaver(connection)
        saver.setup()
        yield saver
    finally:
        connection.close()


@contextmanager
def postgres_checkpointer(url: str, pool_size: int = POOL_SIZE) -> Iterator[PostgresSaver]:
    """`PostgresSaver` on a connection pool to the database at `url` (tables created once)."""
    pool: ConnectionPool[Any] = ConnectionPool(
        libpq_url(url),
        min_size=1,
        max_size=pool_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=True,
    )
    try:
        saver = PostgresSaver(pool)
        saver.setup()
        yield saver
    finally:
        pool.close()


@contextmanager
def open_checkpointer(db: Database, data_dir: Path) -> Iterator[BaseCheckpointSaver[Any]]:
    """The checkpointer that goes with `db`: PostgreSQL next to the data, else SQLite in
    `data_dir`."""
    if db.dialect == "postgresql":
        with postgres_checkpointer(db.url) as saver:
            yield saver
    else:
        with sqlite_checkpointer(data_dir / CHECKPOINT_FILE) as saver:
            yield saver
