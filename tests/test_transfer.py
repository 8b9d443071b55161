"""JSON export and import: the documented format, round trips on both backends, and bad files
that are refused with a message naming the table, the record and the field, storing nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, get_args

import pytest
from sqlalchemy import func, select, update

from cerebro.clock import FixedClock
from memory.db import Database, next_id
from memory.demo.generator import DEFAULT_NOW
from memory.demo.seeding import seed
from memory.schema import DOMAIN_TABLES, Address, Base, IdCounter
from memory.transfer import reader
from memory.transfer.bulk import DatabaseNotEmptyError
from memory.transfer.errors import TransferError
from memory.transfer.exporter import export_document, export_file
from memory.transfer.importer import import_document, import_file
from memory.transfer.models import (
    HEADER_FIELDS,
    RECORD_MODELS,
    Header,
    RetailDocument,
    document_json_schema,
)
from memory.transfer.reader import HeaderField, RecordText, read_events
from tests.conftest import open_database
from tools.messaging import EmbeddedMessaging

SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "data-schema.json"


def export_text(db: Database) -> str:
    target = io.StringIO()
    export_document(db, target, exported_at=DEFAULT_NOW)
    return target.getvalue()


def counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in [*DOMAIN_TABLES, Base.metadata.tables["id_counters"]]
        }


def id_counters(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return dict(connection.execute(select(IdCounter.prefix, IdCounter.next_value)).all())


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An export of 25 seeded customers, as parsed JSON, to break in the error tests."""
    with ExitStack() as stack:
        db = open_database("sqlite", tmp_path_factory.mktemp("document"), stack)
        seed(db, 25)
        return dict(json.loads(export_text(db)))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """For checks that do not depend on the database (the `db` fixture runs on both backends)."""
    with ExitStack() as stack:
        yield open_database("sqlite", tmp_path, stack)


def import_json(db: Database, data: dict[str, Any]) -> None:
    import_document(db, io.StringIO(json.dumps(data)))


def broken(document: dict[str, Any], table: str, index: int, **changes: Any) -> dict[str, Any]:
    """A copy of `document` with fields of one record changed (None values remove the field)."""
    copy = json.loads(json.dumps(document))
    record = copy["tables"][table][index]
    for key, value in changes.items():
        if value is None:
            del record[key]
        else:
            record[key] = value
    return dict(copy)


# --- the format -------------------------------------------------------------------------------


def test_the_committed_json_schema_matches_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == document_json_schema(), (
        "docs/data-schema.json is stale: run `cerebro data-schema docs/data-schema.json`"
    )


def test_record_models_mirror_the_tables() -> None:
    assert list(RECORD_MODELS) == [table.name for table in DOMAIN_TABLES]
    assert list(HEADER_FIELDS) == list(Header.model_fields)
    for table in DOMAIN_TABLES:
        fields = RECORD_MODELS[table.name].model_fields
        assert list(fields) == [column.name for column in table.columns], table.name
        properties = RECORD_MODELS[table.name].model_json_schema()["properties"]
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            optional = type(None) in get_args(fields[column.name].annotation)
            assert optional == column.nullable, where
            length = getattr(column.type, "length", None)
            if length is not None:
                variants = properties[column.name].get("anyOf", [properties[column.name]])
                [text] = [v for v in variants if v.get("type") == "string"]
                if "enum" in text:
                    assert max(map(len, text["enum"])) <= length, where
                else:
                    assert "pattern" in text or text["maxLength"] <= length, where


def test_an_export_is_a_valid_document(db: Database) -> None:
    seed(db, 12)
    text = export_text(db)
    document = RetailDocument.model_validate_json(text)
    assert document.format == "cerebro.retail" and document.version == 1
    assert document.exported_at == DEFAULT_NOW
    assert len(document.tables.customers) == 12
    lines = text.splitlines()
    assert lines[:4] == [
        "{",
        '  "format": "cerebro.retail",',
        '  "version": 1,',
        '  "exported_at": "2026-11-01T12:00:00Z",',
    ]
    assert lines[6].startswith('      {"id":"CUS-000001","first_name":"María"')


# --- round trips ------------------------------------------------------------------------------


def test_export_import_export_gives_the_same_document(
    db: Database, backend: str, tmp_path: Path
) -> None:
    seed(db, 40)
    first = export_text(db)
    with ExitStack() as stack:
        target = open_database(backend, tmp_path / "copy", stack)
        result = import_document(target, io.StringIO(first))
        assert result.rows == sum(counts(db)[table.name] for table in DOMAIN_TABLES)
        assert export_text(target) == first
        assert id_counters(target) == id_counters(db)
        with target.session() as session:
            assert next_id(session, "ORD") not in first


@pytest.mark.postgres
def test_sqlite_and_postgresql_export_the_same_bytes(tmp_path: Path) -> None:
    with ExitStack() as stack:
        exports = []
        for backend in ("sqlite", "postgresql"):
            db = open_database(backend, tmp_path / backend, stack)
            seed(db, 30)
            exports.append(export_text(db))
        assert exports[0] == exports[1]


def test_files_round_trip_compressed_or_not(tmp_path: Path) -> None:
    with ExitStack() as stack:
        source = open_database("sqlite", tmp_path / "source", stack)
        seed(source, 15)
        progress: list[tuple[int, int]] = []
        for name in ("data.json", "data.json.gz"):
            path = tmp_path / name
            progress.clear()
            export_file(source, path, exported_at=DEFAULT_NOW)
            target = open_database("sqlite", tmp_path / name.replace(".", "-"), stack)
            import_file(target, path, progress=lambda done, size: progress.append((done, size)))
            assert export_text(target) == export_text(source)
            assert progress and progress[-1][0] == path.stat().st_size
        assert (tmp_path / "data.json.gz").stat().st_size < (tmp_path / "data.json").stat().st_size
        assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
            "data.json",
            "data.json.gz",
        ]


def parsed_events(text: str, read_size: int) -> list[str]:
    """The events of a document, with record texts parsed, so that layout does not matter."""
    events = []
    for event in read_events(io.StringIO(text), read_size):
        if isinstance(event, RecordText):
            events.append(f"{event.table}[{event.index}] {json.loads(event.text)}")
        elif isinstance(event, HeaderField):
            events.append(f"{event.name} {json.loads(event.text)}")
        else:
            events.append(f"table {event.name}")
    return events


def test_the_reader_does_not_depend_on_layout_or_buffer_size(document: dict[str, Any]) -> None:
    compact = json.dumps(document, separators=(",", ":"))
    expected = parsed_events(compact, 1 << 16)
    assert len(expected) == 3 + len(DOMAIN_TABLES) + sum(map(len, document["tables"].values()))
    for text in (compact, json.dumps(document, indent=3), json.dumps(document, indent="\t")):
        for read_size in (7, 4096):
            assert parsed_events(text, read_size) == expected


def test_a_reordered_pretty_document_imports(db: Database, document: dict[str, Any]) -> None:
    header = {key: value for key, value in document.items() if key != "tables"}
    text = json.dumps({"tables": document["tables"], **header}, indent=2, ensure_ascii=False)
    result = import_document(db, io.StringIO(text))
    assert result.rows_by_table["customers"] == 25


def test_an_unverified_visitors_handoff_round_trips(db: Database, document: dict[str, Any]) -> None:
    assert document["tables"]["handoffs"], "the seeded data has handoffs"
    with_visitor = json.loads(json.dumps(document))
    with_visitor["tables"]["handoffs"][0]["customer_id"] = None
    import_json(db, with_visitor)
    exported = json.loads(export_text(db))
    visitor = exported["tables"]["handoffs"][0]
    assert visitor["id"] == document["tables"]["handoffs"][0]["id"]
    assert visitor["customer_id"] is None
    assert all(h["customer_id"] for h in exported["tables"]["handoffs"][1:])


def test_a_messages_idempotency_key_round_trips_and_may_be_absent(
    db: Database, document: dict[str, Any]
) -> None:
    """Keys survive a move to another database (a retry there is still a replay); documents
    written before messages kept keys have no such field and import with none."""
    assert document["tables"]["messages"], "the seeded data has messages"
    older = json.loads(json.dumps(document))
    for message in older["tables"]["messages"]:
        assert message.pop("idempotency_key") is None
    keyed = older["tables"]["messages"][0]
    keyed["idempotency_key"] = "cerebro-decision-7"
    import_json(db, older)
    exported = json.loads(export_text(db))["tables"]["messages"]
    assert exported[0]["idempotency_key"] == "cerebro-decision-7"
    assert all(message["idempotency_key"] is None for message in exported[1:])
    replayed = EmbeddedMessaging(db, FixedClock(DEFAULT_NOW)).send(
        keyed["customer_id"],
        channel=keyed["channel"],
        purpose=keyed["purpose"],
        body=keyed["body"],
        subject=keyed["subject"],
        idempotency_key="cerebro-decision-7",
    )
    assert replayed.id == keyed["id"]


# --- refusals ---------------------------------------------------------------------------------


def test_importing_into_a_database_that_holds_data_is_refused(
    db: Database, document: dict[str, Any]
) -> None:
    seed(db, 5)
    before = counts(db)
    with pytest.raises(DatabaseNotEmptyError, match="already holds data"):
        import_json(db, document)
    assert counts(db) == before


@pytest.mark.parametrize(
    ("table", "index", "changes", "message"),
    [
        (
            "orders",
            12,
            {"status": "lost"},
            "orders[12].status: Input should be 'pending', 'processed', 'shipped', "
            "'delivered' or 'cancelled'",
        ),
        ("customers", 3, {"email": None}, "customers[3].email: Field required"),
        (
            "customers",
            4,
            {"nickname": "Bob"},
            "customers[4].nickname: Extra inputs are not permitted",
        ),
        (
            "order_items",
            2,
            {"quantity": "2"},
            "order_items[2].quantity: Input should be a valid integer",
        ),
        (
            "order_items",
            5,
            {"quantity": 0},
            "order_items[5].quantity: Input should be greater than 0",
        ),
        (
            "shipments",
            1,
            {"shipped_at": "2026-10-01T10:00:00"},
            "shipments[1].shipped_at: Input should have timezone info",
        ),
        (
            "customers",
            0,
            {"timezone": "Mars/Olympus"},
            "customers[0].timezone: Value error, 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            "human_agents",
            1,
            {"languages": ["en", "fr"]},
            "human_agents[1].languages[1]: Input should be 'en' or 'es'",
        ),
        ("addresses", 0, {"country": "es"}, "addresses[0].country: String should match pattern"),
    ],
)
def test_bad_records_are_named_and_nothing_is_stored(
    sqlite_db: Database,
    document: dict[str, Any],
    table: str,
    index: int,
    changes: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(TransferError) as raised:
        import_json(sqlite_db, broken(document, table, index, **changes))
    assert str(raised.value).startswith(message)
    assert set(counts(sqlite_db).values()) == {0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"format": "cerebro.retail",\n "version": 1,\n "tables": {]}',
            "not valid JSON at line 3, column 13: Expecting value",
        ),
        (
            '{"format": "cerebro.retail", "version": 1',
            "not valid JSON at line 1, column 42: expected ',' or '}', found the end of the file",
        ),
        ("[1, 2]", "expected '{' at the start of the document, found '['"),
        (
            '{"format": "cerebro.retail", "version": 2, "exported_at": "2026-01-01T00:00:00Z"}',
            "version: Input should be 1",
        ),
        ('{"format": "csv"}', "format: Input should be 'cerebro.retail'"),
        ('{"version": 1, "exported_at": "2026-01-01T00:00:00Z"}', "missing top-level key 'format'"),
        ('{"format": "cerebro.retail", "colour": "red"}', "unknown top-level key 'colour'"),
        (
            '{"format": "cerebro.retail", "format": "cerebro.retail"}',
            "the key 'format' appears twice",
        ),
        ('{"tables": {"spaceships": []}}', "tables.spaceships: unknown table"),
        (
            '{"tables": {"orders": [], "customers": []}}',
            "tables.customers comes after tables.orders",
        ),
        ('{"tables": {"customers": [1]}}', "customers[0]: Input should be an object"),
        ("{} trailing", "unexpected text after the end of the document"),
    ],
)
def test_malformed_documents_are_refused_with_their_place(
    sqlite_db: Database, text: str, message: str
) -> None:
    with pytest.raises(TransferError) as raised:
        import_document(sqlite_db, io.StringIO(text))
    assert message in str(raised.value)
    assert set(counts(sqlite_db).values()) == {0}


def test_a_missing_parent_is_named(db: Database, document: dict[str, Any]) -> None:
    with pytest.raises(TransferError) as raised:
        import_json(db, broken(document, "orders", 7, customer_id="CUS-999999"))
    assert str(raised.value) == (
        "orders[7].customer_id: no customers record has id 'CUS-999999' "
        "(parents must come before their children)"
    )
    assert set(counts(db).values()) == {0}


def test_a_duplicate_is_named(db: Database, document: dict[str, Any]) -> None:
    copy = json.loads(json.dumps(document))
    copy["tables"]["customers"][20]["email"] = copy["tables"]["customers"][3]["email"]
    with pytest.raises(TransferError) as raised:
        import_json(db, copy)
    assert str(raised.value).startswith("customers[20]: ")
    assert "email" in str(raised.value)
    assert set(counts(db).values()) == {0}


def test_files_that_are_not_utf8_or_not_gzip_are_refused(
    sqlite_db: Database, tmp_path: Path
) -> None:
    db = sqlite_db
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"format": "cerebro.retail", "x": "Muñoz"}'.encode("latin-1"))
    with pytest.raises(TransferError, match="not UTF-8"):
        import_file(db, latin)
    fake = tmp_path / "fake.json.gz"
    fake.write_text("{}", encoding="utf-8")
    with pytest.raises(TransferError, match="gzip"):
        import_file(db, fake)
    assert set(counts(db).values()) == {0}


def test_an_export_that_meets_a_row_outside_the_format_fails_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    seed(db, 3)
    with db.session() as session:
        session.execute(update(Address).values(country="es"))
    path = tmp_path / "out.json"
    with pytest.raises(TransferError, match=r"addresses\[0\]\.country: String should match"):
        export_file(db, path, exported_at=DEFAULT_NOW)
    assert not path.exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_a_syntax_error_is_reported_without_reading_the_rest_of_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reader, "MAX_VALUE_CHARS", 1_000)
    records = ",\n".join(
        json.dumps({"id": f"CUS-{n:06d}", "padding": "x" * 50}) for n in range(5000)
    )
    source = io.StringIO('{"tables": {"customers": [\n{"id": "CUS-0" "oops"},\n' + records + "]}}")
    with pytest.raises(TransferError, match="line 2, column 16: Expecting ',' delimiter"):
        list(read_events(source, read_size=100))
    assert source.tell() < 2_000


def test_a_document_without_tables_is_an_empty_data_set(sqlite_db: Database) -> None:
    text = '{"format": "cerebro.retail", "version": 1, "exported_at": "2026-11-01T12:00:00+01:00"}'
    assert import_document(sqlite_db, io.StringIO(text)).rows == 0
    assert RetailDocument.model_validate_json(text).tables.customers == []
