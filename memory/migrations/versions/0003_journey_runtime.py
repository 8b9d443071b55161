"""journey runtime: definition versions, running instances, queued jobs

Revision ID: 0003_journeys
Revises: 0001
Create Date: 2026-11-22 11:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import memory.schema

revision: str = "0003_journeys"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journey_versions",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("created_at", memory.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_versions")),
        sa.UniqueConstraint("journey_id", "version", name="uq_journey_versions_journey_id_version"),
    )
    op.create_table(
        "journey_instances",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("waiting", sa.String(length=8), nullable=True),
        sa.Column("wait_event", sa.String(length=200), nullable=True),
        sa.Column("wait_until", memory.schema.UTCDateTime(), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("steps_run", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("entered_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("ended_at", memory.schema.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'exited', 'failed')",
            name=op.f("ck_journey_instances_status"),
        ),
        sa.CheckConstraint(
            "waiting IN ('timer', 'event')", name=op.f("ck_journey_instances_waiting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_instances")),
    )
    with op.batch_alter_table("journey_instances", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journey_instances_journey_profile", ["journey_id", "profile_id"], unique=False
        )
        batch_op.create_index(
            "ix_journey_instances_profile_status", ["profile_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_journey_instances_status_wait_until", ["status", "wait_until"], unique=False
        )
    op.create_table(
        "journey_jobs",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.BigInteger(), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", memory.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memory.schema.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('task', 'alert', 'webhook')", name=op.f("ck_journey_jobs_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')",
            name=op.f("ck_journey_jobs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_jobs")),
    )
    with op.batch_alter_table("journey_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_journey_jobs_instance_id", ["instance_id"], unique=False)
        batch_op.create_index("ix_journey_jobs_status_run_at", ["status", "run_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("journey_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_jobs_status_run_at")
        batch_op.drop_index("ix_journey_jobs_instance_id")
    op.drop_table("journey_jobs")
    with op.batch_alter_table("journey_instances", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_instances_status_wait_until")
        batch_op.drop_index("ix_journey_instances_profile_status")
        batch_op.drop_index("ix_journey_instances_journey_profile")
    op.drop_table("journey_instances")
    op.drop_table("journey_versions")
