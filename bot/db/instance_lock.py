"""One process per database (SQLite) or per shard set (PostgreSQL): R13 and R22."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Settings
from bot.db.engine import sqlite_path
from bot.errors import AlreadyRunningError

log = logging.getLogger(__name__)


class InstanceLock:
    """Held for the life of the process; released on close or when the process dies."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self._settings = settings
        self._engine = engine
        self._file_lock: FileLock | None = None
        self._pg_connection: AsyncConnection | None = None
        self._pg_key = 0

    async def acquire(self) -> None:
        path = sqlite_path(self._settings.database_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(f"{path}.lock", timeout=0)
            try:
                lock.acquire()
            except Timeout:
                raise AlreadyRunningError(
                    f"Another Muster process is already using {path}; stop it first "
                    "(SQLite serves one process at a time; use PostgreSQL to run several)."
                ) from None
            self._file_lock = lock
            return
        key = advisory_key(self._settings.database_schema, self._settings.shard_ids)
        connection = await self._engine.connect()
        got = (
            await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        ).scalar()
        await connection.commit()
        if not got:
            await connection.close()
            shards = (
                "all shards"
                if self._settings.shard_ids is None
                else f"shards {self._settings.shard_ids}"
            )
            raise AlreadyRunningError(
                f"Another Muster process already serves {shards} on this database; "
                "give each process its own SHARD_IDS."
            )
        self._pg_connection = connection
        self._pg_key = key

    async def verify(self) -> bool:
        """Do we still hold the shard lock? The lock lives as long as its connection; if the
        connection died (a restarted server, a terminated backend), take the lock again,
        unless another process got there first (R22)."""
        if self._pg_connection is None:
            return True
        try:
            await self._pg_connection.execute(text("SELECT 1"))
            await self._pg_connection.commit()
            return True
        except DBAPIError:
            log.warning("The shard lock's database connection died; taking the lock again")
            with contextlib.suppress(DBAPIError):
                await self._pg_connection.invalidate()
            self._pg_connection = None
        try:
            await self.acquire()
        except AlreadyRunningError:
            return False
        return True

    async def watch(self, on_lost: Callable[[], Awaitable[None]], interval: float) -> None:
        """Check the lock every `interval` seconds; call `on_lost` once if it is gone."""
        while True:
            await asyncio.sleep(interval)
            try:
                still_ours = await self.verify()
            except (DBAPIError, OSError):
                continue  # the database is unreachable: nobody else can take the lock either
            if not still_ours:
                log.error(
                    "Another process took this process's shard lock; stopping, so that two "
                    "processes never serve the same shards"
                )
                await on_lost()
                return

    async def release(self) -> None:
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None
        if self._pg_connection is not None:
            connection, self._pg_connection = self._pg_connection, None
            try:
                # A pooled connection outlives close(), so unlock explicitly.
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._pg_key}
                )
                await connection.commit()
                await connection.close()
            except DBAPIError:
                # The session is already gone, and the lock went with it.
                log.warning("The instance lock's database connection was already closed")
                await connection.invalidate()


def advisory_key(schema: str | None, shard_ids: Sequence[int] | None) -> int:
    shards = "all" if shard_ids is None else ",".join(str(s) for s in sorted(shard_ids))
    digest = hashlib.blake2b(
        f"muster:{schema or 'public'}:{shards}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)
