"""Discord misbehaving while a reminder is delivered (R8, R10): each case ends with exactly
one DM and the delivery settled as sent, or, for a refusal that retrying cannot fix, one
attempt and failed_permanent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Occurrence
from bot.runtime import Runtime
from bot.scheduling import BACKOFF_CAP
from tests.conftest import World, eventually

DM_POST = r"^/channels/\d+/messages$"


async def remind(running: Runtime, world: World, clock: FakeClock) -> str:
    created = await running.services.reminders.create(
        user_id=world.member.id, guild_id=world.guild.id, kind="other", text="Call the VA",
        event_at=clock.now() + timedelta(minutes=5), zone="UTC", interaction_id=77,
    )  # fmt: skip
    return f"reminder:{created.id}"


async def settled(running: Runtime, source: str) -> str:
    async def done() -> bool:
        [(_, state)] = await running.services.scheduler.states(source)
        return state not in ("pending", "claimed")

    await eventually(done, timeout=15, what="the delivery to settle")
    [(_, state)] = await running.services.scheduler.states(source)
    return state


def posts_to_dms(world: World) -> int:
    return sum(
        1 for method, path in world.sandbox.requests
        if method == "POST" and path.endswith("/messages") and "channels" in path
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "is_global", "times"),
    [(429, False, 1), (429, True, 1), (500, False, 1), (502, False, 2), (504, False, 1)],
)
async def test_transient_answers_are_retried_and_the_dm_arrives_once(
    running: Runtime, world: World, clock: FakeClock, status: int, is_global: bool, times: int
) -> None:
    source = await remind(running, world, clock)
    world.sandbox.fail_next("POST", DM_POST, status, times=times, is_global=is_global)
    await clock.advance(timedelta(minutes=5))
    assert await settled(running, source) == "sent"
    assert len(world.sandbox.dms_to(world.member)) == 1


async def test_an_outage_backs_off_and_recovers_without_a_duplicate(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """503s, which discord.py does not retry: the scheduler backs off and tries again."""
    source = await remind(running, world, clock)
    world.sandbox.fail_next("POST", DM_POST, 503, times=2)
    await clock.advance(timedelta(minutes=5))
    for attempt in (1, 2):
        await eventually(lambda n=attempt: _attempts_at_least(running, source, n),
                         timeout=10, what=f"failed attempt {attempt}")  # fmt: skip
        assert world.sandbox.dms_to(world.member) == []
        await clock.advance(BACKOFF_CAP)
    assert await settled(running, source) == "sent"
    assert len(world.sandbox.dms_to(world.member)) == 1
    assert posts_to_dms(world) == 3


async def _attempts_at_least(running: Runtime, source: str, count: int) -> bool:
    async with running.services.checkins._sessions() as session:
        row = await session.scalar(select(Occurrence).where(Occurrence.source == source))
    return row is not None and row.attempts >= count and row.state == "pending"


async def test_a_timeout_after_acceptance_does_not_send_twice(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Discord took the message but the answer was lost: the retry carries the same nonce,
    and Discord (the sandbox, as Discord does) returns the first message instead."""
    source = await remind(running, world, clock)
    dropped = world.sandbox.drop_next("POST", DM_POST)
    await clock.advance(timedelta(minutes=5))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    for _ in range(4):
        states = await running.services.scheduler.states(source)
        if states[0][1] == "sent":
            break
        await clock.advance(timedelta(minutes=1))
    assert await settled(running, source) == "sent"
    assert len(world.sandbox.dms_to(world.member)) == 1
    assert posts_to_dms(world) == 2  # two attempts, one message


async def _set(value: bool) -> bool:
    return value


async def test_a_refusal_is_not_retried(running: Runtime, world: World, clock: FakeClock) -> None:
    source = await remind(running, world, clock)
    world.sandbox.fail_next("POST", DM_POST, 403, code=50013, times=3)
    await clock.advance(timedelta(minutes=5))
    assert await settled(running, source) == "failed_permanent"
    assert posts_to_dms(world) == 1
