"""sign-in throttles: failed sign-ins counted per email address and per client address,
and the locks they lead to, in the database so that every server process shares them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fairlabel.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", fairlabel.db.UTCDateTime(), nullable=False),
        sa.Column("locked_until", fairlabel.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_sign_in_throttles_scope_key")),
    )
    op.create_index(
        "ix_sign_in_throttles_window", "sign_in_throttles", ["window_started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sign_in_throttles_window", table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
