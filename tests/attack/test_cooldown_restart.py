"""Attack (moderator): the share cooldown lives only in the process's memory.

Named, then anonymous a minute later, is kept private by SHARE_COOLDOWN so the post cannot
follow its author's named check-in by minutes. The cooldown is a dict in CheckinService:
a restart in between (a deploy, a crash) forgets it, and the anonymous post then appears
between the delay and twice it after the named check-in. The timing join names the author.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.keys import Keyring
from tests.conftest import World, start_bot
from tests.test_attacker import Week, _message_time
from tests.test_checkins_e2e import configure

DELAY = timedelta(minutes=5)


@pytest.mark.parametrize("restart", [True, False])  # False: the control, which held before
async def test_a_restart_does_not_let_an_anonymous_post_follow_a_named_one(
    restart: bool,
    ids_on_the_test_clock: None,
    bot_settings: Settings,
    world: World,
    clock: FakeClock,
) -> None:
    keyring = Keyring.generate()
    sandbox = world.sandbox
    members = {"Sam": world.member, "Riley": world.other_member}
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        group = await configure(running, world, threshold="3")
        await running.services.anonymous.book_next(world.guild.id, clock.now())
        week = Week(running, world, clock, group, members)
        for who in members.values():
            await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")
        await week.at(1, "09:00:00")
        await week.checkin("Sam", "named", mood=4)
        named_at = clock.now()
        if not restart:
            await week.at(1, "09:00:30")
            told = await week.checkin("Sam", "anonymous", mood=2)
            await week.at(1, "12:00:00")
    if restart:
        async with start_bot(bot_settings, clock, keyring=keyring) as running:
            week = Week(running, world, clock, group, members)
            await week.at(1, "09:00:30")
            told = await week.checkin("Sam", "anonymous", mood=2)
            await week.at(1, "12:00:00")
    posts = [(m.embeds[0]["title"], _message_time(m.id)) for m in week.channel()
             if m.embeds and m.embeds[0]["title"] != "Check-in from Sam"]  # fmt: skip
    named = [(t, s) for t, s in posts if s - 2 * DELAY <= named_at <= s - DELAY]
    assert not named, (
        f"after a restart the cooldown was forgotten ({told!r}); post {named} follows Sam's "
        f"named check-in of {named_at:%H:%M:%S} within the delay window"
    )
