"""The typed errors every tool adapter raises, embedded or HTTP alike.

Callers branch on `code`, never on the message; the message is written for a person (and for the
language model): it says what is wrong and, where there is one, what is still possible.
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorCode = Literal["not_found", "rule_violation", "invalid_input", "unavailable", "conflict"]
"""Why a tool call failed:

- `not_found`: the record does not exist *for this customer* (another customer's record is
  reported the same way, so its existence never leaks);
- `rule_violation`: a business rule forbids the change (e.g. cancelling a shipped order);
- `invalid_input`: the arguments are malformed or incomplete;
- `unavailable`: the system behind the tool cannot be reached or answered badly (after retries);
- `conflict`: the request clashes with the record's current state or with an earlier request
  (a ticket already resolved, a message status moving backwards, a reused idempotency key).
"""


class ToolError(Exception):
    """Base of all tool errors: a machine-readable `code` and a human-readable `message`."""

    code: ClassVar[ErrorCode]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFoundError(ToolError):
    code = "not_found"


class RuleViolationError(ToolError):
    code = "rule_violation"


class InvalidInputError(ToolError):
    code = "invalid_input"


class UnavailableError(ToolError):
    code = "unavailable"


class ConflictError(ToolError):
    code = "conflict"


ERROR_TYPES: dict[ErrorCode, type[ToolError]] = {
    cls.code: cls
    for cls in (
        NotFoundError,
        RuleViolationError,
        InvalidInputError,
        UnavailableError,
        ConflictError,
    )
}
"""The error class for each code (every code has exactly one)."""
