"""Attack, round 5 on issue #13: the gateway watch of the bot's own messages.

Muster now watches the gateway for its own messages (MESSAGE_CREATE carries the send's
nonce) to tell whether a send whose answer was lost went out: an announced nonce proves it
went out; a watch without a gap since the attempt is taken to prove it did not. These
attacks play Discord's documented gateway rules against that inference (DMs reach shard 0
only; a session is invalidated shard by shard; events reach a session, not a process), and
the store's ids against Discord's nonce window. Each asserts what the member sees (the DMs,
the channel), how many message POSTs each nonce had, and what is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import discord
import pytest
from sqlalchemy import select

import bot.sandbox.state as sandbox_state
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.models import AnonymousPost, Occurrence
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Sandbox
from bot.sandbox.state import READ_MESSAGE_HISTORY
from bot.services.checkins import RELEASE
from bot.services.meetings import MEETING
from tests.attack.test_delivery_round2 import book_meeting
from tests.attack.test_delivery_round4 import MILESTONE, _milestone_week, _posts
from tests.conftest import (
    START,
    World,
    database_unavailable,
    deliveries_settled,
    eventually,
    only_postgres,
    only_sqlite,
    start_bot,
)
from tests.test_checkins_e2e import checkin_options, configure
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    DM_POST,
    _set,
    quick_discord_retries,
    remind,
    row_of,
    settled,
)

SHARDS = 2


@pytest.fixture(autouse=True)
def quick_reidentify(monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py waits 5 s (real time) before identifying again after a lost session, for
    Discord's identify limit; the sandbox has none, so these tests skip the wait."""

    async def at_once(self: object, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    monkeypatch.setattr(discord.Client, "before_identify_hook", at_once)


def shard_of(guild_id: int, count: int = SHARDS) -> int:
    """Discord's rule: a guild's events go to shard (guild_id >> 22) % shard_count."""
    return (guild_id >> 22) % count


async def world_on_shard(sandbox: Sandbox, shard: int) -> World:
    """A server like the `world` fixture's, whose id puts it on `shard` of SHARDS (ids carry
    the real time, so a new one is made until one lands there)."""
    for _ in range(200):
        guild = await sandbox.create_guild("Cohort on a shard")
        if shard_of(guild.id) == shard:
            break
        await asyncio.sleep(0.001)
    else:
        raise AssertionError("no guild id landed on the shard")
    general = await sandbox.create_channel(guild, "general")
    moderator_role = await sandbox.create_role(guild, "Moderator", permissions=1 << 5)
    member = await sandbox.create_member(guild, "Sam")
    other = await sandbox.create_member(guild, "Riley")
    moderator = await sandbox.create_member(guild, "Dana", roles=[moderator_role])
    return World(sandbox, guild, general, moderator_role, member, other, moderator)


def sharded_settings(
    make_settings: Callable[..., Settings], world: World, shards: tuple[int, ...]
) -> Settings:
    sandbox = world.sandbox
    return make_settings(
        discord_token=sandbox.token, dev_guild_id=world.guild.id,
        discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
        shard_count=SHARDS, shard_ids=shards,
    )  # fmt: skip


async def _tick(clock: FakeClock, delta: timedelta) -> None:
    await clock.advance(delta)
    await asyncio.sleep(0.3)


async def _answer_lost_then_outage(
    running: Runtime, world: World, clock: FakeClock, source: str, *, due_in: timedelta
) -> None:
    """The DM's send is carried out by Discord and its answer lost (the connection drops);
    Discord then cuts every message POST for three minutes (past its nonce window), and is
    back; time runs on until the delivery settles."""
    sandbox = world.sandbox
    dropped = sandbox.drop_next("POST", DM_POST)
    await clock.advance(due_in)
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    sandbox.fail_next("POST", DM_POST, 0, times=None)  # before the retry's time comes
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break


def _on_the_test_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock, sandbox: Sandbox) -> None:
    """Message ids and Discord's nonce window on the test's clock, as Discord's run on the
    real time."""
    monkeypatch.setattr(sandbox_state, "clock_seconds", lambda: clock.now().timestamp())
    sandbox.clock = lambda: clock.now().timestamp()


# ----- 1. DMs are announced on shard 0 only -----


async def test_a_process_serving_shard_1_never_sends_a_dm_twice(
    sandbox: Sandbox,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Muster runs as two processes, shards 0 and 1 of 2; this one serves shard 1, where the
    member's server is (shard 0's process is elsewhere, or restarting: it does not matter).
    The member's court reminder DM is carried out by Discord and its answer lost; Discord
    then cuts every send for three minutes. Discord announces a DM's MESSAGE_CREATE on shard
    0 only (its documented sharding rule, which the sandbox keeps), so this process's
    watch, without a gap on shard 1, never sees it and takes that to prove the DM did not
    go out: it sends it again past the nonce window. The member has the reminder twice."""
    world = await world_on_shard(sandbox, 1)
    _on_the_test_clock(monkeypatch, clock, sandbox)
    async with start_bot(sharded_settings(make_settings, world, (1,)), clock) as running:
        source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
        await _answer_lost_then_outage(running, world, clock, source, due_in=timedelta(minutes=5))
        row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)


async def _lose_the_announcement(
    world: World, clock: FakeClock, *, due_in: timedelta, shard_id: int | None = None
) -> None:
    """A shard's connection (every shard's, for None) drops while Discord's gateway is
    unreachable (REST still up); the send comes due and is carried out, its answer lost; its
    MESSAGE_CREATE waits in the shard's session, which Discord then invalidates (op 9 on the
    RESUME): the announcement is gone. Other shards stay connected throughout."""
    sandbox = world.sandbox
    connects = sandbox.gateway_connects
    sandbox.hold_gateway()
    await sandbox.drop_gateway(shard_id=shard_id)
    await sandbox.wait_for(
        lambda: sandbox.gateway_connects > connects, timeout=10, what="the shard to reconnect"
    )
    dropped = sandbox.drop_next("POST", DM_POST)
    await clock.advance(due_in)
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    sandbox.fail_next("POST", DM_POST, 0, times=None)  # before the retry's time comes
    await sandbox.forget_sessions(shard_id=shard_id)
    identified = sandbox.identify_count
    sandbox.release_gateway()
    await sandbox.wait_for(
        lambda: sandbox.identify_count > identified, timeout=15, what="a new session"
    )


async def test_a_dm_announced_into_a_lost_shard_0_session_is_not_sent_twice(
    sandbox: Sandbox,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One process serves shards 0 and 1 of 2; the member's server is on shard 1. Shard 0's
    connection drops in a gateway-only incident, the member's court reminder DM goes out
    (answer lost) and its MESSAGE_CREATE waits in shard 0's session, which Discord then
    invalidates: shard 0 identifies anew, the announcement lost. Shard 1 never had a gap.
    Discord then cuts every send for three minutes. The watch must count shard 0's gap
    against a DM (DMs are announced on shard 0 only), not the server's shard; otherwise it
    takes the silence to prove the DM did not go out and sends it again."""
    world = await world_on_shard(sandbox, 1)
    _on_the_test_clock(monkeypatch, clock, sandbox)
    async with start_bot(sharded_settings(make_settings, world, (0, 1)), clock) as running:
        await sandbox.wait_until_connected(sessions=2)
        source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
        await _lose_the_announcement(world, clock, due_in=timedelta(minutes=5), shard_id=0)
        for _ in range(12):
            await _tick(clock, timedelta(seconds=15))
        sandbox.recover()
        for _ in range(16):
            await _tick(clock, timedelta(seconds=30))
            if (await row_of(running, source)).state not in ("pending", "claimed"):
                break
        row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)


# ----- 2. A channel post sent by the process that does not serve its server's shard -----


@only_postgres
async def test_a_meeting_reminder_posted_while_its_shards_process_is_down_is_recorded(
    sandbox: Sandbox,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes on one PostgreSQL database, shards 0 and 1 of 2; the server is on shard
    1. Shard 1's process goes down (its host died) and shard 0's goes on delivering, as the
    shared queue lets it. The hour-before meeting reminder is carried out by Discord and its
    answer lost; Discord then cuts every send for three minutes. No session serves shard 1,
    so the post's MESSAGE_CREATE reaches nobody and the retry must look in the channel. It
    does not serve the server, so discord.py has no guild for the channel; the look fails
    ('NoneType' has no attribute 'id') on every retry. The members see the reminder; the store
    never records it (pending 'unexpected', then given up at the meeting's start)."""
    world = await world_on_shard(sandbox, 1)
    _on_the_test_clock(monkeypatch, clock, sandbox)
    keyring = Keyring.generate()
    async with start_bot(
        sharded_settings(make_settings, world, (0,)), clock, keyring=keyring
    ) as up:
        async with start_bot(sharded_settings(make_settings, world, (1,)), clock, keyring=keyring):
            source, channel = await book_meeting(up, world, clock, ahead=timedelta(minutes=65))
        # shard 1's process is gone; shard 0's carries on
        dropped = sandbox.drop_next("POST", DM_POST)
        await clock.advance(timedelta(minutes=5))
        await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the post")
        sandbox.fail_next("POST", DM_POST, 0, times=None)  # before the retry's time comes
        for _ in range(12):
            await _tick(clock, timedelta(seconds=15))
        sandbox.recover()
        for _ in range(12):
            await _tick(clock, timedelta(seconds=30))
            if (await row_of(up, source)).state not in ("pending", "claimed"):
                break
        row = await row_of(up, source)
    posted = sandbox.channel_messages(channel)
    assert len(posted) == 1, [m.text for m in posted]
    assert (row.state, row.message_id) == ("sent", posted[0].id), (
        f"the reminder is in #{channel.name}; its delivery is {row.state}/{row.cause} "
        f"({row.detail}), message id {row.message_id}"
    )


# ----- 3. A nonce made from a row id that SQLite hands out again -----


@only_sqlite
async def test_a_reminder_set_after_mydata_delete_reaches_the_member(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sam's reminder comes by DM; a moment later Sam erases everything (/mydata delete,
    confirmed), which takes the reminder and its deliveries with it, and at once sets a new
    reminder for a minute on. A delivery's nonce is made from its row's id, and SQLite gives
    a new row the id of the newest row deleted (no AUTOINCREMENT): the new DM carries the
    old one's nonce, inside Discord's nonce window. Muster takes the first DM, announced on
    the gateway with that nonce, for the new reminder's and POSTs nothing (Discord would hand
    it back too). The member never gets the new reminder; it is recorded as sent, with the
    erased reminder's message id."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    await sandbox.slash(world.member, world.general, "remind add", what="Take my meds",
                        when="in 1 minute")  # fmt: skip
    await clock.advance(timedelta(minutes=1))
    await sandbox.wait_for(lambda: len(sandbox.dms_to(world.member)) == 1, what="the first DM")
    await deliveries_settled(running, clock)
    await clock.advance(timedelta(seconds=10))
    asked = await sandbox.slash(world.member, world.general, "mydata delete")
    [question] = asked.messages
    await sandbox.click(world.member, question, "mydata:confirm")
    assert question.content.startswith("Done."), question.content
    await clock.advance(timedelta(seconds=10))
    await sandbox.slash(world.member, world.general, "remind add", what="Call my sponsor",
                        when="in 1 minute")  # fmt: skip
    [reminder] = await running.services.reminders.list(world.member.id)
    for _ in range(4):
        await clock.advance(timedelta(seconds=20))
        await deliveries_settled(running, clock)
    row = await row_of(running, f"reminder:{reminder.id}")
    dms = sandbox.dms_to(world.member)
    assert [("sponsor" in m.text) for m in dms] == [False, True], (
        f"DMs: {[m.text[:40] for m in dms]}; POSTs by nonce {dict(sandbox.posts_by_nonce)}; "
        f"the new reminder's delivery (row {row.id}) is {row.state}, message {row.message_id}"
    )
    assert (row.state, row.message_id) == ("sent", dms[1].id)


# ----- 4. A gap in the watch where the history cannot be read -----


async def test_a_post_whose_announcement_was_lost_is_not_posted_twice_without_history(
    running: Runtime,
    world: World,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """#meetings lets Muster view and send but not read the history (a common minimal set-up,
    which Muster's own check accepts, with a warning). The gateway drops in a gateway-only
    incident; the hour-before meeting reminder is carried out, its answer lost, and its
    MESSAGE_CREATE waits in a session Discord then invalidates. Discord cuts every send for
    three minutes.
    The watch has a gap and the history cannot be read: Muster cannot know, and must not
    post it again (the members would see it twice). It settles the delivery as sent,
    unconfirmed (no message id: it does not know one), and warns that the channel lacks
    Read Message History."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    source, channel = await book_meeting(running, world, clock, ahead=timedelta(minutes=65))
    await sandbox.deny_bot(channel, READ_MESSAGE_HISTORY)
    await _lose_the_announcement(world, clock, due_in=timedelta(minutes=5))
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    posted = sandbox.channel_messages(channel)
    assert len(posted) == 1, (
        f"#{channel.name} shows the reminder {len(posted)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.cause, row.message_id) == ("sent", "unconfirmed", None)
    assert "Read Message History" in (row.detail or ""), row.detail
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        f"#{channel.name} ({channel.id})" in line and "Read Message History" in line
        for line in warned
    ), warned


async def test_an_anonymous_post_that_may_be_out_is_not_posted_twice_without_history(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same gap in #check-ins, which lacks Read Message History: an anonymous check-in's
    post is carried out, its answer and its announcement lost, and Discord cuts sends for
    three minutes. It is not posted again; the post counts as posted (its message unknown),
    its delivery as sent, unconfirmed; and the server's release moves on, so the anonymous
    check-in waiting behind it still goes out."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    group = await configure(running, world)
    await sandbox.deny_bot(group.checkins, READ_MESSAGE_HISTORY)
    # Muster has posted before, so the gateway has shown its nonces back (until then no
    # silence of the watch is taken as proof, and the post behind would be unconfirmed too).
    await running.bot.get_partial_messageable(world.general.id).send("Hi", nonce="warm-up")
    own_sends = running.bot.own_sends
    await eventually(
        lambda: _set(own_sends.sent(world.general.id, "warm-up") is not None),
        what="the warm-up post announced",
    )
    for member in (world.member, world.other_member):
        await sandbox.slash(
            member, world.general, "checkin now", **checkin_options(share="anonymous")
        )
    await _lose_the_announcement(world, clock, due_in=timedelta(minutes=11))
    [first] = sandbox.channel_messages(group.checkins)  # Discord has it; Muster does not know
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    # The first settles, unconfirmed; then the release moves on to the post waiting behind it.
    for _ in range(40):
        await _tick(clock, timedelta(seconds=30))
        if len(sandbox.channel_messages(group.checkins)) >= 2:
            break
    await asyncio.sleep(0.5)
    shown = sandbox.channel_messages(group.checkins)
    async with running.sessions() as session:
        releases = list(
            await session.scalars(
                select(Occurrence).where(
                    Occurrence.source.startswith(RELEASE.of_server(world.guild.id))
                )
            )
        )
        posts = list(await session.scalars(select(AnonymousPost)))
    outcomes = [(row.state, row.cause, row.message_id) for row in releases]
    titles = [message.embeds[0]["title"] for message in shown]
    assert len(set(titles)) == len(titles) == 2, (
        f"#check-ins shows {titles}; releases {outcomes}; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}"
    )
    assert ("sent", "unconfirmed", None) in outcomes, outcomes
    second = next(message for message in shown if message.id != first.id)
    assert sorted((p.state, p.message_id or 0) for p in posts) == [
        ("posted", 0),
        ("posted", second.id),
    ], [(p.state, p.message_id) for p in posts]


async def test_a_dm_whose_history_cannot_be_read_is_still_sent_after_a_gap(
    running: Runtime,
    world: World,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same blind spot in a DM: the gateway drops in a gateway-only incident (a new
    session, so the watch has a gap), the court reminder's first send is cut before Discord
    carries it out (Muster can't know that), Discord cuts every send for three minutes (past
    its nonce window), and the DM's history is refused (403). Unlike a server post, a DM is
    sent anyway: a second copy of a court reminder is better than none, and here there is
    no first copy, so holding back would leave the member with nothing."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    dm = sandbox.dm_channel(world.member)
    history = rf"^/channels/{dm.id}/messages"
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    connects = sandbox.gateway_connects
    sandbox.hold_gateway()
    await sandbox.drop_gateway()
    await sandbox.wait_for(
        lambda: sandbox.gateway_connects > connects, timeout=10, what="the shard to reconnect"
    )
    sandbox.fail_next("POST", DM_POST, 0, times=None)  # cut before it is carried out
    sandbox.fail_next("GET", history, 403, code=50001, times=None)
    await clock.advance(timedelta(minutes=5))
    await eventually(lambda: _set(sandbox.injected_failures > 0), timeout=10, what="the cut send")
    await sandbox.forget_sessions()
    identified = sandbox.identify_count
    sandbox.release_gateway()
    await sandbox.wait_for(
        lambda: sandbox.identify_count > identified, timeout=15, what="a new session"
    )
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    sandbox.fail_next("GET", history, 403, code=50001, times=None)  # still unreadable
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    looked = sandbox.requests.count(("GET", f"/channels/{dm.id}/messages"))
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; delivery {row.state}/{row.cause}; "
        f"history looks {looked}"
    )
    assert (row.state, row.cause, row.message_id) == ("sent", None, dms[0].id)
    assert looked > 0, "the retry past the nonce window never tried to read the history"
    assert not any("unconfirmed" in r.getMessage() for r in caplog.records)


# ----- 5. A nonce anyone can write -----


async def test_a_members_message_with_muster_s_next_nonce_does_not_stand_in_for_its_post(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message's nonce is whatever its sender's client chose, and Discord announces it on
    the gateway to everyone in the channel. Muster's nonces are `muster-` and the delivery's
    row number, easy to guess. A member (a self-bot, or another bot in the server) writes in
    #meetings with the nonce of the coming meeting reminder's delivery. The watch must take
    only Muster's own messages: the reminder is still posted, and its own id recorded."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    source, channel = await book_meeting(running, world, clock, ahead=timedelta(minutes=65))
    row = await row_of(running, source)
    decoy = await sandbox.post_as(world.other_member, channel, "lol", nonce=f"muster-{row.id}")
    await clock.advance(timedelta(minutes=5))
    await deliveries_settled(running, clock)
    await eventually(
        lambda: _set(len(sandbox.channel_messages(channel)) >= 2), what="the reminder's post"
    )
    await deliveries_settled(running, clock)
    row = await row_of(running, source)
    [post] = [m for m in sandbox.channel_messages(channel) if m.author.id == sandbox.bot_user.id]
    assert (row.state, row.message_id) == ("sent", post.id), (row.state, row.message_id, decoy.id)


# ----- 6. The watch must outlast a database outage -----


async def test_a_dm_seen_on_the_gateway_during_a_long_database_outage_is_not_sent_again(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A medication reminder's DM is carried out by Discord and its answer lost; the watch
    sees its MESSAGE_CREATE, but at that moment the database becomes unavailable (a disk
    stall, a locked file) for 40 minutes, so nothing can be recorded. The gateway stays up
    the whole time, without a gap. When the database is back, the delivery is retried past
    Discord's nonce window: what the watch saw 40 minutes ago must still count, or the
    gap-free silence since is taken to prove the DM never went out."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    source = await remind(running, world, clock, kind="other", ahead=timedelta(minutes=5))
    stall = sandbox.stall_next("POST", DM_POST, after_handling=False)
    await clock.advance(timedelta(minutes=5))
    await asyncio.wait_for(stall.arrived.wait(), timeout=10)
    async with database_unavailable(running.settings):  # taken before the send is carried out
        stall.drop = True  # carried out, and the answer lost
        stall.release.set()
        await sandbox.wait_for(lambda: len(sandbox.dms_to(world.member)) == 1, what="the DM")
        for _ in range(40):
            await clock.advance(timedelta(minutes=1))
            await asyncio.sleep(0.1)
    for _ in range(20):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id), (row.state, row.cause)


# ----- 7. A gateway-only incident -----


@pytest.mark.parametrize("answer_lost", [False, True], ids=["answered", "answer-lost"])
async def test_a_gateway_only_incident_neither_holds_back_nor_doubles_a_court_reminder(
    running: Runtime,
    world: World,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    answer_lost: bool,
) -> None:
    """Discord's gateway is unreachable for 20 minutes while its REST API answers (a
    gateway-only incident); the court reminder comes due 5 minutes in, and Discord then
    invalidates the session, so the bot identifies anew when the gateway is back. The DM
    must go out on time over REST, once, and be recorded. With its answer lost and Discord
    then failing every send for three minutes, the retry comes while there is no session at
    all: a watch blind for the whole send proves nothing, and the DM is looked for."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
    due = clock.now() + timedelta(minutes=5)
    connects = sandbox.gateway_connects
    sandbox.hold_gateway()
    await sandbox.drop_gateway()
    await sandbox.wait_for(lambda: sandbox.gateway_connects > connects, what="a reconnect")
    if answer_lost:  # and Discord then cuts every send for three minutes
        dropped = sandbox.drop_next("POST", DM_POST)
    arrived_at = []
    for _ in range(40):
        await clock.advance(timedelta(seconds=30))
        await asyncio.sleep(0.05)
        if not arrived_at and sandbox.dms_to(world.member):
            arrived_at.append(clock.now())
            if answer_lost:
                assert dropped.arrived.is_set()
                sandbox.fail_next("POST", DM_POST, 0, times=6)
                sandbox.fail_next("POST", DM_POST, 503, times=None)
        if answer_lost and arrived_at and clock.now() - arrived_at[0] > timedelta(minutes=3):
            sandbox.recover()
    await sandbox.forget_sessions()
    sandbox.release_gateway()
    await sandbox.wait_until_connected()
    for _ in range(4):
        await _tick(clock, timedelta(seconds=30))
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert arrived_at, f"the DM never came; delivery {row.state}/{row.cause}"
    assert arrived_at[0] - due <= timedelta(minutes=1), (
        f"due {due:%H:%M}; the DM arrived at {[f'{t:%H:%M}' for t in arrived_at]}; "
        f"delivery {row.state}/{row.cause}"
    )
    assert len(dms) == 1, [m.text[:40] for m in dms]
    assert (row.state, row.message_id) == ("sent", dms[0].id)


# ----- 8. The host's clock put right in the middle of an uncertain send -----


async def test_a_clock_put_back_3_minutes_mid_retry_sends_no_second_dm(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host's clock runs 3 minutes fast (a VM restored from a snapshot). A court
    reminder's DM is carried out and its answer lost while the gateway is down in a
    gateway-only incident (its announcement lost with the session). NTP then sets the clock
    right: 3 minutes back, no time passing. Discord cuts every send for three minutes. By
    the host's clock the retry comes a minute after the attempt, by Discord's four: past
    its nonce window. The member must still have the reminder once."""
    sandbox = world.sandbox
    fast = timedelta(minutes=3)

    def discord_time() -> float:  # Discord's clock: the real time, which the host is ahead of
        return (START - fast).timestamp() + clock.elapsed()

    monkeypatch.setattr(sandbox_state, "clock_seconds", discord_time)
    sandbox.clock = discord_time
    source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
    await _lose_the_announcement(world, clock, due_in=timedelta(minutes=5))
    await clock.step(-fast)  # NTP: the host's clock put right
    await sandbox.wait_until_connected()
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)


# ----- 9. One process sends, another retries -----


@only_postgres
async def test_a_dm_one_process_sent_is_not_sent_again_by_the_process_that_saw_it(
    sandbox: Sandbox,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes on one PostgreSQL database: A serves shard 0, B shard 1; both have been
    connected all along. B happens to claim the member's court reminder (the queue is
    shared) and Discord carries the DM out, its answer lost. Its MESSAGE_CREATE reaches A,
    on shard 0, where DMs are announced. Discord then cuts every send for three minutes, and
    this time A claims the retry. A's watch has no gap since before the send: unless it kept
    what it saw of a send it did not make, it takes its silence to prove the DM never went
    out, and sends it again."""
    world = await world_on_shard(sandbox, 1)
    _on_the_test_clock(monkeypatch, clock, sandbox)
    keyring = Keyring.generate()

    async def claims_nothing(*args: object, **kwargs: object) -> list[object]:
        return []

    async with (
        start_bot(sharded_settings(make_settings, world, (0,)), clock, keyring=keyring) as a,
        start_bot(sharded_settings(make_settings, world, (1,)), clock, keyring=keyring) as b,
    ):
        await sandbox.wait_until_connected(sessions=2)
        monkeypatch.setattr(a.services.scheduler, "claim", claims_nothing)  # B claims the send
        source = await remind(a, world, clock, kind="court", ahead=timedelta(minutes=5))
        dropped = sandbox.drop_next("POST", DM_POST)
        await clock.advance(timedelta(minutes=5))
        await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the send")
        sandbox.fail_next("POST", DM_POST, 0, times=None)
        await eventually(
            lambda: _row_state_is(b, source, "pending"), timeout=10, what="B to let it go"
        )
        monkeypatch.undo()  # A claims the retry; B none
        _on_the_test_clock(monkeypatch, clock, sandbox)
        monkeypatch.setattr(b.services.scheduler, "claim", claims_nothing)
        for _ in range(12):
            await _tick(clock, timedelta(seconds=15))
        sandbox.recover()
        for _ in range(16):
            await _tick(clock, timedelta(seconds=30))
            if (await row_of(a, source)).state not in ("pending", "claimed"):
                break
        row = await row_of(a, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)


async def _row_state_is(running: Runtime, source: str, state: str) -> bool:
    return (await row_of(running, source)).state == state


# ----- 10. Two members, one milestone each, and a gap in the watch -----


async def test_two_members_same_milestone_after_a_gateway_gap_both_posted(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Round 4's two members who reach one week the same day, with one more fault. The
    first milestone's POST has its connection cut before Discord makes anything; the second
    is posted. Then the gateway session is lost (Discord invalidates it; the bot identifies
    anew), so the watch has a gap and cannot prove the first was never made; Discord keeps
    failing for 90 s. The retry past the nonce window looks in the channel, where the other
    member's post has the same words: it must not take it for its own (one post where two
    members reached a milestone)."""
    week = await _milestone_week(running, world, clock, ("Sam", "Riley"))
    sandbox = world.sandbox
    post = rf"/channels/{week.group.checkins.id}/messages$"
    await week.at(1, "11:59:00")
    sandbox.fail_next("POST", post, 0, times=1)  # connection cut, nothing made
    await week.at(1, "12:00:05")
    assert len(_posts(week, MILESTONE)) == 1, _posts(week, MILESTONE)  # one failed, one posted
    sandbox.fail_next("POST", post, 503, times=None)
    identified = sandbox.identify_count
    await sandbox.forget_sessions()
    await sandbox.wait_for(
        lambda: sandbox.identify_count > identified, timeout=15, what="a new session"
    )
    await week.at(1, "12:01:30")
    sandbox.recover()
    await week.at(1, "12:40:00")
    posted = _posts(week, MILESTONE)
    assert len(posted) == 2, f"two members reached a week; the channel shows {posted}"


# ----- 11. The look itself fails -----


async def test_a_dm_is_not_sent_again_while_the_history_cannot_be_read(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A court reminder's DM is carried out and its answer lost while the gateway is down
    (its announcement lost with the session). Discord then cuts every send for three
    minutes, and its message history endpoint answers 503 for ten (a partial outage: sends
    work again before reads do). A retry that cannot look must wait until it can, not send:
    the member has the reminder once, and it is recorded."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
    history = r"^/channels/\d+/messages$"
    sandbox.fail_next("GET", history, 503, times=None)
    await _lose_the_announcement(world, clock, due_in=timedelta(minutes=5))
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover("POST")  # sends work again; reads do not
    for _ in range(14):
        await _tick(clock, timedelta(seconds=30))
    sandbox.recover()
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)


# ----- 12. A busy channel around the send -----


async def test_a_meeting_reminder_in_a_busy_channel_is_found_not_posted_twice(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group's meetings channel is #general, and the members are chatting hard just
    before the meeting: 150 messages in the half minute before the hour-before reminder
    and 150 after it. The reminder is carried out and its answer lost while the gateway
    is down (its announcement lost with the session); Discord then cuts every send for
    three minutes. The look must page through the history to find it, not post it again."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    meeting = await running.services.meetings.create(
        guild_id=world.guild.id, actor_id=world.moderator.id, title="Peer group",
        starts_at=clock.now() + timedelta(minutes=65), zone="America/New_York",
        repeat="once", leads=(60,),
    )  # fmt: skip
    await running.services.guild_settings.set_channel(
        world.guild.id, world.moderator.id, "meetings_channel_id", world.general.id
    )
    assert meeting.next_start is not None
    source = MEETING.source(meeting.id, meeting.next_start)
    await clock.advance(timedelta(minutes=4, seconds=30))
    for number in range(150):
        await sandbox.post_as(world.other_member, world.general, f"see you soon {number}")
    await _lose_the_announcement(world, clock, due_in=timedelta(seconds=30))
    for number in range(150):
        await sandbox.post_as(world.member, world.general, f"on my way {number}")
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    posted = [
        m for m in sandbox.channel_messages(world.general) if m.author.id == sandbox.bot_user.id
    ]
    assert len(posted) == 1, (
        f"#general shows the reminder {len(posted)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", posted[0].id)


# ----- 13. A refusal after an uncertain send -----


async def test_a_429_after_an_uncertain_send_does_not_clear_the_doubt(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A court reminder's DM is carried out and its answer lost while the gateway is down
    (its announcement lost with the session). Every send after it, for three minutes, is
    refused with a 429 asking to wait a minute: those retries surely sent nothing, but the
    first may have. When Discord is back, past its nonce window, the DM is still in doubt
    and must be looked for, not sent again."""
    sandbox = world.sandbox
    _on_the_test_clock(monkeypatch, clock, sandbox)
    source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
    await _lose_the_announcement(world, clock, due_in=timedelta(minutes=5))
    sandbox.recover()
    sandbox.fail_next("POST", DM_POST, 429, times=None, retry_after=60.0)
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state not in ("pending", "claimed"):
            break
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the member has the reminder {len(dms)} times; POSTs by nonce "
        f"{dict(sandbox.posts_by_nonce)}; delivery {row.state}/{row.cause}"
    )
    assert (row.state, row.message_id) == ("sent", dms[0].id)
