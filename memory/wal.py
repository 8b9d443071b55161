"""WAL checkpoints of a SQLite database on a thread of their own, off the writers' commits.

In WAL mode SQLite appends each commit to the `-wal` file and, by default, the commit that takes
the WAL past 1,000 pages also copies it back into the database file and fsyncs both (a
"checkpoint"): that one commit takes several milliseconds instead of a fraction of one, which is
most of the slowest commits (the p99 of `benchmarks/bench_events.py`). Here writers only wake a
daemon thread after they commit; it runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its
own, at most once per `interval`, while writers and readers go on (a passive checkpoint takes no
lock they wait for). Each writer connection keeps an automatic checkpoint at `SAFETY_PAGES`, a
bound on the WAL should the thread fall behind.

A process that forks (a test, a pre-forking server) waits for the thread to be out of SQLite:
a child forked while the thread held one of SQLite's mutexes would hang at its first connection.

Durability is unchanged: with `synchronous=NORMAL` in WAL mode a committed transaction survives
a crash of the process (it is in the WAL, which the next opening replays); a power cut or an
operating-system crash may lose the last transactions since the previous checkpoint's fsync, but
never corrupts the database.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref

logger = logging.getLogger("cerebro.memory")

SAFETY_PAGES = 20_000
"""Each writer connection's own automatic checkpoint threshold (pages of 4 KiB: 80 MB)."""


class WalCheckpointer:
    """Folds the WAL of the SQLite file at `path` back into it, on a thread started at the
    first commit and stopped by `close` (`Database.dispose`)."""

    def __init__(self, path: str, interval: float = 0.2) -> None:
        self.path = path
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._in_sqlite = threading.Lock()
        """Held by the thread while it is inside SQLite, and around a fork (`_before_fork`)."""
        _checkpointers.add(self)

    def committed(self) -> None:
        """A writer committed: make sure a checkpoint follows within `interval`."""
        if self._thread is None or self._pid != os.getpid():
            self._start()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread (after a last checkpoint of what was committed)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout=30)

    def _start(self) -> None:
        if self._pid != os.getpid():
            # A forked child: the parent's thread did not come along, nor may its locks.
            self._pid = os.getpid()
            self._wake, self._stop, self._lock = (
                threading.Event(),
                threading.Event(),
                threading.Lock(),
            )
            self._thread = None
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="cerebro-wal-checkpoints", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        with self._in_sqlite:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                self._checkpoint(connection)
                if self._stop.wait(self.interval):
                    self._checkpoint(connection)
                    return
        finally:
            with self._in_sqlite:
                connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            with self._in_sqlite:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            # The writers' own automatic checkpoint (SAFETY_PAGES) still bounds the WAL.
            logger.warning("background WAL checkpoint failed", exc_info=True)


_checkpointers: weakref.WeakSet[WalCheckpointer] = weakref.WeakSet()
_held_at_fork: list[WalCheckpointer] = []


def _before_fork() -> None:
    _held_at_fork[:] = list(_checkpointers)
    for checkpointer in _held_at_fork:
        checkpointer._in_sqlite.acquire()


def _after_fork_in_parent() -> None:
    for checkpointer in _held_at_fork:
        checkpointer._in_sqlite.release()
    _held_at_fork.clear()


def _after_fork_in_child() -> None:
    for checkpointer in _held_at_fork:
        checkpointer._in_sqlite = threading.Lock()  # its holder, the thread, did not come along
    _held_at_fork.clear()


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
