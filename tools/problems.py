"""Tool errors on the wire: RFC 9457 problem details carrying the error `code`.

The reference server writes them and the HTTP client reads them back into the same typed errors,
so a caller cannot tell an embedded adapter's error from a remote one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from tools.errors import ERROR_TYPES, ErrorCode, ToolError

PROBLEM_MEDIA_TYPE = "application/problem+json"

HTTP_STATUS: dict[ErrorCode, int] = {
    "invalid_input": 400,
    "not_found": 404,
    "conflict": 409,
    "rule_violation": 422,
    "unavailable": 503,
}
"""The HTTP status a server answers for each error code."""

TITLES: dict[ErrorCode, str] = {
    "invalid_input": "Invalid input",
    "not_found": "Not found",
    "conflict": "Conflict",
    "rule_violation": "Refused by a business rule",
    "unavailable": "Unavailable",
}


class Problem(BaseModel):
    """An error response body (`application/problem+json`, RFC 9457) with Cerebro's `code`."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    type: str
    """`urn:cerebro:problem:<code>`."""
    title: str
    status: int
    detail: str
    """What is wrong, for a person: shown to the assistant (and often, reworded, the customer)."""
    code: ErrorCode
    """What callers branch on."""


def problem_type(code: ErrorCode) -> str:
    return f"urn:cerebro:problem:{code}"


def problem_for(code: ErrorCode, detail: str, status: int | None = None) -> Problem:
    return Problem(
        type=problem_type(code),
        title=TITLES[code],
        status=status or HTTP_STATUS[code],
        detail=detail,
        code=code,
    )


def problem_from_error(error: ToolError) -> Problem:
    return problem_for(error.code, error.message)


def code_for_status(status: int) -> ErrorCode:
    """The error code of an HTTP error whose body does not carry one."""
    if status in (404, 410):
        return "not_found"
    if status == 409:
        return "conflict"
    if status in (400, 422):
        return "invalid_input"
    return "unavailable"


def error_from_problem(status: int, body: Any, fallback: str) -> ToolError:
    """The typed error for an HTTP error answer; `fallback` when the body says nothing useful."""
    error_type = ERROR_TYPES[code_for_status(status)]
    detail = fallback
    if isinstance(body, dict):
        error_type = _TYPES_BY_NAME.get(str(body.get("code")), error_type)
        text = body.get("detail") or body.get("title")
        if isinstance(text, str) and text.strip():
            detail = text
    return error_type(detail)


_TYPES_BY_NAME: dict[str, type[ToolError]] = {code: cls for code, cls in ERROR_TYPES.items()}
