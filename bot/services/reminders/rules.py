"""Reminders' rules, without the database: the kinds and their leads, the lateness limits,
the snoozes, a reminder's source and text context, and reading a time as a member types it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserFacingError
from bot.scheduling import RowKind
from bot.services.dates import parse_natural
from bot.services.packet.offers import PACKET
from bot.services.text import clean_text

# "reminder:<reminder id>": every delivery of one reminder (its leads, a snooze).
REMINDER = RowKind("personal", "reminder")


def text_context(reminder_id: int) -> str:
    """What a reminder's text is sealed under (stored: never changed)."""
    return f"reminder:{reminder_id}"


def reminder_sources(reminder_ids: Iterable[int]) -> list[str]:
    """The sources of the reminders' deliveries and of their visit packets."""
    ids = list(reminder_ids)
    return REMINDER.sources(ids) + PACKET.sources(ids)


KINDS: dict[str, str] = {
    "court": "Court date",
    "appointment": "Appointment",
    "va_appointment": "VA appointment",
    "medication": "Medication",
    "other": "Reminder",
    "leave": "Time to leave",
}
# Minutes before the event: 3 days, 1 day and 2 hours for the dates that matter most.
DEFAULT_LEADS: dict[str, tuple[int, ...]] = {
    "court": (3 * 24 * 60, 24 * 60, 120),
    "appointment": (3 * 24 * 60, 24 * 60, 120),
    "va_appointment": (3 * 24 * 60, 24 * 60, 120),
    "medication": (0,),
    "other": (0,),
    "leave": (0,),
}
PLAN_LEAD = 24 * 60  # the day-before reminder asks the member to make a plan
MAX_AHEAD = timedelta(days=2 * 365)
LATE_NOTE_AFTER = timedelta(minutes=1)
LATE_LIMIT = timedelta(hours=12)
MAX_TEXT = 200
SNOOZES = {"10m": timedelta(minutes=10), "1h": timedelta(hours=1), "tomorrow": timedelta(days=1)}
NOTICE_REFRESH = 30.0  # seconds
_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
# "in 2 hours", "in an hour and 30 minutes", "45 min from now": a span of real time, added to
# the instant rather than to the wall clock (which jumps on daylight-saving nights).
_SPAN_UNITS = {"minute": 1, "min": 1, "m": 1, "hour": 60, "hr": 60, "h": 60}
_SPAN_PART = r"(\d+|an?|one)\s*(minutes?|mins?|m|hours?|hrs?|h)"
_RELATIVE_SPAN = re.compile(
    rf"^(?:in\s+)?(?P<parts>{_SPAN_PART}(?:\s*(?:,|and)?\s*{_SPAN_PART})*)"
    r"(?P<from_now>\s+from now)?$"
)


@dataclass(frozen=True)
class ReminderInfo:
    id: int
    kind: str
    text: str
    event_at: datetime
    timezone: str
    status: str
    next_due: datetime | None
    undelivered: bool
    missed: bool
    cause: str | None = None  # why the latest one that didn't reach the member didn't
    retrying: str | None = None  # a reminder being retried now, and why (a transient cause)
    caught_up: bool = False  # one went out late, with the earlier ones folded into it


@dataclass(frozen=True)
class ReminderMessage:
    """What to send for one due delivery."""

    user_id: int
    reminder_id: int
    kind: str
    text: str | None  # None: stored text that could not be read; the reminder still goes
    event_at: datetime
    lead_minutes: int
    late_since: datetime | None  # when it should have arrived, if it is late
    late_cause: str | None  # why the last try failed (None: Muster was offline), if late
    deadline: datetime  # a failing send is retried until then: the event, or the late limit
    plan_prompt: bool
    timezone: str = "UTC"  # the member's zone when they set it: for the times the DM names
    snoozes: tuple[str, ...] = tuple(SNOOZES)  # the snoozes that still land before the event


def snoozes_before(event_at: datetime, now: datetime) -> tuple[str, ...]:
    """The snoozes worth offering: those that land before an event still ahead (no "tomorrow"
    two hours before a court date); every one once the event's time has come."""
    if event_at <= now:
        return tuple(SNOOZES)
    return tuple(choice for choice, span in SNOOZES.items() if now + span < event_at)


def parse_when(text: str, zone_name: str, now: datetime) -> datetime:
    """A time as a member types it, in their zone, to an aware UTC instant; or a clear error."""
    zone = ZoneInfo(zone_name)
    cleaned = clean_text(text, field="When", max_length=100)
    if re.search(r"\b\d{5,}\b", cleaned):
        raise UserFacingError(
            "That year is too far away. Reminders can be set up to two years ahead."
        )
    span = _relative_span(cleaned)
    if span is not None:
        if span <= timedelta(0):
            raise UserFacingError("Pick a time in the future.")
        if span > MAX_AHEAD:
            raise UserFacingError("Reminders can be set up to two years ahead.")
        return (now + span).astimezone(UTC).replace(microsecond=0)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    parsed = parse_natural(cleaned, {**_DATEPARSER_SETTINGS, "RELATIVE_BASE": local_now})
    if parsed is None:
        raise UserFacingError(
            f"I couldn't understand “{cleaned}” as a date and time. Try “tomorrow 9am”, "
            "“June 17 2:30pm” or “in 2 hours”."
        )
    naive: datetime = parsed.replace(tzinfo=None, microsecond=0)
    moment = naive.replace(tzinfo=zone)
    # A wall time that doesn't survive the round trip falls in the hour the clocks skip.
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise UserFacingError(
            f"{naive:%B %-d at %-I:%M %p} doesn't exist in {zone_name}: the clocks jump "
            "forward that night. Pick a time an hour later or earlier."
        )
    when = moment.astimezone(UTC)
    if when <= now:
        raise UserFacingError(
            f"{naive:%B %-d, %Y at %-I:%M %p} has already passed. Pick a time in the future."
        )
    if when - now > MAX_AHEAD:
        raise UserFacingError("Reminders can be set up to two years ahead.")
    return when


def _relative_span(text: str) -> timedelta | None:
    """Hours and minutes from now, if that is all the text says; None for anything else."""
    match = _RELATIVE_SPAN.match(text.strip().lower())
    if match is None or not (text.lower().lstrip().startswith("in ") or match["from_now"]):
        return None
    minutes = 0
    for amount, unit in re.findall(_SPAN_PART, match["parts"]):
        count = 1 if amount in ("a", "an", "one") else int(amount)
        minutes += count * _SPAN_UNITS[unit.rstrip("s")]
    return timedelta(minutes=minutes)


def leave_at(text: str, event_at: datetime, zone_name: str, now: datetime) -> datetime:
    """When to leave for an event, as the member typed it: a bare time ("7:30am") means that
    time on the day of the event, in its zone; it must come before the event."""
    local_event = event_at.astimezone(ZoneInfo(zone_name))
    if re.fullmatch(r"\s*\d{1,2}(:\d{2})?\s*(am|pm)?\s*", text, flags=re.IGNORECASE):
        text = f"{local_event:%B %d %Y} {text}"
    moment = parse_when(text, zone_name, now)
    if moment >= event_at:
        raise UserFacingError("That's after the event starts. Pick a time before it.")
    return moment


def leave_text(what: str, plan: str) -> str:
    """A time-to-leave reminder's text: the event, and how the member will get there."""
    how = f" ({plan.strip()})" if plan.strip() else ""
    return f"Leave for: {what}{how}"[:MAX_TEXT]
