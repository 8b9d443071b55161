"""`cerebro seed`, `export`, `import` and `data-schema`: what an operator sees, including the
one-line errors (never a traceback) for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cerebro.cli import app
from memory.db import Database
from memory.schema import Customer, Order

SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "data-schema.json"


def cerebro(environment: dict[str, str], *arguments: str) -> Result:
    return CliRunner().invoke(app, list(arguments), env=environment)


def sqlite_environment(folder: Path) -> dict[str, str]:
    return {
        "CEREBRO_DATA_DIR": str(folder),
        "CEREBRO_DATABASE_URL": f"sqlite:///{folder / 'cerebro.db'}",
    }


def error_line(result: Result) -> str:
    """The one `Error:` line of a failed command, after checking there is no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    return line


def customers(db: Database) -> int:
    with db.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Customer)).scalar_one()


def test_seed_refuses_a_second_time_unless_told_to_leave_the_data(db: Database) -> None:
    environment = {"CEREBRO_DATABASE_URL": db.url}
    first = cerebro(environment, "seed", "--customers", "30")
    assert first.exit_code == 0, first.output
    assert "Seeded 30 customers:" in first.output and "rows/s" in first.output

    second = cerebro(environment, "seed", "--customers", "30", "--seed", "7")
    assert "already holds data (30 customers" in error_line(second)
    assert "--if-empty" in error_line(second)

    leave = cerebro(environment, "seed", "--if-empty")
    assert leave.exit_code == 0, leave.output
    assert "already holds data (30 customers); leaving it alone" in leave.output
    assert customers(db) == 30


def test_seed_migrates_a_new_database_first(tmp_path: Path) -> None:
    result = cerebro(sqlite_environment(tmp_path / "new"), "seed", "--customers", "8", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "Seeded 8 customers:" in result.output


def newest_order(environment: dict[str, str]) -> datetime:
    db = Database(environment["CEREBRO_DATABASE_URL"])
    try:
        with db.engine.connect() as connection:
            newest = connection.execute(select(func.max(Order.placed_at))).scalar_one()
    finally:
        db.dispose()
    assert isinstance(newest, datetime)
    return newest.replace(tzinfo=UTC)


def test_seed_dates_the_demo_from_now_unless_told_otherwise(tmp_path: Path) -> None:
    today = sqlite_environment(tmp_path / "today")
    assert cerebro(today, "seed", "--customers", "20").exit_code == 0
    newest = newest_order(today)
    now = datetime.now(UTC)
    assert now - timedelta(days=7) < newest <= now  # orders from this week, none from the future

    reference = "2026-11-01T12:00:00Z"
    first, second = sqlite_environment(tmp_path / "a"), sqlite_environment(tmp_path / "b")
    for environment, name in ((first, "a.json"), (second, "b.json")):
        assert cerebro(environment, "seed", "--customers", "20", "--now", reference).exit_code == 0
        assert cerebro(environment, "export", str(tmp_path / name)).exit_code == 0
    newest = newest_order(first)
    assert newest <= datetime(2026, 11, 1, 12, tzinfo=UTC) < newest + timedelta(days=7)

    def without_date(name: str) -> list[str]:
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        return [line for line in lines if '"exported_at"' not in line]

    assert without_date("a.json") == without_date("b.json")


def test_export_then_import_elsewhere_gives_the_same_file(tmp_path: Path) -> None:
    here, there = sqlite_environment(tmp_path / "here"), sqlite_environment(tmp_path / "there")
    assert cerebro(here, "seed", "--customers", "25").exit_code == 0
    exported = cerebro(here, "export", str(tmp_path / "a.json.gz"))
    assert exported.exit_code == 0, exported.output
    assert "Exported " in exported.output

    imported = cerebro(there, "import", str(tmp_path / "a.json.gz"))
    assert imported.exit_code == 0, imported.output
    assert "Imported " in imported.output
    assert cerebro(there, "export", str(tmp_path / "b.json")).exit_code == 0
    assert cerebro(here, "export", str(tmp_path / "a.json")).exit_code == 0

    def without_date(name: str) -> list[str]:
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        return [line for line in lines if '"exported_at"' not in line]

    assert without_date("a.json") == without_date("b.json")

    again = cerebro(there, "import", str(tmp_path / "a.json.gz"))
    assert "already holds data" in error_line(again)


def test_bad_input_gives_one_clear_line(tmp_path: Path) -> None:
    environment = sqlite_environment(tmp_path / "var")
    negative = cerebro(environment, "seed", "--customers", "-5")
    assert error_line(negative) == "Error: --customers must be at least 1, not -5"

    naive = cerebro(environment, "seed", "--now", "2026-11-01 12:00")
    assert error_line(naive) == (
        "Error: --now must be 'now' or an ISO 8601 time with its offset, such as "
        "2026-11-01T12:00:00Z, not '2026-11-01 12:00'"
    )

    missing = cerebro(environment, "import", str(tmp_path / "nothing.json"))
    assert error_line(missing) == f"Error: no such file: {tmp_path / 'nothing.json'}"

    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"format": "cerebro.retail",\n  "tables": {"customers": [}', "utf-8")
    assert "not valid JSON at line 2" in error_line(cerebro(environment, "import", str(malformed)))

    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"tables": {"orders": [{"id": "ORD-1", "status": "x"}]}}))
    line = error_line(cerebro(environment, "import", str(invalid)))
    assert line.startswith("Error: orders[0].customer_id: Field required; ")
    assert "orders[0].status: Input should be 'pending', 'processed'" in line

    nowhere = tmp_path / "no" / "such" / "folder" / "out.json"
    assert error_line(cerebro(environment, "export", str(nowhere))) == (
        f"Error: no such folder: {nowhere.parent}"
    )

    unmigrated = sqlite_environment(tmp_path / "empty")
    result = cerebro(unmigrated, "export", str(tmp_path / "out.json"))
    assert "run `cerebro migrate` first" in error_line(result)
    assert not (tmp_path / "out.json").exists()


def test_data_schema_prints_the_committed_schema(tmp_path: Path) -> None:
    result = cerebro(sqlite_environment(tmp_path), "data-schema")
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")
    written = tmp_path / "schema.json"
    assert cerebro(sqlite_environment(tmp_path), "data-schema", str(written)).exit_code == 0
    assert written.read_text(encoding="utf-8") == result.stdout


def test_a_real_process_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all", encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-m", "cerebro.cli", "import", str(bad)],
        env={**os.environ, **sqlite_environment(tmp_path / "var")},
        capture_output=True,
        text=True,
    )
    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    assert process.stderr.strip().splitlines()[-1].startswith("Error: not valid JSON at line 1")
