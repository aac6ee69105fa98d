"""Discord misbehaving while a reminder is delivered (R8, R10, R27, R30).

The faults outlast discord.py's own five retries (an outage of 30 minutes, by the fake
clock), so what is tested is Muster's own retry path: each case ends with exactly one
message POST for the delivery's nonce once Discord recovers. discord.py's sleeps between
its retries (1-9 s for 5xx) are cut short, so the test never really waits."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import discord.http
import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Occurrence
from bot.delivery import OwnSends
from bot.runtime import Runtime
from bot.scheduling import BACKOFF_CAP
from tests.conftest import World, eventually

DM_POST = r"^/channels/\d+/messages$"
OUTAGE = timedelta(minutes=30)
STEP = timedelta(seconds=30)


QUICK_RETRY = 0.05  # keeps discord.py's five tries well under Discord's 50 requests/s


class _QuickSleeps:
    """discord.http's view of asyncio, with its retry sleeps cut short."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        await asyncio.sleep(min(delay, QUICK_RETRY))
        return result


@pytest.fixture(autouse=True)
def quick_discord_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http, "asyncio", _QuickSleeps())


async def remind(
    running: Runtime, world: World, clock: FakeClock, *, kind: str = "other", ahead: timedelta
) -> str:
    created = await running.services.reminders.create(
        user_id=world.member.id, guild_id=world.guild.id, kind=kind, text="Call the VA",
        event_at=clock.now() + ahead, zone="UTC", interaction_id=77,
    )  # fmt: skip
    return f"reminder:{created.id}"


async def row_of(running: Runtime, source: str) -> Occurrence:
    async with running.services.checkins._sessions() as session:
        rows = list(
            await session.scalars(
                select(Occurrence).where(Occurrence.source == source).order_by(Occurrence.due_at)
            )
        )
    return rows[-1]


async def step(running: Runtime, clock: FakeClock, delta: timedelta = STEP) -> None:
    """Move the fake clock on and wait for the dispatcher's run at the new time."""
    await clock.advance(delta)
    dispatcher = running.bot.dispatcher
    assert dispatcher is not None
    await asyncio.wait_for(dispatcher.ran_since(clock.now()), timeout=20)


async def settled(running: Runtime, source: str) -> str:
    async def done() -> bool:
        return (await row_of(running, source)).state not in ("pending", "claimed")

    await eventually(done, timeout=15, what="the delivery to settle")
    return (await row_of(running, source)).state


@pytest.mark.parametrize(
    ("status", "is_global", "cause"),
    [
        (429, False, "rate_limited"),
        (429, True, "rate_limited"),
        (500, False, "discord_unavailable"),
        (502, False, "discord_unavailable"),
        (503, False, "discord_unavailable"),
        (504, False, "discord_unavailable"),
        (0, False, "network"),  # the connection is cut, no answer at all
    ],
)
async def test_a_30_minute_outage_is_outlasted_and_the_dm_arrives_once(
    running: Runtime, world: World, clock: FakeClock, status: int, is_global: bool, cause: str
) -> None:
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    sandbox.fail_next("POST", DM_POST, status, times=None, is_global=is_global)
    await step(running, clock, timedelta(minutes=5))
    outage_ends = clock.now() + OUTAGE
    while clock.now() < outage_ends:
        await step(running, clock)
    during = await row_of(running, source)
    assert (during.state, during.cause) == ("pending", cause)
    assert during.attempts > 6  # more than the old give-up-after-six; by deadline, not count
    assert sandbox.dms_to(world.member) == []
    failed_requests = sandbox.injected_failures
    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert "I'm still trying" in listed.text
    assert "DMs are closed" not in listed.text

    sandbox.recover()
    for _ in range(int(BACKOFF_CAP / STEP) + 1):
        await step(running, clock)
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    assert len(sandbox.dms_to(world.member)) == 1
    row = await row_of(running, source)
    assert sandbox.posts_by_nonce[f"muster-{row.id}"] == 1  # one POST was carried out
    assert row.message_id == sandbox.dms_to(world.member)[0].id
    assert failed_requests >= during.attempts  # each of Muster's attempts reached Discord


async def test_an_outage_past_the_deadline_is_missed_and_list_says_why(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A court date's 2-hours-before reminder is retried until the court date itself; then
    /remind list says Discord had trouble, never that the member's DMs were closed."""
    sandbox = world.sandbox
    court_at = clock.now() + timedelta(hours=2, minutes=5)
    source = await remind(running, world, clock, kind="court", ahead=court_at - clock.now())
    sandbox.fail_next("POST", DM_POST, 503, times=None)
    while clock.now() < court_at + timedelta(minutes=5):
        await step(running, clock, timedelta(minutes=2))
    row = await row_of(running, source)
    assert (row.state, row.cause) == ("skipped_late", "discord_unavailable")
    sandbox.recover()
    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert "Discord was having trouble" in listed.text
    assert "DMs are closed" not in listed.text
    assert sandbox.dms_to(world.member) == []


async def test_a_timeout_after_acceptance_is_retried_inside_the_nonce_window(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord took the message but the answer was lost, and so was the gateway's
    announcement of it: the retry carries the same nonce and comes soon enough (by the fake
    clock the sandbox now follows) for Discord to return the first message instead of
    making a second."""
    monkeypatch.setattr(OwnSends, "saw", lambda *_: None)  # the MESSAGE_CREATE went missing
    await _lost_answer_then_retry(running, world, clock, posts=2)  # two attempts, one message


async def test_a_lost_answer_whose_message_was_announced_is_recorded_without_a_resend(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Discord took the message and the answer was lost, but the gateway announced it with
    its nonce: the retry records that message and asks Discord for nothing."""
    await _lost_answer_then_retry(running, world, clock, posts=1)


async def _lost_answer_then_retry(
    running: Runtime, world: World, clock: FakeClock, *, posts: int
) -> None:
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    dropped = sandbox.drop_next("POST", DM_POST)
    await step(running, clock, timedelta(minutes=5))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    for _ in range(8):
        if (await row_of(running, source)).state == "sent":
            break
        await step(running, clock, timedelta(seconds=15))
    assert await settled(running, source) == "sent"
    assert len(sandbox.dms_to(world.member)) == 1
    row = await row_of(running, source)
    assert sandbox.posts_by_nonce[f"muster-{row.id}"] == posts
    assert row.message_id == sandbox.dms_to(world.member)[0].id


async def _set(value: bool) -> bool:
    return value


@pytest.mark.parametrize(
    ("status", "code", "cause", "words"),
    [
        (403, 50007, "dms_closed", "your DMs are closed to me"),
        (403, 50013, "missing_permission", "Discord wouldn't let me send it"),
        (404, 10003, "unknown_channel", "Discord couldn't find where to send it"),
        (400, 50035, "invalid_body", "Discord wouldn't accept it"),
    ],
)
async def test_a_refusal_is_not_retried_and_list_says_why(
    running: Runtime,
    world: World,
    clock: FakeClock,
    status: int,
    code: int,
    cause: str,
    words: str,
) -> None:
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    sandbox.fail_next("POST", DM_POST, status, code=code, times=None)
    await step(running, clock, timedelta(minutes=5))
    for _ in range(3):
        await step(running, clock, BACKOFF_CAP)
    row = await row_of(running, source)
    assert (row.state, row.cause, row.attempts) == ("failed_permanent", cause, 1)
    assert sandbox.injected_failures == 1
    sandbox.recover()
    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert words in listed.text
