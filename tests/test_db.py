"""The database layer against a real engine: UTC type, SQLite pragmas, instance locks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import SessionFactory, checkpoint_log, create_engine, create_session_factory
from bot.db.instance_lock import InstanceLock, advisory_key
from bot.db.models import Guild
from bot.errors import AlreadyRunningError
from bot.runtime import take_up_orphans
from bot.scheduling import Scheduler
from bot.services.guilds import GuildService
from tests.conftest import START, eventually, only_postgres, only_sqlite


async def test_a_tests_database_is_a_whole_copy_of_the_migrated_schema(engine: AsyncEngine) -> None:
    """Tests start from a copy of a schema migrated once per session (see conftest): it must
    be the head revision, and match the models as the migrated one does."""
    assert await migrate.current_revision(engine) == migrate.SCHEMA_HEAD
    await migrate.check(engine)  # raises on any table, column, index or key the copy lost


async def test_aware_datetimes_round_trip_as_utc(sessions: SessionFactory) -> None:
    eastern = timezone(timedelta(hours=-5))
    joined = datetime(2026, 3, 8, 1, 30, tzinfo=eastern)
    async with sessions.begin() as session:
        session.add(Guild(guild_id=1, name="g", joined_at=joined))
    async with sessions() as session:
        stored = await session.get(Guild, 1)
    assert stored is not None
    assert stored.joined_at == joined
    assert stored.joined_at.tzinfo == UTC
    assert stored.joined_at.hour == 6


async def test_naive_datetimes_are_refused(sessions: SessionFactory) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessions.begin() as session:
            session.add(Guild(guild_id=2, name="g", joined_at=datetime(2026, 1, 1)))  # noqa: DTZ001


@only_sqlite
async def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


@only_sqlite
async def test_a_deleted_row_leaves_no_bytes_in_the_sqlite_files(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    """secure_delete: a removed row's values are overwritten in the database file, whatever
    the SQLite build's default, so a copy of the files does not keep them."""
    marker = "gone-row-" + "x" * 40
    async with sessions.begin() as session:
        session.add(Guild(guild_id=77, name=marker, joined_at=datetime(2026, 1, 1, tzinfo=UTC)))
    async with sessions.begin() as session:
        await session.execute(delete(Guild).where(Guild.guild_id == 77))
    await checkpoint_log(sessions)  # the log's copies of the row go with the checkpoint
    database = engine.url.database
    assert database is not None
    files = [Path(database), Path(database + "-wal")]
    assert not any(marker.encode() in f.read_bytes() for f in files if f.exists())


@only_sqlite
async def test_sqlite_write_transactions_begin_immediately(
    engine: AsyncEngine, make_settings: Callable[..., Settings]
) -> None:
    # A second engine on the same file cannot even begin while the first holds a transaction:
    # the lock is taken at BEGIN, not at the first write.
    other = create_engine(make_settings(sqlite_busy_timeout_ms=100))
    try:
        async with engine.begin() as holder:
            await holder.execute(text("SELECT 1"))
            with pytest.raises(Exception, match="database is locked"):
                async with other.begin() as contender:
                    await contender.execute(text("SELECT 1"))
    finally:
        await other.dispose()


async def test_guild_presence_is_idempotent_and_records_leaving(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    guilds = GuildService(sessions, clock)
    first = await guilds.record_present(10, "Cohort")
    await clock.advance(timedelta(hours=1))
    again = await guilds.record_present(10, "Cohort renamed")
    assert again.joined_at == first.joined_at
    assert again.name == "Cohort renamed"
    left = await guilds.record_left(10)
    assert left is not None
    assert left.left_at == clock.now()
    assert await guilds.list_present() == []
    assert await guilds.record_left(999) is None
    rejoined = await guilds.record_present(10, "Cohort")
    assert rejoined.left_at is None


async def test_instance_lock_refuses_a_second_holder(
    engine: AsyncEngine, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    first = InstanceLock(settings, engine)
    await first.acquire()
    second_engine = create_engine(settings)
    second = InstanceLock(settings, second_engine)
    try:
        with pytest.raises(AlreadyRunningError, match="Another Muster process"):
            await second.acquire()
        await first.release()
        await second.acquire()
        await second.release()
    finally:
        await first.release()
        await second_engine.dispose()


@only_postgres
async def test_postgres_lock_is_per_shard_set(
    engine: AsyncEngine, make_settings: Callable[..., Settings]
) -> None:
    shard_zero = InstanceLock(make_settings(shard_count=2, shard_ids="0"), engine)
    shard_one = InstanceLock(make_settings(shard_count=2, shard_ids="1"), engine)
    await shard_zero.acquire()
    try:
        await shard_one.acquire()
        await shard_one.release()
    finally:
        await shard_zero.release()


@only_postgres
@pytest.mark.parametrize(
    ("first", "second"),
    [(None, "0"), ("0", None), ("0,1", "1,2"), ("2", "0,1,2"), (None, None), ("1", "1")],
)
async def test_postgres_refuses_any_overlap_of_shard_sets(
    engine: AsyncEngine,
    make_settings: Callable[..., Settings],
    first: str | None,
    second: str | None,
) -> None:
    """R22: "all shards" overlaps every set; two sets that share one shard overlap. A refused
    process keeps none of the locks it took on the way (the holder's shards stay free)."""

    def settings(shards: str | None) -> Settings:
        return make_settings(shard_count=3, shard_ids=shards) if shards else make_settings()

    holder = InstanceLock(settings(first), engine)
    refused = InstanceLock(settings(second), engine)
    await holder.acquire()
    try:
        with pytest.raises(AlreadyRunningError, match="Another Muster process"):
            await refused.acquire()
    finally:
        await holder.release()
    await refused.acquire()  # free once the holder is gone
    await refused.release()


@only_postgres
async def test_a_refused_process_leaves_no_lock_behind(
    engine: AsyncEngine, make_settings: Callable[..., Settings]
) -> None:
    holder = InstanceLock(make_settings(shard_count=3, shard_ids="2"), engine)
    await holder.acquire()
    try:
        with pytest.raises(AlreadyRunningError):
            await InstanceLock(make_settings(shard_count=3, shard_ids="0,1,2"), engine).acquire()
        # Shards 0 and 1 were taken, then let go, by the refused process. (Another engine:
        # a pooled connection could hold them and would be let in again by PostgreSQL.)
        settings = make_settings(shard_count=3, shard_ids="0,1")
        other_engine = create_engine(settings)
        other = InstanceLock(settings, other_engine)
        try:
            await other.acquire()
            await other.release()
        finally:
            await other_engine.dispose()
    finally:
        await holder.release()


@only_postgres
async def test_postgres_sessions_have_a_statement_timeout(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "15s"


async def test_concurrent_service_calls_do_not_share_a_session(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    guilds = GuildService(sessions, clock)
    await asyncio.gather(*(guilds.record_present(100 + n, f"g{n}") for n in range(20)))
    assert len(await guilds.list_present()) == 20


async def test_servers_arriving_together_are_recorded_in_one_transaction(
    engine: AsyncEngine, sessions: SessionFactory, clock: FakeClock
) -> None:
    guilds = GuildService(sessions, clock)
    await guilds.record_present(1, "Already here")
    await clock.advance(timedelta(hours=1))
    await guilds.record_left(1)
    transactions: list[object] = []
    count = transactions.append  # one object, for event.remove to find
    event.listen(engine.sync_engine, "begin", count)
    try:
        present = await asyncio.gather(
            *(guilds.record_present(n, f"Server {n}") for n in range(1, 301)), guilds.close()
        )
    finally:
        event.remove(engine.sync_engine, "begin", count)
    assert len(transactions) == 1  # the 300 at once
    assert [p.guild_id for p in present[:300]] == list(range(1, 301))
    assert present[0].left_at is None  # back, and joined when it first came
    assert present[0].joined_at == START
    assert present[1].joined_at == clock.now()
    assert len(await guilds.list_present()) == 300


@only_postgres
async def test_a_lost_shard_lock_is_taken_again_or_the_process_stops(
    make_settings: Callable[..., Settings],
) -> None:
    """R22: the advisory lock dies with its connection; the holder notices and re-takes it,
    or, if another process got it first, stops."""
    settings = make_settings(shard_count=2, shard_ids="0")
    engine, admin = create_engine(settings), create_engine(settings)
    key = advisory_key(settings.database_schema, "0")

    held = {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF}
    holders = (
        "FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :high AND objid = :low"
    )

    async def kill_the_lock_holder() -> None:
        async with admin.begin() as connection:
            killed = await connection.scalar(
                text(f"SELECT count(pg_terminate_backend(pid)) {holders}"), held
            )
        assert killed == 1

        # pg_terminate_backend only asks: the locks go when the backend has exited.
        async def gone() -> bool:
            async with admin.begin() as connection:
                return await connection.scalar(text(f"SELECT count(*) {holders}"), held) == 0

        await eventually(gone, what="the terminated backend to let go of its locks")

    lock, rival = InstanceLock(settings, engine), InstanceLock(settings, engine)
    await lock.acquire()
    await kill_the_lock_holder()
    assert await lock.verify()  # taken again on a fresh connection
    with pytest.raises(AlreadyRunningError):
        await rival.acquire()

    await kill_the_lock_holder()
    await rival.acquire()  # another process got there first
    stopped = asyncio.Event()

    async def stop() -> None:
        stopped.set()

    watcher = asyncio.create_task(lock.watch(stop, interval=0.05))
    await asyncio.wait_for(stopped.wait(), timeout=5)
    await watcher
    await rival.release()
    await lock.release()
    await engine.dispose()
    await admin.dispose()


async def test_a_failed_statement_never_shows_its_values(engine: AsyncEngine) -> None:
    """What a member wrote must not reach the logs by way of an error (R24)."""
    async with engine.connect() as connection:
        with pytest.raises(DBAPIError) as caught:
            await connection.execute(  # joined_at may not be empty
                text("INSERT INTO guilds (guild_id, name, joined_at) VALUES (1, :name, NULL)"),
                {"name": "my private note"},
            )
    assert "my private note" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


async def test_only_a_dead_workers_claims_count_as_orphaned(
    engine: AsyncEngine, make_settings: Callable[..., Settings]
) -> None:
    """A restarted process takes up claims at once only from workers whose process is gone:
    on PostgreSQL a live worker holds an advisory lock on its id; on SQLite the file lock
    means no other worker lives."""
    if make_settings().is_sqlite:
        me = InstanceLock(make_settings(), engine, worker_id="me")
        await me.acquire()
        try:
            assert await me.dead_workers(["gone", "me"]) == ["gone"]
        finally:
            await me.release()
        return
    alive = InstanceLock(make_settings(shard_count=2, shard_ids="0"), engine, worker_id="alive")
    me = InstanceLock(make_settings(shard_count=2, shard_ids="1"), engine, worker_id="me")
    await alive.acquire()
    await me.acquire()
    try:
        assert await me.dead_workers(["alive", "gone", "me"]) == ["gone"]
        await alive.release()
        assert await me.dead_workers(["alive"]) == ["alive"]
    finally:
        await me.release()


@only_postgres
async def test_a_peer_that_dies_leaves_its_claims_to_the_survivor_at_once(
    engine: AsyncEngine, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    """Two processes; one dies holding a claim. The survivor's next lock check takes it up,
    instead of waiting out the two-minute lease (past Discord's nonce window, a re-send
    could make a second message)."""
    sessions = create_session_factory(engine)
    dying = InstanceLock(make_settings(shard_count=2, shard_ids="0"), engine, worker_id="a")
    survivor = InstanceLock(make_settings(shard_count=2, shard_ids="1"), engine, worker_id="b")
    first = Scheduler(sessions, clock, worker_id="a")
    second = Scheduler(sessions, clock, worker_id="b")
    await dying.acquire()
    await survivor.acquire()
    try:
        async with sessions.begin() as session:
            await Scheduler.add(session, source="r", kind="k", due_at=clock.now(), payload={})
        [claimed] = await first.claim()
        assert await take_up_orphans(second, survivor) == 0  # "a" is alive: hands off
        assert await second.claim() == []
        await dying.release()  # the process is gone, and its advisory locks with it
        assert await take_up_orphans(second, survivor) == 1
        [again] = await second.claim()  # now, not after the lease
        assert again.id == claimed.id
    finally:
        await survivor.release()
