"""Idempotency-Key handling for the reference server: a retried POST runs once.

The first request with a key runs; a later one with the same key and the same request gets the
stored answer (even while the first is still running, it waits for it); the same key with a
different request is a `conflict`. Answers with a 5xx status are not stored, so a retry after a
server failure runs again. Keys live in memory, the newest `capacity` ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from tools.errors import ConflictError

WAIT_FOR_FIRST = 60.0
"""Seconds a repeated request waits for the first one with its key to finish."""


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: bytes
    media_type: str


@dataclass
class _Entry:
    fingerprint: str
    done: threading.Event = field(default_factory=threading.Event)
    answer: StoredAnswer | None = None


class IdempotencyStore:
    """Answers of POST requests by idempotency key, safe to share between worker threads."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def run(
        self, key: str, fingerprint: str, produce: Callable[[], StoredAnswer]
    ) -> tuple[StoredAnswer, bool]:
        """The answer for `key` and whether it is a replay of an earlier one."""
        while True:
            entry, first = self._claim(key, fingerprint)
            if first:
                return self._produce(key, entry, produce), False
            if not entry.done.wait(WAIT_FOR_FIRST):
                raise ConflictError(
                    "a request with this Idempotency-Key is still running; retry later"
                )
            if entry.answer is not None:
                return entry.answer, True

    def _claim(self, key: str, fingerprint: str) -> tuple[_Entry, bool]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    raise ConflictError(
                        "this Idempotency-Key was already used for a different request"
                    )
                self._entries.move_to_end(key)
                return entry, False
            entry = self._entries[key] = _Entry(fingerprint)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
            return entry, True

    def _produce(
        self, key: str, entry: _Entry, produce: Callable[[], StoredAnswer]
    ) -> StoredAnswer:
        answer = None
        try:
            answer = produce()
            return answer
        finally:
            with self._lock:
                if answer is not None and answer.status_code < 500:
                    entry.answer = answer
                elif self._entries.get(key) is entry:
                    del self._entries[key]
            entry.done.set()
