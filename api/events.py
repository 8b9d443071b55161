"""Event ingestion in the Segment spec's shape: /v1/identify, /v1/track, /v1/page, /v1/alias,
/v1/batch (docs/journeys.md, section Events)."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError

from api.engine import BusDep, PipelineDep, SourceKey, engine_lifespan, engine_settings
from api.problems import Problem, problem_response
from journeys.bus import EventBus
from journeys.events import (
    Event,
    EventType,
    FieldError,
    InvalidEvent,
    parse_message,
)
from journeys.pipeline import IngestResult, Pipeline

logger = logging.getLogger("cerebro.journeys.api")
router = APIRouter(prefix="/v1", tags=["events"], lifespan=engine_lifespan)

TOO_LARGE = "/problems/too-large"


def _too_large(field: str, message: str, limit: int) -> Problem:
    return Problem(
        413,
        f"Too large: {field} {message}; nothing was stored",
        type_=TOO_LARGE,
        limit=limit,
        errors=[{"field": field, "message": message}],
    )


async def _read_json(request: Request, limit: int) -> Any:
    """The body parsed as JSON, refused with a 413 problem as soon as it passes `limit` bytes
    (by its Content-Length, or while it streams in), so an oversized body is never held."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large("body", f"is larger than {limit} bytes", limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise _too_large("body", f"is larger than {limit} bytes", limit)
    try:
        return json.loads(received)
    except (ValueError, UnicodeDecodeError):
        raise Problem(
            400,
            "Invalid event: body: must be a JSON document",
            type_="/problems/validation",
            errors=[{"field": "body", "message": "must be a JSON document"}],
        ) from None


async def _message_body(request: Request) -> Any:
    return await _read_json(request, engine_settings(request.app).event_max_bytes)


async def _batch_body(request: Request) -> Any:
    return await _read_json(request, engine_settings(request.app).batch_max_bytes)


Message = Annotated[Any, Depends(_message_body)]
"""A Segment message (https://segment.com/docs/connections/spec/), at most
`CEREBRO_EVENT_MAX_BYTES`."""
Batch = Annotated[Any, Depends(_batch_body)]
"""`{"batch": [...], "context": {...}}`, at most `CEREBRO_BATCH_MAX_BYTES`."""

_JSON_OBJECT: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class DecisionSummary(BaseModel):
    id: int
    outcome: Literal["send", "defer", "suppress"]
    offer_id: str | None
    channel: str | None


class Ingested(BaseModel):
    success: bool = True
    messageId: str
    duplicate: bool
    queued: bool = False
    """Scaled deployment: on the event bus, a worker decides it (a duplicate is found there)."""
    eventId: int | None = None
    profileId: str | None = None
    decisions: list[DecisionSummary] = []


class FieldProblem(BaseModel):
    field: str
    message: str


class BatchItem(BaseModel):
    index: int
    messageId: str | None = None
    status: Literal["accepted", "duplicate", "queued", "invalid", "failed"]
    eventId: int | None = None
    profileId: str | None = None
    errors: list[FieldProblem] = []
    decisions: list[DecisionSummary] = []


class BatchResult(BaseModel):
    success: bool
    results: list[BatchItem]


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid message; `errors` names each field at fault"},
    401: {"description": "No valid write key"},
    413: {"description": "The body (or a batch's item count) is over its limit; `limit` says it"},
    503: {"description": "Scaled deployment: the event bus cannot take events now"},
}


def _invalid(errors: list[FieldError]) -> JSONResponse:
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem_response(
        400,
        f"Invalid event: {summary}",
        type_="/problems/validation",
        errors=[{"field": e.field, "message": e.message} for e in errors],
    )


def _within(item: object, limit: int, field: str) -> None:
    """A batch item over the size of one message is invalid (the rest of the batch goes on)."""
    size = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limit:
        raise InvalidEvent([FieldError(field, f"is {size} bytes, more than {limit}")])


def _summaries(result: IngestResult) -> list[DecisionSummary]:
    return [
        DecisionSummary(id=d.id, outcome=d.outcome, offer_id=d.offer_id, channel=d.channel)
        for d in result.decisions
    ]


def _publish(bus: EventBus, events: list[Event], source_key: str) -> list[str]:
    """Append to the event bus, or a 503 problem when Redis cannot take them."""
    try:
        return bus.publish(events, source_key)
    except RedisError:
        logger.exception("the event bus refused events")
        raise Problem(
            503,
            "The event bus is unavailable; nothing was accepted, send the events again.",
            type_="/problems/bus-unavailable",
        ) from None


def _ingest_one(
    pipeline: Pipeline,
    bus: EventBus | None,
    source_key: str,
    payload: object,
    expected: EventType,
) -> JSONResponse:
    try:
        event = parse_message(payload, received_at=pipeline.clock.now(), expected=expected)
    except InvalidEvent as error:
        return _invalid(error.errors)
    if bus is not None:
        _publish(bus, [event], source_key)
        queued = Ingested(messageId=event.message_id, duplicate=False, queued=True)
        return JSONResponse(queued.model_dump(mode="json"), status_code=202)
    result = pipeline.ingest(event, source_key)
    duplicate = result.status == "duplicate"
    body = Ingested(
        messageId=result.message_id,
        duplicate=duplicate,
        eventId=result.event_id,
        profileId=result.profile_id,
        decisions=_summaries(result),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if duplicate else 202)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Ingested, "description": "A replay of a known messageId: nothing changed"},
    202: {"model": Ingested, "description": "Accepted and processed"},
    **PROBLEMS,
}


@router.post(
    "/identify",
    status_code=202,
    responses=_RESPONSES,
    summary="Who a user is",
    openapi_extra=_JSON_OBJECT,
)
def identify(
    source_key: SourceKey, payload: Message, pipeline: PipelineDep, bus: BusDep
) -> JSONResponse:
    return _ingest_one(pipeline, bus, source_key, payload, "identify")


@router.post(
    "/track",
    status_code=202,
    responses=_RESPONSES,
    summary="What a user did",
    openapi_extra=_JSON_OBJECT,
)
def track(
    source_key: SourceKey, payload: Message, pipeline: PipelineDep, bus: BusDep
) -> JSONResponse:
    return _ingest_one(pipeline, bus, source_key, payload, "track")


@router.post(
    "/page",
    status_code=202,
    responses=_RESPONSES,
    summary="A page a user saw",
    openapi_extra=_JSON_OBJECT,
)
def page(
    source_key: SourceKey, payload: Message, pipeline: PipelineDep, bus: BusDep
) -> JSONResponse:
    return _ingest_one(pipeline, bus, source_key, payload, "page")


@router.post(
    "/alias",
    status_code=202,
    responses=_RESPONSES,
    summary="Two ids, one person",
    openapi_extra=_JSON_OBJECT,
)
def alias(
    source_key: SourceKey, payload: Message, pipeline: PipelineDep, bus: BusDep
) -> JSONResponse:
    return _ingest_one(pipeline, bus, source_key, payload, "alias")


@router.post(
    "/batch",
    status_code=202,
    responses={202: {"model": BatchResult}, **PROBLEMS},
    summary="Several messages at once; bad items are reported, good ones kept",
    openapi_extra=_JSON_OBJECT,
)
def batch(
    source_key: SourceKey, payload: Batch, pipeline: PipelineDep, bus: BusDep, request: Request
) -> JSONResponse:
    items = payload.get("batch") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return _invalid([FieldError("batch", "must be a non-empty list of messages")])
    limits = engine_settings(request.app)
    if len(items) > limits.batch_max_items:
        raise _too_large(
            "batch",
            f"has {len(items)} messages, more than {limits.batch_max_items}",
            limits.batch_max_items,
        )
    shared = payload.get("context")
    shared_context = shared if isinstance(shared, dict) else {}
    received_at = pipeline.clock.now()
    results: list[BatchItem | None] = [None] * len(items)
    valid: list[tuple[int, Event]] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and shared_context:
            context = item.get("context", {})
            if isinstance(context, dict):
                item = {**item, "context": {**shared_context, **context}}
        try:
            _within(item, limits.event_max_bytes, f"batch[{index}]")
            event = parse_message(item, received_at=received_at, prefix=f"batch[{index}].")
        except InvalidEvent as error:
            errors.extend(error.errors)
            message_id = item.get("messageId") if isinstance(item, dict) else None
            results[index] = BatchItem(
                index=index,
                messageId=message_id if isinstance(message_id, str) else None,
                status="invalid",
                errors=[FieldProblem(field=e.field, message=e.message) for e in error.errors],
            )
            continue
        valid.append((index, event))
    if not valid:
        return _invalid(errors)
    if bus is not None:
        _publish(bus, [event for _, event in valid], source_key)
        for index, event in valid:
            results[index] = BatchItem(index=index, messageId=event.message_id, status="queued")
        return _batch_answer(results)
    ingested = pipeline.ingest_batch([event for _, event in valid], source_key)
    for (index, _), result in zip(valid, ingested, strict=True):
        results[index] = BatchItem(
            index=index,
            messageId=result.message_id,
            status=result.status,
            eventId=result.event_id,
            profileId=result.profile_id,
            decisions=_summaries(result),
        )
    return _batch_answer(results)


def _batch_answer(results: list[BatchItem | None]) -> JSONResponse:
    done = [item for item in results if item is not None]
    body = BatchResult(
        success=all(r.status in ("accepted", "duplicate", "queued") for r in done), results=done
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=202)
