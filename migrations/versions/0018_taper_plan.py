"""Taper plans as the prescriber set them, and the symptom checks after each step (issue 14)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "taper_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("step_on", sa.Date(), nullable=False),
        sa.Column("details_encrypted", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taper_steps")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_taper_steps_request_digest")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("taper_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taper_steps_step_on"), ["step_on"], unique=False)
    op.create_table(
        "taper_symptom_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taper_symptom_checks")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_taper_symptom_checks_request_digest")),
    )
    with op.batch_alter_table("taper_symptom_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taper_symptom_checks_week"), ["week"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("taper_symptom_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taper_symptom_checks_week"))
    op.drop_table("taper_symptom_checks")
    with op.batch_alter_table("taper_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taper_steps_step_on"))
    op.drop_table("taper_steps")
