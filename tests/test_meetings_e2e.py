"""Group meetings through the sandbox: reminders in the channel, RSVPs across a restart."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.models import Occurrence
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Channel, Message, SandboxError
from tests.conftest import World, start_bot
from tests.test_delivery_faults import step


async def meetings_channel(world: World, runtime: Runtime) -> Channel:
    channel = await world.sandbox.create_channel(world.guild, "meetings")
    settings = runtime.services.guild_settings
    await settings.set_channel(
        world.guild.id, world.moderator.id, "meetings_channel_id", channel.id
    )
    await settings.set_limits(
        world.guild.id,
        world.moderator.id,
        timezone="Eastern",
        anonymous_delay_minutes="5",
        summary_threshold="5",
        retention_days="180",
    )
    return channel


async def posted(world: World, channel: Channel, count: int) -> list[Message]:
    await world.sandbox.wait_for(
        lambda: len(world.sandbox.channel_messages(channel)) >= count,
        what=f"{count} post(s) in #meetings",
    )
    return world.sandbox.channel_messages(channel)


async def test_weekly_meeting_reminder_pings_only_its_role_and_rsvps_survive_a_restart(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    members_role = await sandbox.create_role(world.guild, "Cohort")
    third = await sandbox.create_member(world.guild, "Casey", roles=[members_role])
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as runtime:
        channel = await meetings_channel(world, runtime)
        created = await sandbox.slash(
            world.moderator,
            world.general,
            "meeting-admin create",
            title="Tuesday check-in @everyone",
            starts="November 24 7pm",
            repeat="weekly",
            place="Room 2, Vet Center",
            role=members_role,
        )
        assert "every Tuesday at 7:00 PM (America/New_York)" in created.text
        # Nov 24 7pm EST is Nov 25 00:00 UTC; the day-before reminder is due Nov 24 00:00 UTC.
        await clock.advance(timedelta(hours=33))
        [reminder] = await posted(world, channel, 1)
        assert reminder.content == members_role.mention
        assert reminder.pings() == (set(), {members_role.id}, False)  # the role, nothing else
        assert "@\u200beveryone" in reminder.embeds[0]["title"]
        assert "Going: 0 · Maybe: 0 · Can't make it: 0" in reminder.text
        assert all(
            str(member.id) not in custom_id
            for member in (world.member, third)
            for custom_id in reminder.custom_ids()
        )
        going = next(cid for cid in reminder.custom_ids() if cid.startswith("mtg:going:"))
        maybe = next(cid for cid in reminder.custom_ids() if cid.startswith("mtg:maybe:"))
        await sandbox.click(world.member, reminder, going)
        await sandbox.click(third, reminder, going)
        await sandbox.click(world.other_member, reminder, maybe)
        assert "Going: 2 · Maybe: 1 · Can't make it: 0" in reminder.text
    async with start_bot(bot_settings, clock, keyring=keyring):
        changed = await sandbox.click(world.other_member, reminder, going)
        assert changed.response_type == 6
        assert "Going: 3 · Maybe: 0 · Can't make it: 0" in reminder.text
        await clock.advance(timedelta(hours=23))  # one hour before
        second = (await posted(world, channel, 2))[1]
        assert "Going: 3" in second.text


async def test_dm_me_from_the_meeting_reminder(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    channel = await meetings_channel(world, running)
    await world.sandbox.slash(
        world.moderator,
        world.general,
        "meeting-admin create",
        title="Peer group",
        starts="November 26 7pm",
        repeat="once",
    )
    await clock.advance(timedelta(days=3, hours=9))  # Nov 26 00:00 UTC: a day before
    [reminder] = await posted(world, channel, 1)
    dm_button = next(cid for cid in reminder.custom_ids() if cid.startswith("mtg:dm:"))
    answer = await world.sandbox.click(world.member, reminder, dm_button)
    assert "I'll DM you" in answer.text
    await clock.advance(timedelta(hours=23))
    await world.sandbox.wait_for(
        lambda: len(world.sandbox.dms_to(world.member)) == 1, what="the DM"
    )
    assert "“Peer group” starts in an hour" in world.sandbox.dms_to(world.member)[0].text


async def test_skip_and_cancel_stop_reminders(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    channel = await meetings_channel(world, running)
    await sandbox.slash(
        world.moderator,
        world.general,
        "meeting-admin create",
        title="Weekly",
        starts="November 24 7pm",
        repeat="weekly",
    )
    choices = await sandbox.autocomplete(
        world.moderator, world.general, "meeting-admin skip", focused="meeting", value=""
    )
    meeting_id = choices[0]["value"]
    skipped = await sandbox.slash(
        world.moderator, world.general, "meeting-admin skip", meeting=meeting_id, date="November 24"
    )
    assert skipped.text.startswith("Skipped **Weekly**")
    await clock.advance(timedelta(days=2))  # past Nov 24's reminders: none were posted
    assert sandbox.channel_messages(channel) == []
    listed = await sandbox.slash(world.member, world.general, "meeting list")
    assert "Weekly" in listed.text
    await sandbox.slash(world.moderator, world.general, "meeting-admin cancel", meeting=meeting_id)
    await clock.advance(timedelta(days=14))
    assert sandbox.channel_messages(channel) == []
    audit = await sandbox.slash(world.moderator, world.general, "mod audit", area="meetings")
    assert "scheduled the meeting Weekly" in audit.text
    assert "skipped one date of the meeting Weekly" in audit.text
    assert "cancelled the meeting Weekly" in audit.text


async def test_calendar_file_imports_with_rule_and_zone(running: Runtime, world: World) -> None:
    await meetings_channel(world, running)
    await world.sandbox.slash(
        world.moderator,
        world.general,
        "meeting-admin create",
        title="Second Tuesday",
        starts="December 8 7pm",
        repeat="monthly_weekday",
    )
    result = await world.sandbox.slash(world.member, world.general, "meeting calendar")
    [message] = result.messages
    [attachment] = message.attachments
    assert attachment.filename == "meetings.ics"
    calendar = icalendar.Calendar.from_ical(attachment.data)
    [event] = [component for component in calendar.walk("VEVENT")]
    assert str(event["summary"]) == "Second Tuesday"
    assert event["rrule"]["BYDAY"] == ["+2TU"]
    assert event["dtstart"].dt.tzinfo is not None
    assert str(event["dtstart"].dt.tzinfo) == "America/New_York"
    assert calendar.walk("VTIMEZONE"), "phone calendars need the zone definition"


async def test_meeting_bad_input(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    no_channel = await sandbox.slash(
        world.moderator,
        world.general,
        "meeting-admin create",
        title="X",
        starts="tomorrow 7pm",
        repeat="weekly",
    )
    assert "Choose a meetings channel" in no_channel.text
    await meetings_channel(world, running)
    for starts, expected in {
        "Feb 30 2027 7pm": "couldn't understand",
        "yesterday 7pm": "already passed",
        "March 14 2027 2:30am": "the clocks jump forward",
    }.items():
        result = await sandbox.slash(
            world.moderator,
            world.general,
            "meeting-admin create",
            title="X",
            starts=starts,
            repeat="weekly",
        )
        assert expected in result.text, starts
    with pytest.raises(SandboxError, match="refuses 10000 characters"):
        await sandbox.slash(
            world.moderator,
            world.general,
            "meeting-admin create",
            title="x" * 10_000,
            starts="tomorrow 7pm",
            repeat="weekly",
        )
    other_guild = await sandbox.create_guild("Elsewhere")
    foreign = await sandbox.create_role(other_guild, "Foreign")
    refused = await sandbox.slash(
        world.moderator,
        world.general,
        "meeting-admin create",
        title="X",
        starts="tomorrow 7pm",
        repeat="weekly",
        role=foreign,
    )
    assert refused.text == "That role isn't in this server."
    forged = await sandbox.slash(
        world.moderator, world.general, "meeting-admin cancel", meeting="99"
    )
    assert forged.text == "I couldn't find that meeting here. Pick one from the list."
    assert await running.services.meetings.list(world.guild.id) == []


async def test_discord_event_mirror_follows_create_skip_edit_and_cancel(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await meetings_channel(world, running)
    await sandbox.slash(
        world.moderator, world.general, "meeting-admin create",
        title="Weekly", starts="November 24 7pm", repeat="weekly", discord_event=True,
    )  # fmt: skip
    [event] = world.guild.scheduled_events.values()
    assert event["name"] == "Weekly"
    assert event["scheduled_start_time"].startswith("2026-11-25T00:00:00")
    assert event["entity_type"] == 3  # external, with a location
    meeting_id = (await sandbox.autocomplete(world.moderator, world.general, "meeting-admin skip",
                                             focused="meeting", value=""))[0]["value"]  # fmt: skip
    await sandbox.slash(
        world.moderator, world.general, "meeting-admin skip", meeting=meeting_id, date="November 24"
    )
    [event] = world.guild.scheduled_events.values()
    assert event["scheduled_start_time"].startswith("2026-12-02T00:00:00")  # moved to the next one
    await sandbox.slash(
        world.moderator,
        world.general,
        "meeting-admin edit",
        meeting=meeting_id,
        title="Tuesday group",
    )
    [event] = world.guild.scheduled_events.values()
    assert event["name"] == "Tuesday group"
    await sandbox.slash(world.moderator, world.general, "meeting-admin cancel", meeting=meeting_id)
    assert world.guild.scheduled_events == {}


async def test_a_meeting_reminder_is_retried_until_the_meeting_starts(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """R27: the meeting's own deadline is its start, not the scheduler's default hour. A
    reminder 2.5 hours ahead meets a Discord outage: still being tried 1 h 10 min after it was
    due, settled as missed (Discord's trouble, not "offline") once the meeting has begun."""
    sandbox = world.sandbox
    channel = await meetings_channel(world, running)
    starts_at = clock.now() + timedelta(hours=3)
    await running.services.meetings.create(
        guild_id=world.guild.id, actor_id=world.moderator.id, title="Peer group",
        starts_at=starts_at, zone="UTC", repeat="once", leads=(150,),
    )  # fmt: skip
    sandbox.fail_next("POST", rf"^/channels/{channel.id}/messages$", 503, times=None)
    due_at = starts_at - timedelta(minutes=150)
    while clock.now() < due_at + timedelta(hours=1, minutes=10):
        await step(running, clock, timedelta(minutes=5))
    [row] = await meeting_rows(running)
    assert (row.state, row.cause) == ("pending", "discord_unavailable")
    while clock.now() < starts_at + timedelta(minutes=5):
        await step(running, clock, timedelta(minutes=5))
    [row] = await meeting_rows(running)
    assert (row.state, row.cause) == ("skipped_late", "discord_unavailable")
    assert row.attempts > 6
    assert sandbox.channel_messages(channel) == []


async def meeting_rows(running: Runtime) -> list[Occurrence]:
    async with running.sessions() as session:
        return list(
            await session.scalars(
                select(Occurrence).where(Occurrence.source.startswith("meeting:"))
            )
        )
