"""The taper plan's rules, with no database: reading the steps a member types, when a step's
reminder is due, and when the symptom check is offered.

Muster keeps a plan exactly as the prescriber set it. Nothing here reads a dose as a number,
compares two doses or works out a next one: every dose stays text, kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserFacingError
from bot.services.dates import parse_natural
from bot.services.recurrence import to_utc
from bot.services.text import clean_text, optional_text

# Said wherever a plan is shown.
AS_SET = "as your prescriber set it"
TALK_FIRST = "Talk to your prescriber before changing anything."
# The discontinuation symptom groups clinicians ask about (FINISH), in that order.
FINISH: dict[str, str] = {
    "flu": "Flu-like (tired, aching, sweating)",
    "insomnia": "Insomnia or vivid dreams",
    "nausea": "Nausea or upset stomach",
    "imbalance": "Imbalance or dizziness",
    "sensory": "Sensory (tingling, 'zaps')",
    "hyperarousal": "Hyperarousal (anxious, irritable)",
}
SEVERITY: dict[int, str] = {0: "none", 1: "mild", 2: "moderate", 3: "severe"}
SEVERE = 3
SEVERE_MESSAGE = (
    "That sounds hard. Please contact your prescriber; if you are in crisis, call or text "
    "988, then press 1."
)
SYMPTOM_WINDOW_DAYS = 14  # the step's day and the 14 days after it
REMINDER_AT = time(9, 0)  # a step's reminder: local morning, the same for every member
MAX_STEPS = 60  # in one plan
MAX_LINES = 20  # in one submission
DOSE_MAX, NOTE_MAX = 100, 200
BACK = timedelta(days=365)
AHEAD = timedelta(days=2 * 365)
_LINE = re.compile(r"^(?P<day>\d{4}-\d{1,2}-\d{1,2})(?:\s*[:,]\s*|\s+)(?P<rest>.+)$")
EXAMPLE = "2027-01-10 10 mg; a note if you like"


@dataclass(frozen=True)
class StepText:
    """One step as the member typed it, checked."""

    on: date
    dose: str
    note: str | None


def check_day(day: date, today: date, *, where: str = "") -> date:
    if day < today - BACK or day > today + AHEAD:
        ask = "pick a date within the last year or the next two years."
        raise UserFacingError(where + ask if where else ask.capitalize())
    return day


def check_step(on: date, dose: str, note: str | None, today: date, where: str = "") -> StepText:
    checked_dose = clean_text(dose, field=f"{where}Dose", max_length=DOSE_MAX)
    checked_note = optional_text(note, field=f"{where}Note", max_length=NOTE_MAX)
    return StepText(check_day(on, today, where=where), checked_dose, checked_note)


def parse_steps(text: str, today: date) -> list[StepText]:
    """One step a line: "2027-01-10 10 mg", optionally "; a note". A bad line is named."""
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise UserFacingError(f"Write one step a line, like “{EXAMPLE}”.")
    if len(lines) > MAX_LINES:
        raise UserFacingError(f"Up to {MAX_LINES} steps at once, please; add the rest after.")
    steps = []
    for number, line in lines:
        shown = line if len(line) <= 60 else line[:57] + "..."
        where = f"Line {number} (“{shown}”): "
        match = _LINE.match(line)
        if match is None:
            raise UserFacingError(
                f"{where}start it with the date as year-month-day, then the dose as written, "
                f"like “{EXAMPLE}”."
            )
        try:
            on = date.fromisoformat(_padded(match["day"]))
        except ValueError:
            raise UserFacingError(
                f"{where}that date doesn't exist. Check the day and month."
            ) from None
        dose, _, note = match["rest"].partition(";")
        if not dose.strip():
            raise UserFacingError(f"{where}write the dose after the date, as it was given.")
        try:
            steps.append(check_step(on, dose, note or None, today, where))
        except UserFacingError as error:
            message = error.message
            shown_error = message if message.startswith("Line") else where + message
            raise UserFacingError(shown_error) from None
    return steps


def parse_day(text: str, zone: str, now: datetime) -> date:
    """A step's date as a member types it ("2027-01-10", "Jan 10"): a plan looks ahead, so a
    date with no year is the next one (today included)."""
    cleaned = clean_text(text, field="Date", max_length=40)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
        try:
            return date.fromisoformat(_padded(cleaned))
        except ValueError:
            raise UserFacingError("That date doesn't exist. Check the day and month.") from None
    if re.search(r"\b\d{5,}\b", cleaned):
        raise UserFacingError("Date: that year doesn't look right.")
    today = now.astimezone(ZoneInfo(zone)).date()
    parsed = parse_natural(
        cleaned,
        {
            "RELATIVE_BASE": datetime.combine(today, time(0)),
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        raise UserFacingError(
            f"I couldn't read “{cleaned}” as a date. Try “2027-01-10” or “Jan 10”."
        )
    day: date = parsed.date()
    return day


def _padded(day: str) -> str:
    year, month, number = day.split("-")
    return f"{year}-{int(month):02d}-{int(number):02d}"


def reminder_moment(on: date, at: time, zone: str) -> datetime:
    """When a step's reminder is due: `at` on the step's day, on the member's wall clock
    (a skipped hour reads as the same wall time plus the gap, as for reminders)."""
    return to_utc(datetime.combine(on, at), ZoneInfo(zone)).astimezone(UTC)


def in_symptom_window(step_on: date, today: date) -> bool:
    """Whether the symptom check is offered today for a step on `step_on`."""
    return 0 <= (today - step_on).days <= SYMPTOM_WINDOW_DAYS


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of a moment's week: all a symptom check shows in the clear."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())
