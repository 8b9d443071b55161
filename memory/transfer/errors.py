"""The one error import and export raise for a bad file or a refused database, with a message
that names the place: `orders[12].status: Input should be 'pending', ...`."""

from __future__ import annotations

from pydantic import ValidationError


class TransferError(Exception):
    """The file or the database cannot be imported or exported; the message says where and why."""


def describe(location: str, error: ValidationError) -> str:
    """`orders[12].status: Input should be ...`, one clause per problem, joined by '; '."""
    problems = []
    for detail in error.errors(include_url=False):
        path = location + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"]
        )
        problems.append(f"{path}: {detail['msg']}")
    return "; ".join(problems)
