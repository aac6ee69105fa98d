"""The end of a sobriety attempt, sealed (issue 12)

A reset ends one attempt and starts the next the same day, and `ended_on` showed that day
in the clear: the attempt that ended on the day another began was its member's, so a named
attempt named the anonymous one after it. Each attempt now keeps its end (or that it has
none) in `ended`, encrypted and padded to one length, and new ones leave `ended_on` empty.
Existing ends stay readable as they were; the bot seals them the next time their member
sets or resets the counter.

Revision ID: 0016
Revises: 0014 (0015 is another branch's; the integrating merge puts one after the other)
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sobriety_streaks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sobriety_streaks", schema=None) as batch_op:
        batch_op.drop_column("ended")
