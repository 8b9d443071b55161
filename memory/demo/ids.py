"""Ids of the demo data, in the same `PREFIX-000001` form as `memory.db.next_id`."""

from __future__ import annotations

PREFIXES = (
    "CUS", "ADR", "PAY", "PRD", "ORD", "ITM", "PMT", "SHP", "TEV",
    "RET", "RIT", "RFD", "AGT", "TCK", "NTE", "MSG", "HOF",
)  # fmt: skip
"""Every prefix the demo data uses; `next_id` callers use the same ones for new records."""

_FIRST_NUMBER = {"ORD": 100_001}
"""Order numbers start at 100001, as shops' order numbers often do; the others start at 1."""


class Ids:
    """Hands out ids per prefix and remembers the last number given, for the `id_counters`."""

    def __init__(self) -> None:
        self.last = {prefix: _FIRST_NUMBER.get(prefix, 1) - 1 for prefix in PREFIXES}

    def take(self, prefix: str) -> tuple[int, str]:
        """The next number for `prefix` and its id."""
        number = self.last[prefix] + 1
        self.last[prefix] = number
        return number, f"{prefix}-{number:06d}"

    def next(self, prefix: str) -> str:
        return self.take(prefix)[1]
