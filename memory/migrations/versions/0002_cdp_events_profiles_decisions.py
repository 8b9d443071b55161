"""journeys engine: events, identities, profiles, decisions, simulated clock

Revision ID: 0002_cdp
Revises: 0001
Create Date: 2026-11-22 10:14:26.832888
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import memory.schema

revision: str = "0002_cdp"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("profile_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("defer_until", memory.schema.UTCDateTime(), nullable=True),
        sa.Column("journey_id", sa.String(length=64), nullable=True),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("replaces", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("decided_at", memory.schema.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('send', 'defer', 'suppress')", name=op.f("ck_decisions_outcome")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'dispatched', 'failed', 'waiting', 'redecided', 'final')",
            name=op.f("ck_decisions_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_profile_decided", ["profile_id", "decided_at"], unique=False
        )
        batch_op.create_index(
            "ix_decisions_state_defer_until", ["state", "defer_until"], unique=False
        )

    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_key", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("profile_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=True),
        sa.Column("anonymous_id", sa.String(length=100), nullable=True),
        sa.Column("timestamp", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("received_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "source IN ('api', 'chat', 'journey', 'system')", name=op.f("ck_events_source")
        ),
        sa.CheckConstraint(
            "type IN ('identify', 'track', 'page', 'alias')", name=op.f("ck_events_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("source_key", "message_id", name="uq_events_source_key_message_id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_profile_timestamp", ["profile_id", "timestamp"], unique=False
        )

    op.create_table(
        "profile_identities",
        sa.Column("external_id", sa.String(length=120), nullable=False),
        sa.Column("profile_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", memory.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_profile_identities")),
    )
    with op.batch_alter_table("profile_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_identities_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "simulated_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("now", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memory.schema.UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_simulated_clock_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulated_clock")),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("preferred_channel", sa.String(length=16), nullable=True),
        sa.Column("lifetime_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("open_critical_tickets", sa.Integer(), nullable=False),
        sa.Column("last_agent_id", sa.String(length=32), nullable=True),
        sa.Column("recent_sentiment", sa.Float(), nullable=True),
        sa.Column("cart_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("cart_abandoned_at", memory.schema.UTCDateTime(), nullable=True),
        sa.Column("last_seen_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("created_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_profiles_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profiles_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profiles_customer_id"))

    op.drop_table("profiles")
    op.drop_table("simulated_clock")
    with op.batch_alter_table("profile_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_identities_profile_id"))

    op.drop_table("profile_identities")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_profile_timestamp")

    op.drop_table("events")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_state_defer_until")
        batch_op.drop_index("ix_decisions_profile_decided")

    op.drop_table("decisions")
