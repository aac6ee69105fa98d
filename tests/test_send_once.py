"""A scheduled message is sent once (R8, R30, issue 13).

Discord drops a repeated nonce for a few minutes only, and its history carries no nonces.
So a retry of an attempt that may have been sent, once that may be longer ago than the
window, reads the channel's history since the first such attempt and records the bot's own
matching message instead of sending; a retry inside the window, or of an attempt Discord
refused, costs no extra request. A send that hangs is given up as a timeout and retried,
so it holds neither its claim nor the dispatcher. Message ids here carry the test's clock,
as Discord's carry the real time, so "since the first attempt" means what it says."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import discord
import pytest

import bot.delivery
import bot.sandbox.state as sandbox_state
from bot.clock import FakeClock
from bot.delivery import Unconfirmed, find_sent, same_as
from bot.runtime import Runtime
from bot.sandbox.state import READ_MESSAGE_HISTORY, VIEW_CHANNEL
from bot.scheduling import Due
from tests.conftest import World, eventually
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    DM_POST,
    _set,
    quick_discord_retries,
    remind,
    row_of,
    settled,
    step,
)


@pytest.fixture(autouse=True)
def ids_on_the_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    monkeypatch.setattr(sandbox_state, "clock_seconds", lambda: clock.now().timestamp())


def history_reads(world: World, channel_id: int) -> int:
    return world.sandbox.requests.count(("GET", f"/channels/{channel_id}/messages"))


async def test_the_history_endpoint_pages_like_discords(world: World) -> None:
    """Newest first whatever the anchor; `after` gives the messages just after it; no
    nonces; limit 1-100; nothing without Read Message History; 403 without View Channel."""
    sandbox = world.sandbox
    channel = await sandbox.create_channel(world.guild, "history")
    headers = {"Authorization": f"Bot {sandbox.token}"}
    url = f"{sandbox.api_base}/channels/{channel.id}/messages"
    async with aiohttp.ClientSession(headers=headers) as http:
        ids = []
        for number in range(5):
            body = {"content": f"m{number}", "nonce": f"n{number}", "enforce_nonce": True}
            async with http.post(url, json=body) as response:
                ids.append(int((await response.json())["id"]))

        async def page(**query: Any) -> tuple[int, Any]:
            async with http.get(url, params={k: str(v) for k, v in query.items()}) as response:
                return response.status, await response.json()

        status, newest = await page()
        assert status == 200
        assert [int(m["id"]) for m in newest] == ids[::-1]
        assert all("nonce" not in m for m in newest)
        assert [int(m["id"]) for m in (await page(after=ids[1], limit=2))[1]] == [ids[3], ids[2]]
        assert [int(m["id"]) for m in (await page(before=ids[3]))[1]] == ids[2::-1]
        assert [int(m["id"]) for m in (await page(around=ids[2], limit=3))[1]] == ids[3:0:-1]
        assert (await page(limit=101))[0] == 400
        sandbox.violations.clear()  # provoked on purpose
        await sandbox.deny_bot(channel, READ_MESSAGE_HISTORY)
        assert await page() == (200, [])
        await sandbox.deny_bot(channel, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        assert (await page())[0] == 403


async def test_a_retry_inside_the_nonce_window_reads_no_history(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A lost answer retried seconds later: the nonce is trusted, one request per attempt."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    dropped = sandbox.drop_next("POST", DM_POST)
    await step(running, clock, timedelta(minutes=5))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    for _ in range(4):
        if (await row_of(running, source)).state == "sent":
            break
        await step(running, clock, timedelta(seconds=15))
    assert await settled(running, source) == "sent"
    dm_channel = sandbox.dm_channel(world.member)
    assert len(sandbox.dms_to(world.member)) == 1
    assert history_reads(world, dm_channel.id) == 0


async def test_a_long_refusal_by_429_reads_no_history(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Discord refusing a send with 429 for minutes: nothing was sent, so the retries past
    the nonce window send again without reading the history (no extra request in a storm)."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    sandbox.fail_next("POST", DM_POST, 429, times=None)
    await step(running, clock, timedelta(minutes=5))
    for _ in range(12):
        await step(running, clock)
    during = await row_of(running, source)
    assert (during.state, during.cause) == ("pending", "rate_limited")
    assert during.attempts > 2
    sandbox.recover()
    for _ in range(12):
        await step(running, clock)
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    assert len(sandbox.dms_to(world.member)) == 1
    assert history_reads(world, sandbox.dm_channel(world.member).id) == 0


def _reminder(title: str, footer: str | None = None) -> dict[str, Any]:
    embed = discord.Embed(title=title, description="Court at 9")
    embed.add_field(name="When", value="<t:1800000000:F>")
    if footer:
        embed.set_footer(text=footer)
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Done", custom_id="rem:done:7"))
    return {"embed": embed, "view": view}


async def test_only_this_deliverys_own_message_since_its_first_attempt_is_taken(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a DM channel with the member's other reminders, the gateway's announcements lost
    (so the history is what tells): a message that differs in its title is not taken for
    this one; one that differs only in its footer (a late note) is; one from before the
    first uncertain attempt is not."""
    monkeypatch.setattr(bot.delivery.OwnSends, "saw", lambda *_: None)
    sandbox = world.sandbox
    bot_client = running.bot
    dm = sandbox.dm_channel(world.member)
    channel = bot_client.get_partial_messageable(dm.id, type=discord.ChannelType.private)
    sent = await channel.send(**_reminder("Court: 2 hours to go"))

    def due(since_minutes: float) -> Due:
        since = clock.now() - timedelta(minutes=since_minutes)
        return Due(7, "reminder:7", "personal", since, 2, {}, "network", None, since, True, since)

    await clock.advance(timedelta(minutes=5))
    other = await find_sent(bot_client, due(6), channel, same_as(_reminder("Court: 1 day to go")))
    assert other is None
    late = _reminder("Court: 2 hours to go", footer="Sorry, this is late")
    found = await find_sent(bot_client, due(6), channel, same_as(late))
    assert found is not None
    assert found.id == sent.id
    # Sent before the first attempt by more than the look's slack for clocks (a minute).
    assert await find_sent(bot_client, due(3), channel, same_as(late)) is None


async def test_a_hung_send_times_out_and_is_retried_once(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord takes the connection and never answers: the send is given up after
    SEND_TIMEOUT as a network failure and the delivery goes back to pending (not held
    claimed); the retry, inside the nonce window, makes one message either way."""
    monkeypatch.setattr(bot.delivery, "SEND_TIMEOUT", 0.5)
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    stall = sandbox.stall_next("POST", DM_POST, after_handling=False)
    try:
        await clock.advance(timedelta(minutes=5))
        await asyncio.wait_for(stall.arrived.wait(), timeout=10)

        async def given_up() -> bool:
            row = await row_of(running, source)
            return (row.state, row.cause) == ("pending", "network")

        await eventually(given_up, timeout=10, what="the hung send given up")
    finally:
        stall.release.set()  # Discord may still carry out the hung request, or not
    await asyncio.sleep(0.2)
    for _ in range(4):
        await step(running, clock, timedelta(seconds=15))
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1
    assert (await row_of(running, source)).message_id == dms[0].id


async def test_a_history_discord_refuses_holds_back_a_server_post_but_not_a_dm(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look for an earlier attempt answered 403 (the channel hidden from the bot since):
    nothing can tell whether it went out. In a server channel that is Unconfirmed (not sent
    again: the group would see it twice), naming the channel; in a DM the send goes ahead
    (a second copy of a reminder is better than none)."""
    monkeypatch.setattr(bot.delivery.OwnSends, "saw", lambda *_: None)
    sandbox = world.sandbox
    bot_client = running.bot
    since = clock.now()
    due = Due(7, "meeting:7", "meeting", since, 2, {}, "network", None, since, True, since)
    await clock.advance(timedelta(minutes=5))
    nothing = same_as({"content": "never posted"})
    for channel in (world.general, sandbox.dm_channel(world.member)):
        sandbox.fail_next("GET", rf"^/channels/{channel.id}/messages", 403, code=50001)
    with pytest.raises(Unconfirmed) as unknown:
        await find_sent(bot_client, due, bot_client.get_partial_messageable(world.general.id),
                        nothing)  # fmt: skip
    assert f"#{world.general.name} ({world.general.id})" in unknown.value.channel
    outcome = unknown.value.outcome
    assert (outcome.status, outcome.cause, outcome.message_id) == ("sent", "unconfirmed", None)
    dm = bot_client.get_partial_messageable(
        sandbox.dm_channel(world.member).id, type=discord.ChannelType.private
    )
    assert await find_sent(bot_client, due, dm, nothing) is None
    assert history_reads(world, world.general.id) == history_reads(world, dm.id) == 1
