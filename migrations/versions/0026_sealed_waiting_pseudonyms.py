"""A waiting anonymous post's pseudonym, sealed (issue 12)

`anonymous_posts.pseudonym` was in the clear from the moment a post was queued. A post held
back for a mentor request waits longer than any other, so two backups taken further apart
than any post waits both showed it under the same name (and the same id): it could only be
the held one, next to the request naming its author. A waiting post now keeps its
pseudonym sealed in its content, and each time it is sealed anew it becomes a new row; the
column is written only when the post goes out, as the channel shows it then, so it may be
empty. Nothing is converted on the way up (no key is needed): a post waiting from before
keeps its name in the clear until it goes out, or is sealed anew.

The way down puts the sealed names of waiting posts back in the clear, so it needs the same
keys; a waiting post no key opens could never have been posted (it would be given up when
due) and is deleted. Withdraw buttons of posts sealed anew since (a new row each time) find
nothing after it: the code before this revision knows a post only by the id of its row.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from bot.keys import Keyring

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "anonymous_posts"
_meta = sa.MetaData()
POSTS = sa.Table(
    TABLE, _meta,
    sa.Column("id", sa.Integer), sa.Column("guild_id", sa.BigInteger),
    sa.Column("pseudonym", sa.String), sa.Column("content", sa.LargeBinary),
)  # fmt: skip


def _keyring() -> Keyring:
    given = context.config.attributes.get("keyring")
    if isinstance(given, Keyring):
        return given
    from bot.config import load_settings
    from bot.errors import ConfigError

    try:
        return Keyring.from_settings(load_settings())
    except ConfigError as error:
        raise RuntimeError(
            f"Migration 0026 opens the sealed pseudonyms of waiting posts and needs the keys: "
            f"{error}"
        ) from None


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("pseudonym", existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    bind = op.get_bind()
    found = list(
        bind.execute(
            sa.select(POSTS.c.id, POSTS.c.guild_id, POSTS.c.content).where(
                POSTS.c.pseudonym.is_(None)
            )
        )
    )
    if found:
        from bot.services.crypto import UnreadableError, unseal

        keyring = _keyring()
        for post_id, guild_id, content in found:
            try:
                # bot.services.ownership.post_context, and the key sealed in, as of 0026
                name = json.loads(unseal(keyring, content, context=f"post:{guild_id}"))["pseudonym"]
            except (UnreadableError, ValueError, KeyError, TypeError):
                bind.execute(POSTS.delete().where(POSTS.c.id == post_id))
                continue
            bind.execute(POSTS.update().where(POSTS.c.id == post_id).values(pseudonym=str(name)))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("pseudonym", existing_type=sa.String(length=40), nullable=False)
