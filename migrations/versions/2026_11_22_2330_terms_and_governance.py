"""terms and governance: versioned platform terms and workers' acknowledgements, worker
representatives, and the consultations held with them (Fairwork 3.1 and 5.2)

Published terms are never changed: the API has no route to edit or delete a version.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fairlabel.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_consultations_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_table(
        "terms_versions",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_terms_versions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_terms_versions")),
    )
    op.create_table(
        "worker_representatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("recognised_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", fairlabel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_worker_representatives_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_worker_representatives_worker_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_representatives")),
    )
    op.create_table(
        "consultees",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultees_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["worker_representatives.id"],
            name=op.f("fk_consultees_representative_id_worker_representatives"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("consultation_id", "representative_id", name=op.f("pk_consultees")),
    )
    op.create_table(
        "terms_acceptances",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("accepted_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["number"],
            ["terms_versions.number"],
            name=op.f("fk_terms_acceptances_number_terms_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_terms_acceptances_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", "number", name=op.f("pk_terms_acceptances")),
    )


def downgrade() -> None:
    op.drop_table("terms_acceptances")
    op.drop_table("consultees")
    op.drop_table("worker_representatives")
    op.drop_table("terms_versions")
    op.drop_table("consultations")
