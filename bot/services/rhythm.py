"""The group's rhythm: opt-in daily check-in prompts by DM, and the weekly group summary.

The summary counts anonymous posts only, as they appeared in the channel (named check-ins
never mix in), and shows nothing unless at least k different anonymous authors posted that
week (R5, R24). Its week is the pseudonym week (bot/services/pseudonyms.py), so every figure
can be read off the channel already and none narrows an author.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import AnonymousPost, CheckinPrompt, GuildSettings, Occurrence
from bot.keys import Keyring
from bot.scheduling import LATE, PENDING, Delivery, Due, RowKind, Scheduler, not_set_up
from bot.services.crypto import UnreadableError, unseal
from bot.services.dates import parse_clock_time
from bot.services.guild_settings import GuildConfig
from bot.services.ownership import post_context
from bot.services.pseudonyms import week_label
from bot.services.recurrence import to_utc

PROMPT = RowKind("prompt", "prompt")  # "prompt:<prompt id>": a member's daily check-in prompt
SUMMARY = RowKind("summary", "summary")  # "summary:<server id>": a server's weekly summary

SUMMARY_WEEKDAY = 0  # Monday morning, for the week that ended at midnight
SUMMARY_AT = time(9, 0)
PROMPT_LATE_LIMIT = timedelta(hours=3)
# A weekly summary still means something a day late; after that the week has moved on.
SUMMARY_DEADLINE = timedelta(days=1)


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
    authors: int
    posts: int
    moods: dict[int, int]
    sober: int  # posts that said "sober today: yes"


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
                    guild_id=guild_id,
                    local_time=local_time,
                    timezone=zone,
                )
                session.add(row)
                await session.flush()
            row.guild_id, row.local_time, row.timezone = guild_id, local_time, zone
            await Scheduler.cancel(session, PROMPT.source(row.id), now)
            await Scheduler.add(
                session, source=PROMPT.source(row.id), kind=PROMPT.name, due_at=due, payload={}
            )
        await self._scheduler.scheduled(due)
        return Prompt(user_id, guild_id, local_time, zone, due)

    async def follow_zone(self, session: AsyncSession, user_id: int, zone: str) -> list[datetime]:
        """The member set their zone (a ZoneFollower): their daily prompt keeps its time of
        day in it from now on; the one still untried moves to that time on the same day there
        (the next one, if that has passed)."""
        row = await session.scalar(select(CheckinPrompt).where(CheckinPrompt.user_id == user_id))
        if row is None:
            return []
        was, row.timezone = row.timezone, zone
        now = self._clock.now()
        moved = []
        for waiting in await Scheduler.untried(session, PROMPT.source(row.id)):
            day = waiting.due_at.astimezone(ZoneInfo(was)).date()
            due = to_utc(datetime.combine(day, time.fromisoformat(row.local_time)), ZoneInfo(zone))
            if due <= now:
                due = next_local(row.local_time, zone, now)
            if await Scheduler.move(session, waiting, due, now):
                moved.append(due)
        return moved

    async def stop(self, user_id: int) -> bool:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(CheckinPrompt).where(CheckinPrompt.user_id == user_id)
            )
            if row is None:
                return False
            await session.execute(
                delete(Occurrence).where(Occurrence.source == PROMPT.source(row.id))
            )
            await session.delete(row)
            return True

    async def prepare(self, due: Due, now: datetime) -> Prompt | Delivery:
        """Who to prompt; tomorrow's prompt is booked in the same step."""
        prompt_id = PROMPT.parse(due.source)
        async with self._sessions.begin() as session:
            row = await session.get(CheckinPrompt, prompt_id)
            if row is None:
                return Delivery("cancelled", "the member stopped their prompts")
            following = next_local(row.local_time, row.timezone, max(now, due.due_at))
            await Scheduler.add(
                session, source=due.source, kind=PROMPT.name, due_at=following, payload={}
            )
            prompt = Prompt(row.user_id, row.guild_id, row.local_time, row.timezone, following)
        await self._scheduler.scheduled(following)
        if now - due.due_at > PROMPT_LATE_LIMIT:
            return Delivery("skipped_late", "a prompt this late would only confuse", LATE)
        return prompt


class SummaryService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, scheduler: Scheduler
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
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
        source = SUMMARY.source(guild_id)
        async with self._sessions.begin() as session:
            pending = await session.scalar(
                select(Occurrence.id).where(
                    Occurrence.source == source, Occurrence.state == PENDING
                )
            )
            if pending is not None:
                return
            due = self._next(zone, self._clock.now())
            await Scheduler.add(session, source=source, kind=SUMMARY.name, due_at=due, payload={})
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
        guild_id = SUMMARY.parse(due.source)
        async with self._sessions.begin() as session:
            if config.checkin_channel_id is not None:
                await Scheduler.add(
                    session,
                    source=due.source,
                    kind=SUMMARY.name,
                    due_at=self._next(config.timezone, due.due_at),
                    payload={},
                )
        if config.checkin_channel_id is None:
            return not_set_up("check-in")
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
        """The pseudonym week that ended before `end`, as the channel showed it: anonymous
        posts that appeared (and were not taken down), and their distinct pseudonyms, which
        are one per author and week."""
        label = week_label(end - timedelta(days=1), zone)
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(AnonymousPost.pseudonym, AnonymousPost.content).where(
                        AnonymousPost.guild_id == guild_id,
                        AnonymousPost.week == label,
                        AnonymousPost.state == "posted",
                    )
                )
            ).all()
        authors = {pseudonym for pseudonym, _ in rows}
        if len(authors) < threshold:
            return None
        moods: Counter[int] = Counter()
        sober = 0
        for _, sealed in rows:
            try:
                values = json.loads(unseal(self._keyring, sealed, context=post_context(guild_id)))
            except UnreadableError:
                continue
            moods[int(values["mood"])] += 1
            sober += values["sober"] == "yes"
        return WeeklySummary(
            channel_id=channel_id,
            week_ending=(end - timedelta(days=1)).astimezone(ZoneInfo(zone)).date(),
            authors=len(authors),
            posts=len(rows),
            moods=dict(sorted(moods.items())),
            sober=sober,
        )
