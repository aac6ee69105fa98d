"""/settings timezone moves what was booked by the member's old zone, in one unit of work:
a taper step's 09:00, a questionnaire's 10:00, the daily check-in prompt's time, a named
milestone's noon and the visit packet's mornings, each to the same wall-clock time in the new
zone. What the old zone booked and no attempt has tried yet moves; a delivery in flight or
maybe sent already goes as it was booked (see test_scheduling)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Occurrence
from bot.runtime import Runtime
from bot.sandbox.state import DISCORD_EPOCH_MS
from bot.scheduling import PENDING
from tests.attack.test_health_records_round1 import measure_on, run_until
from tests.conftest import START, World
from tests.test_attacker import ids_on_the_test_clock
from tests.test_checkins_e2e import configure

__all__ = ["ids_on_the_test_clock"]

SYDNEY = ZoneInfo("Australia/Sydney")  # UTC+11 in November and December


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]  # year, month, day, hour


async def pending(running: Runtime) -> dict[str, list[datetime]]:
    """Pending deliveries by kind, in time order."""
    async with running.sessions() as session:
        rows = await session.execute(
            select(Occurrence.kind, Occurrence.due_at)
            .where(Occurrence.state == PENDING)
            .order_by(Occurrence.due_at)
        )
        found: dict[str, list[datetime]] = {}
        for kind, due_at in rows:
            found.setdefault(kind, []).append(due_at)
    return found


async def rows(running: Runtime) -> list[tuple[int, datetime, datetime | None]]:
    """Every delivery row: its id, when it is due and when it was settled."""
    async with running.sessions() as session:
        found = await session.execute(
            select(Occurrence.id, Occurrence.due_at, Occurrence.settled_at).order_by(Occurrence.id)
        )
        return [(row_id, due_at, settled_at) for row_id, due_at, settled_at in found]


async def test_a_zone_change_moves_every_delivery_booked_by_the_members_zone(
    running: Runtime, world: World, clock: FakeClock, ids_on_the_test_clock: None
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    assert clock.now() == START == utc(2026, 11, 22, 15)  # Sunday, 10:00 in New York
    await sandbox.slash(sam, world.general, "settings timezone", zone="Eastern")
    await sandbox.slash(sam, world.general, "meds plan add", date="2026-12-01", dose="7.5 mg")
    await measure_on(sandbox, sam, world, "phq8")
    await sandbox.slash(sam, world.general, "checkin prompt", at="8pm")
    await sandbox.slash(sam, world.general, "sobriety set", since="Nov 16", milestones="named")
    remind = await sandbox.slash(sam, world.general, "remind add", what="Psych visit",
                                 when="Dec 10 10am", kind="appointment")  # fmt: skip
    offer = remind.messages[-1]
    [initials] = [c for c in offer.custom_ids() if c.startswith("packet:initials:")]
    await sandbox.click(sam, offer, initials)
    booked = await pending(running)
    assert booked["taper_step"] == [utc(2026, 12, 1, 14)]  # 09:00 in New York
    assert booked["measure"] == [utc(2026, 11, 23, 15)]  # tomorrow 10:00 (10:00 today is now)
    assert booked["prompt"] == [utc(2026, 11, 23, 1)]  # 20:00 tonight
    assert booked["milestone"] == [utc(2026, 11, 23, 17)]  # 7 days on Nov 23, at noon
    # 08:00 three days before, and on the morning of the visit (15:00 UTC).
    assert booked["packet"] == [utc(2026, 12, 7, 13), utc(2026, 12, 10, 13)]
    reminders = booked["personal"]
    before = await rows(running)

    moved = await sandbox.slash(sam, world.general, "settings timezone", zone="Australia/Sydney")
    assert "Australia/Sydney" in moved.text, moved.text
    # Moved in place: the same rows, nothing dated by the change (member_settings dates it,
    # beside Sam's user id) and no new ids side by side to tie his deliveries together.
    after = await rows(running)
    assert [(row_id, settled) for row_id, _, settled in after] == [
        (row_id, settled) for row_id, _, settled in before
    ]
    assert sum(b[1] != a[1] for b, a in zip(before, after, strict=True)) == 6
    now = await pending(running)
    assert now["taper_step"] == [utc(2026, 11, 30, 22)]  # Dec 1, 09:00 in Sydney
    assert now["measure"] == [utc(2026, 11, 22, 23)]  # Nov 23, 10:00 in Sydney
    # Nov 22, 20:00 in Sydney has passed (it's 02:00 on Nov 23 there): the next one.
    assert now["prompt"] == [utc(2026, 11, 23, 9)]  # Nov 23, 20:00 in Sydney
    assert now["milestone"] == [utc(2026, 11, 23, 1)]  # Nov 23, noon in Sydney
    # The visit is at 02:00 on Dec 11 in Sydney: 08:00 on Dec 8, and an hour before it.
    assert now["packet"] == [utc(2026, 12, 7, 21), utc(2026, 12, 10, 14)]
    assert now["personal"] == reminders  # each a time before the visit, which does not move
    [view] = await running.services.reminders.list(sam.id)
    assert view.timezone == "Australia/Sydney"  # shown, and snoozed to "tomorrow", there

    # The questionnaire's prompt comes at 10:00 in Sydney, and the next in two weeks the same.
    await run_until(running, clock, utc(2026, 11, 23, 0))
    [prompt] = [m for m in sandbox.dms_to(sam) if "PHQ-8" in m.text]
    sent = datetime.fromtimestamp(((prompt.id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)
    assert sent.astimezone(SYDNEY).strftime("%Y-%m-%d %H") == "2026-11-23 10", sent
    assert (await pending(running))["measure"] == [utc(2026, 12, 6, 23)]  # Dec 7, 10:00 there
