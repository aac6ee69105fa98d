"""Attack: the remembered sharing choice, once a row of its own (checkin_profiles) encrypted
unpadded, so its length was the length of "named", "private" or "anonymous". It is now the
share each check-in asked for, sealed in the check-in: its length must not tell it either.
"""

from __future__ import annotations

from sqlalchemy import text

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_attacker import Week
from tests.test_checkins_e2e import configure


async def test_the_remembered_choice_does_not_show_through_its_length(
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

    # Monday: all three check in by name first (the channel shows the order).
    await week.at(1, "09:00:00")
    for name in ("Sam", "Riley", "Alex"):
        await week.checkin(name, "named", mood=4)
        await week.at(1, {"Sam": "09:30:00", "Riley": "10:00:00", "Alex": "10:30:00"}[name])
    # Tuesday: Riley keeps one private, Alex posts anonymously.
    await week.at(2, "09:00:00")
    await week.checkin("Riley", "private", mood=1)
    await week.at(2, "10:00:00")
    await week.checkin("Alex", "anonymous", mood=2)
    await week.at(2, "12:00:00")

    # Each check-in holds the share it asked for (what "as last time" uses), sealed with the
    # rest: "named", "private" and "anonymous" must not show through the row's length.
    async with running.engine.connect() as connection:
        lengths = (await connection.execute(text("SELECT length(data) FROM checkins"))).all()
    assert len(lengths) == 5
    assert len(set(lengths)) == 1, f"check-in lengths {lengths} tell the shares apart"
