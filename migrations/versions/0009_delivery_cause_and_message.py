"""Occurrences record why a delivery ended (cause) and the message that was sent

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("occurrences") as batch:
        batch.add_column(sa.Column("cause", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    # Earlier outcomes said why only in their free-text detail.
    op.execute("UPDATE occurrences SET cause = 'dms_closed' WHERE detail LIKE '%(50007)%'")
    op.execute(
        "UPDATE occurrences SET cause = 'discord_unavailable' "
        "WHERE detail LIKE 'gave up after%Discord answered%'"
    )
    op.execute(
        "UPDATE occurrences SET cause = 'network' WHERE detail LIKE 'gave up after%network%'"
    )
    op.execute("UPDATE occurrences SET cause = 'late' WHERE state = 'skipped_late'")


def downgrade() -> None:
    with op.batch_alter_table("occurrences") as batch:
        batch.drop_column("message_id")
        batch.drop_column("cause")
