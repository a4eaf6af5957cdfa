"""review, gold, consensus and suggestions

Existing rows take the server defaults; new rows get theirs from the models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:41:34.209560
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fairlabel.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gold_scores",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Double(), nullable=False),
        sa.Column("updated_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_gold_scores_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_gold_scores_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "worker_id", "question", name=op.f("pk_gold_scores")),
    )
    op.create_table(
        "consensus",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column(
            "answer",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("annotators", sa.Integer(), nullable=False),
        sa.Column("agreeing", sa.Integer(), nullable=False),
        sa.Column("human_confirmed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_consensus_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_consensus_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consensus")),
        sa.UniqueConstraint("item_id", "question", name=op.f("uq_consensus_item_id_question")),
    )
    with op.batch_alter_table("consensus", schema=None) as batch_op:
        batch_op.create_index("ix_consensus_project", ["project_id", "confidence"], unique=False)

    op.create_table(
        "gold",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_gold_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_gold_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_gold_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_gold")),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column(
            "answer",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_suggestions_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_suggestions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestions")),
        sa.UniqueConstraint(
            "item_id", "question", "agent", name=op.f("uq_suggestions_item_id_question_agent")
        ),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "annotation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=100), nullable=True),
        sa.Column("guideline_ref", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "correction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotations.id"],
            name=op.f("fk_reviews_annotation_id_annotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_reviews_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["annotations.id"],
            name=op.f("fk_reviews_correction_id_annotations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_reviews_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_reviews_reviewer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_reviews_worker_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("annotation_id", "stage", name=op.f("uq_reviews_annotation_id_stage")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_worker", ["worker_id", "id"], unique=False)

    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="worker")
        )
        batch_op.add_column(
            sa.Column(
                "corrects_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("awaiting_stage", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("under_review", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("verdict", sa.String(length=20), nullable=True))
        batch_op.create_index(
            "ix_annotations_awaiting",
            ["project_id", "awaiting_stage", "under_review", "id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_annotations_corrects_id_annotations"),
            "annotations",
            ["corrects_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "subject_annotation_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_assignments_subject_annotation_id_annotations"),
            "annotations",
            ["subject_annotation_id"],
            ["id"],
            ondelete="CASCADE",
            use_alter=True,
        )

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_gold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_items_gold", ["project_id", "is_gold", "id"], unique=False)
    _restore_queue_index()

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "workflow",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
        batch_op.add_column(
            sa.Column(
                "rejection_reasons",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
        batch_op.add_column(
            sa.Column("rework_hours", sa.Integer(), nullable=False, server_default="24")
        )
        batch_op.add_column(sa.Column("gold_rate", sa.Double(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("min_gold_accuracy", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("min_gold_seen", sa.Integer(), nullable=False, server_default="5")
        )
        batch_op.add_column(sa.Column("consensus_threshold", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("max_overlap", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("max_overlap")
        batch_op.drop_column("consensus_threshold")
        batch_op.drop_column("min_gold_seen")
        batch_op.drop_column("min_gold_accuracy")
        batch_op.drop_column("gold_rate")
        batch_op.drop_column("rework_hours")
        batch_op.drop_column("rejection_reasons")
        batch_op.drop_column("workflow")

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_gold")
        batch_op.drop_column("is_gold")
    _restore_queue_index()

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_assignments_subject_annotation_id_annotations"), type_="foreignkey"
        )
        batch_op.drop_column("subject_annotation_id")

    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_annotations_corrects_id_annotations"), type_="foreignkey"
        )
        batch_op.drop_index("ix_annotations_awaiting")
        batch_op.drop_column("verdict")
        batch_op.drop_column("under_review")
        batch_op.drop_column("awaiting_stage")
        batch_op.drop_column("corrects_id")
        batch_op.drop_column("source")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_worker")

    op.drop_table("reviews")
    op.drop_table("suggestions")
    op.drop_table("gold")
    with op.batch_alter_table("consensus", schema=None) as batch_op:
        batch_op.drop_index("ix_consensus_project")

    op.drop_table("consensus")
    op.drop_table("gold_scores")


def _restore_queue_index() -> None:
    """SQLite's batch mode rebuilds the items table and loses the DESC of the queue index,
    which the queue's ordered walk needs (tests/queue/test_query_plan.py)."""
    op.drop_index("ix_items_queue", table_name="items")
    op.create_index(
        "ix_items_queue", "items", ["project_id", "is_open", sa.text("priority DESC"), "id"]
    )
