"""When a delivery's send first may have reached Discord unrecorded (issue 13)

A delivery claimed and then lost (a crash, a lost answer, a timeout, a 5xx) may have been
sent. Discord drops a repeated message nonce for a few minutes only, so past that a retry
must look in the channel's history before sending again; this column says since when to look.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uncertain_since", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_column("uncertain_since")
