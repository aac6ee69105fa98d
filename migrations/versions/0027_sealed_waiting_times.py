"""A waiting anonymous post's time, and the post a release is booked for, sealed (issue 12)

`anonymous_posts.post_after` was in the clear from the moment a post was queued, and every
post goes out exactly then, unless it was held back for its author's mentor request and
pushed on: one dump read against the channel showed which waiting post that was (its
post_after came and no message did). The release delivery's payload ({"post": id}) with its
due time said the same. A waiting post now keeps its time sealed in its content (the
column is written when it goes out, as the channel shows it then, and stays empty for one
that never did); a release's payload is the post sealed ({"sealed": hex}, anonymous
`release_payload`), "none" for a decoy wake.

The way up seals the time of every waiting post into its content and empties the column,
and seals every release payload, so it needs the keys (when there are such rows); a waiting
post no key opens keeps its time in the clear (it is given up when due). The way down puts
the times back in the clear and the payloads back to {"post": id}, with the same keys; a
post with no time any key opens is deleted (the code before needs one, and the post could
never go out), and a payload no key opens becomes {} (the release then looks for the next
waiting post).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from bot.db.base import UTCDateTime
from bot.keys import Keyring

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "anonymous_posts"
_meta = sa.MetaData()
POSTS = sa.Table(
    TABLE, _meta,
    sa.Column("id", sa.Integer), sa.Column("guild_id", sa.BigInteger),
    sa.Column("state", sa.String), sa.Column("post_after", UTCDateTime()),
    sa.Column("content", sa.LargeBinary),
)  # fmt: skip
OCCURRENCES = sa.Table(
    "occurrences", _meta,
    sa.Column("id", sa.Integer), sa.Column("source", sa.String), sa.Column("kind", sa.String),
    sa.Column("payload", sa.JSON),
)  # fmt: skip
# As of 0027: bot.services.checkins.sealed.CONTENT_SIZES, anonymous.RELEASE_SIZES and the
# contexts of ownership.post_context and anonymous.release_context.
CONTENT_SIZES, RELEASE_SIZES = (4608,), (32,)
TIME = sa.DateTime(timezone=True)  # post_after, as 0006 made it


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
            f"Migration 0027 seals the times of waiting posts and the posts releases are "
            f"booked for, and needs the keys: {error}"
        ) from None


def _opened(keyring: Keyring, blob: bytes, context: str) -> Any:
    from bot.services.crypto import UnreadableError, unseal

    try:
        return json.loads(unseal(keyring, blob, context=context))
    except (UnreadableError, ValueError):
        return None


def _sealed(keyring: Keyring, value: Any, context: str, sizes: tuple[int, ...]) -> bytes:
    from bot.services.crypto import seal

    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return seal(keyring, plain, context=context, sizes=sizes)


def _releases(bind: sa.Connection) -> list[tuple[int, int, dict[str, Any]]]:
    rows = bind.execute(
        sa.select(OCCURRENCES.c.id, OCCURRENCES.c.source, OCCURRENCES.c.payload).where(
            OCCURRENCES.c.kind == "anonymous"
        )
    )
    # bot.services.checkins.kinds.RELEASE: "anon-release:<server>:<token>"
    return [(row_id, int(source.split(":")[1]), dict(payload or {})) for row_id, source,
            payload in rows]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("post_after", existing_type=TIME, nullable=True)
    bind = op.get_bind()
    waiting = list(
        bind.execute(
            sa.select(POSTS.c.id, POSTS.c.guild_id, POSTS.c.post_after, POSTS.c.content).where(
                POSTS.c.state == "pending", POSTS.c.post_after.is_not(None)
            )
        )
    )
    releases = [row for row in _releases(bind) if "sealed" not in row[2]]
    if not waiting and not releases:
        return
    keyring = _keyring()
    for post_id, guild_id, post_after, content in waiting:
        values = _opened(keyring, content, f"post:{guild_id}")
        if not isinstance(values, dict):
            continue  # no key opens it: it keeps its time, and is given up when due
        values["post_after"] = post_after.isoformat()
        sealed = _sealed(keyring, values, f"post:{guild_id}", CONTENT_SIZES)
        bind.execute(
            POSTS.update().where(POSTS.c.id == post_id).values(post_after=None, content=sealed)
        )
    for row_id, guild_id, payload in releases:
        post = payload.get("post")
        sealed = _sealed(
            keyring, {"post": None if post is None else int(post)}, f"release:{guild_id}",
            RELEASE_SIZES,
        )  # fmt: skip
        bind.execute(
            OCCURRENCES.update()
            .where(OCCURRENCES.c.id == row_id)
            .values(payload={"sealed": sealed.hex()})
        )


def downgrade() -> None:
    bind = op.get_bind()
    timeless = list(
        bind.execute(
            sa.select(POSTS.c.id, POSTS.c.guild_id, POSTS.c.content).where(
                POSTS.c.post_after.is_(None)
            )
        )
    )
    releases = [row for row in _releases(bind) if "sealed" in row[2]]
    if not timeless and not releases:
        _not_null()
        return
    keyring = _keyring()
    for post_id, guild_id, content in timeless:
        values = _opened(keyring, content, f"post:{guild_id}")
        at = values.get("post_after") if isinstance(values, dict) else None
        if not isinstance(at, str):
            bind.execute(POSTS.delete().where(POSTS.c.id == post_id))
            continue
        bind.execute(
            POSTS.update()
            .where(POSTS.c.id == post_id)
            .values(post_after=datetime.fromisoformat(at))
        )
    for row_id, guild_id, payload in releases:
        try:
            opened = _opened(keyring, bytes.fromhex(payload["sealed"]), f"release:{guild_id}")
        except (ValueError, TypeError):
            opened = None
        post = opened.get("post") if isinstance(opened, dict) else None
        bind.execute(
            OCCURRENCES.update()
            .where(OCCURRENCES.c.id == row_id)
            .values(payload={} if not isinstance(post, int) else {"post": post})
        )
    _not_null()


def _not_null() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("post_after", existing_type=TIME, nullable=False)
