"""qualification tests: pay for an attempt in the ledger like other work (pending, then
approved), training tests and guideline sections, and gold withheld from hidden-gold
serving once a worker has seen it in a test

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fairlabel.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("qualification_tests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("training", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "guideline_sections",
                fairlabel.db.JSONType,
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )
    _add_ledger_attempt()
    op.create_table(
        "withheld_gold",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fairlabel.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_withheld_gold_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_withheld_gold_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["qualification_tests.id"],
            name=op.f("fk_withheld_gold_test_id_qualification_tests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withheld_gold")),
    )
    op.create_index("ix_withheld_gold_item", "withheld_gold", ["item_id", "worker_id"])


def _add_ledger_attempt() -> None:
    """The ledger keeps its append-only triggers: SQLite's batch mode would copy the table
    and lose them, so the column is added in place on both databases."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE ledger_entries ADD COLUMN attempt_id INTEGER "
            "REFERENCES qualification_attempts (id) ON DELETE RESTRICT"
        )
    else:
        op.add_column("ledger_entries", sa.Column("attempt_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_ledger_entries_attempt_id_qualification_attempts"),
            "ledger_entries",
            "qualification_attempts",
            ["attempt_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.create_index("ix_ledger_attempt", "ledger_entries", ["attempt_id"])


def downgrade() -> None:
    op.drop_index("ix_withheld_gold_item", table_name="withheld_gold")
    op.drop_table("withheld_gold")
    op.drop_index("ix_ledger_attempt", table_name="ledger_entries")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE ledger_entries DROP COLUMN attempt_id")
    else:
        op.drop_constraint(
            op.f("fk_ledger_entries_attempt_id_qualification_attempts"),
            "ledger_entries",
            type_="foreignkey",
        )
        op.drop_column("ledger_entries", "attempt_id")
    with op.batch_alter_table("qualification_tests", schema=None) as batch_op:
        batch_op.drop_column("guideline_sections")
        batch_op.drop_column("training")
