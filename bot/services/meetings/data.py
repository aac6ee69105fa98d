"""The meetings' share of /mydata (members' RSVPs), retention and server purges."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Meeting, MeetingRsvp, Occurrence
from bot.services.feature_data import Sections, plain, rowcount
from bot.services.guild_settings import DEFAULT_RETENTION_DAYS
from bot.services.meetings.rules import MEETING


class MeetingData:
    """Members' answers to meetings (theirs), and the server's meetings."""

    tables: tuple[str, ...] = ("meeting_rsvps", "meetings")

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        rows = await session.scalars(select(MeetingRsvp).where(MeetingRsvp.user_id == user_id))
        return {"meeting_rsvps": [
            {"meeting_id": row.meeting_id, "starts_at": plain(row.starts_at), "answer": row.answer}
            for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        result = await session.execute(delete(MeetingRsvp).where(MeetingRsvp.user_id == user_id))
        return {"meeting_rsvps": rowcount(result)}

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        """RSVPs to instances that started longer ago than their server's retention period."""
        removed = 0
        for meeting_id, guild_id in (
            await session.execute(select(Meeting.id, Meeting.guild_id))
        ).all():
            keep = timedelta(days=retention_by_guild.get(guild_id, DEFAULT_RETENTION_DAYS))
            result = await session.execute(
                delete(MeetingRsvp).where(
                    MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.starts_at < now - keep
                )
            )
            removed += rowcount(result)
        return {"meeting answers": removed}

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        meeting_ids = list(
            await session.scalars(select(Meeting.id).where(Meeting.guild_id == guild_id))
        )
        for meeting_id in meeting_ids:
            await session.execute(
                delete(Occurrence).where(Occurrence.source.startswith(MEETING.series(meeting_id)))
            )
        await session.execute(delete(MeetingRsvp).where(MeetingRsvp.meeting_id.in_(meeting_ids)))
        result = await session.execute(delete(Meeting).where(Meeting.guild_id == guild_id))
        return {"meetings": rowcount(result)}
