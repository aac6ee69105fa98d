"""Red-team attacks on the delivery promise, in process, against the sandbox and a fake clock.

Each test fails while the promise is broken and should pass once it is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.scheduling import BACKOFF_CAP
from tests.conftest import World, eventually
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    DM_POST,
    OUTAGE,
    STEP,
    _set,
    quick_discord_retries,
    remind,
    row_of,
    settled,
    step,
)


async def test_lost_answer_then_a_30_minute_outage_never_makes_a_second_dm(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Discord takes the DM but the answer is lost (timeout after acceptance), then Discord
    answers 503 for 30 minutes. Promise: a transient failure of up to 30 minutes never makes
    the reminder arrive twice."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()  # Discord's nonce window by the same clock
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    dropped = sandbox.drop_next("POST", DM_POST)
    await step(running, clock, timedelta(minutes=5))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    assert len(sandbox.dms_to(world.member)) == 1  # Discord has it; the bot does not know
    sandbox.fail_next("POST", DM_POST, 503, times=None)
    outage_ends = clock.now() + OUTAGE
    while clock.now() < outage_ends:
        await step(running, clock)
    sandbox.recover()
    for _ in range(int(BACKOFF_CAP / STEP) + 2):
        await step(running, clock)
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the reminder reached the member {len(dms)} times, received at "
        f"{[m.received_at for m in dms]}; {sandbox.injected_failures} 503s in between"
    )


async def test_a_court_date_caught_up_after_a_suspend_is_not_listed_as_never_reaching_them(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A court date 3 days and 1 hour away books three reminders (3 days, 1 day, 2 hours
    before). The host sleeps 3 days; on waking the two older ones collapse into one catch-up
    for the latest, which is sent. /remind list must not say the reminder didn't reach them
    (and if it names a cause for the skipped ones, it is the real one: Muster was offline)."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, kind="court", ahead=timedelta(days=3, hours=1))
    await clock.advance(timedelta(days=3))  # time really passed (a suspend)
    dispatcher = running.bot.dispatcher
    assert dispatcher is not None
    for _ in range(4):
        await step(running, clock, timedelta(seconds=5))
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    assert len(sandbox.dms_to(world.member)) == 1  # the one catch-up went out
    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert "Didn't reach you" not in listed.text, listed.text
    assert "Reached you late" in listed.text, listed.text


async def test_a_dm_late_because_discord_was_down_does_not_say_i_was_offline(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A reminder held up 30 minutes by Discord 503s goes out late. The late note must give
    the real cause; Muster was online the whole time."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    sandbox.fail_next("POST", DM_POST, 503, times=None)
    await step(running, clock, timedelta(minutes=5))
    outage_ends = clock.now() + OUTAGE
    while clock.now() < outage_ends:
        await step(running, clock)
    sandbox.recover()
    for _ in range(int(BACKOFF_CAP / STEP) + 2):
        await step(running, clock)
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    [dm] = sandbox.dms_to(world.member)
    footer = (dm.embeds[0].get("footer") or {}).get("text", "")
    assert "I was offline" not in footer, footer
    assert "Discord was having trouble" in footer, footer


async def test_one_hung_dm_does_not_hold_up_another_members_court_reminder(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Discord accepts the connection for Sam's DM and never answers (a timeout). Riley's
    reminder, due a minute later, must still go out on time: a transient failure of one
    send must not make every other member's reminder late."""
    import asyncio

    sandbox = world.sandbox
    sam_dm = sandbox.dm_channel(world.member)
    await remind(running, world, clock, ahead=timedelta(minutes=5))
    riley = await running.services.reminders.create(
        user_id=world.other_member.id, guild_id=world.guild.id, kind="court",
        text="Court at 9", event_at=clock.now() + timedelta(minutes=6), zone="UTC",
        interaction_id=78,
    )  # fmt: skip
    stall = sandbox.stall_next("POST", rf"^/channels/{sam_dm.id}/messages$", after_handling=False)
    try:
        await clock.advance(timedelta(minutes=5))
        await asyncio.wait_for(stall.arrived.wait(), timeout=10)
        await clock.advance(timedelta(minutes=1))  # Riley's is due now
        for _ in range(50):  # five real seconds
            if sandbox.dms_to(world.other_member):
                break
            await asyncio.sleep(0.1)
        row = await row_of(running, f"reminder:{riley.id}")
        assert sandbox.dms_to(world.other_member), (
            f"Riley's reminder did not go out while Sam's DM hung (its delivery is "
            f"{row.state!r}, {row.attempts} attempts)"
        )
    finally:
        stall.release.set()


@pytest.mark.parametrize("dispatcher_looked_first", [False, True])
async def test_a_clock_set_forward_soon_after_start_does_not_make_a_reminder_missed(
    running: Runtime, world: World, clock: FakeClock, dispatcher_looked_first: bool
) -> None:
    """The wall clock is set 14 hours forward (NTP after a VM is restored, an operator), no
    time passing, within the first 30 s after the bot started. The README: a clock only set
    forward is not lateness; what it made due goes out at once, nothing is marked missed."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=30))
    if dispatcher_looked_first:
        await step(running, clock)  # one regular look at the clock before the step
    await clock.step(timedelta(hours=14))
    for _ in range(4):
        await step(running, clock)
        if (await row_of(running, source)).state == "sent":
            break
    state = await settled(running, source)
    row = await row_of(running, source)
    assert state == "sent", f"{state}: {row.cause} / {row.detail}"
    [dm] = sandbox.dms_to(world.member)
    assert "late" not in (dm.embeds[0].get("footer") or {}).get("text", "")
