"""A member's own settings (time zone, whether their DMs are open), read on every reminder and
DM, so kept in a write-through cache."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.cache import WriteThroughCache
from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
from bot.db.models import MemberSettings
from bot.scheduling import Scheduler
from bot.services.reminders.rules import NOTICE_REFRESH


@dataclass(frozen=True)
class _Remembered:
    """The per-member settings read on hot paths (every reminder and DM)."""

    timezone: str | None
    dm_channel_id: int | None


# What a feature does when a member sets their zone, inside that one unit of work: given the
# session, their user id and the new zone, it moves what it booked by the member's old zone
# (a taper step's 09:00, a questionnaire's 10:00...); the moments it booked come back.
ZoneFollower = Callable[[AsyncSession, int, str], Awaitable[Sequence[datetime]]]


class MemberSettingsService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        reads: SessionFactory | None = None,
        scheduler: Scheduler | None = None,
        zone_followers: Sequence[ZoneFollower] = (),
    ) -> None:
        self._sessions = sessions
        self._reads = reads or sessions
        self._clock = clock
        self._scheduler = scheduler
        self._zone_followers = tuple(zone_followers)
        self._remembered: WriteThroughCache[int, _Remembered] = WriteThroughCache()
        # DM channel ids arrive in bursts (a reminder wave to new members): one commit each
        # batch instead of one per DM.
        self._dm_channels: BatchWriter[tuple[int, int], None] = BatchWriter(
            self._save_dm_channels, name="DM channel ids"
        )
        # Who has a closed-DMs notice waiting, so that the check after every command costs no
        # database read. Refreshed from the database at most every NOTICE_REFRESH, so notices
        # marked by another process show up too.
        self._notices: set[int] = set()
        self._notices_loaded_at: float | None = None

    async def timezone(self, user_id: int) -> str | None:
        return (await self._settings(user_id)).timezone

    async def dm_channel(self, user_id: int) -> int | None:
        """The member's DM channel id, if Muster has opened one with them before."""
        return (await self._settings(user_id)).dm_channel_id

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        """Saved with whatever other DM channels opened meanwhile, in one transaction."""
        await self._dm_channels.submit((user_id, channel_id))

    def forget(self, user_id: int) -> None:
        """The member's settings were deleted: drop the copy in memory too."""
        self._remembered.forget_where(lambda cached: cached == user_id)

    async def close(self) -> None:
        await self._dm_channels.close()

    async def set_timezone(self, user_id: int, zone: str) -> None:
        """The member's zone, and with it everything booked by their old one: it moves, in
        the same unit of work, to the same wall-clock time in the new zone."""
        moments: list[datetime] = []
        async with self._sessions.begin() as session:
            row = await self._row(session, user_id)
            row.timezone = zone
            remembered = _Remembered(row.timezone, row.dm_channel_id)
            for follow in self._zone_followers:
                moments.extend(await follow(session, user_id, zone))
        self._remembered.put(user_id, remembered)
        if moments and self._scheduler is not None:
            await self._scheduler.scheduled(min(moments))

    async def _settings(self, user_id: int) -> _Remembered:
        cached = self._remembered.get(user_id)
        if cached is not None:
            return cached
        generation = self._remembered.generation
        async with self._reads() as session:
            found = (
                await session.execute(
                    select(MemberSettings.timezone, MemberSettings.dm_channel_id).where(
                        MemberSettings.user_id == user_id
                    )
                )
            ).first()
        read = _Remembered(None, None) if found is None else _Remembered(found[0], found[1])
        return self._remembered.fill(user_id, read, generation)

    async def _save_dm_channels(self, items: Sequence[tuple[int, int]]) -> list[None]:
        channels = dict(items)  # the same member twice in a batch: one row, the latest id
        # Not the moment: the row would date the DM (a taper step's, a questionnaire's) to
        # its member in a dump. A row the DM first makes carries the day; others keep theirs.
        today = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        async with self._sessions.begin() as session:
            table = MemberSettings.__table__
            upsert = insert_for(session)(table)
            connection = await session.connection()
            saved = await connection.execute(
                upsert.on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={"dm_channel_id": upsert.excluded.dm_channel_id},
                ).returning(table.c.user_id, table.c.timezone, table.c.dm_channel_id),
                [
                    {
                        "user_id": user_id,
                        "dm_channel_id": channel_id,
                        "dm_notice_due": False,
                        "updated_at": today,
                    }
                    for user_id, channel_id in channels.items()
                ],
            )
            rows = saved.all()
        for user_id, zone, channel_id in rows:
            self._remembered.put(int(user_id), _Remembered(zone, channel_id))
        return [None for _ in items]

    async def mark_dms_closed(self, user_id: int) -> None:
        """Discord said 50007: remember it, so nothing retries, and tell them next time (R9)."""
        async with self._sessions.begin() as session:
            row = await self._row(session, user_id, by_the_member=False)
            row.dms_closed_at = self._clock.now()
            row.dm_notice_due = True
        self._notices.add(user_id)

    async def mark_dms_open(self, user_id: int) -> None:
        async with self._reads() as session:  # almost always nothing to clear: read first
            closed = await session.scalar(
                select(MemberSettings.dms_closed_at).where(MemberSettings.user_id == user_id)
            )
            if closed is None:
                return
        async with self._sessions.begin() as session:
            row = await session.get(MemberSettings, user_id)
            if row is not None and row.dms_closed_at is not None:
                row.dms_closed_at = None

    async def take_dm_notice(self, user_id: int) -> bool:
        """True once after their DMs turned out closed; the notice is then cleared."""
        now = time.monotonic()
        if self._notices_loaded_at is None or now - self._notices_loaded_at > NOTICE_REFRESH:
            async with self._sessions() as session:
                self._notices = set(
                    await session.scalars(
                        select(MemberSettings.user_id).where(MemberSettings.dm_notice_due)
                    )
                )
            self._notices_loaded_at = now
        if user_id not in self._notices:
            return False
        self._notices.discard(user_id)
        async with self._sessions.begin() as session:
            row = await session.get(MemberSettings, user_id)
            if row is None or not row.dm_notice_due:
                return False
            row.dm_notice_due = False
            return True

    async def _row(
        self, session: AsyncSession, user_id: int, *, by_the_member: bool = True
    ) -> MemberSettings:
        """The member's row, made if missing. Dated now when the member changed it; what a
        DM's outcome writes (closed, open again) leaves the date, or gives a new row the
        day only: its moment would tie the DM (a taper step's, say) to its member."""
        row = await session.get(MemberSettings, user_id)
        now = self._clock.now()
        if row is None:
            day = now if by_the_member else now.replace(hour=0, minute=0, second=0, microsecond=0)
            row = MemberSettings(user_id=user_id, dm_notice_due=False, updated_at=day)
            session.add(row)
        elif by_the_member:
            row.updated_at = now
        return row
