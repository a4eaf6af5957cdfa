"""monitoring: streams of production conversations sampled into a review project, and the
counts received and sampled per day and stratum

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fairlabel.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "monitoring_streams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate", sa.Double(), nullable=False),
        sa.Column("stratum", sa.String(length=120), nullable=False),
        sa.Column("stratum_rates", JSON, nullable=False),
        sa.Column("flag_question", sa.String(length=100), nullable=False),
        sa.Column("flag_values", JSON, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_monitoring_streams_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_monitoring_streams_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_monitoring_streams_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_streams")),
        sa.UniqueConstraint(
            "project_id", "name", name=op.f("uq_monitoring_streams_project_id_name")
        ),
    )
    op.create_index(
        op.f("ix_monitoring_streams_organization_id"), "monitoring_streams", ["organization_id"]
    )
    op.create_table(
        "monitoring_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["monitoring_streams.id"],
            name=op.f("fk_monitoring_counts_stream_id_monitoring_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_counts")),
        sa.UniqueConstraint(
            "stream_id", "day", "stratum", name=op.f("uq_monitoring_counts_stream_id_day_stratum")
        ),
    )


def downgrade() -> None:
    op.drop_table("monitoring_counts")
    op.drop_table("monitoring_streams")
