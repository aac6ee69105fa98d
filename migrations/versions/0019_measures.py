"""Optional validated measures: opt-ins, drafts in progress and results (issue 14)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "measure_optins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("measure", sa.LargeBinary(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_optins")),
    )
    with op.batch_alter_table("measure_optins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measure_optins_user_id"), ["user_id"], unique=False)
    op.create_table(
        "measure_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_drafts")),
    )
    with op.batch_alter_table("measure_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_drafts_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "measure_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_results")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_measure_results_request_digest")),
    )
    with op.batch_alter_table("measure_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measure_results_week"), ["week"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measure_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_results_week"))
    op.drop_table("measure_results")
    with op.batch_alter_table("measure_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_drafts_expires_at"))
    op.drop_table("measure_drafts")
    with op.batch_alter_table("measure_optins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_optins_user_id"))
    op.drop_table("measure_optins")
