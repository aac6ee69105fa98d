"""Personal reminders through the sandbox: what the member sees in DMs, and what is stored."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Member, Message, SandboxError
from tests.conftest import START, World, start_bot


async def set_zone(world: World, who: Member, zone: str = "America/New_York") -> None:
    result = await world.sandbox.slash(who, world.general, "settings timezone", zone=zone)
    assert result.text.startswith(f"Your time zone is now {zone}")


async def dm_count(world: World, who: Member, count: int) -> list[Message]:
    await world.sandbox.wait_for(
        lambda: len(world.sandbox.dms_to(who)) >= count, what=f"{count} DM(s)"
    )
    return world.sandbox.dms_to(who)


async def test_court_date_reminders_arrive_by_dm_with_a_plan_prompt(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await set_zone(world, member)
    added = await sandbox.slash(
        member,
        world.general,
        "remind add",
        what="Court hearing, room 4B",
        when="November 26 9am",
        kind="court",
    )
    assert added.ephemeral
    assert "Thursday, November 26 at 9:00 AM (America/New_York)" in added.text
    assert "Reminders: 3 days before, 1 day before, 2 hours before." in added.text

    await clock.advance(timedelta(days=1))  # Nov 23 15:00 UTC: the 3-days-before reminder is due
    [first] = await dm_count(world, member, 1)
    assert first.embeds[0]["title"] == "Court date: 3 days to go"
    assert first.embeds[0]["description"] == "Court hearing, room 4B"
    assert first.nonce is not None
    reminder_id = first.custom_ids()[0].rsplit(":", 1)[1]
    assert first.custom_ids() == [
        f"rem:{a}:{reminder_id}" for a in ("snooze10m", "snooze1h", "tomorrow", "done")
    ]
    assert str(member.id) not in " ".join(first.custom_ids())

    await clock.advance(timedelta(days=2))  # Nov 25 15:00 UTC: the day-before reminder
    second = (await dm_count(world, member, 2))[1]
    assert second.embeds[0]["title"] == "Court date: 1 day to go"
    assert "How will you get there" in second.text
    assert second.custom_ids()[0] == f"rem:leave:{reminder_id}"

    form = await sandbox.click(member, second, f"rem:leave:{reminder_id}")
    assert form.modal is not None
    planned = await sandbox.submit_modal(
        member, form, {"leave:when": "8:15am", "leave:plan": "Bus 12"}
    )
    assert "I'll tell you it's time to leave" in planned.text
    listed = await sandbox.slash(member, world.general, "remind list")
    assert "Leave for: Court hearing, room 4B (Bus 12)" in listed.text

    late_leave = await sandbox.click(member, second, f"rem:leave:{reminder_id}")
    refused = await sandbox.submit_modal(member, late_leave, {"leave:when": "11am"})
    assert refused.text == "That's after the event starts. Pick a time before it."


async def test_snooze_and_done(running: Runtime, world: World, clock: FakeClock) -> None:
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(
        member,
        world.general,
        "remind add",
        what="Take evening meds",
        when="in 1 hour",
        kind="medication",
    )
    await clock.advance(timedelta(hours=1))
    [first] = await dm_count(world, member, 1)
    reminder_id = first.custom_ids()[0].rsplit(":", 1)[1]
    snoozed = await sandbox.click(member, first, f"rem:snooze10m:{reminder_id}")
    assert "I'll remind you again" in snoozed.text
    await clock.advance(timedelta(minutes=10))
    again = (await dm_count(world, member, 2))[1]
    assert again.embeds[0]["description"] == "Take evening meds"
    done = await sandbox.click(member, again, f"rem:done:{reminder_id}")
    assert done.text == "Marked done. Nice work."
    assert (await sandbox.slash(member, world.general, "remind list")).text.startswith(
        "You have no reminders"
    )
    stranger = await sandbox.click(world.other_member, again, f"rem:snooze1h:{reminder_id}")
    assert stranger.text == "I couldn't find that reminder among yours."


async def test_closed_dms_are_tried_once_and_the_member_is_told(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    closed = await sandbox.create_member(world.guild, "Quiet", dms_open=False)
    await sandbox.slash(
        closed, world.general, "remind add", what="Call the VA", when="in 30 minutes"
    )
    await clock.advance(timedelta(minutes=30))

    async def settled() -> bool:
        [view] = await running.services.reminders.list(closed.id)
        return view.undelivered

    from tests.conftest import eventually

    await eventually(settled, what="the delivery to fail permanently")
    await clock.advance(timedelta(hours=1))  # nothing is retried
    dm_posts = [r for r in sandbox.requests if r[0] == "POST" and r[1].startswith("/channels/")]
    assert len(dm_posts) == 1
    nudged = await sandbox.slash(closed, world.general, "help")
    await sandbox.wait_for(lambda: len(nudged.messages) == 2, what="the private notice")
    assert nudged.messages[1].ephemeral
    assert "your DMs are closed to me" in nudged.messages[1].text
    listed = await sandbox.slash(closed, world.general, "remind list")
    assert "Couldn't be delivered: your DMs are closed to me." in listed.text
    again = await sandbox.slash(closed, world.general, "help")
    assert len(again.messages) == 1  # told once


async def test_a_reminder_due_while_the_bot_was_down_arrives_once_marked_late(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    keyring = Keyring.generate()  # the same keys across the restart, as in a real deployment
    async with start_bot(bot_settings, clock, keyring=keyring):
        await world.sandbox.slash(
            world.member, world.general, "remind add", what="Call my mentor", when="in 1 hour"
        )
    await clock.advance(timedelta(hours=3))  # down for the due time
    async with start_bot(bot_settings, clock, keyring=keyring):
        [late] = await dm_count(world, world.member, 1)
        assert "Sorry, this is late" in late.embeds[0]["footer"]["text"]
    assert len(world.sandbox.dms_to(world.member)) == 1


@pytest.mark.parametrize("suspended", [False, True])
async def test_a_14_hour_clock_jump_follows_the_lateness_policy(
    running: Runtime, world: World, clock: FakeClock, suspended: bool
) -> None:
    """The wall clock jumps 14 hours past a reminder due in one hour. If the host slept that
    long (the time really passed) the reminder is 13 hours late: missed, as the policy says.
    If the clock was only set forward (no time passed), it is not late at all: sent, with no
    apology, never marked missed."""
    sandbox = world.sandbox
    await sandbox.slash(world.member, world.general, "remind add", what="Walk", when="in 1 hour")
    dispatcher = running.bot.dispatcher
    assert dispatcher is not None
    await clock.advance(timedelta(seconds=30))  # the dispatcher's regular look at the clock
    await asyncio.wait_for(dispatcher.ran_since(clock.now()), timeout=5)
    if suspended:
        await clock.advance(timedelta(hours=14))
    else:
        await clock.step(timedelta(hours=14))
    await asyncio.wait_for(dispatcher.ran_since(clock.now()), timeout=5)
    listed = await sandbox.slash(world.member, world.general, "remind list")
    if suspended:
        assert sandbox.dms_to(world.member) == []
        assert "Missed: I was offline when it was due." in listed.text
    else:
        [reminder] = await dm_count(world, world.member, 1)
        assert "footer" not in reminder.embeds[0]  # not "Sorry, this is late"
        assert "Missed" not in listed.text


async def test_remind_bad_input(running: Runtime, world: World) -> None:
    sandbox, member = world.sandbox, world.member
    cases = {
        "Feb 30 2027 9am": "couldn't understand",
        "yesterday 9am": "already passed",
        "2027-03-14 02:30": "the clocks jump forward",
        "9999-01-01": "two years ahead",
    }
    await set_zone(world, member)
    for when, expected in cases.items():
        result = await sandbox.slash(member, world.general, "remind add", what="x", when=when)
        assert expected in result.text, when
        assert result.ephemeral
    assert await running.services.reminders.list(member.id) == []
    with pytest.raises(SandboxError, match="refuses 10000 characters"):
        await sandbox.slash(
            member, world.general, "remind add", what="x" * 10_000, when="tomorrow 9am"
        )
    unknown = await sandbox.slash(member, world.general, "settings timezone", zone="Mars/Olympus")
    assert unknown.text.startswith("I don't know that time zone")
    forged = await sandbox.slash(member, world.general, "remind cancel", reminder="'; DROP TABLE x")
    assert forged.text == "Pick one of your reminders from the list."
    someone_elses = await sandbox.slash(member, world.general, "remind cancel", reminder="999")
    assert someone_elses.text == "I couldn't find that reminder among yours."


async def test_mentions_in_a_reminder_ping_nobody(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    text = f"@everyone {world.other_member.mention} [click](http://evil.example)"
    await world.sandbox.slash(
        world.member, world.general, "remind add", what=text, when="in 1 hour"
    )
    await clock.advance(timedelta(hours=1))
    message = await world.sandbox.wait_for_message(
        lambda m: m.guild_id is None and m.interaction_id is None, what="the reminder DM"
    )
    assert message.pings() == (set(), set(), False)
    assert "\\[click](http://evil.example)" in message.embeds[0]["description"]


async def test_timezone_autocomplete(running: Runtime, world: World) -> None:
    choices = await world.sandbox.autocomplete(
        world.member, world.general, "settings timezone", focused="zone", value="east"
    )
    assert choices[0] == {"name": "Eastern (America/New_York)", "value": "America/New_York"}
    assert len(choices) <= 25
    assert START.tzinfo is not None


async def test_closed_dms_notice_also_follows_a_button(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    from tests.test_checkins_e2e import configure, post_anonymously

    sandbox = world.sandbox
    post = await post_anonymously(running, world, clock, await configure(running, world))
    closed = await sandbox.create_member(world.guild, "Quiet", dms_open=False)
    await running.services.member_settings.mark_dms_closed(closed.id)
    clicked = await sandbox.click(closed, post, "anon:options")
    await sandbox.wait_for(
        lambda: any("your DMs are closed to me" in m.text for m in clicked.messages),
        what="the private notice after a button",
    )
    assert all(m.ephemeral for m in clicked.messages)
