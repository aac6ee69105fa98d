"""R8 at the process level: `kill -9` the real bot mid-delivery, restart it, and see every
reminder delivered exactly once, counted in message POSTs per nonce (the sandbox, like
Discord, de-duplicates a nonce only for a few minutes). The lease is the production one
(two minutes): the restarted process takes up the dead one's claim at once."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Occurrence
from bot.keys import Keyring
from bot.scheduling import Scheduler
from tests.conftest import World
from tests.test_cli import clean_env, database_env

pytestmark = pytest.mark.slow
DM_CHANNEL_OPEN = r"^/users/@me/channels$"
MESSAGE_POST = r"^/channels/\d+/messages$"


@asynccontextmanager
async def bot_process(
    tmp_path: Path, world: World, database: dict[str, Any]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot run` against the sandbox, with the default lease."""
    key_file = tmp_path / "muster.keys.json"
    if not key_file.exists():
        Keyring.generate().write(key_file)
    env = clean_env(
        tmp_path,
        **database_env(database),
        DISCORD_TOKEN=world.sandbox.token,
        DISCORD_API_BASE=world.sandbox.api_base,
        DISCORD_GATEWAY_URL=world.sandbox.gateway_url,
        DEV_GUILD_ID=str(world.guild.id),
        MUSTER_KEY_FILE=str(key_file),
    )
    sessions_before = world.sandbox.identify_count
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await world.sandbox.wait_for(
            lambda: world.sandbox.identify_count > sessions_before,
            timeout=30,
            what="the bot to connect",
        )
        await world.sandbox.wait_for(
            lambda: bool(world.sandbox.guild_commands.get(world.guild.id)),
            timeout=30,
            what="command sync",
        )
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def occurrence_states(database: dict[str, Any]) -> list[str]:
    engine = create_engine(load_settings(**database))
    try:
        scheduler = Scheduler(create_session_factory(engine), SystemClock())
        states: list[str] = []
        for reminder_id in range(1, 10):
            states += [state for _, state in await scheduler.states(f"reminder:{reminder_id}")]
        return states
    finally:
        await engine.dispose()


async def recorded_message_ids(database: dict[str, Any]) -> list[int | None]:
    engine = create_engine(load_settings(**database))
    try:
        async with create_session_factory(engine)() as session:
            rows = await session.scalars(
                select(Occurrence.message_id).where(Occurrence.source.startswith("reminder:"))
            )
            return list(rows)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("crash_point", "pattern", "after_handling"),
    [
        ("after claim, before sending", DM_CHANNEL_OPEN, False),
        ("after sending, before settling", MESSAGE_POST, True),
    ],
)
async def test_kill_9_mid_delivery_then_restart_delivers_exactly_once(
    tmp_path: Path,
    world: World,
    database: dict[str, Any],
    crash_point: str,
    pattern: str,
    after_handling: bool,
) -> None:
    sandbox = world.sandbox
    async with bot_process(tmp_path, world, database) as first:
        stall = sandbox.stall_next("POST", pattern, after_handling=after_handling)
        added = await sandbox.slash(
            world.member,
            world.general,
            "remind add",
            what="Court at 9",
            when="in 2 seconds",
            timeout=10,
        )
        assert "Got it" in added.text
        await asyncio.wait_for(stall.arrived.wait(), timeout=20)
        first.kill()  # SIGKILL: no cleanup, no settle
        await first.wait()
    delivered_before_restart = len(sandbox.dms_to(world.member))
    assert delivered_before_restart == (1 if after_handling else 0), crash_point

    async with bot_process(tmp_path, world, database):
        # Far sooner than the two-minute lease: the dead process's claim is taken up at start.
        await sandbox.wait_for(
            lambda: len(sandbox.dms_to(world.member)) >= 1, timeout=30, what="the delivery"
        )

        async def settled() -> bool:
            return await occurrence_states(database) == ["sent"]

        for _ in range(100):
            if await settled():
                break
            await asyncio.sleep(0.1)
        assert await occurrence_states(database) == ["sent"], crash_point
    messages = sandbox.dms_to(world.member)
    assert len(messages) == 1, crash_point
    assert messages[0].embeds[0]["description"] == "Court at 9"
    attempts = [r for r in sandbox.requests if r[0] == "POST" and re.search(pattern, r[1])]
    [nonce] = sandbox.posts_by_nonce
    dm_channel = sandbox.dm_channel(world.member)
    looked = [r for r in sandbox.requests if r == ("GET", f"/channels/{dm_channel.id}/messages")]
    if after_handling:
        # The restarted bot took over a claim that may have been sent: it looked in the DM
        # channel, found the message, and recorded it without a second POST (a nonce is
        # de-duplicated for a few minutes only, and it cannot tell how long it was down).
        assert (len(attempts), sandbox.posts_by_nonce[nonce], len(looked)) == (1, 1, 1)
    else:
        # The restarted bot really did redo the interrupted step: two attempts, one message.
        assert len(attempts) == 2, crash_point
        assert sandbox.posts_by_nonce[nonce] == 1, crash_point
    assert await recorded_message_ids(database) == [messages[0].id], crash_point
