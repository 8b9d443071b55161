"""What the journeys routers share: the app's pipeline, its settings, and the two credentials
(write keys for ingestion, the admin token for profiles and the clock)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from cerebro.settings import Settings
from journeys.bus import EventBus
from journeys.config import EngineSettings
from journeys.pipeline import Pipeline, build_pipeline

logger = logging.getLogger("cerebro.journeys.api")
_build_lock = threading.Lock()


def engine_settings(app: FastAPI) -> EngineSettings:
    """The engine's settings, read from the environment once per app (a test may preset
    `app.state.engine_settings`)."""
    found: EngineSettings | None = getattr(app.state, "engine_settings", None)
    if found is None:
        with _build_lock:
            found = getattr(app.state, "engine_settings", None)
            if found is None:
                found = app.state.engine_settings = EngineSettings()
    return found


def app_pipeline(app: FastAPI) -> Pipeline:
    """The app's pipeline, built on first use (a test may preset `app.state.pipeline`)."""
    found: Pipeline | None = getattr(app.state, "pipeline", None)
    if found is None:
        settings = engine_settings(app)
        with _build_lock:
            found = getattr(app.state, "pipeline", None)
            if found is None:
                found = app.state.pipeline = build_pipeline(
                    app.state.settings, app.state.db, settings
                )
    return found


def app_bus(app: FastAPI) -> EventBus | None:
    """The event bus when `CEREBRO_REDIS_URL` is set (the scaled deployment: workers decide),
    else None (this process decides). A test may preset `app.state.bus`."""
    if not hasattr(app.state, "bus"):
        settings: Settings = app.state.settings
        with _build_lock:
            if not hasattr(app.state, "bus"):
                engine = engine_settings(app)
                app.state.bus = (
                    EventBus.from_url(settings.redis_url, engine.bus_partitions, engine.bus_prefix)
                    if settings.redis_url
                    else None
                )
    bus: EventBus | None = app.state.bus
    return bus


def get_bus(request: Request) -> EventBus | None:
    return app_bus(request.app)


BusDep = Annotated[EventBus | None, Depends(get_bus)]


def get_pipeline(request: Request) -> Pipeline:
    return app_pipeline(request.app)


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def _presented_key(request: Request) -> str | None:
    """The write key: HTTP Basic user name (Segment's way, empty password) or a Bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, _password = decoded.partition(":")
        return user or None
    return None


def require_write_key(request: Request) -> str:
    """The source key (fingerprint) of the request's valid write key, or a 401 problem."""
    presented = _presented_key(request)
    source_key = (
        engine_settings(request.app).source_key(presented) if presented is not None else None
    )
    if source_key is None:
        raise HTTPException(
            401,
            "A valid write key is required: HTTP Basic with the key as user name, "
            "or Authorization: Bearer <key>.",
            headers={"WWW-Authenticate": 'Basic realm="cerebro events"'},
        )
    return source_key


SourceKey = Annotated[str, Depends(require_write_key)]


def require_admin(request: Request) -> None:
    """Admin endpoints need `Authorization: Bearer $CEREBRO_ADMIN_TOKEN`."""
    settings: Settings = request.app.state.settings
    expected = settings.admin_token.get_secret_value() if settings.admin_token else None
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if (
        expected is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(value.strip().encode(), expected.encode())
    ):
        raise HTTPException(
            401,
            "The admin token is required (Authorization: Bearer <CEREBRO_ADMIN_TOKEN>)."
            if expected
            else "Admin endpoints are disabled: CEREBRO_ADMIN_TOKEN is not set.",
            headers={"WWW-Authenticate": 'Bearer realm="cerebro admin"'},
        )


Admin = Depends(require_admin)


@asynccontextmanager
async def engine_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves: run due work (deferred sends, timers) every
    `CEREBRO_DUE_INTERVAL` seconds; at shutdown, release the pipeline's connections."""
    interval = engine_settings(app).due_interval

    async def tick_forever() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await run_in_threadpool(app_pipeline(app).run_due)
            except Exception:
                logger.exception("running due work failed")

    task = asyncio.create_task(tick_forever())
    try:
        yield
    finally:
        task.cancel()
        pipeline: Pipeline | None = getattr(app.state, "pipeline", None)
        if pipeline is not None:
            pipeline.close()
        bus: EventBus | None = getattr(app.state, "bus", None)
        if bus is not None:
            bus.close()
