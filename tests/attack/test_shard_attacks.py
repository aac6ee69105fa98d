"""Red-team attack on R22: two processes whose shard sets overlap, numbered under different
SHARD_COUNTs (what a rolling re-shard from 1 to 2 shards looks like). The promise: two bot
processes never both serve the same shard."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.keys import Keyring
from tests.conftest import World, only_postgres
from tests.test_cli import clean_env, database_env

pytestmark = [pytest.mark.slow, only_postgres]


async def test_a_process_for_an_overlapping_shard_under_another_shard_count_is_refused(
    tmp_path: Path, world: World, database: dict[str, Any]
) -> None:
    sandbox = world.sandbox
    key_file = tmp_path / "keys.json"
    Keyring.generate().write(key_file)
    # A guild on shard 1 of 2; under one shard, shard 0 serves every guild.
    guild = world.guild
    while (guild.id >> 22) % 2 != 1:
        guild = await sandbox.create_guild("Another cohort")
    second_shard = 1

    def env(count: int, shard: int) -> dict[str, str]:
        return clean_env(
            tmp_path, **database_env(database), DISCORD_TOKEN=sandbox.token,
            DISCORD_API_BASE=sandbox.api_base, DISCORD_GATEWAY_URL=sandbox.gateway_url,
            MUSTER_KEY_FILE=str(key_file), SHARD_COUNT=str(count), SHARD_IDS=str(shard),
        )  # fmt: skip

    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env(1, 0),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    second = None
    try:
        await sandbox.wait_until_connected(sessions=1, timeout=60)
        second = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env(2, second_shard),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(second.wait(), timeout=30)
        if second.returncode is not None:
            assert second.stderr is not None
            print("second process said:", (await second.stderr.read()).decode()[-2000:])  # noqa: T201
        serving = sandbox.sessions_serving(guild.id)
        assert second.returncode not in (None, 0), (
            f"a process for shard {second_shard}/2 started beside one for shard 0/1; "
            f"{serving} gateway sessions now receive this guild's events"
        )
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.terminate()
        for process in (first, second):
            if process is not None:
                await process.wait()
