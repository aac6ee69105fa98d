"""Group meetings: series in the group's time zone, channel reminders, RSVPs, a calendar.

Reminders for the next WINDOW of instances are kept on the scheduler, one source per
instance ("meeting:<id>:<start>"), so skipping an instance cancels exactly its reminders,
and a day-before and an hour-before both missed in downtime collapse to one catch-up. The
window is topped up after every delivery and at start-up.

Lateness policy for meeting reminders: a reminder still goes out, marked delayed, while
the meeting has not begun; once it has begun, it is skipped.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Meeting, MeetingRsvp, Occurrence
from bot.errors import UserFacingError
from bot.scheduling import LATE, Delivery, Due, Scheduler
from bot.services import audit
from bot.services.meetings.rules import (
    ANSWERS,
    DEFAULT_LEADS,
    LATE_MARK_AFTER,
    MEETING,
    WINDOW,
    MeetingCancelled,
    MeetingInfo,
    MeetingNotice,
)
from bot.services.recurrence import Repeat, Rule, instances, make_rule
from bot.services.text import clean_text, optional_text


def _rule(row: Meeting) -> Rule:
    return make_rule(
        row.first_date, time.fromisoformat(row.start_time), row.timezone, cast(Repeat, row.repeat)
    )


def _skipped(row: Meeting) -> frozenset[datetime]:
    return frozenset(datetime.fromisoformat(moment) for moment in row.skipped)


class MeetingService:
    def __init__(self, sessions: SessionFactory, clock: Clock, scheduler: Scheduler) -> None:
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler

    async def create(
        self,
        *,
        guild_id: int,
        actor_id: int,
        title: str,
        starts_at: datetime,
        zone: str,
        repeat: Repeat,
        duration_minutes: int = 60,
        place: str | None = None,
        voice_channel_id: int | None = None,
        role_id: int | None = None,
        leads: tuple[int, ...] = DEFAULT_LEADS,
        mirror_event: bool = False,
    ) -> MeetingInfo:
        local = starts_at.astimezone(ZoneInfo(zone))
        rule = make_rule(local.date(), local.time().replace(second=0, microsecond=0), zone, repeat)
        if not 15 <= duration_minutes <= 8 * 60:
            raise UserFacingError("A meeting can last from 15 minutes to 8 hours.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = Meeting(
                guild_id=guild_id,
                title=clean_text(title, field="Title", max_length=100),
                first_date=rule.first,
                start_time=rule.at.strftime("%H:%M"),
                timezone=zone,
                repeat=repeat,
                duration_minutes=duration_minutes,
                place=optional_text(place, field="Place", max_length=200),
                voice_channel_id=voice_channel_id,
                role_id=role_id,
                lead_minutes=list(leads),
                skipped=[],
                status="active",
                mirror_event=mirror_event,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            soonest = await self._top_up(session, row, now)
            audit.record(session, guild_id=guild_id, actor_id=actor_id, action="meetings.create",
                         target=row.title, detail=rule.describe(), at=now)  # fmt: skip
            info = self._info(row, now)
        if soonest is not None:
            await self._scheduler.scheduled(soonest)
        return info

    async def list(self, guild_id: int) -> list[MeetingInfo]:
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Meeting)
                .where(Meeting.guild_id == guild_id, Meeting.status == "active")
                .order_by(Meeting.id)
            )
            infos = [self._info(row, now) for row in rows]
        return sorted(infos, key=lambda info: info.next_start or datetime.max.replace(tzinfo=UTC))

    async def get(self, guild_id: int, meeting_id: int) -> MeetingInfo:
        async with self._sessions() as session:
            return self._info(await _own(session, guild_id, meeting_id), self._clock.now())

    async def edit(
        self,
        guild_id: int,
        actor_id: int,
        meeting_id: int,
        *,
        title: str | None = None,
        starts_at: datetime | None = None,
        place: str | None = None,
        role_id: int | None = None,
    ) -> MeetingInfo:
        """Change a series; a new start time moves every upcoming reminder with it."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await _own(session, guild_id, meeting_id)
            changed = []
            if title is not None:
                row.title = clean_text(title, field="Title", max_length=100)
                changed.append("title")
            if place is not None:
                row.place = optional_text(place, field="Place", max_length=200)
                changed.append("place")
            if role_id is not None:
                row.role_id = role_id
                changed.append("role")
            if starts_at is not None:
                for moment in instances(_rule(row), after=now, until=now + WINDOW * 2):
                    await Scheduler.cancel(session, MEETING.source(row.id, moment), now)
                local = starts_at.astimezone(ZoneInfo(row.timezone))
                row.first_date = local.date()
                row.start_time = local.strftime("%H:%M")
                row.skipped = []
                changed.append("time")
            if not changed:
                raise UserFacingError("Tell me what to change: a title, a time, a place or a role.")
            row.updated_at = now
            soonest = await self._top_up(session, row, now)
            audit.record(
                session, guild_id=guild_id, actor_id=actor_id, action="meetings.edit",
                target=row.title, detail=", ".join(changed), at=now,
            )  # fmt: skip
            info = self._info(row, now)
        if soonest is not None:
            await self._scheduler.scheduled(soonest)
        return info

    async def skip(
        self, guild_id: int, actor_id: int, meeting_id: int, starts_at: datetime
    ) -> MeetingInfo:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await _own(session, guild_id, meeting_id)
            upcoming = set(
                instances(
                    _rule(row), after=now, until=now + timedelta(days=400), skipped=_skipped(row)
                )
            )
            if starts_at not in upcoming:
                raise UserFacingError(
                    "That meeting doesn't happen then. Pick a date from its upcoming meetings."
                )
            row.skipped = [*row.skipped, starts_at.isoformat()]
            row.updated_at = now
            await Scheduler.cancel(session, MEETING.source(row.id, starts_at), now)
            await self._top_up(session, row, now)
            audit.record(session, guild_id=guild_id, actor_id=actor_id, action="meetings.skip",
                         target=row.title, detail=starts_at.isoformat(), at=now)  # fmt: skip
            return self._info(row, now)

    async def cancel(self, guild_id: int, actor_id: int, meeting_id: int) -> MeetingInfo:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await _own(session, guild_id, meeting_id)
            row.status = "cancelled"
            row.updated_at = now
            for moment in instances(
                _rule(row), after=now - timedelta(days=1), until=now + WINDOW * 2
            ):
                await Scheduler.cancel(session, MEETING.source(row.id, moment), now)
            audit.record(session, guild_id=guild_id, actor_id=actor_id, action="meetings.cancel",
                         target=row.title, at=now)  # fmt: skip
            return self._info(row, now)

    async def record_event(
        self, meeting_id: int, event_id: int | None, starts_at: datetime | None
    ) -> None:
        """Remember which Discord event mirrors the series, and the start it shows."""
        async with self._sessions.begin() as session:
            row = await session.get(Meeting, meeting_id)
            if row is not None:
                row.discord_event_id = event_id
                row.event_starts_at = starts_at

    async def any_info(self, meeting_id: int) -> MeetingInfo | None:
        """A series by id, cancelled or not (for keeping its Discord event in step)."""
        async with self._sessions() as session:
            row = await session.get(Meeting, meeting_id)
            return None if row is None else self._info(row, self._clock.now())

    async def posts(self, meeting_id: int) -> tuple[int, ...]:
        """The message ids of the series' reminder posts of the last WINDOW (to close their
        buttons when it is cancelled)."""
        since = self._clock.now() - WINDOW
        async with self._sessions() as session:
            found = await session.scalars(
                select(Occurrence.message_id).where(
                    Occurrence.source.startswith(MEETING.series(meeting_id)),
                    Occurrence.message_id.is_not(None),
                    Occurrence.due_at >= since,
                )
            )
            return tuple(int(message_id) for message_id in found if message_id is not None)

    async def top_up_all(self) -> None:
        """At start-up: make sure every active series has its next reminders scheduled."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            for row in await session.scalars(select(Meeting).where(Meeting.status == "active")):
                await self._top_up(session, row, now)

    async def prepare(self, due: Due, now: datetime) -> MeetingNotice | Delivery:
        meeting_id, starts_at = MEETING.parse(due.source)
        async with self._sessions.begin() as session:
            row = await session.get(Meeting, meeting_id)
            if row is None or row.status != "active":
                return Delivery("cancelled", "the meeting series was cancelled")
            await self._top_up(session, row, now)
            # By the real time, not the step-excused `now`: the meeting does not move with it.
            if max(now, self._scheduler.now()) >= starts_at:
                return Delivery("skipped_late", "the meeting had already begun", LATE)
            counts = await _counts(session, row.id, starts_at)
            return MeetingNotice(
                self._info(row, now), starts_at, now - due.due_at > LATE_MARK_AFTER, counts
            )

    async def rsvp(
        self, guild_id: int, meeting_id: int, starts_at: datetime, user_id: int, answer: str
    ) -> dict[str, int]:
        if answer not in ANSWERS:
            raise UserFacingError("That answer isn't one of the choices.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await _own(session, guild_id, meeting_id)
            if starts_at not in set(
                instances(_rule(row), after=starts_at - timedelta(seconds=1), until=starts_at)
            ):
                raise UserFacingError("That meeting time doesn't exist.")
            existing = await session.get(MeetingRsvp, (row.id, starts_at, user_id))
            if existing is None:
                session.add(
                    MeetingRsvp(
                        meeting_id=row.id,
                        starts_at=starts_at,
                        user_id=user_id,
                        answer=answer,
                        updated_at=now,
                    )
                )
            else:
                existing.answer = answer
                existing.updated_at = now
            await session.flush()
            return await _counts(session, row.id, starts_at)

    async def calendar(self, guild_id: int, guild_name: str) -> bytes:
        """Every active series as iCalendar, with its rule, zone and skipped dates."""
        import icalendar  # on first use: keeps idle memory down

        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//Muster//Meetings//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"{guild_name} meetings")
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Meeting).where(Meeting.guild_id == guild_id, Meeting.status == "active")
            )
            for row in rows:
                rule = _rule(row)
                zone = ZoneInfo(row.timezone)
                start = datetime.combine(rule.first, rule.at).replace(tzinfo=zone)
                event = icalendar.Event()
                event.add("uid", f"muster-meeting-{row.id}-{guild_id}@muster")
                event.add("summary", row.title)
                event.add("dtstart", start)
                event.add("duration", timedelta(minutes=row.duration_minutes))
                event.add("dtstamp", self._clock.now())
                if row.place:
                    event.add("location", row.place)
                if rule.rrule is not None:
                    event.add("rrule", icalendar.vRecur.from_ical(rule.rrule))
                for skipped in sorted(_skipped(row)):
                    event.add("exdate", skipped.astimezone(zone))
                calendar.add_component(event)
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical())

    async def _top_up(self, session: AsyncSession, row: Meeting, now: datetime) -> datetime | None:
        """Schedule reminders for the instances in the coming window; returns the soonest."""
        soonest: datetime | None = None
        for starts_at in instances(
            _rule(row), after=now, until=now + WINDOW, skipped=_skipped(row)
        ):
            for lead in row.lead_minutes:
                due_at = starts_at - timedelta(minutes=lead)
                if due_at <= now:
                    continue
                await Scheduler.add(session, source=MEETING.source(row.id, starts_at),
                                    kind=MEETING.name, due_at=due_at,
                                    payload={"lead": lead})  # fmt: skip
                soonest = due_at if soonest is None else min(soonest, due_at)
        return soonest

    def _info(self, row: Meeting, now: datetime) -> MeetingInfo:
        rule = _rule(row)
        upcoming = next(
            instances(rule, after=now, until=now + timedelta(days=800), skipped=_skipped(row)), None
        )
        return MeetingInfo(
            id=row.id, guild_id=row.guild_id, title=row.title, rule=rule,
            duration_minutes=row.duration_minutes, place=row.place,
            voice_channel_id=row.voice_channel_id, role_id=row.role_id,
            next_start=upcoming if row.status == "active" else None,
            mirror_event=row.mirror_event, discord_event_id=row.discord_event_id,
            event_starts_at=row.event_starts_at,
        )  # fmt: skip


async def _own(session: AsyncSession, guild_id: int, meeting_id: int) -> Meeting:
    row = await session.get(Meeting, meeting_id)
    if row is not None and row.guild_id == guild_id and row.status == "cancelled":
        raise MeetingCancelled
    if row is None or row.guild_id != guild_id or row.status != "active":
        raise UserFacingError("I couldn't find that meeting here. Pick one from the list.")
    return row


async def _counts(session: AsyncSession, meeting_id: int, starts_at: datetime) -> dict[str, int]:
    answers = await session.scalars(
        select(MeetingRsvp.answer).where(
            MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.starts_at == starts_at
        )
    )
    tally: Counter[str] = Counter(answers)
    return {answer: tally.get(answer, 0) for answer in ANSWERS}
