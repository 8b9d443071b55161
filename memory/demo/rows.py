"""Rows as the generator hands them to SQLAlchemy Core: one dict per row, keyed by column name."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]
