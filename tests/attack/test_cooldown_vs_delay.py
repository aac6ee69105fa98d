"""Attack (moderator): the share cooldown is fixed at 10 minutes, the delay is not.

A member's named check-in and their anonymous one are "spaced out" by SHARE_COOLDOWN (10
minutes), which keeps the named one out of the post's window only while twice the delay is
at most 10 minutes. A server that follows the advice to lengthen the delay (here 30
minutes) has posts whose window [shown - 2*delay, shown - delay] usually holds their
author's named check-in of 10 minutes before: the timing join names them. Five days of
"named, then anonymous ten minutes later"; each day the join names Sam with chance ~2/3.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_attacker import Week, _message_time
from tests.test_checkins_e2e import configure

DELAY = timedelta(minutes=30)


async def test_a_longer_delay_still_keeps_the_authors_named_checkin_out_of_the_window(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    group = await configure(running, world, threshold="3")
    await running.services.guild_settings.set_limits(
        world.guild.id, world.moderator.id, timezone="America/New_York",
        anonymous_delay_minutes="30", summary_threshold="3", retention_days="180",
    )  # fmt: skip
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    sandbox = world.sandbox
    members = {"Sam": world.member, "Riley": world.other_member}
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")

    named_at: list[tuple[object, str]] = []
    for day in range(1, 6):
        await week.at(day, "09:00:00")
        await week.checkin("Sam", "named", mood=4)
        named_at.append((clock.now(), "Sam"))
        await week.at(day, "09:10:01")  # just past the cooldown
        told = await week.checkin("Sam", "anonymous", mood=3)
        assert "**" in told, told
        await week.at(day, "12:00:00")

    posts = [(m.embeds[0]["title"], _message_time(m.id)) for m in week.channel()
             if m.embeds and m.embeds[0]["title"] != "Check-in from Sam"]  # fmt: skip
    assert len(posts) == 5, posts
    named = [
        (title, shown, [who for at, who in named_at if shown - 2 * DELAY <= at <= shown - DELAY])
        for title, shown in posts
    ]  # fmt: skip
    assert not [n for n in named if n[2] == ["Sam"]], named
