"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.conversations import AgentHolder, AssistantStatus
from api.problems import problem_response
from memory.db import Database
from memory.migrate import current_revisions, head_revisions

router = APIRouter(tags=["health"])
logger = logging.getLogger("cerebro.health")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    database: str
    schema_revisions: list[str]
    assistant: AssistantStatus
    """The support assistant's models: `ready` once loaded (the served process loads them as it
    starts), `not_started` until the first chat in an app that loads them on first use."""


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database answers and its schema is current; where the assistant's models are",
    responses={503: {"description": "Not ready; the problem body says why"}},
)
def readyz(request: Request) -> Readiness | JSONResponse:
    db: Database = request.app.state.db
    try:
        db.ping()
        revisions = current_revisions(db)
    except Exception as error:
        logger.warning("database not reachable: %s", type(error).__name__)
        return problem_response(503, f"The database is not reachable ({type(error).__name__}).")
    if revisions != head_revisions(db):
        at = ", ".join(sorted(revisions)) or "no revision"
        return problem_response(503, f"The database schema is at {at}; run `cerebro migrate`.")
    holder: AgentHolder | None = getattr(request.app.state, "agent_holder", None)
    return Readiness(
        status="ready",
        database=db.dialect,
        schema_revisions=sorted(revisions),
        assistant=holder.status if holder is not None else "not_started",
    )
