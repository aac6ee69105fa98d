"""Two bot processes on one PostgreSQL database (R8, R22): 1,000 reminders due at once are
each delivered exactly once, the work is shared, and a process for a served shard set is
refused."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import load_settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Occurrence, Reminder
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.crypto import encrypt
from tests.conftest import World, only_postgres
from tests.test_cli import clean_env, database_env, muster

pytestmark = [pytest.mark.slow, only_postgres]
COUNT = 1000


async def test_two_processes_share_1000_due_reminders_and_send_each_once(
    tmp_path: Path, world: World, database: dict[str, Any]
) -> None:
    sandbox = world.sandbox
    members = [await sandbox.create_member(world.guild, f"m{n}") for n in range(COUNT)]
    key_file = tmp_path / "keys.json"
    keyring = Keyring.generate()
    keyring.write(key_file)
    engine = create_engine(load_settings(**database))
    sessions = create_session_factory(engine)
    due_at = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    async with sessions.begin() as session:
        for n, member in enumerate(members):
            row = Reminder(
                user_id=member.id, guild_id=world.guild.id, kind="other", text_encrypted=b"",
                event_at=due_at, timezone="UTC", lead_minutes=[0], status="active",
                created_at=datetime.now(UTC), interaction_id=n + 1,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            row.text_encrypted = encrypt(keyring, f"reminder {n}", context=f"reminder:{row.id}")
            await Scheduler.add(
                session, source=f"reminder:{row.id}", kind="personal", due_at=due_at,
                payload={"lead": 0},
            )  # fmt: skip

    def env(shard: str) -> dict[str, str]:
        return clean_env(
            tmp_path, **database_env(database), DISCORD_TOKEN=sandbox.token,
            DISCORD_API_BASE=sandbox.api_base, DISCORD_GATEWAY_URL=sandbox.gateway_url,
            MUSTER_KEY_FILE=str(key_file), SHARD_COUNT="2", SHARD_IDS=shard,
        )  # fmt: skip

    logs = {shard: (tmp_path / f"shard-{shard}.log").open("wb") for shard in ("0", "1")}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env(shard),
            stdout=asyncio.subprocess.DEVNULL, stderr=logs[shard],
        )
        for shard in ("0", "1")
    ]  # fmt: skip
    try:
        try:
            await sandbox.wait_until_connected(sessions=2, timeout=60)
        except Exception:
            for shard, log in logs.items():  # what each process said, to see why
                log.flush()
                print(f"--- shard {shard} ---\n" + (tmp_path / f"shard-{shard}.log").read_text())  # noqa: T201
            raise
        refused_code, _, refused_err = await muster(tmp_path, "run", env=env("0"))
        assert refused_code == 2
        assert "Another Muster process already serves shards (0,)" in refused_err
        # "All shards" overlaps both running processes: refused too (R22).
        everything = {key: value for key, value in env("0").items() if key != "SHARD_IDS"}
        refused_code, _, refused_err = await muster(tmp_path, "run", env=everything)
        assert refused_code == 2, refused_err
        assert "Another Muster process already serves all shards" in refused_err

        def delivered() -> int:
            return sum(1 for message in sandbox.messages.values() if message.guild_id is None)

        await sandbox.wait_for(lambda: delivered() >= COUNT, timeout=120, what="1,000 DMs")
        for _ in range(100):  # let the last settles land
            async with sessions() as session:
                sent = await session.scalar(
                    select(func.count())
                    .select_from(Occurrence)
                    .where(Occurrence.state == "sent", Occurrence.source.startswith("reminder:"))
                )
            if sent == COUNT:
                break
            await asyncio.sleep(0.1)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()
        for log in logs.values():
            log.close()

    assert delivered() == COUNT
    # Counted in POSTs per nonce, not visible messages: no delivery was sent twice, even
    # one the nonce would have hidden.
    assert len(sandbox.posts_by_nonce) == COUNT
    assert set(sandbox.posts_by_nonce.values()) == {1}
    recipients = [m.channel_id for m in sandbox.messages.values() if m.guild_id is None]
    assert len(set(recipients)) == COUNT  # one DM to each member, none twice
    async with sessions() as session:
        reminders_only = Occurrence.source.startswith("reminder:")
        states = dict((await session.execute(
            select(Occurrence.state, func.count()).where(reminders_only).group_by(Occurrence.state)
        )).all())  # fmt: skip
        workers = dict((await session.execute(
            select(Occurrence.claimed_by, func.count()).where(reminders_only)
            .group_by(Occurrence.claimed_by)
        )).all())  # fmt: skip
        jobs = await session.scalar(
            select(func.count()).select_from(Occurrence)
            .where(Occurrence.source == "job:retention", Occurrence.state == "pending")
        )  # fmt: skip
    await engine.dispose()
    assert states == {"sent": COUNT}
    assert len(workers) == 2, workers  # both processes did part of the work
    assert all(count > 0 for count in workers.values())
    assert jobs == 1  # both processes ensured the daily job; it exists once
    # Checked here as well as at teardown, to say which test went over.
    over_limit, sandbox.global_429s = sandbox.global_429s, 0
    assert over_limit == 0, f"the processes went over Discord's global limit ({over_limit} 429s)"


async def test_kill_9_of_one_process_mid_send_leaves_the_delivery_to_the_other_once(
    tmp_path: Path, world: World, database: dict[str, Any]
) -> None:
    """R8, R30 across hosts: the process holding a reminder's claim is killed after Discord
    took the message but before it heard back. The other process takes the claim up at its
    next lock check (seconds, not the two-minute lease); a claim taken over may have been
    sent, so it looks in the DM channel first and records the message it finds: one
    message, one POST for that nonce."""
    sandbox = world.sandbox
    key_file = tmp_path / "keys.json"
    keyring = Keyring.generate()
    keyring.write(key_file)
    engine = create_engine(load_settings(**database))
    sessions = create_session_factory(engine)

    def env(shard: str) -> dict[str, str]:
        return clean_env(
            tmp_path, **database_env(database), DISCORD_TOKEN=sandbox.token,
            DISCORD_API_BASE=sandbox.api_base, DISCORD_GATEWAY_URL=sandbox.gateway_url,
            MUSTER_KEY_FILE=str(key_file), SHARD_COUNT="2", SHARD_IDS=shard,
        )  # fmt: skip

    async def start(shard: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env(shard),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

    # Booked before the first process starts, so that its alarm is set for it at once.
    due_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    async with sessions.begin() as session:
        row = Reminder(
            user_id=world.member.id, guild_id=world.guild.id, kind="other", text_encrypted=b"",
            event_at=due_at, timezone="UTC", lead_minutes=[0], status="active",
            created_at=datetime.now(UTC), interaction_id=1,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        row.text_encrypted = encrypt(keyring, "Court at 9", context=f"reminder:{row.id}")
        await Scheduler.add(
            session, source=f"reminder:{row.id}", kind="personal", due_at=due_at,
            payload={"lead": 0},
        )  # fmt: skip
    stall = sandbox.stall_next("POST", r"^/channels/\d+/messages$", after_handling=True)
    first = await start("0")
    second: asyncio.subprocess.Process | None = None
    try:
        await asyncio.wait_for(stall.arrived.wait(), timeout=30)
        second = await start("1")
        await sandbox.wait_until_connected(sessions=2, timeout=60)
        first.kill()  # SIGKILL: the claim is left behind
        await first.wait()
        assert len(sandbox.dms_to(world.member)) == 1  # Discord has the message already

        async def sent() -> bool:
            async with sessions() as session:
                state = await session.scalar(
                    select(Occurrence.state).where(Occurrence.source.startswith("reminder:"))
                )
            return state == "sent"

        for _ in range(450):  # 45 s: well short of the two-minute lease
            if await sent():
                break
            await asyncio.sleep(0.1)
        assert await sent()
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await engine.dispose()
    assert len(sandbox.dms_to(world.member)) == 1
    [nonce] = sandbox.posts_by_nonce
    assert sandbox.posts_by_nonce[nonce] == 1
    dm_channel = sandbox.dm_channel(world.member)
    assert ("GET", f"/channels/{dm_channel.id}/messages") in sandbox.requests
