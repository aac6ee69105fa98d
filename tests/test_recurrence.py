"""Meeting recurrence in local time across daylight saving (R12) and odd months."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.errors import UserFacingError
from bot.services.recurrence import instances, make_rule

NY = "America/New_York"


def first_n(rule_args: tuple[date, time, str, str], after: datetime, n: int) -> list[datetime]:
    rule = make_rule(*rule_args)  # type: ignore[arg-type]
    found = []
    for moment in instances(rule, after=after, until=after + timedelta(days=800)):
        found.append(moment)
        if len(found) == n:
            break
    return found


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_weekly_evening_meeting_keeps_its_local_time_across_spring_forward() -> None:
    got = first_n((date(2026, 3, 1), time(18), NY, "weekly"), utc(2026, 2, 28), 3)
    assert got == [utc(2026, 3, 1, 23), utc(2026, 3, 8, 22), utc(2026, 3, 15, 22)]  # EST, then EDT


def test_weekly_evening_meeting_across_fall_back() -> None:
    got = first_n((date(2026, 10, 25), time(18), NY, "weekly"), utc(2026, 10, 24), 3)
    assert got == [utc(2026, 10, 25, 22), utc(2026, 11, 1, 23), utc(2026, 11, 8, 23)]


def test_a_time_in_the_skipped_hour_moves_forward_by_the_gap() -> None:
    got = first_n((date(2026, 3, 1), time(2, 30), NY, "weekly"), utc(2026, 2, 28), 3)
    # 2:30 EST, then 2:30 does not exist on 2026-03-08: 3:30 EDT (07:30 UTC), then 2:30 EDT.
    assert got == [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 15, 6, 30)]


def test_a_time_in_the_repeated_hour_is_the_first_one() -> None:
    got = first_n((date(2026, 10, 25), time(1, 30), NY, "weekly"), utc(2026, 10, 24), 3)
    # 1:30 EDT, then on 2026-11-01 the first 1:30 (still EDT, 05:30 UTC), then 1:30 EST.
    assert got == [utc(2026, 10, 25, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)]


def test_half_hour_offset_zone() -> None:
    got = first_n((date(2026, 11, 23), time(19), "Asia/Kolkata", "weekly"), utc(2026, 11, 22), 2)
    assert got == [utc(2026, 11, 23, 13, 30), utc(2026, 11, 30, 13, 30)]


def test_fifth_weekday_happens_only_in_months_that_have_one() -> None:
    got = first_n((date(2026, 9, 29), time(19), NY, "monthly_weekday"), utc(2026, 9, 1), 4)
    assert [moment.astimezone(UTC).date() for moment in got] == [
        date(2026, 9, 29),
        date(2026, 12, 30),
        date(2027, 3, 30),
        date(2027, 6, 29),
    ]  # fmt: skip  (Dec 29 7 pm EST is Dec 30 in UTC)


def test_second_tuesday_every_month() -> None:
    got = first_n((date(2026, 11, 10), time(19), NY, "monthly_weekday"), utc(2026, 11, 1), 3)
    assert [m.astimezone(UTC).day for m in got] == [11, 9, 13]  # Nov 10, Dec 8, Jan 12 local


def test_monthly_on_the_29th_from_a_leap_day_skips_short_februaries() -> None:
    got = first_n((date(2028, 2, 29), time(9), NY, "monthly_day"), utc(2028, 1, 1), 13)
    months = [(m.year, m.month) for m in got]
    assert months[0] == (2028, 2)
    assert (2029, 2) not in months
    assert months[-1] == (2029, 3)


def test_biweekly_and_once() -> None:
    biweekly = first_n((date(2026, 11, 24), time(19), NY, "biweekly"), utc(2026, 11, 22), 3)
    assert [m - biweekly[0] for m in biweekly] == [
        timedelta(0),
        timedelta(days=14),
        timedelta(days=28),
    ]
    once = first_n((date(2026, 11, 24), time(19), NY, "once"), utc(2026, 11, 22), 3)
    assert once == [utc(2026, 11, 25, 0)]


def test_skipped_instances_and_next_instance() -> None:
    rule = make_rule(date(2026, 11, 24), time(19), NY, "weekly")
    skipped = frozenset({utc(2026, 12, 2, 0)})
    after = utc(2026, 11, 25, 1)
    upcoming = instances(rule, after=after, until=after + timedelta(days=60), skipped=skipped)
    assert next(upcoming) == utc(2026, 12, 9, 0)


def test_unknown_repeat_is_refused() -> None:
    with pytest.raises(UserFacingError):
        make_rule(date(2026, 11, 24), time(19), NY, "yearly")  # type: ignore[arg-type]
