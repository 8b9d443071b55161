"""The `cerebro` command line (typer + rich)."""

from __future__ import annotations

import typer
from rich.console import Console

from cerebro.settings import get_settings
from memory.db import Database
from memory.migrate import upgrade

app = typer.Typer(
    name="cerebro",
    help="Cerebro: customer-journey orchestration brain.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def open_database() -> Database:
    return Database(get_settings().resolved_database_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest revision."""
    db = open_database()
    upgrade(db)
    console.print(f"[green]Database is at the newest schema[/] ({db.dialect}).")
    db.dispose()


if __name__ == "__main__":
    app()
