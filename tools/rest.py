"""What every route of the reference server shares: problem answers and idempotent POSTs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from tools.errors import ErrorCode, ToolError
from tools.idempotency import IdempotencyStore, StoredAnswer
from tools.problems import PROBLEM_MEDIA_TYPE, Problem, problem_for, problem_from_error

PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    "default": {
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {}},
        "description": "An error: 400 invalid_input, 401 (code unavailable), 404 not_found (also "
        "for records of another customer), 409 conflict, 422 rule_violation, 503 unavailable.",
    }
}
"""The error answers every route may give, for the OpenAPI document."""


def problem_response(
    code: ErrorCode, detail: str, status: int | None = None, headers: dict[str, str] | None = None
) -> Response:
    problem = problem_for(code, detail, status)
    return Response(
        problem.model_dump_json(),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


class Replay:
    """Runs one POST at most once per `Idempotency-Key` (without a key, every time)."""

    def __init__(self, store: IdempotencyStore, key: str | None, request_line: str) -> None:
        self._store = store
        self._key = key
        self._request_line = request_line

    def answer(
        self, body: BaseModel, action: Callable[[], BaseModel], status_code: int = 200
    ) -> Response:
        """`action`'s result as JSON with `status_code`, or its `ToolError` as a problem."""

        def produce() -> StoredAnswer:
            try:
                result = action()
            except ToolError as error:
                problem = problem_from_error(error)
                return StoredAnswer(
                    problem.status, problem.model_dump_json().encode(), PROBLEM_MEDIA_TYPE
                )
            return StoredAnswer(status_code, result.model_dump_json().encode(), "application/json")

        if self._key is None:
            stored, replayed = produce(), False
        else:
            fingerprint = f"{self._request_line}\n{body.model_dump_json()}"
            stored, replayed = self._store.run(self._key, fingerprint, produce)
        return Response(
            stored.body,
            status_code=stored.status_code,
            media_type=stored.media_type,
            headers={"Idempotent-Replayed": "true"} if replayed else None,
        )


def _replay(
    request: Request, idempotency_key: Annotated[str | None, Header(max_length=255)] = None
) -> Replay:
    store: IdempotencyStore = request.app.state.idempotency
    return Replay(
        store, idempotency_key, f"{request.method} {request.url.path}?{request.url.query}"
    )


Idempotent = Annotated[Replay, Depends(_replay)]
"""A POST route's parameter: its `Replay` on the app's `state.idempotency` store."""
