"""When a group's meetings happen: recurrence rules in the group's local time (R12).

Rules are kept as RFC 5545 RRULE text and a local wall time in an IANA zone; instances are
computed in local time with dateutil's rrule and only then turned into UTC, so a weekly
6 pm meeting stays at 6 pm across daylight-saving changes.

The policy for the two hours that daylight saving makes strange:
- the skipped hour (spring forward): a meeting set inside it happens at the same wall time
  plus the gap, that is the first real moment after it (2:30 becomes 3:30);
- the repeated hour (fall back): a meeting in it happens at the first of the two (fold 0).
Monthly rules follow RFC 5545: "on the 31st" skips months without one, and "the 5th
Tuesday" happens only in months that have five.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bot.errors import UserFacingError

Repeat = Literal["once", "weekly", "biweekly", "monthly_weekday", "monthly_day"]
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


@dataclass(frozen=True)
class Rule:
    """A meeting's schedule: first local date and time, zone, and how it repeats."""

    first: date
    at: time
    zone: str
    repeat: Repeat
    rrule: str | None  # None for a one-off

    def describe(self) -> str:
        day = self.first.strftime("%A")
        clock = self.at.strftime("%-I:%M %p")
        if self.repeat == "once":
            return f"once, {self.first:%A %B %-d, %Y} at {clock}"
        if self.repeat == "weekly":
            return f"every {day} at {clock}"
        if self.repeat == "biweekly":
            return f"every other {day} at {clock}"
        if self.repeat == "monthly_weekday":
            ordinal = _weekday_ordinal(self.first)
            return f"the {ORDINALS[ordinal]} {day} of each month at {clock}"
        return f"on day {self.first.day} of each month at {clock}"


def make_rule(first: date, at: time, zone: str, repeat: Repeat) -> Rule:
    code = WEEKDAY_CODES[first.weekday()]
    rrules: dict[str, str | None] = {
        "once": None,
        "weekly": f"FREQ=WEEKLY;BYDAY={code}",
        "biweekly": f"FREQ=WEEKLY;INTERVAL=2;BYDAY={code}",
        "monthly_weekday": f"FREQ=MONTHLY;BYDAY={_weekday_ordinal(first):+d}{code}",
        "monthly_day": f"FREQ=MONTHLY;BYMONTHDAY={first.day}",
    }
    if repeat not in rrules:
        raise UserFacingError("Pick how the meeting repeats from the list.")
    return Rule(first, at, zone, repeat, rrules[repeat])


def _weekday_ordinal(day: date) -> int:
    """Which occurrence of its weekday a date is in its month: 1-4, or 5 for a fifth."""
    return (day.day - 1) // 7 + 1


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time to UTC, by the policy above for skipped and repeated hours."""
    # fold=0 (PEP 495) picks the first of a repeated hour, and reads a skipped time with the
    # offset from before the jump, which lands on the same wall time plus the gap.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def instances(
    rule: Rule, *, after: datetime, until: datetime, skipped: frozenset[datetime] = frozenset()
) -> Iterator[datetime]:
    """Start times (aware UTC) in (after, until], without the skipped ones, in order."""
    zone = ZoneInfo(rule.zone)
    start_local = datetime.combine(rule.first, rule.at)
    if rule.rrule is None:
        moment = to_utc(start_local, zone)
        if after < moment <= until and moment not in skipped:
            yield moment
        return
    window_start = (after - timedelta(days=2)).astimezone(zone).replace(tzinfo=None)
    window_end = (until + timedelta(days=2)).astimezone(zone).replace(tzinfo=None)
    for local in rrulestr(rule.rrule, dtstart=start_local).between(
        max(window_start, start_local - timedelta(seconds=1)), window_end, inc=True
    ):
        moment = to_utc(local, zone)
        if after < moment <= until and moment not in skipped:
            yield moment
