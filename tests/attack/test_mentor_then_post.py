"""Attack (moderator): a mentor request made just BEFORE an anonymous check-in.

hold_back moves only posts already waiting when the member asks for a mentor. A member who
asks first (from the offer on a low private check-in) and then checks in anonymously a
minute later has their post appear between the delay and twice it after the request. The
moderator sees the named request in the mentors channel and then, minutes later, the only
anonymous post around: the timing join of MODERATOR_JOINS names the author.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_attacker import Week, _message_time
from tests.test_checkins_e2e import ask_a_mentor, checkin_options, configure

DELAY = timedelta(minutes=5)  # configure() sets 5 minutes


async def test_a_mentor_request_just_before_an_anonymous_checkin_does_not_name_its_author(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    sandbox = world.sandbox
    members = {"Sam": world.member, "Riley": world.other_member}
    members["Alex"] = await sandbox.create_member(world.guild, "Alex")
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")

    await week.at(0, "19:00:00")  # low yesterday too: the mentor offer comes
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "08:00:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(1, "09:20:00")
    low = await sandbox.slash(members["Sam"], world.general, "checkin now",
                              **checkin_options(share="private", mood=1, sleep="3"))  # fmt: skip
    await week.at(1, "09:20:20")
    reply = low.messages[-1]
    assert "crisis:mentor" in reply.custom_ids(), [m.text for m in low.messages]
    await ask_a_mentor(sandbox, members["Sam"], reply)
    await week.at(1, "09:21:00")
    sams = await week.checkin("Sam", "anonymous", mood=2, sleep="4")  # a minute after asking
    await week.at(1, "13:00:00")
    await week.checkin("Alex", "anonymous", mood=3)
    await week.at(1, "15:00:00")
    assert "**" in sams

    # The moderator's view: mentor alerts (named, timed) and anonymous posts (timed).
    alerts = [
        (_message_time(m.id), name)
        for m in sandbox.channel_messages(group.mentors) if "asked for a peer mentor" in m.text
        for name in members if f"**{name}**" in m.text
    ]  # fmt: skip
    posts = [(m.embeds[0]["title"], _message_time(m.id)) for m in week.channel() if m.embeds]
    assert alerts, alerts
    assert len(posts) == 3, posts
    named = {
        title: [name for at, name in alerts if timedelta(0) < shown - at <= 2 * DELAY
                + timedelta(minutes=1)]
        for title, shown in posts
    }  # fmt: skip
    sams_title = "Check-in from " + sams.split("**")[1]
    assert named[sams_title] != ["Sam"], (
        f"the post {sams_title!r} appeared {named} minutes after Sam's named mentor request: "
        f"posts {posts}, alerts {alerts}"
    )
