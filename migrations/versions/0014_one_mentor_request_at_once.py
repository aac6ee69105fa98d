"""One newest mentor request per member and server, by a unique index (issue 11)

Two quick presses of "Yes, ask a mentor" could both find no recent request and both post
one on PostgreSQL. Each request now says whether it is its member's newest in the server
(True, or NULL for older ones), unique with the server and member: a new request first
takes the place from the old one, and of two made at once only one insert can. Existing
rows: the newest of each member and server is marked.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mentor_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("newest", sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE mentor_requests SET newest = TRUE WHERE id IN "
        "(SELECT max(id) FROM mentor_requests GROUP BY guild_id, user_id)"
    )
    with op.batch_alter_table("mentor_requests", schema=None) as batch_op:
        batch_op.create_index(
            "uq_mentor_requests_newest", ["guild_id", "user_id", "newest"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("mentor_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_mentor_requests_newest")
        batch_op.drop_column("newest")
