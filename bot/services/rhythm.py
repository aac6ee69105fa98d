"""The group's rhythm: opt-in daily check-in prompts by DM, and the weekly group summary.

The summary counts only check-ins members chose to share, and shows nothing unless at
least k different members took part that week (R5), so no one stands out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Checkin, CheckinPrompt, GuildSettings, Occurrence
from bot.errors import UserFacingError
from bot.scheduling import LATE, PENDING, Delivery, Due, Scheduler
from bot.services.guild_settings import GuildConfig
from bot.services.recurrence import to_utc

SUMMARY_WEEKDAY = 6  # Sunday
SUMMARY_AT = time(18, 0)
PROMPT_LATE_LIMIT = timedelta(hours=3)
# A weekly summary still means something a day late; after that the week has moved on.
SUMMARY_DEADLINE = timedelta(days=1)


def parse_clock_time(text: str) -> str:
    """ "8pm", "8:30 am", "20:00" to "HH:MM"."""
    match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*", text.casefold())
    if match is None:
        raise UserFacingError("Give a time of day like 8pm, 8:30am or 20:00.")
    hour, minute = int(match[1]), int(match[2] or 0)
    suffix = (match[3] or "").replace(".", "")
    if suffix and not 1 <= hour <= 12:
        raise UserFacingError("With am or pm, the hour goes from 1 to 12.")
    if suffix == "pm" and hour != 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise UserFacingError("Give a time of day like 8pm, 8:30am or 20:00.")
    return f"{hour:02d}:{minute:02d}"


def next_local(at: str, zone: str, after: datetime) -> datetime:
    """The first moment after `after` when the wall clock in `zone` shows `at` (R12 policy)."""
    tz = ZoneInfo(zone)
    wall = time.fromisoformat(at)
    day = after.astimezone(tz).date()
    while True:
        moment = to_utc(datetime.combine(day, wall), tz)
        if moment > after:
            return moment
        day += timedelta(days=1)


@dataclass(frozen=True)
class Prompt:
    user_id: int
    guild_id: int
    local_time: str
    timezone: str
    next_at: datetime


@dataclass(frozen=True)
class WeeklySummary:
    channel_id: int
    week_ending: date
    members: int
    checkins: int
    moods: dict[int, int]
    sober_days: int


class PromptService:
    def __init__(self, sessions: SessionFactory, clock: Clock, scheduler: Scheduler) -> None:
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler

    async def set(self, user_id: int, guild_id: int, at: str, zone: str) -> Prompt:
        local_time = parse_clock_time(at)
        now = self._clock.now()
        due = next_local(local_time, zone, now)
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(CheckinPrompt).where(CheckinPrompt.user_id == user_id)
            )
            if row is None:
                row = CheckinPrompt(
                    user_id=user_id,
                    created_at=now,
                    guild_id=guild_id,
                    local_time=local_time,
                    timezone=zone,
                )
                session.add(row)
                await session.flush()
            row.guild_id, row.local_time, row.timezone = guild_id, local_time, zone
            await Scheduler.cancel(session, f"prompt:{row.id}", now)
            await Scheduler.add(
                session, source=f"prompt:{row.id}", kind="prompt", due_at=due, payload={}
            )
        await self._scheduler.scheduled(due)
        return Prompt(user_id, guild_id, local_time, zone, due)

    async def stop(self, user_id: int) -> bool:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(CheckinPrompt).where(CheckinPrompt.user_id == user_id)
            )
            if row is None:
                return False
            await session.execute(delete(Occurrence).where(Occurrence.source == f"prompt:{row.id}"))
            await session.delete(row)
            return True

    async def prepare(self, due: Due, now: datetime) -> Prompt | Delivery:
        """Who to prompt; tomorrow's prompt is booked in the same step."""
        prompt_id = int(due.source.split(":", 1)[1])
        async with self._sessions.begin() as session:
            row = await session.get(CheckinPrompt, prompt_id)
            if row is None:
                return Delivery("cancelled", "the member stopped their prompts")
            following = next_local(row.local_time, row.timezone, max(now, due.due_at))
            await Scheduler.add(
                session, source=due.source, kind="prompt", due_at=following, payload={}
            )
            prompt = Prompt(row.user_id, row.guild_id, row.local_time, row.timezone, following)
        await self._scheduler.scheduled(following)
        if now - due.due_at > PROMPT_LATE_LIMIT:
            return Delivery("skipped_late", "a prompt this late would only confuse", LATE)
        return prompt


class SummaryService:
    def __init__(self, sessions: SessionFactory, clock: Clock, scheduler: Scheduler) -> None:
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler

    async def ensure_all(self) -> None:
        """At start-up: every server with a check-in channel has its next summary booked."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(GuildSettings.guild_id, GuildSettings.timezone).where(
                        GuildSettings.checkin_channel_id.is_not(None)
                    )
                )
            ).all()
        for guild_id, zone in rows:
            await self.ensure(guild_id, zone or "UTC")

    async def ensure(self, guild_id: int, zone: str) -> None:
        source = f"summary:{guild_id}"
        async with self._sessions.begin() as session:
            pending = await session.scalar(
                select(Occurrence.id).where(
                    Occurrence.source == source, Occurrence.state == PENDING
                )
            )
            if pending is not None:
                return
            due = self._next(zone, self._clock.now())
            await Scheduler.add(session, source=source, kind="summary", due_at=due, payload={})
        await self._scheduler.scheduled(due)

    @staticmethod
    def _next(zone: str, after: datetime) -> datetime:
        tz = ZoneInfo(zone)
        day = after.astimezone(tz).date()
        day += timedelta(days=(SUMMARY_WEEKDAY - day.weekday()) % 7)
        moment = to_utc(datetime.combine(day, SUMMARY_AT), tz)
        return (
            moment
            if moment > after
            else to_utc(datetime.combine(day + timedelta(days=7), SUMMARY_AT), tz)
        )

    async def prepare(self, due: Due, config: GuildConfig) -> WeeklySummary | Delivery:
        """The week's figures; nothing when fewer than k members took part (R5). Books next
        week's."""
        guild_id = int(due.source.split(":", 1)[1])
        async with self._sessions.begin() as session:
            if config.checkin_channel_id is not None:
                await Scheduler.add(
                    session,
                    source=due.source,
                    kind="summary",
                    due_at=self._next(config.timezone, due.due_at),
                    payload={},
                )
        if config.checkin_channel_id is None:
            return Delivery("cancelled", "the server has no check-in channel")
        summary = await self.week(
            guild_id,
            config.checkin_channel_id,
            due.due_at,
            config.summary_threshold,
            config.timezone,
        )
        if summary is None:
            return Delivery("cancelled", "fewer members took part than the server's threshold")
        return summary

    async def week(
        self, guild_id: int, channel_id: int, end: datetime, threshold: int, zone: str
    ) -> WeeklySummary | None:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        Checkin.member_key, Checkin.mood, Checkin.sober, Checkin.created_at
                    ).where(
                        Checkin.guild_id == guild_id,
                        Checkin.share != "private",
                        Checkin.created_at > end - timedelta(days=7),
                        Checkin.created_at <= end,
                    )
                )
            ).all()
        members = {row[0] for row in rows}
        if len(members) < threshold:
            return None
        tz = ZoneInfo(zone)
        sober_days = {(row[0], row[3].astimezone(tz).date()) for row in rows if row[2] == "yes"}
        return WeeklySummary(
            channel_id=channel_id,
            week_ending=end.astimezone(tz).date(),
            members=len(members),
            checkins=len(rows),
            moods=dict(sorted(Counter(row[1] for row in rows).items())),
            sober_days=len(sober_days),
        )
