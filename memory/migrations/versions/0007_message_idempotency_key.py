"""messaging: a message keeps the sender's idempotency key, unique per customer

Revision ID: 0007_message_idempotency_key
Revises: 0006_visitor_handoffs
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_message_idempotency_key"
down_revision: str | None = "0006_visitor_handoffs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column and an index: both databases add them in place (no table copy). Existing
    # messages have no key; NULLs never collide in a unique index.
    op.add_column("messages", sa.Column("idempotency_key", sa.String(length=255), nullable=True))
    op.create_index(
        "ix_messages_customer_idempotency_key",
        "messages",
        ["customer_id", "idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_customer_idempotency_key", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("idempotency_key")
