"""Resource directory: guild entries, hidden national entries, recovery meetings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guild_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("text_number", sa.String(length=40), nullable=True),
        sa.Column("web", sa.String(length=300), nullable=True),
        sa.Column("details", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guild_resources")),
    )
    op.create_index(op.f("ix_guild_resources_guild_id"), "guild_resources", ["guild_id"])
    op.create_table(
        "hidden_national_resources",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("resource_key", sa.String(length=64), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id", "resource_key", name=op.f("pk_hidden_national_resources")
        ),
    )
    op.create_table(
        "directory_versions",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_directory_versions")),
    )
    op.create_table(
        "recovery_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=True),
        sa.Column("end_time", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("conference_url", sa.String(length=500), nullable=True),
        sa.Column("conference_phone", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_meetings")),
        sa.UniqueConstraint("guild_id", "slug", name=op.f("uq_recovery_meetings_guild_id_slug")),
    )


def downgrade() -> None:
    op.drop_table("recovery_meetings")
    op.drop_table("directory_versions")
    op.drop_table("hidden_national_resources")
    op.drop_index(op.f("ix_guild_resources_guild_id"), table_name="guild_resources")
    op.drop_table("guild_resources")
