"""Attack: an anonymous sobriety milestone is posted at local noon in its member's zone.

The channel shows the milestone message (its id carries its time to the millisecond). The
dump's member_settings holds each member's user id beside their time zone, in the clear,
and the milestone's delivery row carries the zone too. The zone in which the message went
out at exactly 12:00 names the members it can be from; one member in that zone is named.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import MemberSettings, Occurrence
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_attacker import Week, _message_time
from tests.test_checkins_e2e import configure


async def test_an_anonymous_milestone_time_does_not_name_its_member(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    sandbox = world.sandbox
    members = {"Sam": world.member, "Riley": world.other_member}
    for name in ("Alex", "Blair"):
        members[name] = await sandbox.create_member(world.guild, name)
    week = Week(running, world, clock, group, members)
    for name, who in members.items():
        zone = "Pacific" if name == "Riley" else "Eastern"  # Riley lives out West
        await sandbox.slash(who, world.general, "settings timezone", zone=zone)

    await week.at(0, "16:00:00")  # Sunday Nov 22
    await sandbox.slash(members["Riley"], world.general, "sobriety set", since="Nov 16",
                        milestones="anonymous")  # fmt: skip
    await week.at(1, "18:00:00")
    posted = [m for m in week.channel() if "Someone in the group reached" in m.text]
    assert posted, [m.text for m in week.channel()]
    message = posted[0]

    # The dump attacker: member zones, in the clear, against the message's local time.
    async with running.sessions() as session:
        zones = {s.user_id: s.timezone for s in await session.scalars(select(MemberSettings))}
        deliveries = list(
            await session.scalars(select(Occurrence).where(Occurrence.kind == "milestone"))
        )
    at = _message_time(message.id).astimezone(UTC)
    candidates = {
        user_id for user_id, zone in zones.items()
        if zone and at.astimezone(ZoneInfo(zone)).hour == 12
    }  # fmt: skip
    payload_zones = {str(d.payload.get("zone")) for d in deliveries}
    assert len(candidates) > 1, (
        f"the anonymous milestone at {at:%H:%M} UTC is noon only in the zone of "
        f"{candidates} (Riley is {members['Riley'].id}); delivery zones in clear {payload_zones}"
    )
