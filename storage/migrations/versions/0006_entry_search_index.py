"""the search index of logged meetings and signals, in the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:45:00

The rows are written by the bot (its own analysis of the text); entries logged before this
revision are indexed by the bot at its next start (Regie.open catches up, once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entry_postings",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "term", "entry_id", name=op.f("pk_entry_postings")),
    )
    op.create_index(
        "ix_entry_postings_kind_term_day", "entry_postings", ["kind", "term", "day"], unique=False
    )
    op.create_index(
        "ix_entry_postings_kind_entry_id", "entry_postings", ["kind", "entry_id"], unique=False
    )
    op.create_table(
        "entry_terms",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "term", name=op.f("pk_entry_terms")),
    )
    op.create_table(
        "entry_docs",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("kind", "entry_id", name=op.f("pk_entry_docs")),
    )


def downgrade() -> None:
    op.drop_table("entry_docs")
    op.drop_table("entry_terms")
    op.drop_index("ix_entry_postings_kind_entry_id", table_name="entry_postings")
    op.drop_index("ix_entry_postings_kind_term_day", table_name="entry_postings")
    op.drop_table("entry_postings")
