"""Attack, round 6 on issue #13: the "unconfirmed" rule for server channels without Read
Message History, and the gateway watch it leans on, across a restart.

The watch (bot.delivery.OwnSends) is kept in memory per process. It is taken to prove that
a send did NOT go out when this process watched without a gap since *it* first tried the
delivery; but the delivery's doubt (`uncertain_since`) may come from an earlier process,
whose attempt the new one never watched. And a claim a cleanly stopping process never
started is taken over as if it may have been sent. Each test asserts what the member, the
group or a moderator sees, and what is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.scheduling.runner as runner_module
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.models import AnonymousPost
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Sandbox
from bot.sandbox.state import READ_MESSAGE_HISTORY, Channel, Message
from bot.services.meetings import MEETING
from tests.attack.test_delivery_round2 import book_meeting
from tests.attack.test_delivery_round5 import (  # noqa: F401  (autouse fixture re-exported)
    _lose_the_announcement,
    _on_the_test_clock,
    _tick,
    quick_reidentify,
    sharded_settings,
    world_on_shard,
)
from tests.conftest import World, eventually, only_postgres, start_bot
from tests.test_checkins_e2e import checkin_options, configure
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    DM_POST,
    _set,
    quick_discord_retries,
    remind,
    row_of,
)


async def _warm_up(running: Runtime, world: World) -> None:
    """The process has posted something since it started (a busy bot always has), so its
    gateway has shown one of its nonces back and its watch's silence counts as proof."""
    await running.bot.get_partial_messageable(world.general.id).send("Hi", nonce="warm-up")
    own_sends = running.bot.own_sends
    await eventually(
        lambda: _set(own_sends.sent(world.general.id, "warm-up") is not None),
        what="the warm-up post announced",
    )


async def _until_settled(running: Runtime, clock: FakeClock, source: str) -> None:
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break


# ----- 1. A restart between an answer-lost send and its retry past the nonce window -----


async def test_a_court_reminder_whose_answer_was_lost_before_a_restart_is_not_dmed_twice(
    world: World, bot_settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The court reminder's DM is carried out by Discord and its answer lost (the connection
    drops); the delivery is booked to retry. Muster is then restarted (a deploy, or an
    operator restarting it because Discord is misbehaving), and Discord cuts every message
    POST for three minutes, past its nonce window. The new process has watched its gateway
    without a gap since *its* first try, and takes the silence to prove the DM never went
    out; but the DM went out before it started, announced to the old process only. It must
    look in the DM (which it can always read), not send it again."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as first:
        source = await remind(first, world, clock, kind="court", ahead=timedelta(minutes=5))
        dropped = sandbox.drop_next("POST", DM_POST)
        await clock.advance(timedelta(minutes=5))
        await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the send")

        async def retry_booked() -> bool:
            return (await row_of(first, source)).state == "pending"

        await eventually(retry_booked, timeout=10, what="the retry to be booked")
    assert len(sandbox.dms_to(world.member)) == 1  # Discord has it; Muster does not know
    async with start_bot(bot_settings, clock, keyring=keyring) as second:
        await _warm_up(second, world)
        sandbox.fail_next("POST", DM_POST, 0, times=None)
        for _ in range(12):
            await _tick(clock, timedelta(seconds=15))
        sandbox.recover()
        await _until_settled(second, clock, source)
        row = await row_of(second, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the court reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)


async def test_a_meeting_reminder_whose_answer_was_lost_before_a_restart_is_not_posted_twice(
    world: World, bot_settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in #meetings, where Muster has every permission it asks for (Read Message
    History included): the hour-before reminder is carried out and its answer lost, Muster
    is restarted, Discord cuts sends for three minutes. The new process's gap-free watch
    since its own first try skips the history look, and the group sees the reminder twice."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as first:
        source, channel = await book_meeting(first, world, clock, ahead=timedelta(minutes=65))
        dropped = sandbox.drop_next("POST", DM_POST)
        await clock.advance(timedelta(minutes=5))
        await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the post")

        async def retry_booked() -> bool:
            return (await row_of(first, source)).state == "pending"

        await eventually(retry_booked, timeout=10, what="the retry to be booked")
    assert len(sandbox.channel_messages(channel)) == 1
    async with start_bot(bot_settings, clock, keyring=keyring) as second:
        await _warm_up(second, world)
        sandbox.fail_next("POST", DM_POST, 0, times=None)
        for _ in range(12):
            await _tick(clock, timedelta(seconds=15))
        sandbox.recover()
        await _until_settled(second, clock, source)
        row = await row_of(second, source)
    posted = sandbox.channel_messages(channel)
    assert len(posted) == 1, (
        f"#{channel.name} shows the reminder {len(posted)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", posted[0].id)


# ----- 2. A claim a clean stop never started -----


async def test_a_meeting_reminder_claimed_but_never_started_at_a_clean_stop_is_posted(
    world: World, bot_settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two meetings' hour-before reminders come due together in #meetings, which lacks Read
    Message History. The process claims both; the first send is slow (Discord holds it) and
    the second waits its turn for a send slot (CONCURRENCY, cut to 1 here, stands for 64
    sends already in flight on a busy bot). Muster is stopped cleanly meanwhile (SIGTERM for a
    deploy): the slow send finishes and the waiting one is never started, its claim left to
    run out. Nothing of it ever reached Discord. The restarted process takes the claim over,
    treats it as possibly sent, can't read the history, and settles it 'sent, unconfirmed':
    the second meeting's reminder is never posted."""
    monkeypatch.setattr(runner_module, "CONCURRENCY", 1)
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as first:
        one, channel = await book_meeting(first, world, clock, ahead=timedelta(minutes=65))
        meeting = await first.services.meetings.create(
            guild_id=world.guild.id, actor_id=world.moderator.id, title="Step study",
            starts_at=clock.now() + timedelta(minutes=65), zone="America/New_York",
            repeat="once", leads=(60,),
        )  # fmt: skip
        assert meeting.next_start is not None
        two = MEETING.source(meeting.id, meeting.next_start)
        await sandbox.deny_bot(channel, READ_MESSAGE_HISTORY)
        stall = sandbox.stall_next("POST", DM_POST, after_handling=True)
        await clock.advance(timedelta(minutes=5))
        await asyncio.wait_for(stall.arrived.wait(), timeout=10)
        closing = asyncio.create_task(first.bot.close())  # SIGTERM
        await asyncio.sleep(0.3)
        stall.release.set()
        await asyncio.wait_for(closing, timeout=20)
    assert len(sandbox.channel_messages(channel)) == 1, dict(sandbox.posts_by_nonce)
    await clock.advance(timedelta(minutes=3))  # the deploy; the lease runs out meanwhile
    async with start_bot(bot_settings, clock, keyring=keyring) as second:
        for source in (one, two):
            await _until_settled(second, clock, source)
        rows = [await row_of(second, source) for source in (one, two)]
    posted = sandbox.channel_messages(channel)
    outcomes = [(row.state, row.cause, row.message_id) for row in rows]
    assert len(posted) == 2, (
        f"#{channel.name} shows {len(posted)} reminder(s) for two meetings; deliveries "
        f"{outcomes}; POSTs by nonce {dict(sandbox.posts_by_nonce)}"
    )


# ----- 3. What the author and the moderators of an unconfirmed anonymous post see -----


async def _unconfirmed_anonymous_post(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> tuple[Channel, Message, str]:
    """Round 5's gap in #check-ins, which lacks Read Message History: Sam's anonymous post is
    carried out, its answer and its announcement lost, Discord cuts sends for three minutes,
    and Muster settles it 'sent, unconfirmed' (posted, its message unknown). Returns the
    channel, Sam's private confirmation and its "Delete my post" button id."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    group = await configure(running, world)
    await sandbox.deny_bot(group.checkins, READ_MESSAGE_HISTORY)
    told = await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="anonymous")
    )
    [reply] = [
        m for m in told.messages if any(c.startswith("anon:withdraw:") for c in m.custom_ids())
    ]
    withdraw = next(c for c in reply.custom_ids() if c.startswith("anon:withdraw:"))
    await _lose_the_announcement(world, clock, due_in=timedelta(minutes=11))
    assert len(sandbox.channel_messages(group.checkins)) == 1  # Discord has it
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()

    async def post_of() -> AnonymousPost | None:
        async with running.sessions() as session:
            return await session.scalar(select(AnonymousPost))

    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        post = await post_of()
        if post is not None and post.state != "pending":
            break
    post = await post_of()
    assert post is not None
    assert (post.state, post.message_id) == ("posted", None), post.state
    return group.checkins, reply, withdraw


async def test_the_author_of_an_unconfirmed_anonymous_post_is_not_told_it_wont_be_posted(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sam's post is up in #check-ins, settled unconfirmed. Sam presses "Delete my post" on
    his confirmation. He must not be told "it won't be posted" while the group can read it
    (he would neither take it down himself nor ask a moderator to)."""
    channel, reply, withdraw = await _unconfirmed_anonymous_post(running, world, clock, monkeypatch)
    answer = await world.sandbox.click(world.member, reply, withdraw)
    shown = world.sandbox.channel_messages(channel)
    assert not (shown and "won't be posted" in answer.text), (
        f"Sam pressed Delete my post and was told {answer.text!r}; #{channel.name} still "
        f"shows it ({[m.id for m in shown]})"
    )


async def test_a_moderator_can_remove_an_unconfirmed_anonymous_post_from_its_options(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sam's post is up in #check-ins, settled unconfirmed. Dana, a moderator, presses its
    Options button, as for any anonymous post, to remove it: Muster must find the post (it
    is the one in the channel) and offer Remove, as the promise says ("the author's and
    moderators' Options always find the post")."""
    channel, _, _ = await _unconfirmed_anonymous_post(running, world, clock, monkeypatch)
    [shown] = world.sandbox.channel_messages(channel)
    answer = await world.sandbox.click(world.moderator, shown, "anon:options")
    offered = [c for m in answer.messages for c in m.custom_ids()]
    assert any("remove" in c for c in offered), (
        f"Dana pressed Options on the post in #{channel.name} and was told {answer.text!r} "
        f"(buttons {offered})"
    )


async def test_a_moderators_remove_takes_an_unconfirmed_anonymous_post_down(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix for the one above, followed through: Options records the shown message as
    the unconfirmed post's, and Dana's Remove deletes it from #check-ins."""
    channel, _, _ = await _unconfirmed_anonymous_post(running, world, clock, monkeypatch)
    [shown] = world.sandbox.channel_messages(channel)
    options = (await world.sandbox.click(world.moderator, shown, "anon:options")).messages[0]
    remove = next(c for c in options.custom_ids() if c.startswith("anon:remove:"))
    done = await world.sandbox.click(world.moderator, options, remove)
    assert done.text.startswith("Removed anonymous post"), done.text
    assert shown.deleted
    assert not world.sandbox.channel_messages(channel)


async def test_an_unconfirmed_post_its_author_deleted_is_still_removable_by_a_moderator(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Sam is told after Delete my post holds: the post may be up, and a moderator can
    remove it from its Options."""
    channel, reply, withdraw = await _unconfirmed_anonymous_post(running, world, clock, monkeypatch)
    told = await world.sandbox.click(world.member, reply, withdraw)
    assert "may already be in the channel" in told.text, told.text
    [shown] = world.sandbox.channel_messages(channel)
    options = (await world.sandbox.click(world.moderator, shown, "anon:options")).messages[0]
    remove = next(c for c in options.custom_ids() if c.startswith("anon:remove:"))
    await world.sandbox.click(world.moderator, options, remove)
    assert shown.deleted


# ----- 4. A post retried by the process that does not serve its server, without history -----


@only_postgres
async def test_a_meeting_reminder_retried_from_another_shards_process_is_not_posted_twice(
    sandbox: Sandbox,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Round 5's two processes on one PostgreSQL database (shards 0 and 1 of 2; the server
    on shard 1), with #meetings lacking Read Message History. Shard 1's process goes down and
    shard 0's goes on delivering from the shared queue. The hour-before reminder is carried
    out and its answer lost; Discord cuts sends for three minutes. No session saw the post;
    the process has no cached bot member in a server it does not serve, so the no-history
    check is skipped and the history is read, which Discord answers with no messages (not an
    error) without Read Message History: taken to mean it never went out, it is posted again."""
    world = await world_on_shard(sandbox, 1)
    _on_the_test_clock(monkeypatch, clock, sandbox)
    keyring = Keyring.generate()
    async with start_bot(
        sharded_settings(make_settings, world, (0,)), clock, keyring=keyring
    ) as up:
        async with start_bot(sharded_settings(make_settings, world, (1,)), clock, keyring=keyring):
            source, channel = await book_meeting(up, world, clock, ahead=timedelta(minutes=65))
            await sandbox.deny_bot(channel, READ_MESSAGE_HISTORY)
        dropped = sandbox.drop_next("POST", DM_POST)
        await clock.advance(timedelta(minutes=5))
        await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the post")
        sandbox.fail_next("POST", DM_POST, 0, times=None)
        for _ in range(12):
            await _tick(clock, timedelta(seconds=15))
        sandbox.recover()
        await _until_settled(up, clock, source)
        row = await row_of(up, source)
    posted = sandbox.channel_messages(channel)
    assert len(posted) == 1, (
        f"#{channel.name} shows the reminder {len(posted)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
