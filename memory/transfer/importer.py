"""Importing a `cerebro.retail` document into an empty database, in one transaction.

Records are validated one by one as the file is read, and inserted in batches; the first bad
record stops the import with a message that names it (`orders[12].status: ...`), and the
transaction is rolled back, so a bad file stores nothing.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from pydantic import ValidationError
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from memory.db import Database
from memory.schema import DOMAIN_TABLES
from memory.transfer.bulk import HighestIds, ensure_empty, insert_rows, raise_id_counters
from memory.transfer.errors import TransferError, describe
from memory.transfer.models import HEADER_FIELDS, RECORD_MODELS
from memory.transfer.reader import HeaderField, RecordText, TableStart, read_events

BATCH_SIZE = 1_000
_TABLE_ORDER = {table.name: position for position, table in enumerate(DOMAIN_TABLES)}
_TABLES = {table.name: table for table in DOMAIN_TABLES}


@dataclass(frozen=True)
class ImportResult:
    rows_by_table: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.rows_by_table.values())


def import_document(
    db: Database, source: TextIO, *, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import the document read from `source` into `db`, which must hold no data.

    `progress` is called after each batch with the number of rows stored so far.
    Raises `TransferError` (nothing stored) for a bad document, and `DatabaseNotEmptyError`.
    """
    with db.engine.begin() as connection:
        ensure_empty(connection)
        loader = _Loader(connection, progress)
        for event in read_events(source):
            if isinstance(event, RecordText):
                loader.record(event)
            elif isinstance(event, TableStart):
                loader.start_table(event.name)
            else:
                loader.header_field(event)
        loader.finish()
    return ImportResult(loader.counts)


def import_file(
    db: Database, path: Path, *, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Import a document file (`.gz` files are decompressed); `progress(bytes_read, file_size)`."""
    size = path.stat().st_size
    with path.open("rb") as raw:

        def report(_rows: int) -> None:
            if progress:
                progress(raw.tell(), size)

        binary: gzip.GzipFile | BinaryIO = (
            gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
        )
        try:
            with io.TextIOWrapper(binary, encoding="utf-8") as text:
                return import_document(db, text, progress=report)
        except UnicodeDecodeError as error:
            raise TransferError(f"the file is not UTF-8 text: {error.reason}") from None
        except (gzip.BadGzipFile, EOFError) as error:
            raise TransferError(f"the file is not a complete gzip file: {error}") from None


class _Loader:
    def __init__(self, connection: Connection, progress: Callable[[int], None] | None) -> None:
        self._connection = connection
        self._progress = progress
        self._header: dict[str, Any] = {}
        self._table: str | None = None
        self._batch: list[dict[str, Any]] = []
        self._batch_start = 0
        self._highest = HighestIds()
        self.counts: dict[str, int] = {}

    def header_field(self, field: HeaderField) -> None:
        adapter = HEADER_FIELDS.get(field.name)
        if adapter is None:
            known = ", ".join([*HEADER_FIELDS, "tables"])
            raise TransferError(f"unknown top-level key {field.name!r} (expected {known})")
        try:
            self._header[field.name] = adapter.validate_json(field.text)
        except ValidationError as error:
            raise TransferError(describe(field.name, error)) from None

    def start_table(self, name: str) -> None:
        if name not in _TABLE_ORDER:
            raise TransferError(f"tables.{name}: unknown table (known: {', '.join(_TABLE_ORDER)})")
        if self._table is not None and _TABLE_ORDER[name] <= _TABLE_ORDER[self._table]:
            raise TransferError(
                f"tables.{name} comes after tables.{self._table}; each table may appear once, "
                f"parents first: {', '.join(_TABLE_ORDER)}"
            )
        self._flush()
        self._table = name
        self.counts[name] = 0
        self._batch_start = 0

    def record(self, record: RecordText) -> None:
        try:
            model = RECORD_MODELS[record.table].model_validate_json(record.text)
        except ValidationError as error:
            raise TransferError(describe(f"{record.table}[{record.index}]", error)) from None
        row = model.model_dump()
        if "id" in row:
            self._highest.see(row["id"])
        self._batch.append(row)
        if len(self._batch) >= BATCH_SIZE:
            self._flush()

    def finish(self) -> None:
        self._flush()
        missing = [name for name in HEADER_FIELDS if name not in self._header]
        if missing:
            raise TransferError(f"missing top-level key {missing[0]!r}")
        raise_id_counters(self._connection, self._highest.numbers)

    def _flush(self) -> None:
        if not self._batch or self._table is None:
            return
        table, rows = self._table, self._batch
        try:
            with self._connection.begin_nested():
                insert_rows(self._connection, table, rows)
        except IntegrityError:
            self._find_bad_row(table, rows)
        self.counts[table] += len(rows)
        self._batch_start += len(rows)
        self._batch = []
        if self._progress:
            self._progress(sum(self.counts.values()))

    def _find_bad_row(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert a refused batch row by row, to name the first row the database refuses."""
        for offset, row in enumerate(rows):
            try:
                with self._connection.begin_nested():
                    insert_rows(self._connection, table, [row])
            except IntegrityError as error:
                location = f"{table}[{self._batch_start + offset}]"
                raise TransferError(
                    _explain(self._connection, table, row, location, error)
                ) from None


def _explain(
    connection: Connection,
    table_name: str,
    row: dict[str, Any],
    location: str,
    error: IntegrityError,
) -> str:
    """A missing parent by name, or else the database's own words (a duplicate, usually)."""
    table = _TABLES[table_name]
    for foreign_key in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        value = row[foreign_key.parent.name]
        parent = foreign_key.column
        if value is not None:
            found = connection.execute(select(1).where(parent == value).limit(1)).first()
            if found is None:
                return (
                    f"{location}.{foreign_key.parent.name}: no {parent.table.name} record has "
                    f"{parent.name} {value!r} (parents must come before their children)"
                )
    original = error.orig
    message = str(original).strip().splitlines()[0] if original else str(error)
    detail = getattr(getattr(original, "diag", None), "message_detail", None)
    return f"{location}: {message}" + (f" ({detail})" if detail else "")
