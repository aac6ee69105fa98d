"""Unlinkable check-ins: sealed owners instead of a shared member key (issue 12, R23)

Moves every check-in, anonymous post, block, medication change and sobriety record to the
layout described in bot/services/ownership.py: no member key in the clear, what a check-in
says and its exact time encrypted and padded, anonymous posts with their own copy and no
reference to their check-in. Rows from before know their member only by the old member
key, so their sealed owner is "m:<member key>", which the services still recognise.

Remembered sharing choices are dropped: they were one per member across every server and
are now per server, so there is no right answer to move; the next check-in asks again and
until then it stays private, the safe side. Anonymous delays below the new floor of two
minutes are raised to it.

This needs the keys (MUSTER_KEY_FILE, or the two key variables), because it encrypts; the
bot passes its own. An empty database needs none.

Downgrade works only while these tables are empty: the new layout does not record which
check-in an anonymous post came from, so the old one cannot be rebuilt. Restore the backup
taken before upgrading instead.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from bot.db.base import UTCDateTime
from bot.keys import Keyring

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_TABLES = (
    "checkins",
    "anonymous_posts",
    "anonymous_blocks",
    "checkin_profiles",
    "medication_changes",
    "sobriety_streaks",
)
_meta = sa.MetaData()
OLD_CHECKINS = sa.Table(
    "checkins", _meta,
    sa.Column("id", sa.Integer), sa.Column("member_key", sa.String),
    sa.Column("guild_id", sa.BigInteger), sa.Column("request_key", sa.BigInteger),
    sa.Column("mood", sa.Integer), sa.Column("sleep_hours", sa.Float),
    sa.Column("sleep_quality", sa.String), sa.Column("cravings", sa.String),
    sa.Column("sober", sa.String), sa.Column("note_encrypted", sa.LargeBinary),
    sa.Column("share", sa.String), sa.Column("created_at", UTCDateTime()),
    sa.Column("held_for", sa.String), sa.Column("note_shared", sa.Boolean),
)  # fmt: skip
OLD_POSTS = sa.Table(
    "anonymous_posts", _meta,
    sa.Column("id", sa.Integer), sa.Column("checkin_id", sa.Integer),
    sa.Column("guild_id", sa.BigInteger), sa.Column("channel_id", sa.BigInteger),
    sa.Column("pseudonym", sa.String), sa.Column("state", sa.String),
    sa.Column("post_after", UTCDateTime()), sa.Column("message_id", sa.BigInteger),
    sa.Column("created_at", UTCDateTime()),
)  # fmt: skip
OLD_BLOCKS = sa.Table(
    "anonymous_blocks", _meta,
    sa.Column("guild_id", sa.BigInteger), sa.Column("member_key", sa.String),
    sa.Column("until", UTCDateTime()),
)  # fmt: skip
OLD_CHANGES = sa.Table(
    "medication_changes", _meta,
    sa.Column("id", sa.Integer), sa.Column("member_key", sa.String),
    sa.Column("request_key", sa.BigInteger), sa.Column("changed_on", sa.Date),
    sa.Column("details_encrypted", sa.LargeBinary),
)  # fmt: skip
OLD_STREAKS = sa.Table(
    "sobriety_streaks", _meta,
    sa.Column("id", sa.Integer), sa.Column("member_key", sa.String),
    sa.Column("started_on", sa.Date), sa.Column("ended_on", sa.Date),
    sa.Column("share", sa.String), sa.Column("guild_id", sa.BigInteger),
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
            "Migration 0012 re-encrypts stored check-ins and needs the keys they were "
            f"written with: {error}"
        ) from None


def _read(bind: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    tables = {"checkins": OLD_CHECKINS, "anonymous_posts": OLD_POSTS,
              "anonymous_blocks": OLD_BLOCKS, "medication_changes": OLD_CHANGES,
              "sobriety_streaks": OLD_STREAKS}  # fmt: skip
    return {
        name: [dict(row._mapping) for row in bind.execute(sa.select(table))]
        for name, table in tables.items()
    }


def _convert(bind: sa.Connection, old: dict[str, list[dict[str, Any]]]) -> None:
    from bot.services.checkins import Content, StoredCheckin, storage_week, week_label
    from bot.services.crypto import UnreadableError, decrypt, encrypt
    from bot.services.ownership import Owners, keyed_digest, post_context

    keyring = _keyring()
    owners = Owners(keyring)
    zones = dict(bind.execute(sa.text("SELECT guild_id, timezone FROM guild_settings")).all())

    def note(row: dict[str, Any]) -> str | None:
        if row["note_encrypted"] is None:
            return None
        try:
            return decrypt(keyring, row["note_encrypted"], context=f"checkin:{row['request_key']}")
        except UnreadableError:
            return "(this note could not be decrypted with the keys this server has)"

    checkins = {row["id"]: row for row in old["checkins"]}
    contents = {
        row["id"]: Content(row["mood"], row["sleep_hours"], row["sleep_quality"],
                           row["cravings"], row["sober"], note(row))
        for row in old["checkins"]
    }  # fmt: skip
    new_checkins = []
    for row in old["checkins"]:
        digest = keyed_digest(keyring, f"request:{row['request_key']}")
        stored = StoredCheckin(
            row["id"], row["guild_id"], row["created_at"], row["share"], contents[row["id"]],
            row["held_for"], row["note_shared"],
        )  # fmt: skip
        data, sealed_note = stored.sealed(keyring, digest)
        new_checkins.append({
            "id": row["id"], "guild_id": row["guild_id"], "week": storage_week(row["created_at"]),
            "owner": owners.seal("checkins", f"m:{row['member_key']}"),
            "request_digest": digest, "data": data, "note": sealed_note,
        })  # fmt: skip
    new_posts = []
    for post in old["anonymous_posts"]:
        source = checkins[post["checkin_id"]]
        zone = zones.get(post["guild_id"]) or "UTC"
        new_posts.append({
            "id": post["id"], "guild_id": post["guild_id"], "channel_id": post["channel_id"],
            "week": week_label(post["created_at"], zone),
            "owner": owners.seal("anonymous_posts", f"m:{source['member_key']}"),
            "pseudonym": post["pseudonym"], "state": post["state"],
            "post_after": post["post_after"], "message_id": post["message_id"],
            "content": contents[source["id"]].sealed(
                keyring, context=post_context(post["guild_id"]),
                note_shared=source["note_shared"],
            ),
        })  # fmt: skip
    now = datetime.now(UTC)
    new_blocks = [
        {"guild_id": block["guild_id"],
         "tag": owners.tag("block", block["guild_id"], f"m:{block['member_key']}"),
         "owner": owners.seal("anonymous_blocks", f"m:{block['member_key']}"),
         "until": block["until"]}
        for block in old["anonymous_blocks"] if block["until"] > now
    ]  # fmt: skip
    new_changes = []
    for change in old["medication_changes"]:
        digest = keyed_digest(keyring, f"request:{change['request_key']}")
        details = decrypt(keyring, change["details_encrypted"],
                          context=f"med:{change['request_key']}")  # fmt: skip
        new_changes.append({
            "id": change["id"], "owner": owners.seal("medication_changes",
                                                     f"m:{change['member_key']}"),
            "request_digest": digest, "changed_on": change["changed_on"],
            "details_encrypted": encrypt(keyring, details, context=f"med:{digest}"),
        })  # fmt: skip
    new_streaks = [
        {"id": streak["id"], "owner": owners.seal("sobriety_streaks", f"m:{streak['member_key']}"),
         "started_on": streak["started_on"], "ended_on": streak["ended_on"],
         "share": streak["share"], "guild_id": streak["guild_id"]}
        for streak in old["sobriety_streaks"]
    ]  # fmt: skip
    for name, rows in (("checkins", new_checkins), ("anonymous_posts", new_posts),
                       ("anonymous_blocks", new_blocks), ("medication_changes", new_changes),
                       ("sobriety_streaks", new_streaks)):  # fmt: skip
        if rows:
            table = sa.Table(name, sa.MetaData(), autoload_with=bind)
            bind.execute(sa.insert(table), rows)
            if bind.dialect.name == "postgresql" and "id" in table.c:
                # Ids were kept (deliveries and audit lines name them): move the sequence on.
                sequence = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                sequence += f"(SELECT max(id) FROM {name}))"  # noqa: S608  # our table names
                bind.execute(sa.text(sequence))


def _drop_old() -> None:
    with op.batch_alter_table("anonymous_posts") as batch_op:
        batch_op.drop_index("ix_anonymous_posts_guild_id")
    op.drop_table("anonymous_posts")
    with op.batch_alter_table("checkins") as batch_op:
        batch_op.drop_index("ix_checkins_member_key_created_at")
        batch_op.drop_index("ix_checkins_guild_id")
    op.drop_table("checkins")
    with op.batch_alter_table("medication_changes") as batch_op:
        batch_op.drop_index("ix_medication_changes_member_key")
    op.drop_table("medication_changes")
    with op.batch_alter_table("sobriety_streaks") as batch_op:
        batch_op.drop_index("ix_sobriety_streaks_member_key")
    op.drop_table("sobriety_streaks")
    op.drop_table("anonymous_blocks")
    op.drop_table("checkin_profiles")


def _create_new() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_checkins_request_digest")),
    )
    with op.batch_alter_table("checkins") as batch_op:
        batch_op.create_index("ix_checkins_guild_id_week", ["guild_id", "week"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_week"), ["week"], unique=False)
    op.create_table(
        "anonymous_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("post_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_posts")),
        sa.UniqueConstraint("message_id", name=op.f("uq_anonymous_posts_message_id")),
    )
    with op.batch_alter_table("anonymous_posts") as batch_op:
        batch_op.create_index(
            "ix_anonymous_posts_guild_id_week", ["guild_id", "week"], unique=False
        )
    op.create_table(
        "anonymous_blocks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "tag", name=op.f("pk_anonymous_blocks")),
    )
    op.create_table(
        "checkin_profiles",
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("choice", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_checkin_profiles")),
    )
    with op.batch_alter_table("checkin_profiles") as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_profiles_guild_id"), ["guild_id"])
    op.create_table(
        "medication_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("details_encrypted", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication_changes")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_medication_changes_request_digest")),
    )
    op.create_table(
        "sobriety_streaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("share", sa.String(length=10), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sobriety_streaks")),
    )


def upgrade() -> None:
    bind = op.get_bind()
    old = _read(bind)
    _drop_old()
    _create_new()
    if any(old.values()):
        _convert(bind, old)
    # Posts waiting to appear are released by one delivery per server now; the bot books it
    # at start-up, and it finds these posts by their time.
    op.execute(
        "UPDATE occurrences SET state = 'cancelled', lease_until = NULL, "
        "settled_at = CURRENT_TIMESTAMP, "
        "detail = 'moved to the server''s release delivery' "
        "WHERE kind = 'anonymous' AND state IN ('pending', 'claimed')"
    )
    with op.batch_alter_table("guild_settings") as batch_op:
        batch_op.add_column(sa.Column("anonymous_release_times", sa.String(100), nullable=True))
    op.execute(
        "UPDATE guild_settings SET anonymous_delay_minutes = 2 WHERE anonymous_delay_minutes < 2"
    )
    with op.batch_alter_table("checkin_prompts") as batch_op:
        batch_op.drop_column("created_at")


def downgrade() -> None:
    bind = op.get_bind()
    for table in MEMBER_TABLES:
        probe = f"SELECT 1 FROM {table} LIMIT 1"  # noqa: S608  # our own table names
        if bind.execute(sa.text(probe)).first() is not None:
            raise RuntimeError(
                "Migration 0012 cannot be undone on a database that holds check-ins: the new "
                "layout deliberately does not record which check-in an anonymous post came "
                "from, or any member key, so the old layout cannot be rebuilt. Restore the "
                "backup taken before upgrading instead."
            )
    with op.batch_alter_table("checkin_prompts") as batch_op:
        batch_op.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
    with op.batch_alter_table("guild_settings") as batch_op:
        batch_op.drop_column("anonymous_release_times")
    for table in ("anonymous_posts", "checkins", "anonymous_blocks", "checkin_profiles",
                  "medication_changes", "sobriety_streaks"):  # fmt: skip
        op.drop_table(table)
    _create_old()


def _create_old() -> None:
    """The tables as migrations 0006 and 0008 left them (0009 to 0011 did not touch them)."""
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
        sa.Column("held_for", sa.String(length=10), nullable=True),
        sa.Column("note_shared", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("request_key", name=op.f("uq_checkins_request_key")),
    )
    with op.batch_alter_table("checkins") as batch_op:
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
    with op.batch_alter_table("medication_changes") as batch_op:
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
    with op.batch_alter_table("sobriety_streaks") as batch_op:
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
    with op.batch_alter_table("anonymous_posts") as batch_op:
        batch_op.create_index(batch_op.f("ix_anonymous_posts_guild_id"), ["guild_id"], unique=False)
