"""Red-team attacks on the delivery promise, round 3 (issue #13), in process against the
sandbox and a fake clock.

Each test asserts what the member sees or what is stored, and fails while the promise is
broken: every delivery Muster accepted goes out exactly once before its kind's deadline, or
is settled with its real cause; a message that was sent is never sent again and its id is
recorded; the bot refuses to start when its keys do not match the stored data."""

from __future__ import annotations

import asyncio
import errno
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from bot.clock import FakeClock, SystemClock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.db.group_commit import BatchWriter
from bot.db.models import AnonymousPost, Checkin, KeyCheck, Occurrence
from bot.errors import ConfigError
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.services.checkins import RELEASE, HeldBack
from bot.services.resources import RecoveryMeetingService
from cogs.resources.ui import import_report_text
from tests.attack.test_delivery_round2 import book_meeting
from tests.conftest import (
    ON_POSTGRES,
    World,
    deliveries_settled,
    eventually,
    only_postgres,
    start_bot,
)
from tests.test_checkins_e2e import checkin_options, configure
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    DM_POST,
    STEP,
    _set,
    quick_discord_retries,
    remind,
    row_of,
    step,
)


async def _watch(
    running: Runtime,
    clock: FakeClock,
    until: datetime,
    count: Callable[[], int],
    *,
    by: timedelta = STEP,
) -> list[datetime]:
    """Let time pass in steps, each until the dispatcher has carried out what is due, and
    note, by the test's clock, when each new message counted by `count` appeared."""
    seen: list[datetime] = []
    while clock.now() < until:
        await clock.advance(by)
        await deliveries_settled(running, clock)
        seen += [clock.now()] * (count() - len(seen))
    return seen


# ----- a wall clock set forward past the event -----------------------------------------------


async def test_a_clock_set_forward_past_a_court_date_never_sends_2_hours_to_go_after_it(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The host's clock was 2 h 30 min slow; NTP sets it right (a step: no time passes by the
    boot-time clock) 25 minutes before the court date's '2 hours to go' DM was due, which is
    5 minutes after the hearing really began. The README: a step is not counted as lateness
    (nothing is marked missed for it), but "a reminder before an event that has already begun
    is skipped", and a personal reminder's deadline is the event's start. The event's start is
    a wall-clock instant (the court does not move with our clock), so the excuse for the step
    may stretch the 12-hour lateness limit, never the event's start. Promise: no '2 hours to
    go' DM at or after the hearing's start; the delivery is settled as missed.

    Fails now: ReminderService.prepare compares the event start with Scheduler.lateness_now,
    which subtracts the step, so the DM goes out at once, 5 minutes into the hearing. Would
    pass if prepare compared the event start with the real now (the scheduler's now)."""
    sandbox = world.sandbox
    court_at = clock.now() + timedelta(hours=2, minutes=30)
    source = await remind(running, world, clock, kind="court", ahead=court_at - clock.now())
    await step(running, clock, timedelta(minutes=5))
    await clock.step(timedelta(hours=2, minutes=30))  # now court_at + 5 min, by the wall
    arrivals = await _watch(
        running, clock, court_at + timedelta(minutes=20), lambda: len(sandbox.dms_to(world.member))
    )
    row = await row_of(running, source)
    assert not arrivals, (
        f"the hearing began at {court_at:%H:%M}; its '2 hours to go' DM arrived at "
        f"{[f'{moment:%H:%M}' for moment in arrivals]}: "
        f"{[m.embeds[0].get('title') for m in sandbox.dms_to(world.member)]} "
        f"(delivery {row.state!r}, cause {row.cause!r})"
    )
    assert row.state == "skipped_late", (row.state, row.cause, row.detail)


async def test_a_clock_set_forward_past_a_meeting_never_posts_its_reminder_after_it_began(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The same NTP step on a meeting: the hour-before reminder is due in 25 minutes when the
    clock is set 1 h 30 min forward, which puts the wall clock 5 minutes past the meeting's
    start. The lateness table: a meeting reminder is posted "while the meeting has not begun,
    skipped once it has begun"; its deadline is the meeting's start.

    Fails now: MeetingService.prepare tests `now >= starts_at` with the excused lateness_now.
    Would pass if the start were compared with the real now."""
    sandbox = world.sandbox
    starts_at = clock.now() + timedelta(hours=1, minutes=30)
    source, channel = await book_meeting(running, world, clock, ahead=starts_at - clock.now())
    await step(running, clock, timedelta(minutes=5))
    await clock.step(timedelta(hours=1, minutes=30))  # now the start + 5 min
    posted = await _watch(
        running,
        clock,
        starts_at + timedelta(minutes=20),
        lambda: len(sandbox.channel_messages(channel)),
    )
    row = await row_of(running, source)
    assert not posted, (
        f"the meeting began at {starts_at:%H:%M}; its reminder was posted at "
        f"{[f'{moment:%H:%M}' for moment in posted]} (delivery {row.state!r})"
    )
    assert row.state == "skipped_late", (row.state, row.cause, row.detail)


# ----- an anonymous release re-pointed while its lost send is still in Discord's window ----


def _title(message: object) -> str:
    embeds = getattr(message, "embeds", [])
    return str(embeds[0].get("title", "")) if embeds else ""


async def test_a_mentor_request_while_a_post_is_in_flight_loses_no_one_elses_post(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The group releases anonymous posts at fixed times (11:00 and 15:00). Sam and Riley
    both check in anonymously and are told their posts appear at 11:00. At 11:00 the release
    delivery posts the first of them; Discord takes it, but the connection drops before the
    answer. Seconds later, before the retry, that post's author asks for a peer mentor by
    name, which holds their waiting posts back (hold_back: the mentors must not see a post
    of theirs right after the named request) and points the server's release delivery at
    the other member's post. Promise: each of the two posts appears in #check-ins exactly
    once, and each post's recorded message is its own.

    Fails now: the re-pointed release keeps its occurrence id, so its nonce; its retry,
    well inside Discord's nonce window, sends the other member's post under the first post's
    nonce, and Discord (enforce_nonce) hands back the first post instead of posting it. The
    other member's post is recorded as posted with the first post's message id and never
    appears; the held-back post goes out again later under a new nonce: twice in the
    channel. Would pass if a release re-pointed to another post got a fresh nonce (a new
    occurrence), or if a release with a send that may have landed were not re-pointed."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()  # Discord's nonce window by the same clock
    group = await configure(running, world)
    await running.services.guild_settings.set_limits(
        world.guild.id, world.moderator.id, timezone="America/New_York",
        anonymous_delay_minutes="11:00, 15:00", summary_threshold="5", retention_days="180",
    )  # fmt: skip
    members = {"Sam": world.member, "Riley": world.other_member}
    pseudonyms: dict[str, str] = {}
    for name, member in members.items():
        told = await sandbox.slash(
            # Worrying (mood 1): even so, the post that may be out is not kept private.
            member,
            world.general,
            "checkin now",
            **checkin_options(share="anonymous", mood=1),
        )
        found = re.search(r"as \*\*(.+?)\*\*", told.text)
        assert found is not None, told.text
        pseudonyms[name] = found[1]
    checkins_post = rf"^/channels/{group.checkins.id}/messages$"
    dropped = sandbox.drop_next("POST", checkins_post)
    release = clock.now().replace(hour=16, minute=0, second=0)  # 11:00 in New York
    await clock.advance(release - timedelta(minutes=1) - clock.now())
    while not dropped.arrived.is_set() and clock.now() < release + timedelta(minutes=5):
        await clock.advance(STEP)
        await asyncio.sleep(0.05)
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the first post")
    [first] = sandbox.channel_messages(group.checkins)  # Discord has it; the bot does not know
    author = next(name for name, shown in pseudonyms.items() if shown in _title(first))

    async def retrying() -> bool:
        async with running.sessions() as session:
            row = await session.scalar(
                select(Occurrence).where(
                    Occurrence.source.startswith(RELEASE.of_server(world.guild.id)),
                    Occurrence.state == "pending",
                )
            )
        return row is not None and row.cause is not None

    await eventually(retrying, timeout=10, what="the release to be retried")
    # The author asks for a peer mentor by name (bot/ui/crisis/offer.py's MentorSendButton does
    # this after posting the request in the mentors' channel).
    config = await running.services.guild_settings.get(world.guild.id)
    # The author's one waiting post may already be in the channel (Discord took it), so it
    # is neither held back nor kept private: moved, it would be sent again under a second
    # release; deleted, its copy in the channel could not be found and taken down.
    held = await running.services.anonymous.hold_back(config, members[author].id)
    assert held == HeldBack(held=0, kept_private=0, latest=None), held

    await _watch(running, clock, clock.now() + timedelta(minutes=5), lambda: 0)
    # Held back 1 to 4 hours, then to the next release time: 15:00 in New York at the latest.
    await _watch(
        running,
        clock,
        release + timedelta(hours=4, minutes=15),
        lambda: 0,
        by=timedelta(minutes=15),
    )
    titles = [_title(message) for message in sandbox.channel_messages(group.checkins)]
    async with running.sessions() as session:
        posts = list(await session.scalars(select(AnonymousPost)))
    shown = {message.id: _title(message) for message in sandbox.channel_messages(group.checkins)}
    recorded = {post.pseudonym: (post.state, shown.get(post.message_id or 0)) for post in posts}
    for name, pseudonym in pseudonyms.items():
        assert sum(pseudonym in title for title in titles) == 1, (
            f"{name}'s post ({pseudonym}) appears {sum(pseudonym in t for t in titles)} times "
            f"in #check-ins: {titles}; stored (state, title of the recorded message): "
            f"{recorded}"
        )
    for pseudonym, (state, title) in recorded.items():
        assert state == "posted", recorded
        assert title is not None, recorded
        assert pseudonym in title, recorded


# ----- keys: data from before check values existed ------------------------------------------


async def _upgraded_deployment(world: World, bot_settings: Settings, clock: FakeClock) -> Keyring:
    """A deployment from before key checks: its members have checked in privately and
    anonymously, without notes (the common check-in); nothing is recorded in KeyCheck."""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        await configure(running, world)
        for share in ("private", "anonymous"):
            told = await sandbox.slash(
                world.member, world.general, "checkin now", **checkin_options(share=share)
            )
            assert told.text.startswith("Saved"), told.text
        async with running.sessions.begin() as session:
            await session.execute(delete(KeyCheck))  # as before check values existed
    return keyring


async def test_an_upgraded_database_with_only_checkins_refuses_a_wrong_encryption_key(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    """Held (regression): every check-in has a sealed note column, which the first record
    tries, so a wrong encryption key is refused even with no notes written."""
    keyring = await _upgraded_deployment(world, bot_settings, clock)
    wrong = Keyring(keyring.pseudonym_key, Keyring.generate().encryption_keys, "k1")
    with pytest.raises(ConfigError, match="does not open the data stored"):
        async with start_bot(bot_settings, clock, keyring=wrong):
            pass


async def test_an_upgraded_database_keeps_the_choice_and_pseudonym_under_a_replaced_pseudonym_key(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    """An upgraded deployment (nothing in KeyCheck yet) where Sam checked in anonymously this
    week, started with a key file whose pseudonym key is not the one its rows were written
    with (the encryption key is right). This attack once found the bot starting and Sam's
    remembered choice gone (a tag under the pseudonym key), so his next check-in with no
    share option was kept private, or drawn a second pseudonym in the same week. No tag is
    stored any more (migration 0025): his choice comes from his latest check-in and his
    pseudonym from this week's posts, both sealed under the encryption key, so with nothing
    stored under the pseudonym key to try it on, the start cannot refuse it, and nothing the
    member sees changes: the next check-in goes out anonymously under the same pseudonym."""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        await configure(running, world)
        first = await sandbox.slash(
            world.member, world.general, "checkin now", **checkin_options(share="anonymous")
        )
        assert "**" in first.text, first.text
        async with running.sessions.begin() as session:
            await session.execute(delete(KeyCheck))  # as before check values existed
    pseudonym = first.text.split("**")[1]
    wrong = Keyring(Keyring.generate().pseudonym_key, keyring.encryption_keys, "k1")
    await clock.advance(timedelta(hours=3))  # past the spacing of shared posts, same week
    async with start_bot(bot_settings, clock, keyring=wrong):
        told = await sandbox.slash(world.member, world.general, "checkin now", **checkin_options())
    assert told.text.startswith("Saved. It will appear in"), told.text
    assert f"as **{pseudonym}**" in told.text, (first.text, told.text)


# ----- meeting lists: a second feed saved under the same download name ---------------------


def _numbered(*names: str) -> bytes:
    """A feed that numbers its meetings 1, 2, 3..., as many do (tests/test_meeting_feeds)."""
    return json.dumps([
        {"name": name, "slug": str(number), "day": 1, "time": f"{8 + number:02d}:00"}
        for number, name in enumerate(names, start=1)
    ]).encode()  # fmt: skip


async def test_a_second_feed_downloaded_under_the_same_name_keeps_the_first_feeds_meetings(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Two intergroups run the 12 Step Meeting List plugin, whose Meeting Guide feed is at
    /wp-admin/admin-ajax.php?action=meetings: the moderator downloads the first (saved as
    "admin-ajax.php") and imports it without naming it, then downloads the second intergroup's
    feed, which the browser saves as "admin-ajax (1).php" since the name is taken, and
    imports that. Both feeds number their meetings 1, 2, 3. Promise: importing a feed keeps
    the other feeds' meetings (only a re-import of the same feed replaces its set).

    Fails now: feed_identity drops the browser's copy marker, so the second feed is taken for
    the first saved again: its meetings overwrite the first feed's (same slugs) and the rest
    are removed; the reply reads "2 updated. Removed 1 that the list no longer has." Would
    pass if a file's name alone did not make two different feeds one list (e.g. asking for a
    list name when a copy-marked file shares no meeting with the list it would replace)."""
    meetings = RecoveryMeetingService(sessions, clock)
    await meetings.import_feed(4242, 77, "admin-ajax.php", _numbered("Hall A", "Hall B", "Hall C"))
    second = await meetings.import_feed(
        4242, 77, "admin-ajax (1).php", _numbered("Online X", "Online Y")
    )
    found, _ = await meetings.find(4242, 1, limit=50)
    shown = sorted(view.name for view in found)
    assert shown == ["Hall A", "Hall B", "Hall C", "Online X", "Online Y"], (
        f"after importing the second intergroup's feed, /resource meetings lists {shown}; "
        f"the reply was {import_report_text(second)!r}"
    )


# ----- /remind list and a reminder snoozed to tomorrow --------------------------------------


async def test_a_reminder_snoozed_to_tomorrow_is_still_in_remind_list(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A medication reminder comes at 15:05; the member presses "Tomorrow" on the DM. At
    04:00 the next morning they check /remind list. Promise: `/remind list` shows every
    delivery Muster accepted that is still to come (their reminders, "including any that were
    missed"), so they can see it, and cancel it.

    Fails now: ReminderService.list keeps an active reminder only while its event is less
    than LATE_LIMIT (12 h) past, or when one was missed or undelivered; a pending snooze is
    not looked at, so the list says "You have no reminders" while a DM is booked for 15:05.
    Would pass if a reminder with a pending delivery were always listed."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, kind="medication", ahead=timedelta(minutes=5))
    reminder_id = source.split(":")[1]
    await step(running, clock, timedelta(minutes=5))
    await eventually(lambda: _set(len(sandbox.dms_to(world.member)) == 1), what="the DM")
    [dm] = sandbox.dms_to(world.member)
    snoozed = await sandbox.click(world.member, dm, f"rem:tomorrow:{reminder_id}")
    assert "remind you again" in snoozed.text, snoozed.text
    await step(running, clock, timedelta(hours=13))
    listed = await sandbox.slash(world.member, world.general, "remind list")
    shown = listed.text + " ".join(
        str(embed.get("description", "")) for m in listed.messages for embed in m.embeds
    )
    assert "Call the VA" in shown, f"/remind list shows {shown!r} with a DM booked for tomorrow"


# ----- one clock: what a slow host books -----------------------------------------------------


class _SlowHost:
    """This host's wall clock, 10 minutes behind the database's (and the world's)."""

    SKEW = timedelta(minutes=10)

    def now(self) -> datetime:
        return datetime.now(UTC) - self.SKEW

    def elapsed(self) -> float:
        return SystemClock().elapsed()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@only_postgres
async def test_a_reminder_in_30_minutes_from_a_slow_host_comes_in_30_minutes(
    world: World, bot_settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process on PostgreSQL, on a host whose clock is 10 minutes slow. The member asks
    for a medication reminder "in 30 minutes". Promise (one clock): claims, leases and
    lateness use the database's clock, so a delivery's time means the same to every part of
    Muster; the member's "in 30 minutes" is 30 minutes of real time, whichever host booked it.

    Fails now: the scheduler corrects its own clock by the measured offset, but
    ReminderService (parse_when with the host's clock) books the due time by the host's
    clock: by the database's clock the reminder is due in 20 minutes, and comes then (the
    echo's <t:...> shows "in 20 minutes" to the member, too). Would pass if bookings used the
    scheduler's (database) clock."""
    # Everything the test runs on is the host: the fake clock stands for its wall clock, and
    # the database's clock is measured against SystemClock (see Scheduler.check_clock).
    monkeypatch.setattr("bot.scheduling.store.SystemClock", _SlowHost)
    sandbox = world.sandbox
    async with start_bot(bot_settings, clock) as running:
        asked_at = clock.now()
        told = await sandbox.slash(
            world.member, world.general, "remind add", what="Take meds", when="in 30 minutes",
            kind="medication",
        )  # fmt: skip
        assert told.text.startswith("Got it"), told.text
        arrivals = await _watch(
            running,
            clock,
            asked_at + timedelta(minutes=35),
            lambda: len(sandbox.dms_to(world.member)),
        )
        assert running.services.scheduler.offset > timedelta(minutes=9)  # measured, applied
    assert arrivals, "the reminder never came"
    assert arrivals[0] - asked_at >= timedelta(minutes=29), (
        f"asked for 'in 30 minutes', the DM came after {arrivals[0] - asked_at}"
    )


# ----- booked again where a cancelled delivery already sits --------------------------------
# Scheduler.add inserts ON CONFLICT (source, due_at) DO NOTHING, and the callers below first
# cancel the pending delivery, then book the same source at the same moment again: the new
# booking meets the cancelled row and is silently dropped.


async def test_setting_the_daily_prompt_again_to_the_same_time_still_prompts(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The member turns on the daily prompt at 9am, and a moment later runs the command
    again with the same time (to make sure it took). Both answers say "I'll DM you every day
    at 09:00". Promise: the accepted delivery goes out: a prompt DM the next morning at 9.

    Fails now: PromptService.set cancels the pending prompt, then books (source, 09:00)
    again, which meets the cancelled row and is dropped (on_conflict_do_nothing); the next
    prompt is booked only when one is delivered, so none ever comes. Would pass if a new
    booking replaced a cancelled row (or set left an unchanged booking alone)."""
    sandbox = world.sandbox
    for _ in range(2):
        told = await sandbox.slash(world.member, world.general, "checkin prompt", at="9am")
        assert "I'll DM you every day at 09:00" in told.text, told.text
    nine = (clock.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0)  # UTC zone
    arrivals = await _watch(
        running,
        clock,
        nine + timedelta(hours=1),
        lambda: len(sandbox.dms_to(world.member)),
        by=timedelta(minutes=30),
    )
    async with running.sessions() as session:
        rows = (
            await session.execute(
                select(Occurrence.due_at, Occurrence.state).where(Occurrence.kind == "prompt")
            )
        ).all()
    assert arrivals, f"no prompt came by {nine + timedelta(hours=1):%a %H:%M}; deliveries {rows}"


async def test_changing_how_milestones_are_shared_still_celebrates_the_next_one(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The member sets their counter (sober since Nov 20) to celebrate milestones
    anonymously, then changes it to celebrate with their name. /sobriety status says the next
    milestone is 7 days, on Nov 27. Promise: the milestone Muster accepted is posted in the
    check-ins channel on Nov 27 (a day late at most).

    Fails now: SobrietyService.set cancels the pending milestone and books the same (source,
    Nov 27 noon) again; the insert meets the cancelled row and is dropped, and later
    milestones are booked only when one is delivered: none is ever celebrated. Would pass if
    a new booking replaced a cancelled row."""
    sandbox = world.sandbox
    group = await configure(running, world)
    replies = []
    for share in ("anonymous", "named"):
        told = await sandbox.slash(
            world.member, world.general, "sobriety set", since="Nov 20", milestones=share
        )
        replies.append(told.text + " ".join(str(e) for m in told.messages for e in m.embeds))
    arrivals = await _watch(
        running,
        clock,
        clock.now() + timedelta(days=6),
        lambda: sum("reached" in m.text for m in sandbox.channel_messages(group.checkins)),
        by=timedelta(hours=2),
    )
    async with running.sessions() as session:
        rows = (
            await session.execute(
                select(Occurrence.due_at, Occurrence.state).where(Occurrence.kind == "milestone")
            )
        ).all()
    assert len(arrivals) == 1, (
        f"{len(arrivals)} milestone posts by Nov 28; deliveries {rows}; the member was told "
        f"{replies}"
    )


async def test_a_meeting_moved_and_moved_back_still_gets_its_reminder(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A moderator moves tonight's 7 pm meeting (New York) to 8 pm, then (the room was free
    after all) back to 7 pm. Promise: the hour-before reminder Muster books for the 7 pm
    meeting is posted in #meetings before it begins.

    Fails now: MeetingService.edit cancels every upcoming instance's reminders and tops up
    the new times; back at 7 pm, the booking of (meeting:<id>:<7 pm>, 6 pm) meets the row
    cancelled by the first move and is dropped, for every instance in the 35-day window.
    Would pass if a new booking replaced a cancelled row."""
    sandbox = world.sandbox
    seven = (clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)  # 7 pm, NY
    source, channel = await book_meeting(running, world, clock, ahead=seven - clock.now())
    meeting_id = int(source.split(":")[1])
    meetings = running.services.meetings
    for moment in (seven + timedelta(hours=1), seven):
        moved = await meetings.edit(
            world.guild.id, world.moderator.id, meeting_id, starts_at=moment
        )
        assert moved.next_start == moment, moved
    posted = await _watch(
        running,
        clock,
        seven,
        lambda: len(sandbox.channel_messages(channel)),
        by=timedelta(minutes=10),
    )
    async with running.sessions() as session:
        rows = (
            await session.execute(
                select(Occurrence.source, Occurrence.due_at, Occurrence.state).where(
                    Occurrence.kind == "meeting"
                )
            )
        ).all()
    assert posted, f"no reminder was posted before the meeting at {seven:%H:%M} UTC; {rows}"


# ----- a second process starting while an anonymous post is in flight -----------------------


@only_postgres
async def test_a_process_starting_while_an_anonymous_post_is_in_flight_does_not_post_it_again(
    world: World, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    """Two processes on one PostgreSQL database (shards 0 and 1 of 2). The one serving the
    group's shard is posting an anonymous check-in: Discord has taken it, its answer is slow
    (a few seconds). Meanwhile the other process starts (a deploy, a restart after a crash).
    Promise: two processes never double a delivery; the post appears once.

    Fails now: at start-up AnonymousPostService.ensure_all calls book_next for every server,
    served by this process or not; _rebook finds no *pending* release (the running one is
    claimed) and books a new one for the earliest waiting post, which is the post in flight
    (still pending until its send returns). The new release has its own nonce, so Discord
    posts it again. Would pass if a claimed release counted as the server's release (or
    ensure_all left servers with a release in flight alone)."""
    sandbox = world.sandbox
    keyring = Keyring.generate()

    def shard(number: int) -> Settings:
        return make_settings(
            discord_token=sandbox.token, dev_guild_id=world.guild.id,
            discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
            shard_count=2, shard_ids=(number,),
        )  # fmt: skip

    ours = (world.guild.id >> 22) % 2
    async with start_bot(shard(ours), clock, keyring=keyring) as first:
        group = await configure(first, world)
        told = await sandbox.slash(
            world.member, world.general, "checkin now", **checkin_options(share="anonymous")
        )
        assert "It will appear" in told.text, told.text
        stall = sandbox.stall_next(
            "POST", rf"^/channels/{group.checkins.id}/messages$", after_handling=True
        )
        for _ in range(21):  # 5 to 10 minutes: the server's delay
            if stall.arrived.is_set():
                break
            await clock.advance(STEP)
            await asyncio.sleep(0.05)
        await eventually(lambda: _set(stall.arrived.is_set()), timeout=10, what="the post")
        try:
            async with start_bot(shard(1 - ours), clock, keyring=keyring):
                for _ in range(4):
                    await clock.advance(STEP)
                    await asyncio.sleep(0.2)
                stall.release.set()
                await asyncio.sleep(1.0)
                for _ in range(4):
                    await clock.advance(STEP)
                    await asyncio.sleep(0.2)
        finally:
            stall.release.set()
        async with first.sessions() as session:
            posts = [(p.state, p.message_id) for p in await session.scalars(select(AnonymousPost))]
    shown = sandbox.channel_messages(group.checkins)
    assert len(shown) == 1, (
        f"one anonymous check-in appears {len(shown)} times in #check-ins "
        f"({[m.id for m in shown]}); stored posts (state, message id): {posts}; message "
        f"POSTs by nonce: {dict(sandbox.posts_by_nonce)}"
    )


# ----- a global 429 ---------------------------------------------------------------------------


async def test_a_global_429_stops_every_send_until_its_retry_after(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """50 medication reminders come due at once (a group's morning doses). Discord answers
    with a *global* 429 (the bot's whole token is over its limit) asking to wait 60 s, and
    refuses every token request until then. Promise: Discord's global limit is never
    exceeded; once Discord has said the token is over it, Muster sends nothing with the
    token before the retry_after (only requests already on the wire may still arrive); the
    reminders then go out once each.

    Fails now: discord.py raises a 429 longer than 30 s as RateLimited without taking the
    global lock, and the scheduler treats it as that delivery's own wait: the other 49 DMs
    keep going out at 45/s, each refused with a global 429 (Discord counts each towards
    the invalid-request limit that gets a bot's IP banned). Would pass if a global 429 held
    every send (the limiter, say) until its retry_after."""
    sandbox = world.sandbox
    for number in range(50):
        await running.services.reminders.create(
            user_id=world.member.id, guild_id=world.guild.id, kind="medication",
            text=f"Dose {number}", event_at=clock.now() + timedelta(minutes=5), zone="UTC",
            interaction_id=1000 + number,
        )  # fmt: skip
    sandbox.fail_next("POST", DM_POST, 429, times=None, retry_after=60, is_global=True)
    await step(running, clock, timedelta(minutes=5))
    refused = sandbox.injected_failures
    sandbox.recover()
    for _ in range(6):
        await step(running, clock)
    dms = sandbox.dms_to(world.member)
    assert refused <= 5, (
        f"after Discord's global 429 (retry after 60 s), Muster sent {refused} DMs into it; "
        f"{len(dms)} reminders delivered afterwards"
    )
    assert len(dms) == 50, len(dms)


# ----- an anonymous post's deadline, after a restart in a long outage ------------------------


async def test_an_anonymous_post_given_up_after_a_restart_in_an_outage_keeps_its_cause(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    """Sam checks in anonymously; when the post is due, Discord answers the check-ins
    channel with 503s, and keeps doing so for more than a day. Twenty minutes into it the
    bot is restarted (a deploy). Promise: a delivery that could not go out before its
    deadline (a day, for an anonymous post) is settled as missed with its real cause
    (discord_unavailable), as the scheduler does when no restart intervenes.

    Fails now: at start-up ensure_all re-points the server's release and moves its due time
    to now, so its scheduler deadline (due + 1 day) moves too; AnonymousPostService.due_post
    then finds the post a day past its time first, marks it failed and settles the release
    as 'cancelled', with no cause. Would pass if a post given up at its deadline were
    settled skipped_late with the cause of its last failure."""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as first:
        group = await configure(first, world)
        told = await sandbox.slash(
            world.member, world.general, "checkin now", **checkin_options(share="anonymous")
        )
        assert "It will appear" in told.text, told.text
        sandbox.fail_next("POST", rf"^/channels/{group.checkins.id}/messages$", 503, times=None)
        await _watch(first, clock, clock.now() + timedelta(minutes=30), lambda: 0)
    async with start_bot(bot_settings, clock, keyring=keyring) as second:
        await _watch(
            second, clock, clock.now() + timedelta(hours=26), lambda: 0, by=timedelta(minutes=20)
        )
        async with second.sessions() as session:
            post = await session.scalar(select(AnonymousPost))
            releases = (
                await session.execute(
                    select(Occurrence.state, Occurrence.cause, Occurrence.detail).where(
                        Occurrence.kind == "anonymous"
                    )
                )
            ).all()
    assert post is not None
    assert sandbox.channel_messages(group.checkins) == []
    settled = [(state, cause) for state, cause, _ in releases if state != "pending"]
    assert ("skipped_late", "discord_unavailable") in settled, (
        f"the post is {post.state!r}; its release deliveries: {releases}"
    )


# ----- kill -9 while an anonymous post is in flight, then a restart ---------------------------


@pytest.mark.slow
# On PostgreSQL the same break is shown in process by the two-process test above; the real
# processes take 10 to 30 s to start and stop there.
@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: see the two-process test for PostgreSQL")
async def test_kill_9_while_an_anonymous_post_is_in_flight_then_a_restart_posts_it_once(
    tmp_path: Path,
    world: World,
    database: dict[str, Any],
    make_settings: Callable[..., Settings],
) -> None:
    """The real process (`python -m bot run`) posts Sam's anonymous check-in; Discord has it
    but its answer has not come back when the process is killed (-9). It is restarted at
    once. Promise: a message that was sent is never sent again; the post appears once (the
    restart's re-send carries the same nonce, well inside Discord's window).

    Fails now: at start the dead worker's claim is released, and AnonymousPostService.
    ensure_all finds no *pending* release for the server (the dead one's is still claimed),
    so it books a second release for the earliest waiting post, the one in flight. Both
    go: the first under its own nonce (de-duplicated), the second under a new nonce, a
    second copy, of which the database records one. Would pass if a claimed release counted
    as the server's release. (The check-in itself is made in process first, on a clock 11
    minutes behind, so that its post is due when the real process starts.)"""
    from tests.test_crash_recovery import bot_process  # the real process, the default lease

    sandbox = world.sandbox
    keyring = Keyring.generate()
    keyring.write(tmp_path / "muster.keys.json")
    settings = make_settings(
        discord_token=sandbox.token, dev_guild_id=world.guild.id,
        discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
    )  # fmt: skip
    earlier = FakeClock(datetime.now(UTC) - timedelta(minutes=11))
    async with start_bot(settings, earlier, keyring=keyring) as seeding:
        group = await configure(seeding, world)
        told = await sandbox.slash(
            world.member, world.general, "checkin now", **checkin_options(share="anonymous")
        )
        assert "It will appear" in told.text, told.text
    stall = sandbox.stall_next(
        "POST", rf"^/channels/{group.checkins.id}/messages$", after_handling=True
    )
    async with bot_process(tmp_path, world, database) as first:
        await asyncio.wait_for(stall.arrived.wait(), timeout=30)
        first.kill()  # SIGKILL: no cleanup, no settle
        await first.wait()
    assert len(sandbox.channel_messages(group.checkins)) == 1  # Discord has it
    async with bot_process(tmp_path, world, database):
        for _ in range(50):
            await asyncio.sleep(0.1)
            if len(sandbox.channel_messages(group.checkins)) > 1:
                break
        await asyncio.sleep(1.0)
    shown = sandbox.channel_messages(group.checkins)
    assert len(shown) == 1, (
        f"Sam's anonymous check-in appears {len(shown)} times in #check-ins; message POSTs "
        f"by nonce: {dict(sandbox.posts_by_nonce)}"
    )


@only_postgres
async def test_an_anonymous_post_from_a_slow_host_waits_the_servers_delay(
    world: World, bot_settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same slow host (10 minutes behind PostgreSQL). Sam checks in anonymously and is
    told it will appear in 5 to 10 minutes (the server's delay, which is what keeps the
    moment from pointing at him). Promise (one clock): the post goes out by the same clock
    it was booked by, so it appears 5 to 10 minutes later.

    Fails now: release_at books post_after by the host's clock, the scheduler and due_post
    judge it by the database's: the post is already due, and appears within seconds of his
    command. Would pass if bookings used the scheduler's (database) clock."""
    monkeypatch.setattr("bot.scheduling.store.SystemClock", _SlowHost)
    sandbox = world.sandbox
    async with start_bot(bot_settings, clock) as running:
        group = await configure(running, world)
        asked_at = clock.now()
        told = await sandbox.slash(
            world.member, world.general, "checkin now", **checkin_options(share="anonymous")
        )
        assert "in 5 to 10 minutes" in told.text, told.text
        appeared = await _watch(
            running,
            clock,
            asked_at + timedelta(minutes=12),
            lambda: len(sandbox.channel_messages(group.checkins)),
        )
    assert appeared, "the post never appeared"
    assert appeared[0] - asked_at >= timedelta(minutes=5), (
        f"told 'in 5 to 10 minutes', the post appeared after {appeared[0] - asked_at}"
    )


# ----- "Tomorrow" on the night the clocks change ----------------------------------------------


async def test_tomorrow_on_a_9am_medication_reminder_comes_at_9am_after_the_clocks_change(
    world: World, bot_settings: Settings
) -> None:
    """A member in New York gets their 9:00 medication reminder on Saturday, October 31, 2026
    and presses "Tomorrow" (ReminderService.snooze: "tomorrow at the same time"). The clocks
    go back that night. Promise: the delivery Muster accepted goes out when it said: 9:00
    on Sunday, the member's wall clock, as the README keeps wall times for meetings and
    prompts across daylight-saving changes.

    Fails now: snooze books now + 24 hours, which is 8:00 on Sunday in New York. Would pass
    if "tomorrow" were the same wall time the next day in the reminder's zone."""
    sandbox = world.sandbox
    zone = ZoneInfo("America/New_York")
    clock = FakeClock(datetime(2026, 10, 31, 8, 55, tzinfo=zone))
    async with start_bot(bot_settings, clock) as running:
        created = await running.services.reminders.create(
            user_id=world.member.id, guild_id=world.guild.id, kind="medication",
            text="Morning dose", event_at=datetime(2026, 10, 31, 9, 0, tzinfo=zone),
            zone="America/New_York", interaction_id=91,
        )  # fmt: skip
        await step(running, clock, timedelta(minutes=5))
        await eventually(lambda: _set(len(sandbox.dms_to(world.member)) == 1), what="the DM")
        [dm] = sandbox.dms_to(world.member)
        snoozed = await sandbox.click(world.member, dm, f"rem:tomorrow:{created.id}")
        assert "remind you again" in snoozed.text, snoozed.text
        arrivals = await _watch(
            running,
            clock,
            datetime(2026, 11, 1, 9, 30, tzinfo=zone),
            lambda: len(sandbox.dms_to(world.member)) - 1,
            by=timedelta(minutes=10),
        )
    assert arrivals, "the snoozed reminder never came"
    local = arrivals[0].astimezone(zone)
    assert (local.hour, local.minute // 10) == (9, 0), (
        f"'Tomorrow' on the 9:00 reminder came at {local:%a %H:%M %Z}"
    )


# ----- "held" when the spool cannot be written -------------------------------------------------


async def test_a_checkin_told_held_while_the_disk_is_full_is_not_lost_at_a_stop(
    make_settings: Callable[..., Settings],
    sessions: SessionFactory,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database is too busy to save a check-in in time, and the disk the spool lives on
    is full (ENOSPC). Promise (R29): a check-in the member was told is held survives a stop
    (SIGTERM) and kill -9; being told "I'm holding on to it" means it is kept.

    Fails now: CheckinService._hold logs the failed spool write and returns, and submit
    tells the member it is held all the same; at the stop (close() while the database is
    still busy) the spool write fails again and the check-in is gone: the next start finds
    nothing to replay and nothing stored. Would pass if a check-in that could not be
    spooled were not reported as held (the member asked to try again), or kept otherwise."""
    from bot.scheduling import Scheduler
    from bot.services.checkins import CheckinDraft, CheckinService, Spool
    from tests.conftest import database_unavailable

    def disk_full(self: Spool, key: int, sealed: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    original_close = BatchWriter.close

    async def quick_close(self: BatchWriter[Any, Any], timeout: float = 0.3) -> None:
        await original_close(self, timeout)  # a short grace at the stop: the outcome is alike

    settings = make_settings()
    keyring = Keyring.generate()
    spool = Spool(tmp_path / "spool", keyring)
    spool.open()
    monkeypatch.setattr(BatchWriter, "close", quick_close)
    monkeypatch.setattr(Spool, "_write", disk_full)
    service = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), spool)
    service.save_wait = service.decide_budget = 0.5
    draft = CheckinDraft(
        user_id=42, guild_id=None, request_key=1001, mood=3, sleep="7", cravings="none",
        sober="yes", note="a hard day", share="private",
    )  # fmt: skip
    async with database_unavailable(settings):
        result = await service.submit(draft, None)
        await service.close()  # SIGTERM while the database is still busy
    monkeypatch.undo()
    restarted = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), spool)
    replayed = restarted.replay_held()
    await asyncio.sleep(0.5)
    await restarted.close()
    async with sessions() as session:
        saved = len(list(await session.scalars(select(Checkin))))
    assert not result.held or saved == 1, (
        f"the member was told the check-in is held (held={result.held}); after the stop and "
        f"a restart, {replayed} held item(s) were replayed and {saved} check-in(s) are stored"
    )


# ----- a milestone with nowhere to be celebrated ------------------------------------------------


async def test_a_milestone_with_no_checkin_channel_is_settled_with_its_real_cause(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A member sets their counter (sober since Nov 20) to celebrate milestones in the group
    anonymously, in a server whose moderators have not chosen a check-in channel yet. The
    7-day milestone comes due on Nov 27. Promise: a delivery Muster accepted goes out, or is
    settled with its real cause; a meeting reminder in the same situation is settled
    failed_permanent with cause not_set_up ("no meetings channel is chosen in /setup").

    Fails now: MilestoneSender returns Delivery("cancelled", ...) with no cause, which
    reads as if the member or a moderator had called it off. Would pass if it were settled
    with cause not_set_up, as MeetingSender does."""
    told = await world.sandbox.slash(
        world.member, world.general, "sobriety set", since="Nov 20", milestones="anonymous"
    )
    assert told.text, told
    await _watch(running, clock, clock.now() + timedelta(days=6), lambda: 0, by=timedelta(hours=4))
    async with running.sessions() as session:
        rows = (
            await session.execute(
                select(Occurrence.due_at, Occurrence.state, Occurrence.cause).where(
                    Occurrence.kind == "milestone"
                )
            )
        ).all()
    settled = [(state, cause) for _, state, cause in rows if state != "pending"]
    assert settled, rows
    assert all(state != "cancelled" and cause == "not_set_up" for state, cause in settled), rows


# ----- the shard lock: held (regression) ------------------------------------------------------


@only_postgres
@pytest.mark.parametrize(
    ("first", "second", "refused"),
    [
        ((None, None), (2, (0, 1)), True),  # all shards, then every shard by number
        ((2, (0, 1)), (2, (1,)), True),
        ((2, (0,)), (4, (2,)), True),  # another count: shard numbers mean other guilds
        ((2, (0,)), (2, (0, 0)), True),  # a shard named twice is still that shard
        ((2, (0,)), (2, (1,)), False),  # the positive control: disjoint sets both run
    ],
)
async def test_the_shard_lock_refuses_every_overlap_and_only_overlaps(
    make_settings: Callable[..., Settings],
    first: tuple[int | None, tuple[int, ...] | None],
    second: tuple[int | None, tuple[int, ...] | None],
    refused: bool,
) -> None:
    """Held: R22's lock on one PostgreSQL database, taken the way `run` takes it."""
    from bot.db.engine import create_engine
    from bot.db.instance_lock import InstanceLock
    from bot.errors import AlreadyRunningError

    locks: list[InstanceLock] = []
    engines = []
    try:
        outcome = False
        for index, (count, ids) in enumerate((first, second)):
            settings = make_settings(shard_count=count, shard_ids=ids)
            engine = create_engine(settings)
            engines.append(engine)
            lock = InstanceLock(settings, engine, worker_id=f"worker-{index}")
            try:
                await lock.acquire()
            except AlreadyRunningError:
                assert index == 1
                outcome = True
                continue
            locks.append(lock)
        assert outcome == refused, (first, second)
    finally:
        for lock in locks:
            await lock.release()
        for engine in engines:
            await engine.dispose()


# ----- withdrawn while its lost send is being retried -------------------------------------------


async def test_a_post_withdrawn_after_its_answer_was_lost_is_taken_down(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam's anonymous post is sent; Discord posts it but the connection drops before the
    answer. Seconds later Sam presses "Delete my post" on his confirmation and is told: "It
    was already on its way to the channel, so if it appears I'll take it down right away."
    Promise: a message that was sent has its id recorded (so it can be found and taken
    down); Sam's post does not stay in #check-ins.

    Fails now: the retry finds the post withdrawn, settles its release 'cancelled' and
    sends nothing: the message Discord took is never learned (no id on the post or the
    delivery), so nothing takes it down, and no Options button can find it. Would pass if
    a withdrawn post whose last send may have landed were looked up (the same nonce
    re-sent inside Discord's window returns the message) and deleted."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    group = await configure(running, world)
    told = await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="anonymous")
    )
    [reply] = [
        m for m in told.messages if any(c.startswith("anon:withdraw:") for c in m.custom_ids())
    ]
    withdraw = next(c for c in reply.custom_ids() if c.startswith("anon:withdraw:"))
    dropped = sandbox.drop_next("POST", rf"^/channels/{group.checkins.id}/messages$")
    for _ in range(21):  # 5 to 10 minutes: the server's delay
        if dropped.arrived.is_set():
            break
        await clock.advance(STEP)
        await asyncio.sleep(0.05)
    await eventually(lambda: _set(dropped.arrived.is_set()), timeout=10, what="the post")
    assert len(sandbox.channel_messages(group.checkins)) == 1  # Discord has it
    answer = await sandbox.click(world.member, reply, withdraw)
    assert "take it down" in answer.text or "gone" in answer.text, answer.text
    await _watch(running, clock, clock.now() + timedelta(minutes=10), lambda: 0)
    async with running.sessions() as session:
        post = await session.scalar(select(AnonymousPost))
    shown = sandbox.channel_messages(group.checkins)
    assert shown == [], (
        f"Sam withdrew his post and was told {answer.text!r}; it is still up in #check-ins "
        f"({[m.id for m in shown]}); the post is {post.state if post else None!r} with "
        f"message id {post.message_id if post else None}"
    )


# ----- /remind list says what really happened (held; regression) -------------------------------


@pytest.mark.parametrize(
    ("status", "code", "said"),
    [
        (403, 50013, "Couldn't be delivered: Discord wouldn't let me send it."),
        (404, 10013, "Couldn't be delivered: Discord couldn't find where to send it."),
        (400, 50035, "Couldn't be delivered: Discord wouldn't accept it."),
    ],
)
async def test_remind_list_names_a_permanent_refusal_in_plain_words(
    running: Runtime, world: World, clock: FakeClock, status: int, code: int, said: str
) -> None:
    """Held: a DM Discord refuses for good is settled at once with its cause, and /remind
    list says so in its own words (never "your DMs are closed")."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    sandbox.fail_next("POST", DM_POST, status, code=code, times=1)
    await step(running, clock, timedelta(minutes=5))
    row = await row_of(running, source)
    assert row.state == "failed_permanent", (row.state, row.cause, row.detail)
    listed = await sandbox.slash(world.member, world.general, "remind list")
    shown = listed.text + " ".join(
        str(embed.get("description", "")) for m in listed.messages for embed in m.embeds
    )
    assert said in shown, shown
    assert "DMs are closed" not in shown, shown
