"""The servers Muster is in. Leaving starts the grace period before their data is purged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Guild


@dataclass(frozen=True)
class GuildPresence:
    guild_id: int
    name: str
    joined_at: datetime
    left_at: datetime | None


class GuildService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record_present(self, guild_id: int, name: str) -> GuildPresence:
        """Note that Muster is in this server (idempotent: reconnects call it again)."""
        async with self._sessions.begin() as session:
            guild = await session.get(Guild, guild_id)
            if guild is None:
                guild = Guild(guild_id=guild_id, name=name[:100], joined_at=self._clock.now())
                session.add(guild)
            else:
                guild.name = name[:100]
                guild.left_at = None
            return _presence(guild)

    async def record_left(self, guild_id: int) -> GuildPresence | None:
        async with self._sessions.begin() as session:
            guild = await session.get(Guild, guild_id)
            if guild is None:
                return None
            if guild.left_at is None:
                guild.left_at = self._clock.now()
            return _presence(guild)

    async def get(self, guild_id: int) -> GuildPresence | None:
        async with self._sessions() as session:
            guild = await session.get(Guild, guild_id)
            return None if guild is None else _presence(guild)

    async def list_present(self) -> list[GuildPresence]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Guild).where(Guild.left_at.is_(None)).order_by(Guild.guild_id)
            )
            return [_presence(row) for row in rows]


def _presence(guild: Guild) -> GuildPresence:
    return GuildPresence(guild.guild_id, guild.name, guild.joined_at, guild.left_at)
