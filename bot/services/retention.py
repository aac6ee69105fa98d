"""Keeping only what is needed: the daily retention job and server purges.

The retention job runs on the shared scheduler once a day. Each feature's hook
(bot/services/features.py) expires its own rows and purges what a departed server left; the
job itself deletes settled scheduler deliveries and departed servers. What goes:
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
sobriety counter) stays until they delete it; key rotation (bot/services/key_rotation.py)
rewrites all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Guild, GuildSettings, Occurrence
from bot.keys import Keyring
from bot.scheduling import PENDING, TERMINAL, Delivery, Due, JobKind, Scheduler
from bot.services.feature_data import Expiring, PurgingGuild, rowcount
from bot.services.features import feature_hooks

SETTLED_DELIVERIES_KEPT = timedelta(days=30)
GUILD_GRACE = timedelta(days=30)
RETENTION_JOB = JobKind("job", "job", job="retention")  # "job:retention": the daily run
JOB_SOURCE = RETENTION_JOB.source()
RUN_AT = time(3, 30)  # UTC, a quiet hour


class RetentionService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        keyring: Keyring,
        *,
        forget_guild: Sequence[Callable[[int], None]] = (),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._hooks = feature_hooks(keyring)
        # What services keep in memory about a server, dropped once its rows are gone: a
        # server that adds Muster back starts from the defaults, not the purged settings.
        self._forget_guild = tuple(forget_guild)

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
            retention = await _retention_by_guild(session)
            for hook in self._hooks:
                if isinstance(hook, Expiring):
                    removed.update(await hook.expire(session, now, retention))
            # After the features': what they removed took its own deliveries with it.
            settled = await session.execute(
                delete(Occurrence).where(
                    Occurrence.state.in_(TERMINAL),
                    Occurrence.settled_at < now - SETTLED_DELIVERIES_KEPT,
                )
            )
            removed["old deliveries"] = rowcount(settled)
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
            for hook in self._hooks:
                if isinstance(hook, PurgingGuild):
                    counts.update(await hook.purge_guild(session, guild_id))
            for model in (GuildSettings, Guild):
                result = await session.execute(delete(model).where(model.guild_id == guild_id))
                counts[model.__tablename__] = rowcount(result)
        for forget in self._forget_guild:
            forget(guild_id)
        return counts


async def _retention_by_guild(session: AsyncSession) -> Mapping[int, int]:
    return {
        guild_id: days
        for guild_id, days in (
            await session.execute(select(GuildSettings.guild_id, GuildSettings.retention_days))
        ).all()
        if days is not None
    }
