"""Attacks on the delivery promise that the code withstood when run (kept as regression
tests): a booking for 'now' or inside the DST gap, a 503 on opening the DM channel for 30
minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.scheduling import BACKOFF_CAP
from bot.services.reminders import parse_when
from tests.conftest import World
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    OUTAGE,
    STEP,
    quick_discord_retries,
    remind,
    row_of,
    settled,
    step,
)


@pytest.mark.parametrize("when", ["now", "in 0 minutes", "March 8 2026 2:30am"])
def test_now_and_the_dst_gap_are_refused_clearly(when: str) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(UserFacingError):
        parse_when(when, "America/New_York", now)


async def test_a_30_minute_outage_of_dm_channel_opening_is_outlasted_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    source = await remind(running, world, clock, ahead=timedelta(minutes=5))
    sandbox.fail_next("POST", r"^/users/@me/channels$", 503, times=None)
    await step(running, clock, timedelta(minutes=5))
    ends = clock.now() + OUTAGE
    while clock.now() < ends:
        await step(running, clock)
    assert (await row_of(running, source)).state == "pending"
    sandbox.recover()
    for _ in range(int(BACKOFF_CAP / STEP) + 2):
        await step(running, clock)
        if (await row_of(running, source)).state == "sent":
            break
    assert await settled(running, source) == "sent"
    assert len(sandbox.dms_to(world.member)) == 1
