"""Keeping only what is needed: the daily retention job, server purges, key rotation.

The retention job runs on the shared scheduler once a day and deletes:
- reminders 30 days after their date, with their deliveries;
- settled scheduler deliveries after 30 days;
- meeting RSVPs, check-ins and anonymous posts after the server's retention period
  (DEFAULT_RETENTION_DAYS for check-ins made in DMs); a check-in's exact time is encrypted,
  so rows of the week the period ends in are opened to decide;
- pauses on anonymous posting once they have ended;
- questionnaires left unfinished for a day, and measure scores after a year;
- everything about a server 30 days after it removed Muster (the grace period);
- audit entries after a year.
The member's own journal (the medication log, the taper plan and its symptom checks, the
sobriety counter) stays until they delete it; key rotation (`reencrypt`) rewrites all of it.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import (
    AnonymousBlock,
    AnonymousPost,
    AuditEntry,
    Checkin,
    CheckinProfile,
    CheckinPrompt,
    DirectoryVersion,
    Guild,
    GuildResource,
    GuildSettings,
    HiddenNationalResource,
    MedicationChange,
    Meeting,
    MeetingRsvp,
    MentorRequest,
    Occurrence,
    ProviderQuestion,
    RecoveryMeeting,
    Reminder,
    SobrietyStreak,
)
from bot.keys import KEY_BYTES, Keyring
from bot.scheduling import PENDING, TERMINAL, Delivery, Due, JobKind, Scheduler
from bot.services import key_checks, measures
from bot.services.checkins import (
    CHECKIN_CONTEXT,
    CHOICE_SIZES,
    END_SIZES,
    MILESTONE,
    NOTE_CONTEXT,
    PROMPT,
    RELEASE,
    SUMMARY,
    Spool,
    choice_context,
    details_context,
    end_context,
    open_checkin,
    rotate_milestone_names,
    storage_week,
)
from bot.services.crypto import UnreadableError, decrypt_or_none, encrypt, key_id_of, seal
from bot.services.guild_settings import DEFAULT_RETENTION_DAYS
from bot.services.meetings import MEETING
from bot.services.mentors import KEEP_FOR as MENTOR_REQUESTS_KEPT
from bot.services.ownership import OWNER_SIZES, Owners, owner_context, post_context
from bot.services.packet.offers import rotate_names as rotate_packet_names
from bot.services.packet.questions import text_context as question_context
from bot.services.reminders import reminder_sources
from bot.services.reminders import text_context as reminder_context
from bot.services.taper import rotate_taper

REMINDERS_KEPT_AFTER_DATE = timedelta(days=30)
SETTLED_DELIVERIES_KEPT = timedelta(days=30)
GUILD_GRACE = timedelta(days=30)
AUDIT_KEPT = timedelta(days=365)
RETENTION_JOB = JobKind("job", "job", job="retention")  # "job:retention": the daily run
JOB_SOURCE = RETENTION_JOB.source()
RUN_AT = time(3, 30)  # UTC, a quiet hour


@dataclass(frozen=True)
class RotationReport:
    reencrypted: int
    already_current: int
    unreadable: int


class RetentionService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, spool: Spool | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._spool = spool  # held check-ins (R29): re-sealed with everything else

    async def ensure_scheduled(self) -> None:
        """At start-up: the daily job exists exactly once."""
        async with self._sessions.begin() as session:
            pending = await session.scalar(
                select(Occurrence.id).where(
                    Occurrence.source == JOB_SOURCE, Occurrence.state == PENDING
                )
            )
            if pending is None:
                await Scheduler.add(
                    session,
                    source=JOB_SOURCE,
                    kind=RETENTION_JOB.name,
                    due_at=self._next_run(),
                    payload={},
                )

    def _next_run(self) -> datetime:
        now = self._clock.now()
        today = datetime.combine(now.date(), RUN_AT, tzinfo=now.tzinfo)
        return today if today > now else today + timedelta(days=1)

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        """The scheduler's handler for the daily job; it also books tomorrow's run."""
        removed = await self.run(now)
        async with self._sessions.begin() as session:
            await Scheduler.add(
                session,
                source=JOB_SOURCE,
                kind=RETENTION_JOB.name,
                due_at=self._next_run(),
                payload={},
            )
        summary = (
            ", ".join(f"{count} {name}" for name, count in removed.items() if count) or "nothing"
        )
        return Delivery("sent", f"removed {summary}"[:200])

    async def run(self, now: datetime) -> dict[str, int]:
        removed: dict[str, int] = {}
        async with self._sessions.begin() as session:
            old = await session.scalars(
                select(Reminder.id).where(Reminder.event_at < now - REMINDERS_KEPT_AFTER_DATE)
            )
            ids = list(old)
            if ids:
                await session.execute(
                    delete(Occurrence).where(Occurrence.source.in_(reminder_sources(ids)))
                )
                await session.execute(delete(Reminder).where(Reminder.id.in_(ids)))
            removed["reminders"] = len(ids)
            settled = await session.execute(
                delete(Occurrence).where(
                    Occurrence.state.in_(TERMINAL),
                    Occurrence.settled_at < now - SETTLED_DELIVERIES_KEPT,
                )
            )
            removed["old deliveries"] = int(settled.rowcount)  # type: ignore[attr-defined]  # CursorResult
            retention = await _retention_by_guild(session)
            removed["meeting answers"] = await _expire_rsvps(session, now, retention)
            removed["check-ins"] = await _expire_checkins(session, now, retention, self._keyring)
            removed["anonymous posts"] = await _expire_posts(session, now, retention)
            requests = await session.execute(
                delete(MentorRequest).where(MentorRequest.created_at < now - MENTOR_REQUESTS_KEPT)
            )
            removed["mentor requests"] = int(requests.rowcount)  # type: ignore[attr-defined]  # CursorResult
            blocks = await session.execute(delete(AnonymousBlock).where(AnonymousBlock.until < now))
            removed["ended pauses"] = int(blocks.rowcount)  # type: ignore[attr-defined]  # CursorResult
            removed.update(await measures.expire(session, now))
            audit_gone = await session.execute(
                delete(AuditEntry).where(AuditEntry.created_at < now - AUDIT_KEPT)
            )
            removed["audit entries"] = int(audit_gone.rowcount)  # type: ignore[attr-defined]  # CursorResult
            departed = list(
                await session.scalars(
                    select(Guild.guild_id).where(Guild.left_at < now - GUILD_GRACE)
                )
            )
        for guild_id in departed:
            await self.purge_guild(guild_id)
        removed["servers"] = len(departed)
        return removed

    async def purge_guild(self, guild_id: int) -> dict[str, int]:
        """Everything Muster holds for one server, at once (the operator's command, or after
        the grace period). Members' own reminders and settings are theirs, and stay."""
        counts: dict[str, int] = {}
        async with self._sessions.begin() as session:
            meeting_ids = list(
                await session.scalars(select(Meeting.id).where(Meeting.guild_id == guild_id))
            )
            for meeting_id in meeting_ids:
                await session.execute(
                    delete(Occurrence).where(
                        Occurrence.source.startswith(MEETING.series(meeting_id))
                    )
                )
            await session.execute(
                delete(MeetingRsvp).where(MeetingRsvp.meeting_id.in_(meeting_ids))
            )
            await _detach_members_data(session, guild_id, self._keyring)
            server_tables = (Meeting, GuildResource, HiddenNationalResource, DirectoryVersion,
                             RecoveryMeeting, GuildSettings, AuditEntry, AnonymousBlock,
                             MentorRequest, Guild)  # fmt: skip
            for model in server_tables:
                result = await session.execute(delete(model).where(model.guild_id == guild_id))
                counts[model.__tablename__] = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult
        return counts

    async def reencrypt(self) -> RotationReport:
        """After adding a new current key: rewrite every encrypted value under it, so the old
        key can be retired. Values no configured key opens are left as they are, and counted."""
        counts = {"reencrypted": 0, "current": 0, "unreadable": 0}
        keyring = self._keyring

        def rotate(blob: bytes, context: str, sizes: tuple[int, ...] | None = None) -> bytes:
            if key_id_of(blob) == keyring.current_key_id:
                counts["current"] += 1
                return blob
            plain = decrypt_or_none(keyring, blob, context=context, what="value")
            if plain is None:
                counts["unreadable"] += 1
                return blob
            counts["reencrypted"] += 1
            if sizes is None:
                return encrypt(keyring, plain, context=context)
            # Padded values keep their length (or grow to the first of `sizes`): the padding
            # goes round again with the text.
            length = len(plain.encode())
            fitting = tuple(size for size in sizes if size >= length) or (length,)
            return seal(keyring, plain.rstrip(" "), context=context, sizes=fitting)

        def owner(table: str, blob: bytes) -> bytes:
            return rotate(blob, owner_context(table), OWNER_SIZES)

        async with self._sessions.begin() as session:
            for reminder in await session.scalars(select(Reminder)):
                reminder.text_encrypted = rotate(
                    reminder.text_encrypted, reminder_context(reminder.id)
                )
            for checkin in await session.scalars(select(Checkin)):
                checkin.owner = owner("checkins", checkin.owner)
                digest = checkin.request_digest
                checkin.data = rotate(checkin.data, CHECKIN_CONTEXT.format(digest=digest), ())
                checkin.note = rotate(checkin.note, NOTE_CONTEXT.format(digest=digest), ())
            for post in await session.scalars(select(AnonymousPost)):
                post.owner = owner("anonymous_posts", post.owner)
                post.content = rotate(post.content, post_context(post.guild_id), ())
            for block in await session.scalars(select(AnonymousBlock)):
                block.owner = owner("anonymous_blocks", block.owner)
            for profile in await session.scalars(select(CheckinProfile)):
                profile.owner = owner("checkin_profiles", profile.owner)
                profile.choice = rotate(
                    profile.choice, choice_context(profile.guild_id), CHOICE_SIZES
                )
            for change in await session.scalars(select(MedicationChange)):
                change.owner = owner("medication_changes", change.owner)
                change.details_encrypted = rotate(
                    change.details_encrypted, details_context(change.request_digest)
                )
            for question in await session.scalars(select(ProviderQuestion)):
                question.owner = owner("provider_questions", question.owner)
                question.text_encrypted = rotate(
                    question.text_encrypted, question_context(question.request_digest)
                )
            for streak in await session.scalars(select(SobrietyStreak)):
                streak.owner = owner("sobriety_streaks", streak.owner)
                if streak.ended is not None:
                    streak.ended = rotate(streak.ended, end_context(streak.id), END_SIZES)
            await measures.reencrypt(session, rotate, owner)
            await rotate_milestone_names(session, rotate)
            await rotate_taper(session, rotate, lambda blob, table: owner(table, blob))
            await rotate_packet_names(session, rotate)
        if self._spool is not None:
            # Held check-ins are stored data too: left under the old key, they would be lost
            # the day it is removed (R29).
            resealed, current, unreadable = await asyncio.to_thread(self._spool.reseal)
            counts["reencrypted"] += resealed
            counts["current"] += current
            counts["unreadable"] += unreadable
        return RotationReport(counts["reencrypted"], counts["current"], counts["unreadable"])

    async def rotate_pseudonym_key(self) -> tuple[Keyring, int]:
        """A new pseudonym key, and how many tags it will recompute (remembered sharing
        choices; nothing else is derived from that key but short-lived request digests).
        Rows moved from before migration 0012 stay findable: the old key is kept as the
        legacy member key, which alone unlocks nothing. Save the keyring, then
        `apply_pseudonym_key` it."""
        old = self._keyring
        new = replace(
            old,
            pseudonym_key=secrets.token_bytes(KEY_BYTES),
            legacy_member_key=old.legacy_member_key or old.pseudonym_key,
        )
        async with self._sessions() as session:
            profiles = await session.scalar(select(func.count()).select_from(CheckinProfile))
        return new, int(profiles or 0)

    async def apply_pseudonym_key(self, new: Keyring) -> int:
        """Every tag recomputed under `new`'s pseudonym key, in one transaction; nothing
        changes if a tag's owner cannot be opened."""
        owners_old, owners_new = Owners(self._keyring), Owners(new)
        retagged = 0
        async with self._sessions.begin() as session:
            for row in await session.scalars(select(CheckinProfile)):
                identity = owners_old.identity_of("checkin_profiles", row.owner)
                if identity is None:
                    raise UnreadableError(
                        "a row of checkin_profiles no configured key opens; nothing was changed"
                    )
                row.tag = owners_new.tag("share", row.guild_id, identity)
                retagged += 1
            await key_checks.replace_pseudonym_checks(session, new, self._clock)
        return retagged


async def _retention_by_guild(session: AsyncSession) -> dict[int, int]:
    return {
        guild_id: days
        for guild_id, days in (
            await session.execute(select(GuildSettings.guild_id, GuildSettings.retention_days))
        ).all()
        if days is not None
    }


async def _expire_checkins(
    session: AsyncSession, now: datetime, retention: dict[int, int], keyring: Keyring
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


async def _expire_posts(session: AsyncSession, now: datetime, retention: dict[int, int]) -> int:
    """Anonymous posts' records past their server's retention period, by when they appeared."""
    removed = 0
    for guild_id in set(await session.scalars(select(AnonymousPost.guild_id).distinct())):
        keep = timedelta(days=retention.get(guild_id, DEFAULT_RETENTION_DAYS))
        ids = list(
            await session.scalars(
                select(AnonymousPost.id).where(
                    AnonymousPost.guild_id == guild_id, AnonymousPost.post_after < now - keep
                )
            )
        )
        if ids:
            await session.execute(delete(AnonymousPost).where(AnonymousPost.id.in_(ids)))
        removed += len(ids)
    return removed


async def _detach_members_data(session: AsyncSession, guild_id: int, keyring: Keyring) -> None:
    """A departed server's shared check-ins, posts, prompts, sharing choices and milestone
    sharing go; a member's private check-ins and counters are theirs and stay, no longer
    tied to it."""
    shared = [
        row.id
        for row in await session.scalars(select(Checkin).where(Checkin.guild_id == guild_id))
        if (opened := open_checkin(keyring, row)) is None or opened.share != "private"
    ]
    await session.execute(delete(AnonymousPost).where(AnonymousPost.guild_id == guild_id))
    if shared:
        await session.execute(delete(Checkin).where(Checkin.id.in_(shared)))
    await session.execute(update(Checkin).where(Checkin.guild_id == guild_id).values(guild_id=None))
    await session.execute(delete(CheckinProfile).where(CheckinProfile.guild_id == guild_id))
    prompt_ids = list(
        await session.scalars(select(CheckinPrompt.id).where(CheckinPrompt.guild_id == guild_id))
    )
    streak_ids = list(
        await session.scalars(select(SobrietyStreak.id).where(SobrietyStreak.guild_id == guild_id))
    )
    sources = PROMPT.sources(prompt_ids) + MILESTONE.sources(streak_ids)
    sources.append(SUMMARY.source(guild_id))
    await session.execute(delete(Occurrence).where(Occurrence.source.in_(sources)))
    await session.execute(
        delete(Occurrence).where(
            Occurrence.source.startswith(RELEASE.of_server(guild_id), autoescape=True)
            | Occurrence.source.like(MILESTONE.shared_like(guild_id))
        )
    )
    await session.execute(delete(CheckinPrompt).where(CheckinPrompt.guild_id == guild_id))
    await session.execute(
        update(SobrietyStreak)
        .where(SobrietyStreak.guild_id == guild_id)
        .values(guild_id=None, share="none")
    )


async def _expire_rsvps(session: AsyncSession, now: datetime, retention: dict[int, int]) -> int:
    removed = 0
    for meeting_id, guild_id in (await session.execute(select(Meeting.id, Meeting.guild_id))).all():
        keep = timedelta(days=retention.get(guild_id, DEFAULT_RETENTION_DAYS))
        result = await session.execute(
            delete(MeetingRsvp).where(
                MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.starts_at < now - keep
            )
        )
        removed += int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult
    return removed
