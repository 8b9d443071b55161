"""routing: a handoff may have no customer (an unverified visitor can always reach a human)

Revision ID: 0006_visitor_handoffs
Revises: 0005_handoff_outcome
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_visitor_handoffs"
down_revision: str | None = "0005_handoff_outcome"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot change a column's nullability in place, so it copies the table.
    with op.batch_alter_table("handoffs") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    # Visitor handoffs have nowhere to go in the older schema.
    op.execute("DELETE FROM handoffs WHERE customer_id IS NULL")
    with op.batch_alter_table("handoffs") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(length=32), nullable=False)
