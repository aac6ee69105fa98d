"""Keeping only what is needed: the daily retention job, server purges, key rotation.

The retention job runs on the shared scheduler once a day and deletes:
- reminders 30 days after their date, with their deliveries;
- settled scheduler deliveries after 30 days;
- meeting RSVPs, and check-ins with their notes and anonymous posts, after the server's
  retention period (DEFAULT_RETENTION_DAYS for check-ins made in DMs);
- pauses on anonymous posting once they have ended;
- everything about a server 30 days after it removed Muster (the grace period);
- audit entries after a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import (
    AnonymousBlock,
    AnonymousPost,
    AuditEntry,
    Checkin,
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
    RecoveryMeeting,
    Reminder,
    SobrietyStreak,
)
from bot.keys import Keyring
from bot.scheduling import PENDING, TERMINAL, Delivery, Due, Scheduler
from bot.services.crypto import decrypt_or_none, encrypt, key_id_of
from bot.services.guild_settings import DEFAULT_RETENTION_DAYS
from bot.services.mentors import KEEP_FOR as MENTOR_REQUESTS_KEPT

REMINDERS_KEPT_AFTER_DATE = timedelta(days=30)
SETTLED_DELIVERIES_KEPT = timedelta(days=30)
GUILD_GRACE = timedelta(days=30)
AUDIT_KEPT = timedelta(days=365)
JOB_SOURCE = "job:retention"
RUN_AT = time(3, 30)  # UTC, a quiet hour


@dataclass(frozen=True)
class RotationReport:
    reencrypted: int
    already_current: int
    unreadable: int


class RetentionService:
    def __init__(self, sessions: SessionFactory, clock: Clock, keyring: Keyring) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring

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
                    session, source=JOB_SOURCE, kind="job", due_at=self._next_run(), payload={}
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
                session, source=JOB_SOURCE, kind="job", due_at=self._next_run(), payload={}
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
                    delete(Occurrence).where(Occurrence.source.in_([f"reminder:{i}" for i in ids]))
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
            removed["check-ins"] = await _expire_checkins(session, now, retention)
            requests = await session.execute(
                delete(MentorRequest).where(MentorRequest.created_at < now - MENTOR_REQUESTS_KEPT)
            )
            removed["mentor requests"] = int(requests.rowcount)  # type: ignore[attr-defined]  # CursorResult
            blocks = await session.execute(delete(AnonymousBlock).where(AnonymousBlock.until < now))
            removed["ended pauses"] = int(blocks.rowcount)  # type: ignore[attr-defined]  # CursorResult
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
                    delete(Occurrence).where(Occurrence.source.startswith(f"meeting:{meeting_id}:"))
                )
            await session.execute(
                delete(MeetingRsvp).where(MeetingRsvp.meeting_id.in_(meeting_ids))
            )
            await _detach_members_data(session, guild_id, self._clock.now())
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

        def rotate(blob: bytes, context: str) -> bytes:
            if key_id_of(blob) == self._keyring.current_key_id:
                counts["current"] += 1
                return blob
            plain = decrypt_or_none(self._keyring, blob, context=context, what="value")
            if plain is None:
                counts["unreadable"] += 1
                return blob
            counts["reencrypted"] += 1
            return encrypt(self._keyring, plain, context=context)

        async with self._sessions.begin() as session:
            for reminder in await session.scalars(select(Reminder)):
                reminder.text_encrypted = rotate(reminder.text_encrypted, f"reminder:{reminder.id}")
            for checkin in await session.scalars(select(Checkin)):
                if checkin.note_encrypted is not None:
                    checkin.note_encrypted = rotate(
                        checkin.note_encrypted, f"checkin:{checkin.request_key}"
                    )
            for change in await session.scalars(select(MedicationChange)):
                change.details_encrypted = rotate(
                    change.details_encrypted, f"med:{change.request_key}"
                )
            for occurrence in await session.scalars(
                select(Occurrence).where(
                    Occurrence.kind == "milestone", Occurrence.state.not_in(TERMINAL)
                )
            ):
                if "user" in occurrence.payload:
                    streak_id = occurrence.source.split(":", 1)[1]
                    sealed = bytes.fromhex(str(occurrence.payload["user"]))
                    occurrence.payload = {
                        **occurrence.payload,
                        "user": rotate(sealed, f"milestone:{streak_id}").hex(),
                    }
        return RotationReport(counts["reencrypted"], counts["current"], counts["unreadable"])


async def _retention_by_guild(session: AsyncSession) -> dict[int, int]:
    return {
        guild_id: days
        for guild_id, days in (
            await session.execute(select(GuildSettings.guild_id, GuildSettings.retention_days))
        ).all()
        if days is not None
    }


async def _expire_checkins(session: AsyncSession, now: datetime, retention: dict[int, int]) -> int:
    """Check-ins past their server's retention period, with their anonymous posts."""
    removed = 0
    guilds = set(await session.scalars(select(Checkin.guild_id).distinct()))
    for guild_id in guilds:
        keep = timedelta(
            days=retention.get(guild_id, DEFAULT_RETENTION_DAYS)
            if guild_id
            else DEFAULT_RETENTION_DAYS
        )
        old = select(Checkin.id).where(
            Checkin.guild_id.is_(None) if guild_id is None else Checkin.guild_id == guild_id,
            Checkin.created_at < now - keep,
        )
        ids = list(await session.scalars(old))
        if not ids:
            continue
        post_ids = list(
            await session.scalars(select(AnonymousPost.id).where(AnonymousPost.checkin_id.in_(ids)))
        )
        if post_ids:
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_([f"anon:{i}" for i in post_ids]))
            )
            await session.execute(delete(AnonymousPost).where(AnonymousPost.id.in_(post_ids)))
        await session.execute(delete(Checkin).where(Checkin.id.in_(ids)))
        removed += len(ids)
    return removed


async def _detach_members_data(session: AsyncSession, guild_id: int, now: datetime) -> None:
    """A departed server's shared check-ins, posts, prompts and milestone sharing go; a
    member's private check-ins and counters are theirs and stay, no longer tied to it."""
    shared = select(Checkin.id).where(Checkin.guild_id == guild_id, Checkin.share != "private")
    post_ids = list(
        await session.scalars(select(AnonymousPost.id).where(AnonymousPost.guild_id == guild_id))
    )
    if post_ids:
        await session.execute(
            delete(Occurrence).where(Occurrence.source.in_([f"anon:{i}" for i in post_ids]))
        )
        await session.execute(delete(AnonymousPost).where(AnonymousPost.id.in_(post_ids)))
    await session.execute(delete(Checkin).where(Checkin.id.in_(shared)))
    await session.execute(update(Checkin).where(Checkin.guild_id == guild_id).values(guild_id=None))
    prompt_ids = list(
        await session.scalars(select(CheckinPrompt.id).where(CheckinPrompt.guild_id == guild_id))
    )
    streak_ids = list(
        await session.scalars(select(SobrietyStreak.id).where(SobrietyStreak.guild_id == guild_id))
    )
    sources = [f"prompt:{i}" for i in prompt_ids] + [f"milestone:{i}" for i in streak_ids]
    sources.append(f"summary:{guild_id}")
    await session.execute(delete(Occurrence).where(Occurrence.source.in_(sources)))
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
