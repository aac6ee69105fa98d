"""No row per member for the remembered sharing choice (issue 12)

`checkin_profiles` kept one row per member and server under a stable tag, re-sealed on each
of that member's check-ins: backups taken over time showed whose row each check-in changed,
and on PostgreSQL the row shared its transaction id (xmin) with the check-in and its post.
The choice is now the share the member's latest check-in in the server asked for, sealed in
the check-in. The table goes; nothing is carried over: a check-in from before keeps the
share that applied (or the one held for its crisis note), which is the remembered one or,
when the check-in was kept private, "private". The way down recreates the table empty.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkin_profiles") as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_profiles_guild_id"))
    op.drop_table("checkin_profiles")


def downgrade() -> None:
    op.create_table(
        "checkin_profiles",
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("choice", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_checkin_profiles")),
    )
    with op.batch_alter_table("checkin_profiles") as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_profiles_guild_id"), ["guild_id"])
