"""Journey KPIs for operators (admin token): `GET /v1/kpis` (docs/journeys.md, section KPIs and
dashboard)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api.engine import Admin, PipelineDep
from api.problems import Problem
from journeys import kpis
from journeys.runtime_settings import JourneySettings

router = APIRouter(prefix="/v1/kpis", tags=["kpis"], dependencies=[Admin])

DEFAULT_WINDOW = timedelta(days=30)


@router.get("", response_model=kpis.Kpis, summary="Journey KPIs of a time window")
def get_kpis(
    pipeline: PipelineDep,
    since: Annotated[
        AwareDatetime | None, Query(description="Start (inclusive); default: 30 days before until.")
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(description="End (exclusive); default: the end of the engine's current second."),
    ] = None,
) -> kpis.Kpis:
    end = until or pipeline.clock.now().replace(microsecond=0) + timedelta(seconds=1)
    start = since or end - DEFAULT_WINDOW
    if start >= end:
        raise Problem(400, "since must be before until.", type_="/problems/validation")
    with pipeline.db.engine.connect() as connection:
        return kpis.compute(connection, start, end, JourneySettings())
