"""The FastAPI application factory: one app serving the API and (later) the web pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

import cerebro
from api import (
    admin_clock,
    console,
    conversations,
    dashboard,
    events,
    health,
    journeys,
    kpis,
    nlu,
    pages,
    profiles,
    sentiment,
)
from api.middleware import RequestIdMiddleware
from api.problems import install_problem_handlers
from cerebro.settings import Settings, get_settings
from memory.db import Database


def create_app(
    settings: Settings | None = None, db: Database | None = None, *, start_assistant: bool = False
) -> FastAPI:
    """Build the app; `db` lets a caller (a test, an embedding program) share its own database.

    `start_assistant` loads the assistant's models in the background as the app starts (the
    served process does), instead of on the first chat message."""
    settings = settings or get_settings()
    owns_db = db is None
    database = db or Database(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_db:
            database.dispose()

    # FastAPIOffline serves Swagger UI and ReDoc from files in its wheel, not from a CDN.
    app = FastAPIOffline(
        title="Cerebro",
        version=cerebro.__version__,
        summary="Customer-journey orchestration brain",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.start_assistant = start_assistant
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    pages.allow_widget_origins(app, settings)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(conversations.router)
    app.include_router(console.router)
    app.include_router(sentiment.router)
    app.include_router(nlu.router)
    app.include_router(events.router)
    app.include_router(profiles.router)
    app.include_router(admin_clock.router)
    app.include_router(journeys.router)
    app.include_router(kpis.router)
    app.include_router(dashboard.router)
    return app
