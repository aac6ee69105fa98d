"""Held-back crisis check-ins, named mentor requests and their switch

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentor_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("role_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_requests")),
    )
    with op.batch_alter_table("mentor_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mentor_requests_guild_id_user_id", ["guild_id", "user_id"], unique=False
        )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_for", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("note_shared", sa.Boolean(), nullable=True))
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mentor_requests", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("mentor_requests")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("note_shared")
        batch_op.drop_column("held_for")
    with op.batch_alter_table("mentor_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_mentor_requests_guild_id_user_id")
    op.drop_table("mentor_requests")
