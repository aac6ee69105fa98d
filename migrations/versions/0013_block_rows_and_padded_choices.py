"""One row per block, and remembered sharing choices padded (issue 12)

Blocks were one row per author and server under a tag, and a second block of the same
author updated that row: two block lines in the audit log and one row told a dump that both
blocked posts were by the same member. Now each block is a row of its own, found by opening
its sealed owner; the tag column goes. Rows are moved as they are.

A remembered sharing choice was encrypted unpadded, so its length told "named", "private"
and "anonymous" apart; each is re-sealed padded to one length. This needs the keys when
there are choices to re-seal (the bot passes its own).

Downgrade recomputes the tags (it needs the keys when there are blocks) and keeps, for an
author blocked more than once in a server, the latest end; choices are re-sealed unpadded.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from bot.db.base import UTCDateTime
from bot.keys import Keyring

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHOICE_SIZES = (16,)  # as bot.services.checkins has it at this revision
_meta = sa.MetaData()
NEW_BLOCKS = sa.Table(
    "anonymous_blocks", _meta,
    sa.Column("id", sa.Integer), sa.Column("guild_id", sa.BigInteger),
    sa.Column("owner", sa.LargeBinary), sa.Column("until", UTCDateTime()),
)  # fmt: skip
OLD_BLOCKS = sa.Table(
    "anonymous_blocks", sa.MetaData(),
    sa.Column("guild_id", sa.BigInteger), sa.Column("tag", sa.String),
    sa.Column("owner", sa.LargeBinary), sa.Column("until", UTCDateTime()),
)  # fmt: skip
PROFILES = sa.Table(
    "checkin_profiles", _meta,
    sa.Column("tag", sa.String), sa.Column("guild_id", sa.BigInteger),
    sa.Column("choice", sa.LargeBinary),
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
            "Migration 0013 cannot be undone or applied without the keys that sealed the "
            f"stored blocks and sharing choices: {error}"
        ) from None


def _reseal_choices(*, padded: bool) -> None:
    from bot.services.crypto import UnreadableError, decrypt, encrypt, seal

    bind = op.get_bind()
    profiles = PROFILES
    rows = bind.execute(sa.select(profiles.c.tag, profiles.c.guild_id, profiles.c.choice)).all()
    if not rows:
        return
    keyring = _keyring()
    for tag, guild_id, blob in rows:
        context_ = f"share:{guild_id}"
        try:
            choice = decrypt(keyring, blob, context=context_).rstrip(" ")
        except UnreadableError:
            continue  # left as it is: it reads as "private" either way
        sealed = (
            seal(keyring, choice, context=context_, sizes=CHOICE_SIZES)
            if padded
            else encrypt(keyring, choice, context=context_)
        )
        bind.execute(sa.update(profiles).where(profiles.c.tag == tag).values(choice=sealed))


def upgrade() -> None:
    bind = op.get_bind()
    old = OLD_BLOCKS
    blocks = [
        {"guild_id": guild_id, "owner": owner, "until": until}
        for guild_id, owner, until in bind.execute(
            sa.select(old.c.guild_id, old.c.owner, old.c.until).order_by(old.c.until)
        )
    ]
    op.drop_table("anonymous_blocks")
    op.create_table(
        "anonymous_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_blocks")),
    )
    op.create_index(
        op.f("ix_anonymous_blocks_guild_id"), "anonymous_blocks", ["guild_id"], unique=False
    )
    if blocks:
        bind.execute(sa.insert(NEW_BLOCKS), blocks)
    _reseal_choices(padded=True)


def downgrade() -> None:
    bind = op.get_bind()
    current = NEW_BLOCKS
    rows = bind.execute(sa.select(current.c.guild_id, current.c.owner, current.c.until)).all()
    latest: dict[tuple[int, str], dict[str, object]] = {}
    if rows:
        from bot.services.ownership import Owners

        owners = Owners(_keyring())
        for guild_id, owner, until in rows:
            identity = owners.identity_of("anonymous_blocks", owner)
            if identity is None:
                raise RuntimeError(
                    "Migration 0013 cannot be undone: a block's owner does not open with the "
                    "configured keys, so its tag cannot be recomputed. Nothing was changed."
                )
            tag = owners.tag("block", guild_id, identity)
            kept = latest.get((guild_id, tag))
            if kept is None or until > kept["until"]:  # type: ignore[operator]  # datetimes
                latest[(guild_id, tag)] = {
                    "guild_id": guild_id, "tag": tag, "owner": owner, "until": until,
                }  # fmt: skip
    op.drop_index(op.f("ix_anonymous_blocks_guild_id"), table_name="anonymous_blocks")
    op.drop_table("anonymous_blocks")
    op.create_table(
        "anonymous_blocks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "tag", name=op.f("pk_anonymous_blocks")),
    )
    if latest:
        bind.execute(sa.insert(OLD_BLOCKS), list(latest.values()))
    _reseal_choices(padded=False)
