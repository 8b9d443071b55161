"""The `cerebro` command line (typer + rich)."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from cerebro.logging import configure_logging
from cerebro.settings import Settings, describe_error, get_settings
from memory.db import Database
from memory.migrate import upgrade

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
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


if __name__ == "__main__":
    app()
