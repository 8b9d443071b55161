"""journeys, messaging: the indexes that serve one query cover only the rows it looks for

Revision ID: 0008_partial_indexes
Revises: 0004_outbox, 0007_message_idempotency_key
Create Date: 2026-12-04 21:30:00.000000

- Deferred decisions come due by `defer_until` among those still `waiting`: the index now holds
  only those, so a decision that is sent or suppressed (nearly all of them) no longer writes an
  entry in it when it is logged, nor moves it when its state changes.
- A message's idempotency key is unique per customer: the index now holds only messages that
  have a key (the journeys' sends have none). Uniqueness is the same: NULLs never collided.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_partial_indexes"
# It changes a table of each branch, so it runs after both (and joins them).
down_revision: tuple[str, ...] | None = ("0004_outbox", "0007_message_idempotency_key")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = sa.text("state = 'waiting'")
_KEYED = sa.text("idempotency_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_decisions_state_defer_until", table_name="decisions")
    op.create_index(
        "ix_decisions_waiting_defer_until",
        "decisions",
        ["defer_until"],
        sqlite_where=_WAITING,
        postgresql_where=_WAITING,
    )
    op.drop_index("ix_messages_customer_idempotency_key", table_name="messages")
    op.create_index(
        "ix_messages_customer_idempotency_key",
        "messages",
        ["customer_id", "idempotency_key"],
        unique=True,
        sqlite_where=_KEYED,
        postgresql_where=_KEYED,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_customer_idempotency_key", table_name="messages")
    op.create_index(
        "ix_messages_customer_idempotency_key",
        "messages",
        ["customer_id", "idempotency_key"],
        unique=True,
    )
    op.drop_index("ix_decisions_waiting_defer_until", table_name="decisions")
    op.create_index("ix_decisions_state_defer_until", "decisions", ["state", "defer_until"])
