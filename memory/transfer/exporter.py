"""Exporting the database as a `cerebro.retail` document, streamed table by table.

Rows are read in primary-key order (byte order of the key on both databases) from one
consistent snapshot and written one record per line, so the same data always gives the same
document, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from pydantic import ValidationError
from sqlalchemy import Connection, PrimaryKeyConstraint, String, Table, func, select
from sqlalchemy.sql.elements import ColumnElement

from memory.db import Database
from memory.schema import DOMAIN_TABLES
from memory.transfer.errors import TransferError, describe
from memory.transfer.models import RECORD_MODELS, header

PROGRESS_EVERY = 1_000
"""Rows between two progress reports."""


@dataclass(frozen=True)
class ExportResult:
    rows_by_table: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.rows_by_table.values())


def export_document(
    db: Database,
    target: TextIO,
    *,
    exported_at: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write every domain table of `db` to `target`; `progress(rows_written, rows_total)`.

    Raises `TransferError` if a stored row does not fit the format (it could not be imported).
    """
    rows_by_table: dict[str, int] = {}
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        total = sum(_count(connection, table) for table in DOMAIN_TABLES)
        written = 0
        target.write("{\n")
        for key, value in header(exported_at).model_dump(mode="json").items():
            target.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        target.write('  "tables": {')
        for position, table in enumerate(DOMAIN_TABLES):
            target.write(f'{"," if position else ""}\n    "{table.name}": [')
            model = RECORD_MODELS[table.name]
            statement = select(table).order_by(*_byte_order(connection, table.primary_key))
            count = 0
            result = connection.execution_options(yield_per=PROGRESS_EVERY).execute(statement)
            for row in result.mappings():
                try:
                    record = model.model_validate(dict(row))
                except ValidationError as error:
                    raise TransferError(
                        "a stored row does not fit the format: "
                        + describe(f"{table.name}[{count}]", error)
                    ) from None
                target.write(f"{',' if count else ''}\n      {record.model_dump_json()}")
                count += 1
                written += 1
                if progress and written % PROGRESS_EVERY == 0:
                    progress(written, total)
            target.write("\n    ]" if count else "]")
            rows_by_table[table.name] = count
        target.write("\n  }\n}\n")
    if progress:
        progress(written, total)
    return ExportResult(rows_by_table)


def export_file(
    db: Database,
    path: Path,
    *,
    exported_at: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Export to `path` (gzip-compressed if it ends in `.gz`), replacing it only on success."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as raw:
            binary: gzip.GzipFile | BinaryIO = raw
            if path.suffix == ".gz":
                binary = gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0)
            with io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as text:
                result = export_document(db, text, exported_at=exported_at, progress=progress)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _byte_order(connection: Connection, key: PrimaryKeyConstraint) -> list[ColumnElement[Any]]:
    """Primary-key columns to sort by; text sorts by bytes (PostgreSQL's "C" collation)."""
    postgresql = connection.dialect.name == "postgresql"
    return [
        column.collate("C") if postgresql and isinstance(column.type, String) else column
        for column in key.columns
    ]
