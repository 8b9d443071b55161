"""The per-client limit on identity checks that match nobody: every implementation (in process,
and Redis for the scaled mode) passes the same tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from agent.identity_throttle import (
    IdentityThrottle,
    LocalIdentityThrottle,
    RedisIdentityThrottle,
    build_identity_throttle,
)
from cerebro.settings import Settings
from tests.services import REDIS_URL, redis_prefix

LIMIT = 3
WINDOW = 1.0


@dataclass
class Throttled:
    throttle: IdentityThrottle
    wait: Callable[[float], None]
    """Let `seconds` pass for the throttle."""


@pytest.fixture(params=["local", "redis"])
def throttled(request: pytest.FixtureRequest) -> Iterator[Throttled]:
    if request.param == "local":
        now = [1000.0]

        def advance(seconds: float) -> None:
            now[0] += seconds

        yield Throttled(LocalIdentityThrottle(LIMIT, WINDOW, now=lambda: now[0]), advance)
        return
    with redis_prefix() as (client, prefix):
        yield Throttled(RedisIdentityThrottle(client, LIMIT, WINDOW, prefix=prefix), time.sleep)


def test_a_client_is_stopped_after_the_limit_of_misses_and_others_are_not(
    throttled: Throttled,
) -> None:
    throttle = throttled.throttle
    for _ in range(LIMIT - 1):
        throttle.missed("client-a")
    assert not throttle.exhausted("client-a")
    throttle.missed("client-a")
    assert throttle.exhausted("client-a")
    assert not throttle.exhausted("client-b")


def test_misses_stop_counting_once_out_of_the_window(throttled: Throttled) -> None:
    throttle = throttled.throttle
    for _ in range(LIMIT):
        throttle.missed("client-a")
    assert throttle.exhausted("client-a")
    throttled.wait(WINDOW * 1.2)
    assert not throttle.exhausted("client-a")


def test_the_configured_limit_and_store_are_used() -> None:
    embedded = build_identity_throttle(Settings(identity_misses_per_client=2))
    assert isinstance(embedded, LocalIdentityThrottle) and embedded.limit == 2
    scaled = build_identity_throttle(Settings(redis_url=REDIS_URL, identity_miss_window=60))
    assert isinstance(scaled, RedisIdentityThrottle) and scaled.window == 60
