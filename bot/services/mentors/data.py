"""Mentor requests' share of /mydata, retention and server purges (the requests themselves
are service.py's)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MentorRequest, Occurrence
from bot.services.feature_data import Sections, plain, rowcount
from bot.services.mentors.service import KEEP_FOR, source_of


class MentorRequestData:
    """Requests the member made by name, and the ones they took as a mentor."""

    tables: tuple[str, ...] = ("mentor_requests",)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        rows = await session.scalars(
            select(MentorRequest)
            .where(or_(MentorRequest.user_id == user_id, MentorRequest.claimed_by == user_id))
            .order_by(MentorRequest.id)
        )
        return {
            "mentor_requests": [
                {
                    "server_id": str(row.guild_id),
                    "at": plain(row.created_at),
                    "state": row.state,
                    "role": "asked" if row.user_id == user_id else "reached out",
                }
                for row in rows
            ]
        }

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        ids = list(
            await session.scalars(select(MentorRequest.id).where(MentorRequest.user_id == user_id))
        )
        if ids:
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_([source_of(i) for i in ids]))
            )
            await session.execute(delete(MentorRequest).where(MentorRequest.id.in_(ids)))
        await session.execute(
            update(MentorRequest).where(MentorRequest.claimed_by == user_id).values(claimed_by=None)
        )
        return {"mentor_requests": len(ids)}

    async def messages_naming(self, session: AsyncSession, user_id: int) -> list[tuple[int, int]]:
        """The alerts posted for the member's requests by name."""
        rows = await session.execute(
            select(MentorRequest.channel_id, MentorRequest.message_id).where(
                MentorRequest.user_id == user_id, MentorRequest.message_id.is_not(None)
            )
        )
        return [(channel, message) for channel, message in rows if message is not None]

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        """Requests are kept KEEP_FOR after they were made."""
        requests = await session.execute(
            delete(MentorRequest).where(MentorRequest.created_at < now - KEEP_FOR)
        )
        return {"mentor requests": rowcount(requests)}

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        result = await session.execute(
            delete(MentorRequest).where(MentorRequest.guild_id == guild_id)
        )
        return {"mentor_requests": rowcount(result)}
