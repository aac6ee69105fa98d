"""The words a member or moderator reads, through the sandbox (issue #15): fresh starts, snooze
buttons with a verb, past reminders marked, late notes in the member's zone, a streak that
counts through yesterday, a plain audit log, cancelled meetings, and event permissions."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.invite import CREATE_EVENTS, INVITE_PERMISSIONS, MANAGE_EVENTS, SETUP_PERMISSIONS
from bot.runtime import Runtime
from bot.sandbox import Member, Message
from tests.conftest import World
from tests.test_checkins_e2e import checkin_options, configure
from tests.test_meetings_e2e import meetings_channel, posted

README = Path(__file__).resolve().parents[1] / "README.md"


def labels(message: Message) -> list[str]:
    found: list[str] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "label" in item:
                found.append(item["label"])
            walk(item.get("components", []))

    walk(message.components)
    return found


def buttons(message: Message) -> list[dict[str, Any]]:
    return [item for row in message.components for item in row.get("components", [])]


async def dm_count(world: World, who: Member, count: int) -> list[Message]:
    await world.sandbox.wait_for(
        lambda: len(world.sandbox.dms_to(who)) >= count, what=f"{count} DM(s)"
    )
    return world.sandbox.dms_to(who)


async def set_zone(world: World, who: Member, zone: str = "America/New_York") -> None:
    await world.sandbox.slash(who, world.general, "settings timezone", zone=zone)


async def test_sobriety_status_counts_fresh_starts(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    await sandbox.slash(world.member, world.general, "sobriety set", since="Nov 15")
    first = await sandbox.slash(world.member, world.general, "sobriety status")
    assert "attempt" not in first.text.lower()
    assert "fresh start" not in first.text.lower()  # none yet: nothing to count
    await sandbox.slash(world.member, world.general, "sobriety reset")
    status = await sandbox.slash(world.member, world.general, "sobriety status")
    assert "attempt" not in status.text.lower()
    assert "Fresh starts: 1" in status.text
    readme = README.read_text(encoding="utf-8")
    members_part = readme.split("## What members and moderators can do", 1)[1]
    assert "attempts" not in members_part.split("\n## ", 1)[0]


async def test_snooze_buttons_say_what_they_do_and_never_pass_the_event(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await set_zone(world, member)
    await sandbox.slash(member, world.general, "remind add", what="Court, room 4B",
                        when="November 26 9am", kind="court")  # fmt: skip
    await clock.advance(timedelta(days=1))  # 3 days before: tomorrow is still before court
    [three_days] = await dm_count(world, member, 1)
    assert labels(three_days) == [
        "Remind me in 10 minutes", "Remind me in 1 hour", "Remind me tomorrow", "Done",
    ]  # fmt: skip
    await clock.advance(timedelta(days=2))  # 1 day before: "tomorrow" would be court itself
    day_before = (await dm_count(world, member, 2))[1]
    assert "Remind me tomorrow" not in labels(day_before)
    await clock.advance(timedelta(hours=21))  # Nov 26 12:00 UTC: 2 hours before
    two_hours = (await dm_count(world, member, 3))[2]
    assert two_hours.embeds[0]["title"] == "Court date: 2 hours to go"
    assert labels(two_hours) == ["Remind me in 10 minutes", "Remind me in 1 hour", "Done"]
    # The old message's "tomorrow" now lands after court: refused, kindly.
    reminder_id = three_days.custom_ids()[0].rsplit(":", 1)[1]
    late = await sandbox.click(member, three_days, f"rem:tomorrow:{reminder_id}")
    assert late.ephemeral
    assert "after it starts" in late.text
    assert "remind you again" not in late.text


async def test_remind_list_marks_what_is_past(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(member, world.general, "remind add", what="Call the VA", when="in 1 hour")
    await sandbox.slash(member, world.general, "remind add", what="Group", when="in 5 hours")
    await clock.advance(timedelta(hours=1, minutes=30))
    await dm_count(world, member, 1)
    listed = await sandbox.slash(member, world.general, "remind list")
    lines = listed.text.split("\n\n")
    [va] = [line for line in lines if "Call the VA" in line]
    [group] = [line for line in lines if "Group" in line]
    assert va.startswith("Past:")
    assert not group.startswith("Past")
    assert listed.text.index("Group") < listed.text.index("Call the VA")  # upcoming first


async def test_a_late_reminder_says_when_in_the_members_zone(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await set_zone(world, member)
    await sandbox.slash(member, world.general, "remind add", what="Walk", when="in 1 hour")
    await clock.advance(timedelta(hours=1, minutes=5))  # 11:05 AM in New York
    [late] = await dm_count(world, member, 1)
    footer = late.embeds[0]["footer"]["text"]
    assert "11:00 AM" in footer
    assert "America/New_York" in footer
    assert "UTC" not in footer


async def test_the_late_note_has_one_threshold_of_a_minute(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Reminders are set to the minute: one that comes more than a minute after its time
    says so; within the minute it is on time. The README's lateness policy says the same."""
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(member, world.general, "remind add", what="On time", when="in 1 hour")
    await clock.advance(timedelta(hours=1, seconds=50))
    [on_time] = await dm_count(world, member, 1)
    assert "footer" not in on_time.embeds[0]
    await sandbox.slash(member, world.general, "remind add", what="Late", when="in 1 hour")
    await clock.advance(timedelta(hours=1, seconds=65))
    late = (await dm_count(world, member, 2))[1]
    assert "Sorry, this is late" in late.embeds[0]["footer"]["text"]
    policy = README.read_text(encoding="utf-8").split("**Lateness policy**", 1)[1]
    [row] = [line for line in policy.splitlines() if line.startswith("| personal reminder")]
    assert "more than 1 minute" in row


async def test_checkin_streak_counts_through_yesterday(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await set_zone(world, world.member)
    for _ in range(2):
        await sandbox.slash(world.member, world.general, "checkin now",
                            **checkin_options(share="private"))  # fmt: skip
        await clock.advance(timedelta(days=1))
    history = await sandbox.slash(world.member, world.general, "checkin history", timeout=30.0)
    assert "Check-in streak: 2 days in a row." in history.messages[-1].text  # not yet today
    await clock.advance(timedelta(days=1))  # a whole day without one: the streak ended
    history = await sandbox.slash(world.member, world.general, "checkin history", timeout=30.0)
    assert "Check-in streak: 0 days in a row." in history.messages[-1].text


async def test_mod_audit_reads_as_plain_words(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await running.services.guild_settings.set_limits(
        world.guild.id, world.moderator.id, timezone="America/New_York",
        anonymous_delay_minutes="5", summary_threshold="5", retention_days="180",
        crisis_alerts="no",
    )  # fmt: skip
    audit = await sandbox.slash(world.moderator, world.general, "mod audit", area="setup")
    text = audit.text
    assert "setup." not in text
    assert "->" not in text
    assert "True" not in text
    assert "False" not in text
    assert "crisis alerts to the mentors' channel, without names: from on to off" in text
    assert "time zone: from not set to America/New_York" in text
    assert "changed the" in text


async def test_rsvp_on_a_cancelled_meeting_says_so_and_its_buttons_close(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    channel = await meetings_channel(world, running)
    for title in ("Weekly", "Monthly"):
        await sandbox.slash(world.moderator, world.general, "meeting-admin create",
                            title=title, starts="November 24 7pm", repeat="weekly")  # fmt: skip
    await clock.advance(timedelta(hours=33))  # Nov 24 00:00 UTC: the day-before reminders
    posts = await posted(world, channel, 2)
    [weekly] = [post for post in posts if "Weekly" in post.text]
    [monthly] = [post for post in posts if "Monthly" in post.text]
    meetings = {m.title: m.id for m in await running.services.meetings.list(world.guild.id)}

    # Cancelled elsewhere (another moderator's process, say): the next press hears why.
    await running.services.meetings.cancel(world.guild.id, world.moderator.id, meetings["Weekly"])
    pressed = await sandbox.click(world.member, weekly, weekly.custom_ids()[0])
    await sandbox.wait_for(lambda: bool(pressed.messages), what="the answer")
    assert "cancelled" in pressed.text
    assert "couldn't find" not in pressed.text
    assert all(m.ephemeral for m in pressed.messages)
    await sandbox.wait_for(
        lambda: all(button.get("disabled") for button in buttons(weekly)),
        what="the cancelled post's buttons to close",
    )

    # Cancelled with the command: its posts' buttons close at once.
    await sandbox.slash(world.moderator, world.general, "meeting-admin cancel",
                        meeting=str(meetings["Monthly"]))  # fmt: skip
    await sandbox.wait_for(
        lambda: all(button.get("disabled") for button in buttons(monthly)),
        what="the cancelled post's buttons to close",
    )
    assert "cancelled" in monthly.text.lower()


async def test_a_refused_discord_event_names_the_missing_permission(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await meetings_channel(world, running)
    await sandbox.set_bot_permissions(world.guild, remove=CREATE_EVENTS)
    created = await sandbox.slash(
        world.moderator, world.general, "meeting-admin create",
        title="Weekly", starts="November 24 7pm", repeat="weekly", discord_event=True,
    )  # fmt: skip
    assert created.ephemeral
    assert created.text.startswith("Scheduled **Weekly**")
    # Which permission, and where an admin turns it on: not a generic "Discord refused".
    assert "I need the **Create Events** permission" in created.text
    assert "Server Settings > Roles > Muster" in created.text
    assert world.guild.scheduled_events == {}


def test_the_readme_invite_asks_for_create_and_manage_events() -> None:
    readme = README.read_text(encoding="utf-8")
    [permissions] = re.findall(r"oauth2/authorize\?[^)\s`]*permissions=(\d+)", readme)
    assert int(permissions) == INVITE_PERMISSIONS
    assert int(permissions) & CREATE_EVENTS == 1 << 44
    assert int(permissions) & MANAGE_EVENTS == 1 << 33
    assert int(permissions) & SETUP_PERMISSIONS == SETUP_PERMISSIONS  # /setup start creates
    invite = readme.split("Invite the bot", 1)[1].split("\n4.", 1)[0]
    assert "Manage Channels" in invite
    assert "Manage Roles" in invite
    assert "Create Events" in invite
    assert "Manage Events" in invite
    assert f"`{INVITE_PERMISSIONS}`" in invite
