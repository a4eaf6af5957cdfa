"""evaluations: an eval set's prompts, the models under test, their responses per prompt,
and the blind battles between two responses (the items workers vote on)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fairlabel.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluations_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_evaluations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_evaluations_project_id_name")),
    )
    op.create_table(
        "eval_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["model_endpoints.id"],
            name=op.f("fk_eval_models_endpoint_id_model_endpoints"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_eval_models_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_models")),
        sa.UniqueConstraint(
            "evaluation_id", "name", name=op.f("uq_eval_models_evaluation_id_name")
        ),
    )
    op.create_table(
        "eval_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("difficulty", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_eval_prompts_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_prompts")),
        sa.UniqueConstraint(
            "evaluation_id", "external_id", name=op.f("uq_eval_prompts_evaluation_id_external_id")
        ),
    )
    op.create_table(
        "eval_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("finish_reason", sa.String(length=40), nullable=True),
        sa.Column("updated_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_eval_responses_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["eval_models.id"],
            name=op.f("fk_eval_responses_model_id_eval_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["eval_prompts.id"],
            name=op.f("fk_eval_responses_prompt_id_eval_prompts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_responses")),
        sa.UniqueConstraint(
            "prompt_id", "model_id", name=op.f("uq_eval_responses_prompt_id_model_id")
        ),
    )
    with op.batch_alter_table("eval_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_responses_evaluation_id"), ["evaluation_id"], unique=False
        )

    op.create_table(
        "battles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("left_model_id", sa.Integer(), nullable=False),
        sa.Column("right_model_id", sa.Integer(), nullable=False),
        sa.Column("left_response_id", sa.Integer(), nullable=True),
        sa.Column("right_response_id", sa.Integer(), nullable=True),
        sa.Column("swapped", sa.Boolean(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_battles_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_battles_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_battles_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["left_model_id"],
            ["eval_models.id"],
            name=op.f("fk_battles_left_model_id_eval_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["left_response_id"],
            ["eval_responses.id"],
            name=op.f("fk_battles_left_response_id_eval_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_battles_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["eval_prompts.id"],
            name=op.f("fk_battles_prompt_id_eval_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["right_model_id"],
            ["eval_models.id"],
            name=op.f("fk_battles_right_model_id_eval_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["right_response_id"],
            ["eval_responses.id"],
            name=op.f("fk_battles_right_response_id_eval_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_battles")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_battles_assignment_id")),
        sa.UniqueConstraint("item_id", name=op.f("uq_battles_item_id")),
    )
    with op.batch_alter_table("battles", schema=None) as batch_op:
        batch_op.create_index("ix_battles_evaluation", ["evaluation_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_battles_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("battles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_battles_project_id"))
        batch_op.drop_index("ix_battles_evaluation")

    op.drop_table("battles")
    with op.batch_alter_table("eval_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_responses_evaluation_id"))

    op.drop_table("eval_responses")
    op.drop_table("eval_prompts")
    op.drop_table("eval_models")
    op.drop_table("evaluations")
