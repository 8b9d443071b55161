"""Alembic environment: runs migrations on the connection or URL that `memory.migrate` passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from memory.db import create_db_engine
from memory.migrate import declared_metadata

config = context.config
target_metadata = declared_metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as new_connection:
        _run(new_connection)
    engine.dispose()
