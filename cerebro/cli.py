"""The `cerebro` command line (typer + rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from cerebro.clock import SystemClock
from cerebro.logging import configure_logging
from cerebro.settings import Settings, describe_error, get_settings
from memory.db import Database
from memory.demo.generator import DEFAULT_SEED
from memory.demo.seeding import seed as seed_database
from memory.migrate import is_current, upgrade
from memory.transfer.bulk import DatabaseNotEmptyError
from memory.transfer.errors import TransferError
from memory.transfer.exporter import export_file
from memory.transfer.importer import import_file
from memory.transfer.models import document_json_schema

app = typer.Typer(
    name="cerebro",
    help="Cerebro: customer-journey orchestration brain.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """Cerebro: customer-journey orchestration brain."""
    load_settings()  # fail early, and clearly, on a bad environment


def load_settings() -> Settings:
    """The settings, or a clear message and exit status 2 when the environment is invalid."""
    try:
        return get_settings()
    except ValidationError as error:
        console.print(f"[red]{describe_error(error)}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def open_database() -> Database:
    return Database(load_settings().resolved_database_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest revision."""
    db = open_database()
    upgrade(db)
    console.print(f"[green]Database is at the newest schema[/] ({db.dialect}).")
    db.dispose()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the API and the web pages (run `cerebro migrate` first)."""
    import uvicorn

    from api.app import create_app

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(create_app(settings, start_assistant=True), host=host, port=port, log_config=None)


@app.command("reference-server")
def reference_server(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8100, min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the tool adapters' REST contract (docs/tools-http-contract.md) from this database.

    Point `CEREBRO_CRM_URL` etc. at it to try the HTTP adapters, or use it as the model a company
    integration is checked against. With `CEREBRO_TOOLS_TOKEN` set, every call needs that token.
    """
    import uvicorn

    from tools.reference_server import create_reference_app

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    token = settings.tools_token.get_secret_value() if settings.tools_token else None
    app = create_reference_app(open_database(), SystemClock(), token=token)
    uvicorn.run(app, host=host, port=port, log_config=None)


@app.command()
def worker(
    name: str = typer.Option("", help="Consumer name; default: host name and process id."),
) -> None:
    """Decide the events of the scaled deployment's bus (CEREBRO_REDIS_URL) until stopped.

    Run as many as you like next to `cerebro serve`: they share the bus's partitions, keep each
    customer's events in order, and take over the partitions of a worker that died."""
    import os
    import socket

    from journeys.worker import run_worker

    settings = load_settings()
    if not settings.redis_url:
        _fail("cerebro worker needs CEREBRO_REDIS_URL: the event bus it consumes")
    configure_logging(settings.log_level, settings.log_format)
    with _clean_errors():
        run_worker(settings, name or f"{socket.gethostname()}-{os.getpid()}")


def _fail(message: str) -> NoReturn:
    console.print(f"[red]Error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(1)


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Expected failures end the command with a one-line message and exit code 1, no traceback."""
    try:
        yield
    except (TransferError, DatabaseNotEmptyError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"{error.strerror}: {error.filename}" if error.filename else str(error))
    except SQLAlchemyError as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        _fail(f"database error: {str(cause).strip().splitlines()[0]}")


def _progress(*columns: ProgressColumn) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *columns,
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


@app.command()
def seed(
    customers: Annotated[
        int, typer.Option(help="Customers to create; the first five are the story customers.")
    ] = 500,
    random_seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")
    ] = DEFAULT_SEED,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="If the database already holds data, leave it and exit 0."),
    ] = False,
    now: Annotated[
        str,
        typer.Option(
            help="The moment the data is dated from: 'now' (the default), or an ISO 8601 time "
            "with its offset, e.g. 2026-11-01T12:00:00Z, the reference data set."
        ),
    ] = "now",
) -> None:
    """Migrate the database, then fill it with deterministic retail demo data (it must be empty).

    The data is dated relative to `--now`: with the default, today's demo has orders in transit,
    returns still open and recent tickets; the same `--customers`, `--seed` and `--now` give the
    same rows."""
    if customers < 1:
        _fail(f"--customers must be at least 1, not {customers}")
    dated_from = _seed_time(now)
    with _clean_errors():
        db = open_database()
        try:
            upgrade(db)
            with _progress(MofNCompleteColumn(), TextColumn("{task.fields[rows]:,} rows")) as bar:
                task = bar.add_task("Seeding customers", total=customers, rows=0)
                result = seed_database(
                    db,
                    customers,
                    seed=random_seed,
                    now=dated_from,
                    progress=lambda done: bar.update(
                        task, completed=done.customers_done, rows=done.rows
                    ),
                )
        except DatabaseNotEmptyError as error:
            if not if_empty:
                _fail(f"{error}, or pass --if-empty to leave it alone")
            console.print(
                f"The database already holds data ({error.customers:,} customers); "
                "leaving it alone."
            )
            return
        finally:
            db.dispose()
    console.print(
        f"Seeded {customers:,} customers: {result.rows:,} rows in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} rows/s)."
    )


def _seed_time(value: str) -> datetime:
    """`--now` of `cerebro seed` as an aware time (whole seconds, for tidy demo data)."""
    if value == "now":
        return SystemClock().now().replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        _fail(
            f"--now must be 'now' or an ISO 8601 time with its offset, such as "
            f"2026-11-01T12:00:00Z, not {value!r}"
        )
    return parsed


@app.command()
def export(
    file: Annotated[
        Path, typer.Argument(help="File to write; a name ending in .gz is gzip-compressed.")
    ],
) -> None:
    """Export all retail data as one JSON document (see docs/data-format.md)."""
    if not file.parent.is_dir():
        _fail(f"no such folder: {file.parent}")
    with _clean_errors():
        db = open_database()
        try:
            if not is_current(db):
                _fail("the database is not at the newest schema; run `cerebro migrate` first")
            with _progress() as bar:
                task = bar.add_task("Exporting rows", total=None)
                result = export_file(
                    db,
                    file,
                    exported_at=SystemClock().now(),
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        finally:
            db.dispose()
    console.print(f"Exported {result.rows:,} rows to {file}.")


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A cerebro.retail JSON document (.json or .json.gz).")
    ],
) -> None:
    """Import a JSON document into an empty database (migrated first), all or nothing."""
    if not file.is_file():
        _fail(f"no such file: {file}")
    with _clean_errors():
        db = open_database()
        try:
            upgrade(db)
            with _progress() as bar:
                task = bar.add_task("Importing", total=file.stat().st_size)
                result = import_file(
                    db, file, progress=lambda done, _size: bar.update(task, completed=done)
                )
        finally:
            db.dispose()
    console.print(f"Imported {result.rows:,} rows from {file}.")


@app.command("data-schema")
def data_schema(
    file: Annotated[
        Path | None, typer.Argument(help="Write the schema here instead of to standard output.")
    ] = None,
) -> None:
    """Print the JSON Schema of the export/import document (docs/data-schema.json)."""
    text = document_json_schema()
    if file is None:
        typer.echo(text, nl=False)
        return
    with _clean_errors():
        file.write_text(text, encoding="utf-8")
    console.print(f"Wrote the JSON Schema to {file}.")


@app.command()
def nlu(
    text: Annotated[str, typer.Argument(help="One customer turn, in English or Spanish.")],
    language: Annotated[str | None, typer.Option(help="en or es; detected when left out.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show what the offline brain understands of a customer turn (intent, entities...)."""
    import json
    from dataclasses import asdict

    from rich.table import Table

    from agent.nlu.parser import default_parser

    settings = load_settings()
    try:
        understanding = default_parser(settings.data_dir / "cache").parse(text, language)
    except ValueError as error:
        console.print(f"[red]Error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        result = asdict(understanding)
        result["alternatives"] = [
            {"intent": intent, "confidence": confidence}
            for intent, confidence in understanding.alternatives
        ]
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    table = Table(show_header=False, box=None)
    table.add_row("intent", f"{understanding.intent} ({understanding.confidence:.0%})")
    table.add_row("language", understanding.language)
    table.add_row("out of scope", "yes" if understanding.out_of_scope else "no")
    for entity in understanding.entities:
        typed = escape(repr(text[entity.start : entity.end]))
        table.add_row(entity.kind, f"{escape(entity.value)}  [dim]{typed}[/]")
    alternatives = ", ".join(f"{i} ({c:.0%})" for i, c in understanding.alternatives)
    table.add_row("alternatives", alternatives)
    Console().print(table)


@app.command()
def sentiment(
    file: Annotated[
        Path,
        typer.Option("--file", help="A UTF-8 text file: one text per line (blank lines skipped)."),
    ],
    language: Annotated[
        str | None,
        typer.Option(help="en or es (or a tag like es-MX); detected per text if left out."),
    ] = None,
) -> None:
    """Label the sentiment of each line of a file; prints one JSON object per text (line,
    label, score, language)."""
    import json

    from agent.sentiment.contract import as_language

    if language is not None:
        try:
            as_language(language)
        except ValueError as error:
            _fail(str(error))
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        _fail(f"{file} is not UTF-8 text")
    except OSError as error:
        _fail(f"cannot read {file}: {error.strerror or error}")
    numbered = [(number, text) for number, text in enumerate(lines, start=1) if text.strip()]
    if not numbered:
        _fail(f"{file} has no text to analyze")
    from agent.runtime import default_sentiment_analyzer

    analyzer = default_sentiment_analyzer()
    batch = 256
    for start in range(0, len(numbered), batch):
        chunk = numbered[start : start + batch]
        results = analyzer.analyze_batch([text for _, text in chunk], language)
        for (number, _), result in zip(chunk, results, strict=True):
            row = {
                "line": number,
                "label": result.label,
                "score": round(result.score, 4),
                "language": result.language,
            }
            typer.echo(json.dumps(row))


clock_app = typer.Typer(help="The journeys engine's clock (CEREBRO_CLOCK).", no_args_is_help=True)
app.add_typer(clock_app, name="clock")


@clock_app.command("show")
def clock_show() -> None:
    """Print the engine's time and whether it is simulated."""
    from journeys.clock import SimulatedClock, build_clock
    from journeys.config import EngineSettings

    with _clean_errors():
        db = open_database()
        try:
            clock = build_clock(EngineSettings(), db)
            mode = "simulated" if isinstance(clock, SimulatedClock) else "system"
            typer.echo(f"{clock.now().isoformat()} ({mode})")
        finally:
            db.dispose()


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[str, typer.Argument(help="How far: 48h, 2d, 90m, 1h30m, 45s.")],
) -> None:
    """Move the simulated clock forward, then run what came due (deferred sends, timers)."""
    from journeys.clock import ClockError, SimulatedClock, parse_duration
    from journeys.config import EngineSettings
    from journeys.pipeline import build_pipeline

    try:
        step = parse_duration(duration)
    except ValueError as error:
        _fail(str(error))
    with _clean_errors():
        db = open_database()
        try:
            pipeline = build_pipeline(load_settings(), db, EngineSettings())
            if not isinstance(pipeline.clock, SimulatedClock):
                _fail("the clock is the system clock; set CEREBRO_CLOCK=simulated to move it")
            try:
                now = pipeline.clock.advance(step)
            except ClockError as error:
                _fail(str(error))
            done = pipeline.run_due()
            pipeline.close()
        finally:
            db.dispose()
    console.print(f"The clock is now {now.isoformat()}; {done} due item(s) run.")


# `cerebro eval`: offline evaluation of transcripts (docs/evals.md); its heavy modules load lazily.
from evals.cli import eval_app  # noqa: E402

app.add_typer(eval_app, name="eval")


if __name__ == "__main__":
    app()
