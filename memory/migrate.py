"""Schema migrations (Alembic), run from code: `cerebro migrate`, `make run` and the tests.

Upgrades go to *all* heads, so two features developed side by side may each add a revision
branching from the same parent; a later merge revision joins them without blocking anyone.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from memory.db import Database
from memory.schema import Base

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

SCHEMA_MODULES = ("memory.schema", "journeys.schema", "journeys.runtime_schema")
"""Every module that declares tables on `memory.schema.Base`. Features keep their tables next to
their code; this list is the one place that gathers them for migrations and schema checks."""


def declared_metadata() -> MetaData:
    """The metadata of every table Cerebro declares (the schema migrations must build)."""
    for module in SCHEMA_MODULES:
        importlib.import_module(module)
    return Base.metadata


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database) -> None:
    """Bring the database to the newest schema; a no-op when it is there already."""
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def head_revisions(db: Database) -> frozenset[str]:
    """The newest revisions the code knows."""
    return frozenset(ScriptDirectory.from_config(alembic_config(db)).get_heads())


def current_revisions(db: Database) -> frozenset[str]:
    """The revisions the database is at (empty when it was never migrated)."""
    with db.engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def is_current(db: Database) -> bool:
    """True when the database is migrated to the newest schema."""
    return current_revisions(db) == head_revisions(db)
