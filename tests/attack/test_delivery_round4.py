"""Attack, round 4 on issue #13: the look in the channel's history before a send past
Discord's nonce window (bot/delivery.py send_once/find_sent).

A retry of an attempt that may have gone out unrecorded reads the channel's history since
the first uncertain attempt and takes the bot's own message with the same text, embeds and
buttons as the one it would send. Message ids carry the test's clock (as Discord's carry
the real time), and the sandbox's nonce window runs on the test's clock too.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.sandbox.state as sandbox_state
from bot.clock import FakeClock
from bot.db.models import AnonymousPost, Occurrence
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.sandbox.state import READ_MESSAGE_HISTORY, VIEW_CHANNEL
from tests.conftest import World, eventually
from tests.test_attacker import Week
from tests.test_checkins_e2e import configure
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    DM_POST,
    _set,
    quick_discord_retries,
    remind,
    row_of,
    settled,
    step,
)

MILESTONE = "Someone in the group reached"
SUMMARY = "The week in anonymous check-ins"


async def _milestone_week(
    running: Runtime, world: World, clock: FakeClock, names: tuple[str, ...]
) -> Week:
    """Members (Eastern) who set the same sobriety date with anonymous milestones: each
    reaches one week on Monday Nov 23, posted at local noon."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()  # the nonce window on the test's clock
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    pool = [world.member, world.other_member]
    members = {}
    for index, name in enumerate(names):
        members[name] = pool[index] if index < 2 else await sandbox.create_member(world.guild, name)
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")
    await week.at(0, "16:00:00")
    for who in members.values():
        await sandbox.slash(who, world.general, "sobriety set", since="Nov 16",
                            milestones="anonymous")  # fmt: skip
    return week


async def _tick(clock: FakeClock, delta: timedelta) -> None:
    await clock.advance(delta)
    await asyncio.sleep(0.3)


def _posts(week: Week, text: str) -> list[str]:
    return [m.text for m in week.channel() if text in m.text]


async def test_two_members_same_milestone_same_day_both_posted(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Two members of the same cohort (same start date) reach one week the same day. The
    first milestone's POST has its connection cut before Discord makes anything (the bot
    can't know), the second
    is posted; Discord keeps failing for 90 s. The first milestone's retry past the nonce
    window looks in the channel, finds the other member's post (same words, anonymous) and
    records it as its own: one post where two members reached a milestone."""
    week = await _milestone_week(running, world, clock, ("Sam", "Riley"))
    sandbox = world.sandbox
    post = rf"/channels/{week.group.checkins.id}/messages$"
    await week.at(1, "11:59:00")
    sandbox.fail_next("POST", post, 0, times=1)  # connection cut, nothing made
    await week.at(1, "12:00:05")
    assert len(_posts(week, MILESTONE)) == 1, _posts(week, MILESTONE)  # one failed, one posted
    sandbox.fail_next("POST", post, 503, times=None)
    await week.at(1, "12:01:30")
    sandbox.recover()
    await week.at(1, "12:40:00")
    posted = _posts(week, MILESTONE)
    assert len(posted) == 2, f"two members reached a week; the channel shows {posted}"


async def test_no_read_message_history_an_unanswered_post_is_not_posted_twice(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """The server gave Muster View Channel and Send Messages in #check-ins but not Read
    Message History (a common minimal setup). A milestone post is carried out by Discord and
    the answer is lost; Discord then fails for three minutes (past its nonce window). The
    retry can't look, and sends anyway: the member's milestone is in the channel twice."""
    week = await _milestone_week(running, world, clock, ("Sam",))
    sandbox = world.sandbox
    await sandbox.deny_bot(week.group.checkins, READ_MESSAGE_HISTORY)
    post = rf"/channels/{week.group.checkins.id}/messages$"
    await week.at(1, "11:59:59")
    dropped = sandbox.drop_next("POST", post)
    await clock.advance(timedelta(seconds=1))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped post")
    sandbox.fail_next("POST", post, 503, times=None)  # before the retry's time comes
    await week.at(1, "12:03:30")
    sandbox.recover()
    await week.at(1, "12:40:00")
    sandbox.violations.clear()
    posted = _posts(week, MILESTONE)
    assert len(posted) == 1, f"one milestone; the channel shows {posted}"


async def test_a_bot_clock_a_little_ahead_of_discords_sends_no_second_dm(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host's clock runs 20 s ahead of Discord's (no NTP on a small VM; Muster itself
    lets a step up to a minute pass). A court reminder DM is carried out and its answer
    lost; Discord then fails for three minutes. The retry reads the history from 10 s before
    its first attempt on the bot's clock, which is 10 s after the message's snowflake: it
    finds nothing and sends the reminder again."""
    skew = 20.0
    monkeypatch.setattr(sandbox_state, "clock_seconds", lambda: clock.now().timestamp() - skew)
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp() - skew
    source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
    dropped = sandbox.drop_next("POST", DM_POST)
    await step(running, clock, timedelta(minutes=5))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped send")
    sandbox.fail_next("POST", DM_POST, 0, times=None)  # before the retry's time comes
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(12):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, [m.text for m in dms]
    assert (await row_of(running, source)).message_id == dms[0].id


async def test_a_post_a_moderator_deleted_is_not_posted_again(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """A milestone post is carried out by Discord and the answer is lost. A moderator deletes
    it from the channel within the minute (Discord's own Delete Message). Discord then fails
    the bot's POSTs for three minutes (past its nonce window). The retry reads the history,
    finds nothing (deleted), and posts it again: the message the moderator took down is
    back, and the occurrence records the second message, not the one that was sent."""
    week = await _milestone_week(running, world, clock, ("Sam",))
    sandbox = world.sandbox
    post = rf"/channels/{week.group.checkins.id}/messages$"
    await week.at(1, "11:59:59")
    dropped = sandbox.drop_next("POST", post)
    await clock.advance(timedelta(seconds=1))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped post")
    sandbox.fail_next("POST", post, 0, times=None)  # before the retry's time comes
    [landed] = [m for m in week.channel() if MILESTONE in m.text]
    await sandbox.delete_message(landed)  # a moderator's Delete Message
    await week.at(1, "12:03:30")
    sandbox.recover()
    await week.at(1, "12:40:00")
    again = [m for m in week.channel() if MILESTONE in m.text]
    assert again == [], f"the moderator deleted it; the channel shows it again: {again}"


async def _summary_answer_lost_then_withdrawn(
    running: Runtime, world: World, clock: FakeClock, authors: int
) -> Week:
    """`authors` members post anonymously on Monday Nov 23 (the server shows a summary from
    three); Monday Nov 30 at 9:00 the summary is carried out by Discord and its answer lost,
    Discord then fails the bot's POSTs, and Sam withdraws last week's check-in meanwhile.
    Discord is back at 9:03:30, past its nonce window."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    services = running.services
    group = await configure(running, world, threshold="3")
    await services.anonymous.book_next(world.guild.id, clock.now())
    await services.summaries.ensure(world.guild.id, "America/New_York")
    members = {"Sam": world.member, "Riley": world.other_member}
    for name in ("Alex", "Blair")[: authors - 2]:
        members[name] = await sandbox.create_member(world.guild, name)
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")
    for hour, name in zip(("10", "11", "12", "13"), members, strict=False):
        await week.at(1, f"{hour}:00:00")
        await week.checkin(name, "anonymous", mood=4)
    await week.at(1, "18:00:00")
    assert len(week.channel()) == authors, [m.text for m in week.channel()]
    post = rf"/channels/{group.checkins.id}/messages$"
    await week.at(8, "08:59:59")
    dropped = sandbox.drop_next("POST", post)
    await clock.advance(timedelta(seconds=1))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped post")
    sandbox.fail_next("POST", post, 0, times=None)  # before the retry's time comes
    async with running.sessions() as session:
        ids = list(await session.scalars(select(AnonymousPost.id)))
    for post_id in ids:  # Sam takes last week's check-in down (Options, Delete)
        try:
            await services.anonymous.withdraw(world.member.id, post_id)
            break
        except UserFacingError:
            continue
    else:
        raise AssertionError("Sam's post not found")
    await week.at(8, "09:03:30")
    sandbox.recover()
    await week.at(8, "09:40:00")
    return week


async def test_a_summary_whose_counts_changed_is_not_posted_twice(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Four members post anonymously in the week (the server shows a summary from three);
    Monday at 9:00 the summary is carried out by Discord and its answer lost. Discord then
    fails the bot's POSTs for three minutes (past its nonce window); meanwhile one member
    withdraws last week's check-in. The retry rebuilds the summary with the new counts
    ("3 members shared 3 check-ins"), reads the history, finds no message with that
    description, and posts a second summary."""
    week = await _summary_answer_lost_then_withdrawn(running, world, clock, 4)
    summaries = [m for m in week.channel() if SUMMARY in m.text]
    assert len(summaries) == 1, [m.text[:160] for m in summaries]


async def test_a_summary_that_went_out_is_recorded_as_sent(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """As above with three members, the server's threshold: the retry rebuilds the summary,
    finds two members, and cancels it ("fewer members took part") without looking. The
    channel shows the summary; the store says none was posted and keeps no message id."""
    week = await _summary_answer_lost_then_withdrawn(running, world, clock, 3)
    summaries = [m for m in week.channel() if SUMMARY in m.text]
    assert len(summaries) == 1, [m.text[:160] for m in summaries]
    async with running.sessions() as session:
        row = await session.scalar(
            select(Occurrence)
            .where(Occurrence.kind == "summary", Occurrence.message_id.is_not(None))
            .order_by(Occurrence.due_at)
        )
        states = [
            (r.state, r.cause, r.message_id, r.detail)
            for r in await session.scalars(select(Occurrence).where(Occurrence.kind == "summary"))
        ]
    assert row is not None, states
    assert row.state == "sent", states
    assert row.message_id == summaries[0].id


async def test_two_reminders_with_the_same_words_each_reach_the_member(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held: two court reminders with the same text, kind and time (set twice on purpose).
    The first one's send is cut before Discord makes anything; Discord then fails for three
    minutes, so the retries look in the DM history past the nonce window. Neither may take
    the other's message (the buttons name the reminder): two DMs, two ids. (The second
    waits while the first is retried, so it can't land first in this scenario.)"""
    monkeypatch.setattr(sandbox_state, "clock_seconds", lambda: clock.now().timestamp())
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    sources = []
    for interaction in (77, 78):  # two /remind commands
        created = await running.services.reminders.create(
            user_id=world.member.id, guild_id=world.guild.id, kind="court", text="Call the VA",
            event_at=clock.now() + timedelta(minutes=5), zone="UTC", interaction_id=interaction,
        )  # fmt: skip
        sources.append(f"reminder:{created.id}")
    sandbox.fail_next("POST", DM_POST, 0, times=1)
    await _tick(clock, timedelta(minutes=5))
    sandbox.fail_next("POST", DM_POST, 0, times=None)
    for _ in range(12):
        await _tick(clock, timedelta(seconds=15))
    sandbox.recover()
    for _ in range(12):
        await _tick(clock, timedelta(seconds=30))
        if all([(await row_of(running, source)).state == "sent" for source in sources]):
            break
    assert [await settled(running, source) for source in sources] == ["sent", "sent"]
    dms = sandbox.dms_to(world.member)
    rows = [await row_of(running, source) for source in sources]
    assert len(dms) == 2, [(r.source, r.state, r.cause, r.message_id, r.detail) for r in rows] + [
        (m.id, m.nonce, m.components) for m in dms
    ]
    ids = {(await row_of(running, source)).message_id for source in sources}
    assert ids == {m.id for m in dms}


async def test_a_502_after_the_send_then_a_long_429_sends_no_second_dm(
    running: Runtime, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord makes the court reminder DM but answers 502 (Cloudflare's gateway timed out:
    the classic duplicate). discord.py retries a 502 by itself inside the same send; that
    retry is refused with a 429 asking for 5 minutes, raised as RateLimited. The scheduler
    settles the attempt as rate_limited, "Discord refused it: it sent nothing", and forgets
    that it may have been sent; five minutes on (past the nonce window) it sends again
    without looking: the member has the reminder twice."""
    monkeypatch.setattr(sandbox_state, "clock_seconds", lambda: clock.now().timestamp())
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    source = await remind(running, world, clock, kind="court", ahead=timedelta(minutes=5))
    carried_out = sandbox.fail_after_next(
        "POST",
        DM_POST,
        502,
        then=lambda: sandbox.fail_next("POST", DM_POST, 429, retry_after=300.0),  # the retry's
    )
    await _tick(clock, timedelta(minutes=5))
    await eventually(lambda: _set(carried_out.arrived.is_set()), timeout=10, what="the send")
    await asyncio.sleep(0.5)
    assert len(sandbox.dms_to(world.member)) == 1
    first = await row_of(running, source)
    assert (first.state, first.cause) == ("pending", "rate_limited")
    for _ in range(16):
        await _tick(clock, timedelta(seconds=30))
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, [m.text for m in dms]
    assert (await row_of(running, source)).message_id == dms[0].id


async def test_a_post_that_went_out_is_not_settled_as_refused(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """A milestone post is carried out by Discord and its answer lost; Discord fails the
    bot's POSTs for three minutes, and meanwhile an admin takes View Channel from Muster in
    #check-ins (a permissions clean-up). The retry's history read gets 403 50001, the send
    403 too: the milestone is settled as refused (missing permission) though the members
    see it in the channel, and its message id is never recorded."""
    week = await _milestone_week(running, world, clock, ("Sam",))
    sandbox = world.sandbox
    post = rf"/channels/{week.group.checkins.id}/messages$"
    await week.at(1, "11:59:59")
    dropped = sandbox.drop_next("POST", post)
    await clock.advance(timedelta(seconds=1))
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the dropped post")
    sandbox.fail_next("POST", post, 0, times=None)  # before the retry's time comes
    await week.at(1, "12:01:00")
    await sandbox.deny_bot(week.group.checkins, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
    await week.at(1, "12:03:30")
    sandbox.recover()
    await week.at(1, "12:40:00")
    sandbox.violations.clear()
    posted = [m for m in week.channel() if MILESTONE in m.text]
    assert len(posted) == 1
    async with running.sessions() as session:
        rows = list(await session.scalars(select(Occurrence).where(Occurrence.kind == "milestone")))
    outcomes = [(r.state, r.cause, r.message_id) for r in rows]
    assert ("sent", None, posted[0].id) in outcomes, outcomes
