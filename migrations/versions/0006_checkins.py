"""Check-ins, anonymous posts, medication log, sobriety

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
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
        "anonymous_blocks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "member_key", name=op.f("pk_anonymous_blocks")),
    )
    op.create_table(
        "checkin_profiles",
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("last_share", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_key", name=op.f("pk_checkin_profiles")),
    )
    op.create_table(
        "checkin_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_prompts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_checkin_prompts_user_id")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("request_key", sa.BigInteger(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("sleep_hours", sa.Float(), nullable=True),
        sa.Column("sleep_quality", sa.String(length=8), nullable=True),
        sa.Column("cravings", sa.String(length=8), nullable=False),
        sa.Column("sober", sa.String(length=8), nullable=False),
        sa.Column("note_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("share", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("request_key", name=op.f("uq_checkins_request_key")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(
            "ix_checkins_member_key_created_at", ["member_key", "created_at"], unique=False
        )

    op.create_table(
        "medication_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("request_key", sa.BigInteger(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("details_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication_changes")),
        sa.UniqueConstraint("request_key", name=op.f("uq_medication_changes_request_key")),
    )
    with op.batch_alter_table("medication_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_medication_changes_member_key", ["member_key", "changed_on"], unique=False
        )

    op.create_table(
        "sobriety_streaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("share", sa.String(length=10), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sobriety_streaks")),
    )
    with op.batch_alter_table("sobriety_streaks", schema=None) as batch_op:
        batch_op.create_index("ix_sobriety_streaks_member_key", ["member_key"], unique=False)

    op.create_table(
        "anonymous_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("post_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkins.id"],
            name=op.f("fk_anonymous_posts_checkin_id_checkins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_posts")),
        sa.UniqueConstraint("checkin_id", name=op.f("uq_anonymous_posts_checkin_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_anonymous_posts_message_id")),
    )
    with op.batch_alter_table("anonymous_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_anonymous_posts_guild_id"), ["guild_id"], unique=False)

    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis_alerts", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("crisis_alerts")

    with op.batch_alter_table("anonymous_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anonymous_posts_guild_id"))

    op.drop_table("anonymous_posts")
    with op.batch_alter_table("sobriety_streaks", schema=None) as batch_op:
        batch_op.drop_index("ix_sobriety_streaks_member_key")

    op.drop_table("sobriety_streaks")
    with op.batch_alter_table("medication_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_medication_changes_member_key")

    op.drop_table("medication_changes")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_member_key_created_at")
        batch_op.drop_index(batch_op.f("ix_checkins_guild_id"))

    op.drop_table("checkins")
    op.drop_table("checkin_prompts")
    op.drop_table("checkin_profiles")
    op.drop_table("anonymous_blocks")
