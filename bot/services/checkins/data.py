"""The check-ins' share of /mydata, retention, key rotation and server purges: the
check-ins (which hold each member's sharing choice) and their anonymous posts (CheckinData); the
medication log, the sobriety counter and the daily prompts (JournalData); pauses on
anonymous posting (AnonymousBlockData)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AnonymousBlock,
    AnonymousPost,
    Checkin,
    CheckinPrompt,
    MedicationChange,
    Occurrence,
    SobrietyStreak,
)
from bot.keys import Keyring
from bot.services.checkins.anonymous import (
    POSTED,
    REMOVED,
    appears_at,
    due_at,
    release_context,
    shown_note,
)
from bot.services.checkins.kinds import MILESTONE, PROMPT, RELEASE, SUMMARY
from bot.services.checkins.medications import details_context, details_of
from bot.services.checkins.pseudonyms import storage_week, week_start
from bot.services.checkins.sealed import (
    CHECKIN_CONTEXT,
    NOTE_CONTEXT,
    Content,
    asked_for,
    open_checkin,
    read_sealed,
)
from bot.services.checkins.sobriety import END_SIZES, end_context, ended_on, rotate_milestone_names
from bot.services.checkins.week_names import pseudonym_of
from bot.services.crypto import decrypt_or_none, encrypt
from bot.services.feature_data import Owner, Rotate, Sections, plain, rowcount
from bot.services.guild_settings import DEFAULT_RETENTION_DAYS
from bot.services.ownership import Owners, owned_rows, owner_context, post_context

# Posts the channel showed (a removed one was seen, and the audit log names it).
SHOWN = (POSTED, REMOVED)


class CheckinData:
    """Check-ins and their anonymous posts. None carries a key: the member's rows are found
    by opening every row's sealed owner."""

    tables: tuple[str, ...] = ("checkins", "anonymous_posts")

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        checkins: list[dict[str, Any]] = []
        # Per server, the latest check-in's asked-for share: what "as last time" uses there.
        latest: dict[int, tuple[datetime, str]] = {}
        for row in await owned_rows(session, self._owners, Checkin, user_id):
            item = open_checkin(self._keyring, row)
            if item is None:
                checkins.append(
                    {
                        "server_id": str(row.guild_id or ""),
                        "note": "(could not be decrypted with the keys this server has)",
                    }
                )
                continue
            content = item.content
            if row.guild_id is not None and latest.get(row.guild_id, (item.at,))[0] <= item.at:
                latest[row.guild_id] = (item.at, asked_for(item.asked, item.held_for, item.share))
            checkins.append(
                {"at": plain(item.at), "server_id": str(row.guild_id or ""),
                 "mood": content.mood, "sleep_hours": content.sleep_hours,
                 "sleep_quality": content.sleep_quality, "cravings": content.cravings,
                 "sober_today": content.sober, "shared_with": item.share, "note": content.note}
            )  # fmt: skip
        checkins.sort(key=lambda entry: str(entry.get("at", "")))
        posts = await owned_rows(session, self._owners, AnonymousPost, user_id)
        anonymous = [
            {"post": post.id, "server_id": str(post.guild_id),
             "shown_as": pseudonym_of(self._keyring, post), "week": post.week, "state": post.state,
             "appears_at": plain(appears_at(self._keyring, post))}
            for post in posts
        ]  # fmt: skip
        choices = [
            {"server_id": str(guild_id), "last_share": share}
            for guild_id, (_, share) in sorted(latest.items())
        ]
        return {"checkins": checkins, "anonymous_posts": anonymous, "sharing_choices": choices}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        posts = await owned_rows(session, self._owners, AnonymousPost, user_id)
        guild_ids = {post.guild_id for post in posts}
        await _lock_posts(session, guild_ids)
        # A post already shown keeps its row, as every other shown post has one until the
        # server's retention period ends: posts with no row would be one member's, across
        # weeks. Its owner becomes nobody's (one per pseudonym week, as the channel shows
        # them) and its content exactly what the channel shows. Posts not shown go.
        gone = [post.id for post in posts if post.state not in SHOWN]
        if gone:  # the server's release delivery finds nothing of theirs left to post
            await session.execute(delete(AnonymousPost).where(AnonymousPost.id.in_(gone)))
        nobody: dict[tuple[int, str], bytes] = {}
        for post in posts:
            if post.state not in SHOWN:
                continue
            key = (post.guild_id, post.week)
            if key not in nobody:
                nobody[key] = self._owners.seal("anonymous_posts", f"x:{secrets.token_hex(8)}")
            post.owner = nobody[key]
            post.content = _as_shown(self._keyring, post)
        await _reseal_other_posts(session, self._keyring, guild_ids, {p.id for p in posts})
        checkin_ids = [row.id for row in await owned_rows(session, self._owners, Checkin, user_id)]
        if checkin_ids:
            await session.execute(delete(Checkin).where(Checkin.id.in_(checkin_ids)))
        return {"checkins": len(checkin_ids), "anonymous_posts": len(posts)}

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        return {
            "check-ins": await _expire_checkins(session, now, retention_by_guild, self._keyring),
            "anonymous posts": await _expire_posts(session, now, retention_by_guild, self._keyring),
        }

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        for checkin in await session.scalars(select(Checkin)):
            checkin.owner = owner("checkins", checkin.owner)
            digest = checkin.request_digest
            checkin.data = rotate(checkin.data, CHECKIN_CONTEXT.format(digest=digest), ())
            checkin.note = rotate(checkin.note, NOTE_CONTEXT.format(digest=digest), ())
        for post in await session.scalars(select(AnonymousPost)):
            post.owner = owner("anonymous_posts", post.owner)
            post.content = rotate(post.content, post_context(post.guild_id), ())
        # The post each release is booked for, sealed (anonymous.release_payload), settled
        # ones too: none is left under a key about to be retired.
        for release in await session.scalars(
            select(Occurrence).where(Occurrence.kind == RELEASE.name)
        ):
            sealed = release.payload.get("sealed")
            if isinstance(sealed, str):
                context = release_context(RELEASE.parse(release.source))
                fresh = rotate(bytes.fromhex(sealed), context, ())
                release.payload = {**release.payload, "sealed": fresh.hex()}

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        """A departed server's shared check-ins, posts, releases and summary
        go; a member's private check-ins are theirs and stay, no longer tied to it."""
        shared = [
            row.id
            for row in await session.scalars(select(Checkin).where(Checkin.guild_id == guild_id))
            if (opened := open_checkin(self._keyring, row)) is None or opened.share != "private"
        ]
        await session.execute(delete(AnonymousPost).where(AnonymousPost.guild_id == guild_id))
        if shared:
            await session.execute(delete(Checkin).where(Checkin.id.in_(shared)))
        await session.execute(
            update(Checkin).where(Checkin.guild_id == guild_id).values(guild_id=None)
        )
        await session.execute(
            delete(Occurrence).where(
                (Occurrence.source == SUMMARY.source(guild_id))
                | Occurrence.source.startswith(RELEASE.of_server(guild_id), autoescape=True)
            )
        )
        return {}


# Rows re-sealed per flush, then let go: bounds the changes the session holds at once.
RESEAL_BATCH = 500


async def _lock_posts(session: AsyncSession, guild_ids: set[int]) -> None:
    """Lock (on PostgreSQL) every post row of these servers, in id order, and read them
    again as they are now: a post a concurrent mentor request held back in the meantime
    keeps its hold, not the content read before it. (SQLite: writes are one at a time.)"""
    if guild_ids:
        locked = await session.scalars(
            select(AnonymousPost)
            .where(AnonymousPost.guild_id.in_(guild_ids))
            .order_by(AnonymousPost.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        locked.all()  # the rows are refreshed as they are read


async def _reseal_other_posts(
    session: AsyncSession, keyring: Keyring, guild_ids: set[int], skip: set[int]
) -> None:
    """Seal afresh the owner and content of every other post row of these servers, unchanged
    inside, in the deletion's transaction. Rewritten alone, the member's shown posts would
    be the rows of a backup before and one after the deletion that differ: one author's
    posts across weeks, tied to the member whose settings row went then. Now every post row
    of their servers differs. Cost: every row the server keeps (its retention period's
    posts) is read, opened and written once per deletion, in batches of RESEAL_BATCH, in
    one transaction; two AES-GCM operations of at most 4.7 kB a row. Measured: 5,000 rows
    in about 2 s on SQLite (which holds its write lock, and so every check-in, that long)
    and on PostgreSQL. A value no configured key opens is left as it is (the key rotation
    says how many there are). The rows are locked already (`_lock_posts`)."""
    for guild_id in sorted(guild_ids):
        ids = [
            post_id
            for post_id in await session.scalars(
                select(AnonymousPost.id)
                .where(AnonymousPost.guild_id == guild_id)
                .order_by(AnonymousPost.id)
            )
            if post_id not in skip
        ]
        for start in range(0, len(ids), RESEAL_BATCH):
            batch = ids[start : start + RESEAL_BATCH]
            rows = list(
                await session.scalars(select(AnonymousPost).where(AnonymousPost.id.in_(batch)))
            )
            for post in rows:
                post.owner = _resealed(keyring, post.owner, owner_context("anonymous_posts"))
                post.content = _resealed(keyring, post.content, post_context(post.guild_id))
            await session.flush()
            for post in rows:
                session.expunge(post)


def _resealed(keyring: Keyring, blob: bytes, context: str) -> bytes:
    """The same value (padding and all, so the same length) under a fresh nonce and the
    current key; as it was if no configured key opens it."""
    plain = decrypt_or_none(keyring, blob, context=context, what="value")
    return blob if plain is None else encrypt(keyring, plain, context=context)


def _as_shown(keyring: Keyring, post: AnonymousPost) -> bytes:
    """A shown post's content cut to what the channel showed (no note it left out), sealed
    afresh to the same size; as it was if no key opens it."""
    context = post_context(post.guild_id)
    values = read_sealed(keyring, post.content, context=context)
    if values is None:
        return post.content
    note = shown_note(values.get("note"), values.get("note_shared"))
    shown = dataclasses.replace(Content.of(values), note=note)
    return shown.sealed(keyring, context=context, note_shared=values.get("note_shared"))


async def _expire_checkins(
    session: AsyncSession, now: datetime, retention: Mapping[int, int], keyring: Keyring
) -> int:
    """Check-ins past their server's retention period. Rows stored under a week that ended
    before the cut-off go at once; those of the week it falls in are opened for their time."""
    removed = 0
    guilds = set(await session.scalars(select(Checkin.guild_id).distinct()))
    for guild_id in guilds:
        keep = timedelta(
            days=retention.get(guild_id, DEFAULT_RETENTION_DAYS)
            if guild_id
            else DEFAULT_RETENTION_DAYS
        )
        cutoff = now - keep
        boundary = storage_week(cutoff)
        in_guild = Checkin.guild_id.is_(None) if guild_id is None else Checkin.guild_id == guild_id
        ids = list(
            await session.scalars(select(Checkin.id).where(in_guild, Checkin.week < boundary))
        )
        for row in await session.scalars(select(Checkin).where(in_guild, Checkin.week == boundary)):
            opened = open_checkin(keyring, row)
            if opened is not None and opened.at < cutoff:
                ids.append(row.id)
        if ids:
            await session.execute(delete(Checkin).where(Checkin.id.in_(ids)))
        removed += len(ids)
    return removed


async def _expire_posts(
    session: AsyncSession, now: datetime, retention: Mapping[int, int], keyring: Keyring
) -> int:
    """Anonymous posts' records past their server's retention period, by when they appeared
    (or were due). A post that never went out (waiting, withdrawn or given up before it
    appeared) keeps no time in the clear: its rows, few, are opened for their sealed time.
    One no key opens (or with no time) goes by its week: eight days after the cut-off at
    most."""
    removed = 0
    for guild_id in set(await session.scalars(select(AnonymousPost.guild_id).distinct())):
        cutoff = now - timedelta(days=retention.get(guild_id, DEFAULT_RETENTION_DAYS))
        ids = list(
            await session.scalars(
                select(AnonymousPost.id).where(
                    AnonymousPost.guild_id == guild_id, AnonymousPost.post_after < cutoff
                )
            )
        )
        for post in await session.scalars(
            select(AnonymousPost).where(
                AnonymousPost.guild_id == guild_id, AnonymousPost.post_after.is_(None)
            )
        ):
            # The week label is the server's local week: a day's margin covers any zone.
            at = due_at(keyring, post) or week_start(post.week, "UTC") + timedelta(days=8)
            if at < cutoff:
                ids.append(post.id)
        if ids:
            await session.execute(delete(AnonymousPost).where(AnonymousPost.id.in_(ids)))
        removed += len(ids)
    return removed


class JournalData:
    """The medication log, the sobriety counter and daily prompts."""

    tables: tuple[str, ...] = ("medication_changes", "sobriety_streaks", "checkin_prompts")

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        changes = await owned_rows(session, self._owners, MedicationChange, user_id)
        changes.sort(key=lambda row: (row.changed_on, row.id))
        streaks = await owned_rows(session, self._owners, SobrietyStreak, user_id)
        prompts = await session.scalars(
            select(CheckinPrompt).where(CheckinPrompt.user_id == user_id)
        )
        return {
            "medication_changes": [
                {"date": plain(row.changed_on), **details_of(self._keyring, row)}
                for row in changes
            ],
            "sobriety": [
                {"started": plain(row.started_on),
                 "ended": plain(ended_on(self._keyring, row)),
                 "milestones_shared": row.share}
                for row in streaks
            ],
            "daily_prompts": [
                {"time": row.local_time, "timezone": row.timezone, "server_id": str(row.guild_id)}
                for row in prompts
            ],
        }  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        streak_ids = [
            row.id for row in await owned_rows(session, self._owners, SobrietyStreak, user_id)
        ]
        change_ids = [
            row.id for row in await owned_rows(session, self._owners, MedicationChange, user_id)
        ]
        prompt_ids = list(
            await session.scalars(select(CheckinPrompt.id).where(CheckinPrompt.user_id == user_id))
        )
        sources = MILESTONE.sources(streak_ids) + PROMPT.sources(prompt_ids)
        if sources:
            await session.execute(delete(Occurrence).where(Occurrence.source.in_(sources)))
        if change_ids:
            await session.execute(
                delete(MedicationChange).where(MedicationChange.id.in_(change_ids))
            )
        if streak_ids:
            await session.execute(delete(SobrietyStreak).where(SobrietyStreak.id.in_(streak_ids)))
        await session.execute(delete(CheckinPrompt).where(CheckinPrompt.user_id == user_id))
        return {
            "medication_changes": len(change_ids),
            "sobriety_records": len(streak_ids),
            "daily_prompts": len(prompt_ids),
        }

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        for change in await session.scalars(select(MedicationChange)):
            change.owner = owner("medication_changes", change.owner)
            change.details_encrypted = rotate(
                change.details_encrypted, details_context(change.request_digest)
            )
        for streak in await session.scalars(select(SobrietyStreak)):
            streak.owner = owner("sobriety_streaks", streak.owner)
            if streak.ended is not None:
                streak.ended = rotate(streak.ended, end_context(streak.id), END_SIZES)
        await rotate_milestone_names(session, rotate)

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        """A departed server's daily prompts and milestone sharing go; a member's counter is
        theirs and stays, no longer tied to it."""
        prompt_ids = list(
            await session.scalars(
                select(CheckinPrompt.id).where(CheckinPrompt.guild_id == guild_id)
            )
        )
        streak_ids = list(
            await session.scalars(
                select(SobrietyStreak.id).where(SobrietyStreak.guild_id == guild_id)
            )
        )
        sources = PROMPT.sources(prompt_ids) + MILESTONE.sources(streak_ids)
        await session.execute(
            delete(Occurrence).where(
                Occurrence.source.in_(sources)
                | Occurrence.source.like(MILESTONE.shared_like(guild_id))
            )
        )
        await session.execute(delete(CheckinPrompt).where(CheckinPrompt.guild_id == guild_id))
        await session.execute(
            update(SobrietyStreak)
            .where(SobrietyStreak.guild_id == guild_id)
            .values(guild_id=None, share="none")
        )
        return {}


class AnonymousBlockData:
    """A pause on anonymous posting is shown to the member, but deleting their data does not
    lift it (that would make it pointless); it ends on its own date."""

    tables: tuple[str, ...] = ("anonymous_blocks",)

    def __init__(self, keyring: Keyring) -> None:
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        rows = await owned_rows(session, self._owners, AnonymousBlock, user_id)
        return {"anonymous_posting_paused": [
            {"server_id": str(row.guild_id), "until": plain(row.until)} for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        return {}

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        blocks = await session.execute(delete(AnonymousBlock).where(AnonymousBlock.until < now))
        return {"ended pauses": rowcount(blocks)}

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        for block in await session.scalars(select(AnonymousBlock)):
            block.owner = owner("anonymous_blocks", block.owner)

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        result = await session.execute(
            delete(AnonymousBlock).where(AnonymousBlock.guild_id == guild_id)
        )
        return {"anonymous_blocks": rowcount(result)}
