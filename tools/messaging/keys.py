"""The idempotency key of a `MessagingTools.send`: what every implementation accepts."""

from __future__ import annotations

import re

from tools.errors import InvalidInputError

MAX_KEY_LENGTH = 255
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")
"""Visible ASCII without spaces: it travels as the `Idempotency-Key` header as it is."""


def checked_key(key: str | None) -> str | None:
    """`key` if it is valid (or None), else `invalid_input`."""
    if key is not None and not _KEY.fullmatch(key):
        raise InvalidInputError(
            f"idempotency_key: must be 1 to {MAX_KEY_LENGTH} visible ASCII characters without "
            "spaces, e.g. a UUID"
        )
    return key
