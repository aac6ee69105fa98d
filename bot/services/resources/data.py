"""The resource directory's share of server purges: it holds nothing about a member."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DirectoryVersion, GuildResource, HiddenNationalResource, RecoveryMeeting
from bot.services.feature_data import Sections, rowcount

SERVER_TABLES = (GuildResource, HiddenNationalResource, DirectoryVersion, RecoveryMeeting)


class ResourceData:
    """A server's own resources, its hidden national entries, its directory versions and the
    recovery meetings it imported."""

    tables: tuple[str, ...] = tuple(model.__tablename__ for model in SERVER_TABLES)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        return {}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        return {}

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for model in SERVER_TABLES:
            result = await session.execute(delete(model).where(model.guild_id == guild_id))
            counts[model.__tablename__] = rowcount(result)
        return counts
