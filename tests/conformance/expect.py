"""Assertions on typed tool errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tools.errors import ERROR_TYPES, ErrorCode, ToolError


@contextmanager
def expect_error(code: ErrorCode, *fragments: str) -> Iterator[None]:
    """The block raises the `code` error, whose message contains every fragment."""
    with pytest.raises(ToolError) as caught:
        yield
    error = caught.value
    assert type(error) is ERROR_TYPES[code], f"expected {code}, got {error!r}"
    for fragment in fragments:
        assert fragment in error.message, f"{fragment!r} not in {error.message!r}"
