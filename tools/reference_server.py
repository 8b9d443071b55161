"""A reference implementation of the tools HTTP contract, served from the embedded adapters.

`create_reference_app(db, clock)` is a FastAPI app with the four APIs under `/crm`,
`/logistics`, `/messaging` and `/routing`: point `CEREBRO_CRM_URL` at `http://host:port/crm` and
so on. It shows a company what to build, and the conformance tests run the HTTP adapters
against it. Run it with uvicorn, e.g. `uvicorn.run(create_reference_app(db, SystemClock()))`.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from cerebro.clock import Clock
from memory.db import Database
from tools.crm.embedded import EmbeddedCrm
from tools.crm.routes import crm_router
from tools.errors import ToolError
from tools.idempotency import IdempotencyStore
from tools.logistics.embedded import EmbeddedLogistics
from tools.logistics.routes import logistics_router
from tools.messaging.embedded import EmbeddedMessaging
from tools.messaging.routes import messaging_router
from tools.problems import code_for_status
from tools.rest import problem_response
from tools.routing.embedded import EmbeddedRouting
from tools.routing.routes import routing_router
from tools.types import describe_errors


def create_reference_app(db: Database, clock: Clock, *, token: str | None = None) -> FastAPI:
    """The four tool APIs on `db`; with `token`, every call needs `Authorization: Bearer token`."""

    def authorize(authorization: Annotated[str | None, Header()] = None) -> None:
        if token is None:
            return
        if not hmac.compare_digest(authorization or "", f"Bearer {token}"):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    app = FastAPI(
        title="Cerebro tools reference server",
        description="The tools HTTP contract (docs/tools-http-contract.md) on Cerebro's store.",
        version="1",
        dependencies=[Depends(authorize)],
    )
    app.state.idempotency = IdempotencyStore()
    app.include_router(crm_router(EmbeddedCrm(db, clock)), prefix="/crm")
    app.include_router(logistics_router(EmbeddedLogistics(db, clock)), prefix="/logistics")
    app.include_router(messaging_router(EmbeddedMessaging(db, clock)), prefix="/messaging")
    app.include_router(routing_router(EmbeddedRouting(db, clock)), prefix="/routing")

    @app.exception_handler(ToolError)
    def tool_error(_request: Request, error: ToolError) -> Response:
        return problem_response(error.code, error.message)

    @app.exception_handler(RequestValidationError)
    def invalid_request(_request: Request, error: RequestValidationError) -> Response:
        return problem_response("invalid_input", describe_errors(error.errors()))

    @app.exception_handler(HTTPException)
    def http_error(_request: Request, error: HTTPException) -> Response:
        return problem_response(
            code_for_status(error.status_code),
            str(error.detail),
            error.status_code,
            dict(error.headers or {}),
        )

    @app.exception_handler(Exception)
    def crash(_request: Request, _error: Exception) -> Response:
        return problem_response("unavailable", "internal error", 500)

    return app
