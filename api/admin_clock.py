"""The engine's clock, for operators: read it, and move a simulated one forward
(docs/journeys.md, section Simulated clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.engine import Admin, PipelineDep
from api.problems import Problem
from journeys.clock import ClockError, SimulatedClock

router = APIRouter(prefix="/v1/admin/clock", tags=["admin"], dependencies=[Admin])


class ClockView(BaseModel):
    mode: Literal["system", "simulated"]
    now: datetime


class Advance(BaseModel):
    """Move the simulated clock forward by `seconds`, or to the time `to`."""

    model_config = ConfigDict(extra="forbid")

    seconds: float | None = Field(default=None, gt=0, le=10 * 365 * 86400)
    to: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one(self) -> Advance:
        if (self.seconds is None) == (self.to is None):
            raise ValueError("give exactly one of seconds or to")
        return self


class Advanced(ClockView):
    due_work_done: int = Field(description="Deferred decisions and timers run after the move.")


@router.get("", response_model=ClockView, summary="The engine's time")
def show_clock(pipeline: PipelineDep) -> ClockView:
    mode: Literal["system", "simulated"] = (
        "simulated" if isinstance(pipeline.clock, SimulatedClock) else "system"
    )
    return ClockView(mode=mode, now=pipeline.clock.now())


@router.post(
    "/advance",
    response_model=Advanced,
    summary="Move the simulated clock forward, then run what came due",
    responses={409: {"description": "The clock is not simulated, or would move back"}},
)
async def advance_clock(body: Advance, pipeline: PipelineDep) -> Advanced:
    clock = pipeline.clock
    if not isinstance(clock, SimulatedClock):
        raise Problem(
            409,
            "The clock is the system clock; only a simulated clock (CEREBRO_CLOCK=simulated) "
            "can be moved.",
        )
    try:
        if body.to is not None:
            now = await run_in_threadpool(clock.advance_to, body.to)
        else:
            assert body.seconds is not None
            now = await run_in_threadpool(clock.advance, timedelta(seconds=body.seconds))
    except ClockError as error:
        raise Problem(409, str(error)) from None
    done = await run_in_threadpool(pipeline.run_due)
    return Advanced(mode="simulated", now=now, due_work_done=done)
