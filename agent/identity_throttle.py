"""A limit on identity checks that match nobody, per client, across conversations.

`CustomerTools` stops identity lookups in a conversation after `MAX_IDENTITY_FAILURES` misses,
but a new conversation costs nothing: without a limit per client, one could open conversation
after conversation and learn which emails, phone numbers or names belong to customers. Here the
misses of each client (the API's hash of the caller's address) are counted over a sliding
`window`; past `limit`, every conversation of that client gets `IdentityLockedError` before any
lookup, until old misses leave the window. A successful check is not a miss.

Embedded: counted in the process (a restart forgets them). Scaled: in Redis, so every API process
shares the count (one sorted set per client, expiring with the window).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol

import redis

from cerebro.settings import Settings

DEFAULT_LIMIT = 10
DEFAULT_WINDOW = 3600.0
"""Seconds a miss counts against its client."""


class IdentityThrottle(Protocol):
    def exhausted(self, client: str) -> bool:
        """Whether `client` has used up its identity checks for now."""
        ...

    def missed(self, client: str) -> None:
        """Count one identity check of `client` that matched nobody."""
        ...


class LocalIdentityThrottle:
    """Misses per client in this process (thread-safe)."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._lock = threading.Lock()
        self._misses: dict[str, deque[float]] = {}

    def exhausted(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= self.limit

    def missed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self._now())
            self._forget_idle_clients()

    def _recent(self, client: str) -> deque[float]:
        misses = self._misses.setdefault(client, deque())
        while misses and misses[0] <= self._now() - self.window:
            misses.popleft()
        return misses

    def _forget_idle_clients(self) -> None:
        """Keep memory bounded by the clients with misses inside the window."""
        if len(self._misses) > 10_000:
            cutoff = self._now() - self.window
            for client in [c for c, m in self._misses.items() if not m or m[-1] <= cutoff]:
                del self._misses[client]


class RedisIdentityThrottle:
    """Misses per client in Redis: a sorted set of miss times per client, trimmed to the window
    on every read, and expiring a window after the last miss."""

    def __init__(
        self,
        client: redis.Redis,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        prefix: str = "cerebro",
    ) -> None:
        self._redis = client
        self.limit = limit
        self.window = window
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, limit: int, window: float) -> RedisIdentityThrottle:
        return cls(redis.Redis.from_url(url), limit, window)

    def exhausted(self, client: str) -> bool:
        key = self._key(client)
        batch = self._redis.pipeline(transaction=True)
        batch.zremrangebyscore(key, "-inf", time.time() - self.window)
        batch.zcard(key)
        _, count = batch.execute()
        return int(count) >= self.limit

    def missed(self, client: str) -> None:
        key = self._key(client)
        batch = self._redis.pipeline(transaction=True)
        batch.zadd(key, {uuid.uuid4().hex: time.time()})
        batch.expire(key, int(self.window) + 1)
        batch.execute()

    def _key(self, client: str) -> str:
        return f"{self._prefix}:identity-misses:{client}"


def build_identity_throttle(settings: Settings) -> IdentityThrottle:
    """The throttle as configured: in Redis with `CEREBRO_REDIS_URL` (shared by every API
    process), else in this process."""
    limit, window = settings.identity_misses_per_client, settings.identity_miss_window
    if settings.redis_url:
        return RedisIdentityThrottle.from_url(settings.redis_url, limit, window)
    return LocalIdentityThrottle(limit, window)
