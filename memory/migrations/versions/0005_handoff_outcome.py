"""routing: how a closed handoff ended (resolved by a human, or handed back to the assistant)

Revision ID: 0005_handoff_outcome
Revises: 0001
Create Date: 2026-12-04 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_handoff_outcome"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALLOWED = "outcome IS NULL OR outcome IN ('resolved', 'handed_back')"


def upgrade() -> None:
    # Batch mode: SQLite cannot add a constraint to a table in place, so it copies the table.
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch.create_check_constraint(op.f("ck_handoffs_outcome"), ALLOWED)


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint(op.f("ck_handoffs_outcome"), type_="check")
        batch.drop_column("outcome")
