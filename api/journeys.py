"""Journey definitions for operators (admin token): list them, upload a YAML definition (a new
version when it changed), read one with its versions (docs/journeys.md, section Journeys)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection, func, select

from api.engine import Admin, PipelineDep, app_pipeline
from api.problems import Problem, problem_response
from journeys.definitions import JourneyDefinitionError, parse_journey
from journeys.definitions import versions as stored
from journeys.definitions.parse import MAX_SOURCE_BYTES
from journeys.runtime_schema import JourneyInstanceRecord, table
from journeys.runtime_settings import JourneySettings

logger = logging.getLogger("cerebro.journeys.api")

_instances = table(JourneyInstanceRecord)


@asynccontextmanager
async def load_journeys_at_start(app: FastAPI) -> AsyncIterator[None]:
    """With `CEREBRO_JOURNEYS_DIR` set, build the engine at start: that loads the folder."""
    if JourneySettings().journeys_dir is not None:
        await run_in_threadpool(app_pipeline, app)
    yield


router = APIRouter(
    prefix="/v1/journeys",
    tags=["journeys"],
    dependencies=[Admin],
    lifespan=load_journeys_at_start,
)

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")


class JourneySummary(BaseModel):
    id: str
    name: str
    description: str
    enabled: bool
    version: int
    origin: str
    created_at: datetime
    trigger: dict[str, Any]
    steps: int
    active_instances: int


class VersionView(BaseModel):
    version: int
    origin: str
    created_at: datetime
    checksum: str


class JourneyDetail(JourneySummary):
    definition: dict[str, Any]
    source: str
    versions: list[VersionView]


class JourneySaved(BaseModel):
    created: bool
    journey: JourneySummary


def _active(connection: Connection) -> dict[str, int]:
    rows = connection.execute(
        select(_instances.c.journey_id, func.count())
        .where(_instances.c.status == "active")
        .group_by(_instances.c.journey_id)
    ).all()
    return {journey_id: count for journey_id, count in rows}


def _summary(version: stored.StoredVersion, active: int) -> JourneySummary:
    journey = parse_journey(version.source)
    return JourneySummary(
        id=version.journey_id,
        name=journey.name,
        description=journey.description,
        enabled=journey.enabled,
        version=version.version,
        origin=version.origin,
        created_at=version.created_at,
        trigger=journey.trigger.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        steps=len(journey.steps),
        active_instances=active,
    )


@router.get("", response_model=list[JourneySummary], summary="Journeys, newest version of each")
def list_journeys(pipeline: PipelineDep) -> list[JourneySummary]:
    with pipeline.db.engine.connect() as connection:
        active = _active(connection)
        return [
            _summary(version, active.get(version.journey_id, 0))
            for version in stored.newest_versions(connection)
        ]


@router.post(
    "",
    status_code=201,
    summary="Upload a journey definition (YAML); a changed one becomes a new version",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {kind: {"schema": {"type": "string"}} for kind in YAML_TYPES},
        }
    },
    responses={
        200: {"model": JourneySaved, "description": "The same as the newest version: unchanged"},
        201: {"model": JourneySaved, "description": "Saved as a new version"},
        400: {"description": "Invalid definition; `errors` names each path at fault"},
    },
)
async def upload_journey(request: Request, pipeline: PipelineDep) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_SOURCE_BYTES:
        raise Problem(413, f"A journey definition is at most {MAX_SOURCE_BYTES // 1024} KiB.")
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "The definition must be UTF-8 text.") from None
    now = await run_in_threadpool(pipeline.clock.now)
    try:
        version, created = await run_in_threadpool(stored.save, pipeline.db, source, "api", now)
    except JourneyDefinitionError as error:
        summary = "; ".join(str(issue) for issue in error.issues[:5])
        return problem_response(
            400,
            f"Invalid journey definition: {summary}",
            type_="/problems/journey-definition",
            errors=[{"field": issue.path, "message": issue.message} for issue in error.issues],
        )
    with pipeline.db.engine.connect() as connection:
        active = _active(connection).get(version.journey_id, 0)
    body = JourneySaved(created=created, journey=_summary(version, active))
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if created else 200)


@router.get(
    "/{journey_id}",
    response_model=JourneyDetail,
    summary="A journey: its definition (newest, or `version`) and every version",
)
def get_journey(
    journey_id: str,
    pipeline: PipelineDep,
    version: Annotated[int | None, Query(ge=1, description="A given version.")] = None,
) -> JourneyDetail:
    with pipeline.db.engine.connect() as connection:
        versions = stored.versions_of(connection, journey_id)
        if not versions:
            raise Problem(404, f"No journey {journey_id}.")
        chosen = next((v for v in versions if v.version == version), None) if version else None
        if version is not None and chosen is None:
            raise Problem(404, f"Journey {journey_id} has no version {version}.")
        shown = chosen or versions[0]
        active = _active(connection).get(journey_id, 0)
    summary = _summary(shown, active)
    journey = parse_journey(shown.source)
    return JourneyDetail(
        **summary.model_dump(),
        definition=journey.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        source=shown.source,
        versions=[
            VersionView(
                version=item.version,
                origin=item.origin,
                created_at=item.created_at,
                checksum=item.checksum,
            )
            for item in versions
        ],
    )
