"""The chart is drawn from one point per day, in a separate process."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.charts import (
    DRAWING_NICENESS,
    daily_points,
    draw_chart,
    in_drawing_process,
    stop_drawing,
)
from bot.services.checkins import Entry, MedChange

ZONE = ZoneInfo("America/Chicago")


def entry(at: datetime, mood: int, *, hours: float | None = None, word: str | None = None,
          cravings: str = "none") -> Entry:  # fmt: skip
    return Entry(
        at=at, local=at.astimezone(ZONE), mood=mood, sleep_hours=hours, sleep_quality=word,
        cravings=cravings, sober="yes", share="private", note="private words",
    )  # fmt: skip


def test_several_checkins_a_day_become_one_point_in_the_members_zone() -> None:
    monday = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 8:00 in Chicago
    entries = [
        entry(monday, 1, hours=6, cravings="mild"),
        entry(monday + timedelta(hours=4), 4, hours=8, cravings="strong"),
        # 02:30 UTC on Tuesday is still Monday evening in Chicago
        entry(datetime(2026, 11, 24, 2, 30, tzinfo=UTC), 4, word="poor"),
        entry(monday + timedelta(days=2), 5, word="poor"),
        entry(monday + timedelta(days=2, hours=1), 5, word="good"),
    ]
    series = daily_points(entries)
    assert series.days == [date(2026, 11, 23), date(2026, 11, 25)]
    assert series.mood == [3.0, 5.0]
    assert series.sleep_hours == [7.0, None]  # the average where hours were given
    assert series.sleep_word == [None, "good"]  # hours win; else the day's last word
    assert series.craving == [2, 0]  # the day's strongest


async def test_a_year_is_drawn_in_the_drawing_process() -> None:
    start = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)  # 6:00, 14:00, 22:00 in Chicago (CST)
    entries = [
        entry(start + timedelta(hours=8 * n), 1 + n % 5, hours=6 + n % 3) for n in range(3 * 365)
    ]
    change = MedChange(1, date(2026, 3, 1), "sertraline", "50 mg", None)
    try:
        png = await draw_chart(
            daily_points(entries), [change], title="A year",
            first=date(2025, 12, 1), last=date(2026, 11, 30),
        )  # fmt: skip
    finally:
        stop_drawing()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(daily_points(entries).days) == 365


def _niceness_as_bytes() -> bytes:
    return str(os.nice(0)).encode()


async def test_the_drawing_process_yields_the_cpu_to_the_bot() -> None:
    """Charts are drawn at a lower priority, so a report's drawing cannot hold up other
    members' commands on a busy machine."""
    try:
        drawn_at = int(await in_drawing_process(_niceness_as_bytes))
    finally:
        stop_drawing()
    assert drawn_at >= os.nice(0) + DRAWING_NICENESS
