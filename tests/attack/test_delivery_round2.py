"""Red-team attacks on the delivery promise, round 2 (issue #13), in process against the
sandbox and a fake clock.

Each test asserts what the member would see or what is stored, and fails while the promise
is broken: every delivery Muster accepted goes out exactly once before its kind's deadline,
or is settled with its real cause; a send that succeeded has its message id recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import discord.http
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.base import Base
from bot.db.models import Occurrence, Reminder
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Channel, Member
from bot.scheduling import Scheduler
from bot.services.crypto import encrypt
from bot.services.meetings import MEETING
from bot.services.reminders import LATE_NOTE_AFTER
from tests.conftest import (
    TEST_DATABASE_URL,
    World,
    eventually,
    only_postgres,
    start_bot,
)
from tests.test_delivery_faults import DM_POST, remind, row_of
from tests.test_meetings_e2e import meetings_channel

STEP = timedelta(seconds=30)


class _SleepsOnTheFakeClock:
    """discord.http's view of asyncio, with its sleeps (a 429's retry_after, the pauses
    between its 5xx retries) taken on the test's clock: real time passing, made quick."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        await self._clock.sleep(delay)
        return result


@pytest.fixture
def discord_sleeps_on_the_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    monkeypatch.setattr(discord.http, "asyncio", _SleepsOnTheFakeClock(clock))


async def _pass_time_watching_dms(
    clock: FakeClock, until: datetime, member: Member, world: World
) -> list[datetime]:
    """Let time pass in STEPs (the dispatcher may be busy, so no waiting for its runs) and
    note, by the test's clock, when each DM to `member` arrived."""
    seen: list[datetime] = []
    while clock.now() < until:
        await clock.advance(STEP)
        await asyncio.sleep(0.02)
        for _ in world.sandbox.dms_to(member)[len(seen) :]:
            seen.append(clock.now())
    return seen


async def test_a_429_with_a_long_retry_after_never_delivers_a_court_reminder_after_the_court_date(
    running: Runtime, world: World, clock: FakeClock, discord_sleeps_on_the_clock: None
) -> None:
    """The 2-hours-before reminder of a court date comes due; Discord answers its DM with one
    429 asking to wait 3 hours (Discord does send long retry_after values). Promise: a
    transient failure is retried until the kind's deadline (the court date itself), then
    settled as missed with its real cause; the member never gets '2 hours to go' after the
    hearing began."""
    sandbox = world.sandbox
    court_at = clock.now() + timedelta(hours=2, minutes=5)
    source = await remind(running, world, clock, kind="court", ahead=court_at - clock.now())
    sandbox.fail_next("POST", DM_POST, 429, times=1, retry_after=3 * 3600)
    arrivals = await _pass_time_watching_dms(
        clock, court_at + timedelta(hours=1, minutes=30), world.member, world
    )
    row = await row_of(running, source)
    late = [moment for moment in arrivals if moment >= court_at]
    assert not late, (
        f"the court date was at {court_at:%H:%M}; its '2 hours to go' DM arrived at "
        f"{[f'{moment:%H:%M}' for moment in late]} (delivery {row.state!r}, cause "
        f"{row.cause!r}, {row.attempts} attempt(s))"
    )
    assert (row.state, row.cause) == ("skipped_late", "rate_limited"), (row.state, row.cause)


async def test_a_dm_held_40_minutes_by_a_429_says_it_is_late(
    running: Runtime, world: World, clock: FakeClock, discord_sleeps_on_the_clock: None
) -> None:
    """A medication reminder's DM gets one 429 asking to wait 40 minutes. The lateness policy
    (services/reminders/): a reminder more than 2 minutes late still goes out, saying when
    it should have arrived. Promise: the member is told it is late, and why."""
    sandbox = world.sandbox
    await remind(running, world, clock, kind="medication", ahead=timedelta(minutes=5))
    due_at = clock.now() + timedelta(minutes=5)
    sandbox.fail_next("POST", DM_POST, 429, times=1, retry_after=40 * 60)
    arrivals = await _pass_time_watching_dms(
        clock, due_at + timedelta(minutes=50), world.member, world
    )
    [arrived_at] = arrivals
    [dm] = sandbox.dms_to(world.member)
    footer = (dm.embeds[0].get("footer") or {}).get("text", "")
    assert arrived_at - due_at < LATE_NOTE_AFTER or "Sorry, this is late" in footer, (
        f"due at {due_at:%H:%M}, the DM arrived at {arrived_at:%H:%M} with footer {footer!r}"
    )


async def test_a_reminder_cancelled_while_its_dm_is_in_flight_records_the_dm_that_went_out(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The member cancels a reminder (/remind cancel) just as it fires: Discord has taken the
    DM, its answer is not back yet. Promise (R8, R30): a send that succeeded has its message
    id recorded, and the occurrence's one end state says what happened (the DM went out)."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    reminder_id = source.split(":")[1]
    stall = sandbox.stall_next("POST", DM_POST, after_handling=True)
    await clock.advance(timedelta(minutes=5))
    await asyncio.wait_for(stall.arrived.wait(), timeout=10)
    [dm] = sandbox.dms_to(world.member)  # Discord has it
    cancelled = await sandbox.slash(
        world.member, world.general, "remind cancel", reminder=reminder_id
    )
    assert "Cancelled" in cancelled.text, cancelled.text
    stall.release.set()

    await asyncio.sleep(1.0)  # the send returns and the scheduler settles
    row = await row_of(running, source)
    assert row.message_id == dm.id, (
        f"the DM {dm.id} reached the member, but its delivery is recorded as {row.state!r} "
        f"with message id {row.message_id} ({row.detail!r})"
    )
    assert row.state == "sent", (row.state, row.detail)
    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert listed.text.startswith("You have no reminders"), listed.text  # it is cancelled


@only_postgres
async def test_two_processes_never_both_send_a_dm_held_up_by_a_429_past_the_lease(
    world: World,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    discord_sleeps_on_the_clock: None,
) -> None:
    """Two processes on one PostgreSQL database (shards 0 and 1 of 2). One claims a reminder
    and Discord answers its DM with a 429 asking to wait 10 minutes, which discord.py sleeps
    through inside the send. Promise (R8, R30): two processes never double a reminder; the
    DM reaches the member once."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()  # Discord's nonce window by the same clock
    keyring = Keyring.generate()

    def shard(number: int) -> Settings:
        return make_settings(
            discord_token=sandbox.token, dev_guild_id=world.guild.id,
            discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
            shard_count=2, shard_ids=(number,),
        )  # fmt: skip

    async with (
        start_bot(shard(0), clock, keyring=keyring) as first,
        start_bot(shard(1), clock, keyring=keyring),
    ):
        source = await remind(first, world, clock, ahead=timedelta(minutes=5))
        sandbox.fail_next("POST", DM_POST, 429, times=1, retry_after=600)
        await _pass_time_watching_dms(
            clock, clock.now() + timedelta(minutes=20), world.member, world
        )
        row = await row_of(first, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the reminder reached the member {len(dms)} times ({[m.id for m in dms]}); "
        f"{sandbox.posts_by_nonce} message POSTs by nonce; its delivery is {row.state!r} "
        f"(message id {row.message_id})"
    )


async def book_meeting(
    running: Runtime,
    world: World,
    clock: FakeClock,
    *,
    ahead: timedelta,
    leads: tuple[int, ...] = (60,),
) -> tuple[str, Channel]:
    """A one-off meeting `ahead` from now with reminders `leads` minutes before (an hour, by
    default) in #meetings: the
    source of its delivery, and the channel."""
    channel = await meetings_channel(world, running)
    meeting = await running.services.meetings.create(
        guild_id=world.guild.id, actor_id=world.moderator.id, title="Peer group",
        starts_at=clock.now() + ahead, zone="America/New_York", repeat="once", leads=leads,
    )  # fmt: skip
    assert meeting.next_start is not None
    return MEETING.source(meeting.id, meeting.next_start), channel


async def test_a_429_with_a_long_retry_after_never_posts_a_meeting_reminder_after_it_began(
    running: Runtime, world: World, clock: FakeClock, discord_sleeps_on_the_clock: None
) -> None:
    """The hour-before reminder of a meeting comes due; Discord answers the post with one 429
    asking to wait 2 hours. Promise: retried until the meeting's start (its kind's deadline),
    then settled as missed with its real cause; never posted after the meeting began."""
    sandbox = world.sandbox
    starts_at = clock.now() + timedelta(hours=1, minutes=5)
    source, channel = await book_meeting(running, world, clock, ahead=starts_at - clock.now())
    sandbox.fail_next("POST", DM_POST, 429, times=1, retry_after=2 * 3600)
    posted_at: list[datetime] = []
    while clock.now() < starts_at + timedelta(hours=1, minutes=30):
        await clock.advance(STEP)
        await asyncio.sleep(0.02)
        posted_at += [clock.now()] * (len(sandbox.channel_messages(channel)) - len(posted_at))
    row = await row_of(running, source)
    assert all(moment < starts_at for moment in posted_at), (
        f"the meeting began at {starts_at:%H:%M}; its hour-before reminder was posted at "
        f"{[f'{moment:%H:%M}' for moment in posted_at]} (delivery {row.state!r}, cause "
        f"{row.cause!r})"
    )
    assert (row.state, row.cause) == ("skipped_late", "rate_limited"), (row.state, row.cause)


async def test_after_downtime_a_meeting_gets_one_catch_up_post_however_much_else_is_due(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    """Muster is down for 25 hours. A meeting 26 hours ahead had its day-before and its
    hour-before reminders fall due meanwhile, and so did 499 members' personal reminders
    (a busy deployment). Promise (R8): after downtime, at most one catch-up message per
    reminder: the meeting gets one post, not one per lead. (With nothing else due, its two
    reminders are folded into one; the 499 push them into different claim batches.)"""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as first:
        source, channel = await book_meeting(
            running=first, world=world, clock=clock, ahead=timedelta(hours=26), leads=(24 * 60, 60)
        )
        due_between = clock.now() + timedelta(hours=3)  # after the day-before reminder
        async with first.sessions.begin() as session:
            for number in range(499):
                row = Reminder(
                    user_id=world.other_member.id, guild_id=world.guild.id, kind="other",
                    text_encrypted=b"", event_at=due_between, timezone="UTC", lead_minutes=[0],
                    status="active", created_at=clock.now(), interaction_id=1000 + number,
                )  # fmt: skip
                session.add(row)
                await session.flush()
                row.text_encrypted = encrypt(keyring, "Take meds", context=f"reminder:{row.id}")
                await Scheduler.add(
                    session, source=f"reminder:{row.id}", kind="personal", due_at=due_between,
                    payload={"lead": 0},
                )  # fmt: skip
    await clock.advance(timedelta(hours=25, minutes=5))  # the hour-before is 5 minutes late
    async with start_bot(bot_settings, clock, keyring=keyring) as second:

        async def settled() -> bool:
            async with second.sessions() as session:
                states = await session.scalars(
                    select(Occurrence.state).where(Occurrence.source == source)
                )
                return all(state not in ("pending", "claimed") for state in states)

        await eventually(settled, timeout=30, what="the meeting's reminders to settle")
        async with second.sessions() as session:
            outcomes = list(
                await session.execute(
                    select(Occurrence.payload, Occurrence.state, Occurrence.cause).where(
                        Occurrence.source == source
                    )
                )
            )
    posts = sandbox.channel_messages(channel)
    assert len(posts) == 1, (
        f"{len(posts)} catch-up posts for one meeting: "
        f"{[m.embeds[0]['title'] for m in posts]}; its reminders: {outcomes}"
    )


@only_postgres
async def test_postgres_connections_killed_while_a_sent_dm_is_settled_record_it_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A failover: Discord has taken the DM, and while its answer comes back every database
    connection of this bot is terminated, again and again for three seconds, with the
    tables locked meanwhile. Promise (R8,
    R30): the DM is not sent again, and its delivery ends 'sent' with its message id. (This
    attack held when run: kept as a regression test.)"""
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    stall = sandbox.stall_next("POST", DM_POST, after_handling=True)
    await clock.advance(timedelta(minutes=5))
    await asyncio.wait_for(stall.arrived.wait(), timeout=10)
    assert TEST_DATABASE_URL is not None
    admin = create_async_engine(TEST_DATABASE_URL)
    killed = 0
    try:
        async with admin.connect() as holder:  # not the bot's: its kills spare this one
            await holder.execute(text(f"SET search_path TO {running.settings.database_schema}"))
            tables = ", ".join(Base.metadata.tables)
            await holder.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
            stall.release.set()  # the settle waits on the lock
            failover_ends = asyncio.get_running_loop().time() + 3.0
            while asyncio.get_running_loop().time() < failover_ends:
                await asyncio.sleep(0.3)
                async with admin.begin() as connection:
                    # Only this test's bot (its schema): other suites share the server.
                    killed += await connection.scalar(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = :name"
                        ),
                        {"name": f"muster-{running.settings.database_schema}"},
                    )
            await holder.rollback()
    finally:
        await admin.dispose()
    assert killed >= 1
    for _ in range(10):  # past the lease: a lost claim would be taken up again by now
        await clock.advance(STEP)
        await asyncio.sleep(0.2)
    row = await row_of(running, source)
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, f"{len(dms)} DMs; {sandbox.posts_by_nonce} POSTs by nonce"
    assert (row.state, row.message_id) == ("sent", dms[0].id), (row.state, row.message_id)
    assert sandbox.posts_by_nonce[f"muster-{row.id}"] == 1


@only_postgres
async def test_two_processes_never_resend_a_dm_sent_just_before_a_database_outage(
    world: World, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    """Two processes on one PostgreSQL database. Discord takes a reminder's DM; as its answer
    comes back the database becomes unreachable for three minutes (a failover: every
    statement times out), so the process that sent it cannot record it, nor keep its
    message id. When the database is back, the other process sees an expired lease.
    Promise (R8, R30): two processes and database faults never double a reminder."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()  # Discord's nonce window by the same clock
    keyring = Keyring.generate()

    def shard(number: int) -> Settings:
        return make_settings(
            discord_token=sandbox.token, dev_guild_id=world.guild.id,
            discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
            shard_count=2, shard_ids=(number,), postgres_statement_timeout_ms=300,
        )  # fmt: skip

    assert TEST_DATABASE_URL is not None
    admin = create_async_engine(TEST_DATABASE_URL)
    try:
        async with (
            start_bot(shard(0), clock, keyring=keyring) as first,
            start_bot(shard(1), clock, keyring=keyring),
        ):
            source = await remind(first, world, clock, ahead=timedelta(minutes=5))
            stall = sandbox.stall_next("POST", DM_POST, after_handling=True)
            await clock.advance(timedelta(minutes=5))
            await asyncio.wait_for(stall.arrived.wait(), timeout=10)
            async with admin.connect() as outage:
                schema = first.settings.database_schema
                await outage.execute(text(f"SET search_path TO {schema}"))
                tables = ", ".join(Base.metadata.tables)
                await outage.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
                stall.release.set()  # the DM's answer is back; nothing can be written
                for _ in range(6):  # three minutes of outage
                    await clock.advance(STEP)
                    await asyncio.sleep(1.0)
                await outage.rollback()  # the database is back
            for _ in range(4):
                await clock.advance(STEP)
                await asyncio.sleep(0.5)
            row = await row_of(first, source)
    finally:
        await admin.dispose()
    dms = sandbox.dms_to(world.member)
    assert len(dms) == 1, (
        f"the reminder reached the member {len(dms)} times ({[m.id for m in dms]}); "
        f"{sandbox.posts_by_nonce} message POSTs by nonce; its delivery is {row.state!r} "
        f"(message id {row.message_id})"
    )
