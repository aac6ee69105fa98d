"""Reads on hot paths never wait behind writes: a read connection on SQLite that takes no
write lock, write-through caches for per-member settings (and their invalidation), and no
session at all for a private check-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.cache import WriteThroughCache
from bot.db.engine import SessionFactory, create_read_engine, create_session_factory
from bot.keys import Keyring
from bot.services import Services, build_services
from bot.services.checkins import CheckinDraft
from bot.services.guild_settings import GuildConfig, GuildSettingsService
from tests.conftest import database_unavailable, only_sqlite

GUILD, USER = 7001, 5_000_000_000_000_001
CONFIG = GuildConfig(GUILD, checkin_channel_id=900)


@pytest.fixture
async def reads(
    engine: AsyncEngine, make_settings: Callable[..., Settings]
) -> AsyncIterator[SessionFactory]:
    read_engine = create_read_engine(engine, make_settings())
    if read_engine is None:  # PostgreSQL: reads share the pool (MVCC never blocks them)
        yield create_session_factory(engine)
        return
    yield create_session_factory(read_engine)
    await read_engine.dispose()


class GuardedReads:
    """The read sessions, which fail the test if anything opens one while `refusing`."""

    def __init__(self, reads: SessionFactory) -> None:
        self.reads = reads
        self.refusing = False

    def __call__(self) -> Any:
        self._check()
        return self.reads()

    def begin(self) -> Any:
        self._check()
        return self.reads.begin()

    def _check(self) -> None:
        if self.refusing:
            raise AssertionError("a session was opened")


@pytest.fixture
def guarded(reads: SessionFactory) -> GuardedReads:
    return GuardedReads(reads)


@pytest.fixture
async def services(
    sessions: SessionFactory, guarded: GuardedReads, clock: FakeClock
) -> AsyncIterator[Services]:
    built = build_services(sessions, Keyring.generate(), clock, reads=guarded)  # type: ignore[arg-type]
    yield built
    await built.checkins.close()
    await built.member_settings.close()


def draft(request_key: int, share: Any = None, user_id: int = USER) -> CheckinDraft:
    return CheckinDraft(
        user_id=user_id, guild_id=GUILD, request_key=request_key, mood=3, sleep="7",
        cravings="none", sober="yes", note=None, share=share,
    )  # fmt: skip


@only_sqlite
async def test_reads_go_on_while_another_connection_holds_the_write_lock(
    services: Services, make_settings: Callable[..., Settings]
) -> None:
    await services.member_settings.set_timezone(USER, "America/Chicago")
    services.member_settings.forget(USER)  # make the next read go to the database
    async with database_unavailable(make_settings()):
        async with asyncio.timeout(2):  # the busy timeout is 5 s: a blocked read fails this
            assert await services.member_settings.timezone(USER) == "America/Chicago"
            assert await services.checkins.last_choice(GUILD, USER) == "private"


async def test_the_last_choice_is_written_through_once_committed(
    services: Services, guarded: GuardedReads
) -> None:
    checkins = services.checkins
    key = (GUILD, USER)  # the choice is per server
    assert await checkins.last_choice(*key) == "private"  # read once from the database
    await checkins.submit(draft(1, "anonymous"), CONFIG)
    assert checkins.choices.get(key) == "anonymous"  # the writer put it after its commit
    guarded.refusing = True
    assert await checkins.last_choice(*key) == "anonymous"  # from memory only
    guarded.refusing = False  # an anonymous check-in still checks blocks and spacing
    result = await checkins.submit(draft(2), CONFIG)  # share left out: as last time
    assert result.requested == "anonymous"


async def test_a_deleted_member_leaves_nothing_in_the_caches(services: Services) -> None:
    checkins = services.checkins
    key = (GUILD, USER)  # the choice is per server
    await checkins.submit(draft(1, "named"), CONFIG)
    await services.member_settings.set_timezone(USER, "Europe/Berlin")
    assert checkins.choices.get(key) == "named"
    await services.privacy.delete(USER)
    assert key not in checkins.choices
    assert await checkins.last_choice(*key) == "private"
    assert await services.member_settings.timezone(USER) is None
    result = await checkins.submit(draft(2), CONFIG)
    assert result.requested == "private"


async def test_a_private_checkin_opens_no_session_before_the_write(
    services: Services, guarded: GuardedReads
) -> None:
    guarded.refusing = True
    result = await services.checkins.submit(draft(1, "private"), CONFIG)
    assert result.share == "private"
    assert not result.held
    assert result.checkin_id is not None


def test_a_slow_read_never_overwrites_a_newer_write() -> None:
    cache: WriteThroughCache[str, str] = WriteThroughCache(capacity=2)
    began = cache.generation
    cache.put("a", "new")  # committed while the read was in flight
    assert cache.fill("a", "old", began) == "new"
    assert cache.get("a") == "new"
    began = cache.generation
    cache.forget_where(lambda key: key == "a")  # deleted while a read was in flight
    assert cache.fill("a", "old", began) == "old"  # the caller gets what it read...
    assert "a" not in cache  # ...but it is not remembered
    cache.fill("a", "x", cache.generation)
    cache.put("b", "y")
    cache.put("c", "z")  # over capacity: the least recently used goes
    assert "a" not in cache
    assert len(cache) == 2


class GatedReads:
    """Read sessions that count themselves and, once shut, hold each read at its end."""

    def __init__(self, inner: SessionFactory) -> None:
        self.inner = inner
        self.opened = 0
        self.gate = asyncio.Event()
        self.gate.set()

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Any]:
        self.opened += 1
        async with self.inner() as session:
            yield session
            await self.gate.wait()


async def test_server_settings_are_read_once_however_many_ask_at_once(
    sessions: SessionFactory, reads: SessionFactory, clock: FakeClock
) -> None:
    gated = GatedReads(reads)
    settings = GuildSettingsService(sessions, clock, reads=gated)  # type: ignore[arg-type]
    configs = await asyncio.gather(*(settings.get(GUILD) for _ in range(20)))
    assert gated.opened == 1
    assert {config.checkin_channel_id for config in configs} == {None}
    await clock.advance(timedelta(seconds=5))  # the copy has expired: read again, once
    await asyncio.gather(*(settings.get(GUILD) for _ in range(20)))
    assert gated.opened == 2


async def test_a_read_that_began_before_a_change_does_not_undo_it(
    sessions: SessionFactory, reads: SessionFactory, clock: FakeClock
) -> None:
    gated = GatedReads(reads)
    settings = GuildSettingsService(sessions, clock, reads=gated)  # type: ignore[arg-type]
    gated.gate.clear()
    slow = asyncio.ensure_future(settings.get(GUILD))  # reads "no channel", then waits
    await asyncio.sleep(0.05)
    await settings.set_channel(GUILD, 99, "checkin_channel_id", 555)
    gated.gate.set()
    assert (await slow).checkin_channel_id is None  # what it read, for its own caller
    assert (await settings.get(GUILD)).checkin_channel_id == 555  # not cached over the change
