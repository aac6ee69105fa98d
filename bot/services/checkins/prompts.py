"""Daily check-in prompts: a member opts in to a gentle DM each day at a time of their
choosing, in their own zone (R12 policy: the wall clock decides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import CheckinPrompt, Occurrence
from bot.scheduling import LATE, Delivery, Due, Scheduler
from bot.services.checkins.kinds import PROMPT
from bot.services.checkins.rules import next_local
from bot.services.dates import parse_clock_time
from bot.services.recurrence import to_utc

PROMPT_LATE_LIMIT = timedelta(hours=3)


@dataclass(frozen=True)
class Prompt:
    user_id: int
    guild_id: int
    local_time: str
    timezone: str
    next_at: datetime


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
