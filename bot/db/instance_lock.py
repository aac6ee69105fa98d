"""One process per database (SQLite) or per shard (PostgreSQL): R13 and R22.

On PostgreSQL a process takes, on one connection and all or nothing, an exclusive advisory
lock for each shard it serves and a shared lock on "all shards"; a process serving every
shard takes "all shards" exclusively. So any overlap of shard sets is refused: two processes
naming a common shard clash on that shard, and an all-shards process clashes with anyone.
Shard numbers only mean the same thing under the same SHARD_COUNT (shard 0 of 1 serves every
guild, shard 1 of 2 half of them), so a process also holds a shared lock that encodes its
shard count, and refuses to start while another process holds one for a different count.
The same connection holds a lock on the process's worker id, so that others can tell a live
worker's deliveries from a dead one's (see `dead_workers`).
"""

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

    def __init__(
        self, settings: Settings, engine: AsyncEngine, *, worker_id: str | None = None
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._worker_id = worker_id
        self._file_lock: FileLock | None = None
        self._pg_connection: AsyncConnection | None = None

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
        connection = await self._engine.connect()
        try:
            refusal = await self._take_locks(connection)
        finally:
            if self._pg_connection is not connection:
                await connection.close()
        if refusal is not None:
            raise AlreadyRunningError(refusal)

    async def _take_locks(self, connection: AsyncConnection) -> str | None:
        """Take every lock this process needs on `connection`, all or none; why not, if not."""
        schema = self._settings.database_schema
        taken: list[tuple[int, bool]] = []
        count_key = shard_count_key(schema, self._settings)
        if count_key is not None:
            await connection.execute(
                text("SELECT pg_advisory_lock_shared(:key)"), {"key": count_key}
            )
            taken.append((count_key, True))
            if await _another_shard_count_held(connection, count_key):
                await _unlock(connection, taken)
                await connection.commit()
                return (
                    f"Another Muster process on this database runs with a SHARD_COUNT other "
                    f"than {self._settings.shard_count}; stop it first, so that no guild is "
                    "served twice."
                )
        for key, shared in shard_locks(schema, self._settings.shard_ids):
            function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
            got = (
                await connection.execute(text(f"SELECT {function}(:key)"), {"key": key})
            ).scalar()
            if not got:
                await _unlock(connection, taken)
                await connection.commit()
                shards = (
                    "all shards"
                    if self._settings.shard_ids is None
                    else f"shards {self._settings.shard_ids}"
                )
                return (
                    f"Another Muster process already serves {shards} (or some of them) on "
                    "this database; give each process its own SHARD_IDS, with no shard in "
                    "two of them."
                )
            taken.append((key, shared))
        if self._worker_id is not None:
            await connection.execute(
                text("SELECT pg_advisory_lock(hashtextextended(:worker, 0))"),
                {"worker": self._worker_id},
            )
        await connection.commit()
        self._pg_connection = connection
        return None

    async def dead_workers(self, workers: Sequence[str]) -> list[str]:
        """Which of these workers' processes are gone. On SQLite this process holds the file
        lock, so every other worker is; on PostgreSQL a live worker holds its advisory lock."""
        others = [worker for worker in workers if worker != self._worker_id]
        if self._pg_connection is None:
            return others if self._file_lock is not None else []
        dead = []
        for worker in others:
            got = (
                await self._pg_connection.execute(
                    text("SELECT pg_try_advisory_lock(hashtextextended(:worker, 0))"),
                    {"worker": worker},
                )
            ).scalar()
            if got:
                dead.append(worker)
                await self._pg_connection.execute(
                    text("SELECT pg_advisory_unlock(hashtextextended(:worker, 0))"),
                    {"worker": worker},
                )
        await self._pg_connection.commit()
        return dead

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

    async def watch(
        self,
        on_lost: Callable[[], Awaitable[None]],
        interval: float,
        *,
        then: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Check the lock every `interval` seconds; call `on_lost` once if it is gone. `then`
        runs after each check that found it held (in turn, never beside the check: both may
        use the lock's connection)."""
        while True:
            await asyncio.sleep(interval)
            try:
                still_ours = await self.verify()
                if still_ours and then is not None:
                    await then()
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
                await connection.execute(text("SELECT pg_advisory_unlock_all()"))
                await connection.commit()
                await connection.close()
            except DBAPIError:
                # The session is already gone, and the lock went with it.
                log.warning("The instance lock's database connection was already closed")
                await connection.invalidate()


async def _unlock(connection: AsyncConnection, taken: Sequence[tuple[int, bool]]) -> None:
    for key, shared in taken:
        function = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
        await connection.execute(text(f"SELECT {function}(:key)"), {"key": key})


def shard_locks(schema: str | None, shard_ids: Sequence[int] | None) -> list[tuple[int, bool]]:
    """(advisory key, shared?) for every lock a process serving `shard_ids` must hold."""
    everything = advisory_key(schema, "all")
    if shard_ids is None:
        return [(everything, False)]
    shards = [(advisory_key(schema, str(shard)), False) for shard in sorted(set(shard_ids))]
    return [(everything, True), *shards]


def shard_count_key(schema: str | None, settings: Settings) -> int | None:
    """The advisory key for serving some shards under this SHARD_COUNT: the count in the low
    32 bits (pg_locks' objid), the schema in the high 32 (its classid)."""
    if settings.shard_ids is None or settings.shard_count is None:
        return None  # serving every shard already clashes with everyone on "all shards"
    unsigned = (_shard_count_group(schema) << 32) | settings.shard_count
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def _shard_count_group(schema: str | None) -> int:
    digest = hashlib.blake2b(f"muster:{schema or 'public'}:shard-count".encode(), digest_size=4)
    return int.from_bytes(digest.digest(), "big")


async def _another_shard_count_held(connection: AsyncConnection, own_key: int) -> bool:
    """Does another session hold a shard-count lock for a different count? Two processes
    starting at once with different counts may both refuse; they never both run."""
    unsigned = own_key & 0xFFFFFFFFFFFFFFFF
    others = (
        await connection.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid::text::bigint = :group AND objid::text::bigint <> :count"
            ),
            {"group": unsigned >> 32, "count": unsigned & 0xFFFFFFFF},
        )
    ).scalar()
    return bool(others)


def advisory_key(schema: str | None, name: str) -> int:
    digest = hashlib.blake2b(f"muster:{schema or 'public'}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
