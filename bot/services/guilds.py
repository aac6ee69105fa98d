"""The servers Muster is in. Leaving starts the grace period before their data is purged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.clock import Clock
from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
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
        # At start-up every server arrives at once (GUILD_CREATE each): one upsert per batch
        # instead of a transaction, and a waiting task with its session, per server.
        self._present: BatchWriter[tuple[int, str], GuildPresence] = BatchWriter(
            self._write_present, name="servers"
        )

    async def record_present(self, guild_id: int, name: str) -> GuildPresence:
        """Note that Muster is in this server (idempotent: reconnects call it again)."""
        return await self._present.submit((guild_id, name[:100]))

    async def close(self) -> None:
        await self._present.close()

    async def _write_present(self, items: Sequence[tuple[int, str]]) -> list[GuildPresence]:
        names = dict(items)  # the same server twice in a batch: its latest name
        now = self._clock.now()
        async with self._sessions.begin() as session:
            table = Guild.__table__
            upsert = insert_for(session)(table)
            connection = await session.connection()
            saved = await connection.execute(
                upsert.on_conflict_do_update(
                    index_elements=["guild_id"],
                    set_={"name": upsert.excluded.name, "left_at": None},
                ).returning(table.c.guild_id, table.c.name, table.c.joined_at, table.c.left_at),
                [
                    {"guild_id": guild_id, "name": name, "joined_at": now, "left_at": None}
                    for guild_id, name in names.items()
                ],
            )
            found = {
                int(row[0]): GuildPresence(int(row[0]), row[1], row[2], row[3]) for row in saved
            }
        return [found[guild_id] for guild_id, _ in items]

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
