"""WAL checkpoints of an embedded (SQLite) database run on a thread, off the writers' commits."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from journeys.schema import EventRecord, table
from memory.db import Database
from memory.migrate import upgrade


def _write_events(db: Database, count: int, start: int = 0) -> None:
    now = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    with db.session() as session:
        session.connection().execute(
            insert(table(EventRecord)),
            [
                {
                    "source_key": "wk:test",
                    "message_id": f"m-{n}",
                    "source": "api",
                    "type": "track",
                    "name": "Product Viewed",
                    "profile_id": "CUS-000001",
                    "user_id": "CUS-000001",
                    "timestamp": now,
                    "received_at": now,
                    "payload": {},
                }
                for n in range(start, start + count)
            ],
        )


def _events_in_main_file(path: Path, tmp_path: Path) -> int:
    """Events in the database file alone, without its WAL: what a checkpoint copied there."""
    tmp_path.mkdir(exist_ok=True)
    alone = tmp_path / "alone.db"
    shutil.copy(path, alone)
    connection = sqlite3.connect(alone)
    try:
        return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.OperationalError:  # not even the schema was copied there yet
        return 0
    finally:
        connection.close()


def test_committed_events_reach_the_database_file_without_a_writer_checkpointing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cerebro.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
        with db.engine.connect() as connection:
            # Writers leave checkpoints to the thread: a few pages never trigger their own.
            pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
            assert pages >= 10_000
        _write_events(db, 50)
        deadline = time.monotonic() + 20
        while _events_in_main_file(path, tmp_path) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _events_in_main_file(path, tmp_path) == 50
    finally:
        db.dispose()


def _checkpoint_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "cerebro-wal-checkpoints")


def test_dispose_stops_the_thread_and_keeps_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "cerebro.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    _write_events(db, 10)
    _write_events(db, 10, start=10)
    running = _checkpoint_threads()
    db.dispose()
    assert _checkpoint_threads() == running - 1
    assert _events_in_main_file(path, tmp_path) == 20


def test_a_forked_process_checkpoints_its_own_commits(tmp_path: Path) -> None:
    path = tmp_path / "cerebro.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
        _write_events(db, 5)  # the parent's thread is running now
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child, which reports by its exit code
            found = 0
            try:
                db.engine.dispose(close=False)  # the parent's connections stay the parent's
                _write_events(db, 5, start=5)
                deadline = time.monotonic() + 20
                while found < 10 and time.monotonic() < deadline:
                    time.sleep(0.05)
                    found = _events_in_main_file(path, tmp_path / "child")
            finally:
                os._exit(0 if found == 10 else 1)
        assert _exit_code(child, timeout=60) == 0
    finally:
        db.dispose()


def _exit_code(child: int, timeout: float) -> int | None:
    """The child's exit code; None (and the child killed) if it is still running at `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid == child:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return None
