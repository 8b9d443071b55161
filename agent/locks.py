"""One turn at a time per conversation, in the style of Rasa's lock store.

Two customer messages of one conversation must not be played concurrently (the second would
start from a stale checkpoint). Embedded: an in-process lock per conversation. Scaled: a Redis
lock (`SET NX PX` with a lease), so API processes on several machines take turns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Protocol

import redis
from redis.exceptions import LockError


class ConversationBusyError(Exception):
    """Another message of the same conversation was still being answered after the wait."""


class ConversationLocks(Protocol):
    def hold(self, conversation_id: str, wait: float) -> AbstractContextManager[None]:
        """Hold the conversation's lock, waiting at most `wait` seconds for it, else raise
        `ConversationBusyError`."""
        ...


class LocalLocks:
    """Per-conversation `threading.Lock`s; a lock is dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, conversation_id: str, wait: float) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(conversation_id, (threading.Lock(), 0))
            self._locks[conversation_id] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=wait):
                raise ConversationBusyError(conversation_id)
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[conversation_id]
                if users == 1:
                    del self._locks[conversation_id]
                else:
                    self._locks[conversation_id] = (lock, users - 1)


class RedisLocks:
    """Redis locks with a lease (`lease` seconds), so a crashed holder never blocks forever."""

    def __init__(self, client: redis.Redis, lease: float = 60.0, prefix: str = "cerebro") -> None:
        self._client = client
        self._lease = lease
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, lease: float = 60.0) -> RedisLocks:
        return cls(redis.Redis.from_url(url), lease)

    @contextmanager
    def hold(self, conversation_id: str, wait: float) -> Iterator[None]:
        lock = self._client.lock(
            f"{self._prefix}:conversation-lock:{conversation_id}",
            timeout=self._lease,
            blocking_timeout=wait,
        )
        if not lock.acquire():
            raise ConversationBusyError(conversation_id)
        try:
            yield
        finally:
            # If the lease ran out first, the next holder already has the lock: nothing to free.
            with suppress(LockError):
                lock.release()
