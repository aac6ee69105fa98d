"""Outgoing requests stay under Discord's global limit (50/s): Muster's own limiter keeps the
whole bot at RATE_LIMIT_PER_SECOND, and the sandbox answers 429 to anything over 50."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot.clock import FakeClock
from bot.config import load_settings
from bot.ratelimit import OutgoingLimiter, process_share
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_delivery_faults import DM_POST

FAN_OUT = 90


def busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    start = best = 0
    for end, moment in enumerate(stamps):
        while moment - stamps[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_the_limiter_spaces_requests_evenly() -> None:
    limiter = OutgoingLimiter(45)
    stamps = []
    started = time.perf_counter()
    for _ in range(90):
        await limiter.acquire()
        stamps.append(time.perf_counter())
    assert busiest_second(stamps) <= 46
    assert time.perf_counter() - started >= 1.9  # 90 requests at 45/s take two seconds
    assert limiter.waits > 80


def test_processes_split_the_budget_by_their_shards() -> None:
    assert process_share(load_settings()) == 40
    split = load_settings(shard_count=4, shard_ids="0,1,2", rate_limit_per_second=40)
    assert process_share(split) == 30


async def _fan_out(running: Runtime, world: World, clock: FakeClock) -> list[float]:
    """FAN_OUT members' reminders come due at once: when the sandbox saw each token request
    of their sending, once every DM is in."""
    sandbox = world.sandbox
    members = [await sandbox.create_member(world.guild, f"m{n}") for n in range(FAN_OUT)]
    for n, member in enumerate(members):
        await running.services.reminders.create(
            user_id=member.id, guild_id=world.guild.id, kind="other", text=f"Reminder {n}",
            event_at=clock.now() + timedelta(minutes=5), zone="UTC", interaction_id=n + 1,
        )  # fmt: skip
    before = len(sandbox.token_request_times)
    await clock.advance(timedelta(minutes=5))
    await sandbox.wait_for(
        lambda: sum(1 for m in sandbox.messages.values() if m.guild_id is None) >= FAN_OUT,
        timeout=30,
        what="every DM",
    )
    await asyncio.sleep(0.1)
    return sandbox.token_request_times[before:]


async def test_a_fan_out_of_dm_reminders_never_trips_the_global_limit(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    stamps = await _fan_out(running, world, clock)
    assert world.sandbox.global_429s == 0
    assert busiest_second(stamps) <= 45  # a DM channel and a message for each member
    assert len(stamps) >= 2 * FAN_OUT


async def test_discord_py_retrying_a_5xx_itself_stays_under_the_global_limit(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Every first send of a fan-out gets a 502, which discord.py retries inside the send a
    second later: those retries are requests on the wire too, and must wait their turn with
    the first sends still going out, not add to them."""
    world.sandbox.fail_next("POST", DM_POST, 502, times=FAN_OUT)
    stamps = await _fan_out(running, world, clock)
    assert len(stamps) >= 3 * FAN_OUT  # a DM channel, a refused send and a send each
    assert world.sandbox.global_429s == 0
    assert busiest_second(stamps) <= 45
