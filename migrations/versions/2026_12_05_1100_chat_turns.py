"""chat turns: the candidates the platform generated for each turn of a chat question, so
that a submitted chat answer is checked against them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fairlabel.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "chat_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("user_message", sa.Text(), nullable=True),
        sa.Column("prompt", JSON, nullable=False),
        sa.Column("candidates", JSON, nullable=False),
        sa.Column("wait_ms", sa.Double(), nullable=False),
        sa.Column("created_at", fairlabel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_chat_turns_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_turns")),
        sa.UniqueConstraint(
            "assignment_id",
            "question",
            "turn",
            name=op.f("uq_chat_turns_assignment_id_question_turn"),
        ),
    )


def downgrade() -> None:
    op.drop_table("chat_turns")
