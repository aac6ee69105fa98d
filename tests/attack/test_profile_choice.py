"""Attack: the remembered sharing choice (checkin_profiles.choice) is encrypted unpadded,
so its length is the length of "named", "private" or "anonymous". The row is upserted in
place, so in SQLite its rowid is the order of the members' first check-ins in the server,
which the channel shows for members who first checked in by name.
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

    first_named = []  # the channel: who first checked in by name, in order
    for message in week.channel():
        for name, member in members.items():
            if (str(member.id) in message.text or name in message.text) and name not in first_named:
                first_named.append(name)
    # SQLite keeps the rowid of an upserted row; elsewhere, take the dump's own order.
    order = "ORDER BY rowid" if running.engine.dialect.name == "sqlite" else ""
    async with running.engine.connect() as connection:
        rows = (await connection.execute(text(
            f"SELECT guild_id, length(choice) FROM checkin_profiles {order}"  # noqa: S608
        ))).all()  # fmt: skip
    assert first_named == ["Sam", "Riley", "Alex"], first_named
    lengths = [length for _, length in rows]
    named_length = min(lengths)
    guessed = {
        name: {0: "named", 2: "private", 4: "anonymous"}.get(length - named_length, "?")
        for name, length in zip(first_named, lengths, strict=False)
    }
    assert len(set(lengths)) == 1, (
        f"choice lengths by first check-in order {lengths}: read as {guessed}"
    )
