"""The taper plan's rules with no bot: reading steps as typed, the reminder's moment across
daylight-saving changes, and the symptom check's 14-day window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.errors import UserFacingError
from bot.services.taper import (
    SYMPTOM_WINDOW_DAYS,
    StepText,
    in_symptom_window,
    parse_steps,
    reminder_moment,
)

TODAY = date(2026, 11, 22)


def test_several_steps_are_read_one_a_line_with_doses_kept_as_written() -> None:
    steps = parse_steps(
        "2027-01-10 10 mg\n\n  2027-02-07: 7.5 mg every other day; with breakfast \n"
        "2027-3-7 half of a 5 mg tablet",
        TODAY,
    )
    assert steps == [
        StepText(date(2027, 1, 10), "10 mg", None),
        StepText(date(2027, 2, 7), "7.5 mg every other day", "with breakfast"),
        StepText(date(2027, 3, 7), "half of a 5 mg tablet", None),
    ]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("2027-01-10 10 mg\nJan 24 5 mg", "Line 2 (“Jan 24 5 mg”): start it with the date"),
        ("2027-02-30 10 mg", "Line 1 (“2027-02-30 10 mg”): that date doesn't exist"),
        ("2027-01-10 10 mg\n2027-01-24 ; a note", "Line 2 (“2027-01-24 ; a note”): write the dose"),
        ("2031-01-10 10 mg", "Line 1 (“2031-01-10 10 mg”): pick a date within"),
        ("2027-01-10 " + "x" * 120, "Line 1 ("),
    ],
)
def test_a_bad_line_is_refused_by_its_number_and_text(text: str, named: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        parse_steps(text, TODAY)
    assert refused.value.message.startswith(named), refused.value.message


def test_nothing_to_read_asks_for_one_step_a_line() -> None:
    with pytest.raises(UserFacingError, match="one step a line"):
        parse_steps(" \n \n", TODAY)


def test_the_reminder_keeps_the_local_morning_across_daylight_saving_changes() -> None:
    zone = "America/New_York"
    assert reminder_moment(date(2027, 3, 13), time(9), zone) == datetime(
        2027, 3, 13, 14, tzinfo=UTC
    )
    assert reminder_moment(date(2027, 3, 15), time(9), zone) == datetime(
        2027, 3, 15, 13, tzinfo=UTC
    )
    # 2:30 does not exist on the night clocks jump: the same wall time plus the gap.
    assert reminder_moment(date(2027, 3, 14), time(2, 30), zone) == datetime(
        2027, 3, 14, 7, 30, tzinfo=UTC
    )


def test_the_symptom_check_is_offered_from_the_step_for_fourteen_days_and_not_after() -> None:
    step = date(2027, 1, 10)
    assert SYMPTOM_WINDOW_DAYS == 14
    assert not in_symptom_window(step, date(2027, 1, 9))
    assert in_symptom_window(step, step)
    assert in_symptom_window(step, date(2027, 1, 24))
    assert not in_symptom_window(step, date(2027, 1, 25))
