"""Recovery meetings keyed by (guild, feed, slug); existing rows keep their meetings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule the bot used at the time of this migration to name a feed after its file: the
# file name without a browser's " (1)" copy marker. Frozen here, as a migration must be.
_COPY_MARKER = re.compile(r" \(\d{1,3}\)(?=\.[^.]*$|$)")


def upgrade() -> None:
    with op.batch_alter_table("recovery_meetings") as batch:
        batch.add_column(sa.Column("feed", sa.String(length=100), nullable=True))
    meetings = sa.table(
        "recovery_meetings", sa.column("id", sa.Integer()), sa.column("source", sa.String()),
        sa.column("feed", sa.String()),
    )  # fmt: skip
    connection = op.get_bind()
    sources = connection.execute(sa.select(meetings.c.source).distinct()).scalars().all()
    for source in sources:
        connection.execute(
            meetings.update()
            .where(meetings.c.source == source)
            .values(feed=_COPY_MARKER.sub("", source) or source)
        )
    with op.batch_alter_table("recovery_meetings") as batch:
        batch.alter_column("feed", existing_type=sa.String(length=100), nullable=False)
        batch.drop_constraint("uq_recovery_meetings_guild_id_slug", type_="unique")
        batch.create_unique_constraint(
            "uq_recovery_meetings_guild_id_feed_slug", ["guild_id", "feed", "slug"]
        )


def downgrade() -> None:
    # Back to one meeting per (guild, slug): where feeds share a slug, the newest stays.
    meetings = sa.table(
        "recovery_meetings", sa.column("id", sa.Integer()), sa.column("guild_id", sa.BigInteger()),
        sa.column("slug", sa.String()),
    )  # fmt: skip
    newer = sa.alias(meetings, "newer")
    op.get_bind().execute(
        meetings.delete().where(
            sa.exists().where(
                newer.c.guild_id == meetings.c.guild_id,
                newer.c.slug == meetings.c.slug,
                newer.c.id > meetings.c.id,
            )
        )
    )
    with op.batch_alter_table("recovery_meetings") as batch:
        batch.drop_constraint("uq_recovery_meetings_guild_id_feed_slug", type_="unique")
        batch.create_unique_constraint("uq_recovery_meetings_guild_id_slug", ["guild_id", "slug"])
        batch.drop_column("feed")
