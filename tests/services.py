"""Access to the PostgreSQL and Redis servers that the scaled-mode tests use.

Locally a missing server skips those tests with a reason; in CI (`CI=true`) it fails them, so a
green CI run always means the scaled mode was exercised for real.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get(
    "CEREBRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CEREBRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, error: Exception) -> None:
    """Fail in CI, skip elsewhere, saying which server is missing and why."""
    message = f"{name} is not reachable: {error}"
    if in_ci():
        pytest.fail(f"{message} (CI must run the {name} tests, not skip them)")
    pytest.skip(message)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema; yields a URL whose search_path points at it."""
    schema = f"cerebro_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # any connection failure means "no server here"
        admin.dispose()
        require_service("PostgreSQL", error)
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def redis_prefix() -> Iterator[tuple[redis.Redis, str]]:
    """The test Redis server and a key prefix of the caller's own; its keys go afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        require_service("Redis", error)
    prefix = f"cerebro-test-{uuid.uuid4().hex[:10]}"
    try:
        yield client, prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()
