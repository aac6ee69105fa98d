"""Red-team attacks: a relative time ("in 2 hours") booked on a daylight-saving night.

The promise: a reminder reaches the member on time. "in 2 hours" means two hours that
really pass, whatever the wall clock does in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services.reminders import parse_when
from tests.conftest import World

ZONE = "America/New_York"
FALL_BACK_NIGHT = datetime(2026, 11, 1, 4, 45, tzinfo=UTC)  # 00:45 EDT, before 02:00 -> 01:00
SPRING_FORWARD_NIGHT = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # 01:30 EST, before 02:00 -> 03:00


@pytest.mark.parametrize(
    ("now", "when", "expected"),
    [
        (FALL_BACK_NIGHT, "in 2 hours", timedelta(hours=2)),
        (FALL_BACK_NIGHT + timedelta(hours=1), "in 30 minutes", timedelta(minutes=30)),
        (SPRING_FORWARD_NIGHT, "in 2 hours", timedelta(hours=2)),
        (SPRING_FORWARD_NIGHT, "in 1 hour", timedelta(hours=1)),
    ],
)
def test_a_relative_time_across_a_dst_change_is_that_long_from_now(
    now: datetime, when: str, expected: timedelta
) -> None:
    assert parse_when(when, ZONE, now) - now == expected


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FALL_BACK_NIGHT)  # 00:45 EDT on the night the clocks go back


async def test_remind_add_in_2_hours_on_the_fall_back_night_comes_in_2_hours(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    await running.services.member_settings.set_timezone(world.member.id, ZONE)
    added = await world.sandbox.slash(
        world.member, world.general, "remind add", what="Call my sponsor", when="in 2 hours"
    )
    assert "Got it" in added.text, added.text
    [view] = await running.services.reminders.list(world.member.id)
    assert view.event_at - clock.now() == timedelta(hours=2), (
        f"'in 2 hours' was booked {view.event_at - clock.now()} ahead: {added.text}"
    )
