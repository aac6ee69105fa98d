"""Shared fixtures. Every test gets its own database: a SQLite file, or a fresh PostgreSQL
schema when TEST_DATABASE_URL is set (CI runs the suite once on each). It starts at the newest
schema, copied from one migrated once per session; a test marked `empty_database` gets it
empty and runs the migrations itself."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from discord.ext import commands
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import BACKGROUND_TASK
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.db import migrate
from bot.db.base import Base
from bot.db.engine import SessionFactory, create_engine, create_session_factory, sqlite_path
from bot.db.models import Occurrence
from bot.keys import Keyring
from bot.runtime import Runtime, open_runtime
from bot.sandbox import Channel, Guild, Member, Role, Sandbox
from bot.scheduling import CLAIMED, PENDING
from bot.scheduling.alarm import ClockAlarm

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)
START = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)

only_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="SQLite-specific behaviour")
only_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 5.0, what: str = "a condition"
) -> None:
    """Poll an async condition (e.g. a database row written by an event handler)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def deliveries_settled(running: Runtime, clock: FakeClock) -> None:
    """Wait until every delivery due by the test's clock has run: none claimed, none pending
    and due. What a test then sees is all the bot will do until the clock moves again."""

    async def quiet() -> bool:
        async with running.sessions() as session:
            busy = await session.scalar(
                select(func.count())
                .select_from(Occurrence)
                .where(
                    (Occurrence.state == CLAIMED)
                    | ((Occurrence.state == PENDING) & (Occurrence.available_at <= clock.now()))
                )
            )
        return not busy

    # A first chart or PDF starts the drawing process, seconds on a loaded machine.
    await eventually(quiet, timeout=20, what="the deliveries due now")


# discord.py names the tasks that run a command, a button or a form ("CommandTree-invoker",
# "discord-ui-..."), and an event handler ("discord.py: on_message"); the bot names its own.
HANDLER_TASKS = ("CommandTree-invoker", "discord-ui-", "discord.py: on_", BACKGROUND_TASK)


async def handlers_finished() -> None:
    """Wait until every command, button, form and event the bot has been handed has been
    handled to the end, and the work it spawned is done. A member is answered before a
    handler ends (an alert may follow the answer): only then may a test assert that nothing
    more was sent."""
    me = asyncio.current_task()

    async def idle() -> bool:
        return not any(
            task is not me and not task.done() and task.get_name().startswith(HANDLER_TASKS)
            for task in asyncio.all_tasks()
        )

    await eventually(idle, what="the bot's handlers to finish")


async def gateway_caught_up(world: World) -> None:
    """Wait until the bot has handled every gateway event the sandbox has sent it (a DM, an
    edit), with no answer to wait for. The sandbox sends events down one connection in
    order, and a command goes down it too: once the member's command is answered, the bot
    has read all that came before it; then its handlers are waited for."""
    await world.sandbox.slash(world.moderator, world.general, "about")
    await handlers_finished()


@dataclass(frozen=True)
class SqliteTemplate:
    """A SQLite file migrated to head, copied to make a database just like it."""

    path: Path


@dataclass(frozen=True)
class PostgresTemplate:
    """pg_dump's script of a schema migrated to head, replayed to make a copy of it."""

    name: str
    script: str

    def copy_as(self, schema: str) -> str:
        return self.script.replace(self.name, schema)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def _postgres_template() -> PostgresTemplate:
    assert TEST_DATABASE_URL
    # Named at random: developers running the suite on one server at once never share one.
    name = f"muster_template_{secrets.token_hex(6)}"
    url = make_url(TEST_DATABASE_URL)
    asyncio.run(_on_postgres(f"CREATE SCHEMA {name}"))
    try:
        asyncio.run(_migrate(load_settings(database_url=TEST_DATABASE_URL, database_schema=name)))
        dump = subprocess.run(
            ["pg_dump", "--schema", name, "--no-owner", "--no-privileges", "--inserts"],
            env={
                **os.environ,
                "PGHOST": url.host or "",
                "PGPORT": str(url.port or 5432),
                "PGUSER": url.username or "",
                "PGPASSWORD": url.password or "",
                "PGDATABASE": url.database or "",
            },
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        asyncio.run(_on_postgres(f"DROP SCHEMA {name} CASCADE"))
    # Lines starting with a backslash (\\restrict) are for psql, not the server.
    script = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    return PostgresTemplate(name, script)


async def _on_postgres(script: str) -> None:
    """Run SQL statements on TEST_DATABASE_URL outside any test's schema."""
    assert TEST_DATABASE_URL
    plain = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    admin = await asyncpg.connect(plain.render_as_string(hide_password=False))
    try:
        await admin.execute(script)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate | PostgresTemplate:
    """The schema at head, migrated once per session: a SQLite file to copy, or a script that
    makes a PostgreSQL schema just like it."""
    if TEST_DATABASE_URL:
        return _postgres_template()
    path = tmp_path_factory.mktemp("template") / "muster.db"
    asyncio.run(_migrate(load_settings(database_url=f"sqlite+aiosqlite:///{path}")))
    # Closing the last connection checkpointed the log into the file: the file is all of it.
    assert not path.with_name(f"{path.name}-wal").exists()
    return SqliteTemplate(path)


@pytest.fixture
async def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    schema_template: SqliteTemplate | PostgresTemplate,
) -> AsyncIterator[dict[str, Any]]:
    """Settings overrides naming a database of this test's own."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if isinstance(schema_template, SqliteTemplate):
        path = tmp_path / "muster.db"
        if not empty:
            shutil.copyfile(schema_template.path, path)
        yield {"database_url": f"sqlite+aiosqlite:///{path}"}
        return
    schema = f"t_{secrets.token_hex(6)}"
    await _on_postgres(f"CREATE SCHEMA {schema}" if empty else schema_template.copy_as(schema))
    try:
        yield {"database_url": TEST_DATABASE_URL, "database_schema": schema}
    finally:
        await _drop_schema(schema)


async def _drop_schema(schema: str) -> None:
    """Drop a test's schema. A bot connection of the test that is still writing can deadlock
    with the drop; PostgreSQL then aborts one of the two, so the drop is tried again."""
    for attempt in range(5):
        try:
            await _on_postgres(f"DROP SCHEMA {schema} CASCADE")
            return
        except asyncpg.exceptions.DeadlockDetectedError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture
def make_settings(database: dict[str, Any], tmp_path: Path) -> Callable[..., Settings]:
    # Each test its own spool for held check-ins, on PostgreSQL too.
    own = {"held_checkins_dir": tmp_path / "held-checkins"}

    def make(**overrides: Any) -> Settings:
        return load_settings(**{**own, **database, **overrides})

    return make


@pytest.fixture
async def engine(make_settings: Callable[..., Settings]) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(make_settings())
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sandbox = Sandbox()
    await sandbox.start()
    yield sandbox
    await sandbox.stop()
    # A test that provokes a violation on purpose clears the list after checking it.
    assert sandbox.violations == [], (
        f"the bot sent requests Discord would refuse: {sandbox.violations}"
    )
    assert sandbox.global_429s == 0, "the bot went over Discord's global rate limit"


@dataclass
class World:
    sandbox: Sandbox
    guild: Guild
    general: Channel
    moderator_role: Role
    member: Member
    other_member: Member
    moderator: Member


@pytest.fixture
async def world(sandbox: Sandbox) -> World:
    guild = await sandbox.create_guild("Test cohort")
    general = await sandbox.create_channel(guild, "general")
    moderator_role = await sandbox.create_role(guild, "Moderator", permissions=1 << 5)
    member = await sandbox.create_member(guild, "Sam")
    other = await sandbox.create_member(guild, "Riley")
    moderator = await sandbox.create_member(guild, "Dana", roles=[moderator_role])
    return World(sandbox, guild, general, moderator_role, member, other, moderator)


@pytest.fixture
def bot_settings(world: World, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        discord_token=world.sandbox.token,
        dev_guild_id=world.guild.id,
        discord_api_base=world.sandbox.api_base,
        discord_gateway_url=world.sandbox.gateway_url,
    )


@pytest.fixture
def extra_cogs() -> list[Callable[[Any], commands.Cog]]:
    """Test-only cogs to load beside Muster's own; a test module overrides this."""
    return []


@asynccontextmanager
async def start_bot(
    settings: Settings,
    clock: FakeClock,
    extra_cogs: Sequence[Callable[[Any], commands.Cog]] = (),
    keyring: Keyring | None = None,
) -> AsyncIterator[Runtime]:
    """Start the real bot against the sandbox; stop it on exit. Tests may start it twice."""
    async with open_runtime(
        settings,
        keyring or Keyring.generate(),
        clock=clock,
        alarm=ClockAlarm(clock),
        guild_ready_timeout=0.05,
    ) as runtime:
        for make_cog in extra_cogs:
            await runtime.bot.add_cog(make_cog(runtime.bot))
        task = asyncio.create_task(runtime.bot.start(settings.require_token()))
        await asyncio.wait_for(runtime.bot.wait_until_ready(), timeout=15)
        try:
            yield runtime
        finally:
            await runtime.bot.close()
            await task


@pytest.fixture
async def running(
    bot_settings: Settings, clock: FakeClock, extra_cogs: list[Callable[[Any], commands.Cog]]
) -> AsyncIterator[Runtime]:
    """The real bot, connected to the sandbox and ready."""
    async with start_bot(bot_settings, clock, extra_cogs) as runtime:
        yield runtime


@asynccontextmanager
async def database_unavailable(settings: Settings) -> AsyncIterator[None]:
    """Hold the database's write lock from outside, so that every query Muster makes waits."""
    if settings.is_sqlite:
        path = sqlite_path(settings.database_url)
        assert path is not None
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        # Wait for the lock off the event loop, so a transaction the bot has in flight can end.
        await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(settings)
    async with engine.connect() as connection:
        tables = ", ".join(Base.metadata.tables)
        await connection.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await connection.rollback()
    await engine.dispose()
