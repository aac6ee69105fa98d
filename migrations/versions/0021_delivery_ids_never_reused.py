"""Delivery ids are never reused on SQLite (issue 13)

A delivery's message nonce is its row id. SQLite without AUTOINCREMENT hands the id of a
deleted newest row (a /mydata delete, prompts turned off) to the next row, and the new
delivery's send would then carry the erased one's nonce: Discord returns the old message for
it inside its window, and the bot takes the old message, seen on the gateway, as the new
one's. AUTOINCREMENT never reuses an id. PostgreSQL's sequences never do either.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "occurrences", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "occurrences", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
