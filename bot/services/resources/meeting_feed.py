"""Reading Meeting Guide JSON feeds, without the database.

Real feeds are messy: numbers where strings belong, a day given as a list, fields missing.
The parser keeps every meeting it can read and says why it skipped the others. Slugs are
unique only within one feed (many feeds number their meetings 1, 2, 3...), so each feed has
an identity, named by the moderator (or its web address), else its file name without a
" (1)" copy marker.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources as package_files
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import UserFacingError
from bot.services.text import clean_text, optional_text, web_address

MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_MEETINGS = 10_000
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
_SLUG = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")
_COPY_MARKER = re.compile(r" \(\d{1,3}\)(?=\.[^.]*$|$)")  # "meetings (1).json", as saved again
FEED_MAX = 100
# Far more digits than any real field needs; bigger numbers make a meeting unreadable.
MAX_NUMBER_DIGITS = 20
_PERIODS = {"morning": (time(0, 0), time(12, 0)), "afternoon": (time(12, 0), time(17, 0)),
            "evening": (time(17, 0), time(23, 59, 59))}  # fmt: skip


@cache
def meeting_types() -> dict[str, str]:
    """Meeting Guide type codes and their English names (shipped data)."""
    raw = package_files.files("bot.data").joinpath("meeting_types.json").read_text("utf-8")
    types: dict[str, str] = json.loads(raw)["types"]
    return types


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True)
class MeetingRecord:
    slug: str
    name: str
    days: tuple[int, ...]
    start_time: str | None
    end_time: str | None
    timezone: str | None
    types: tuple[str, ...]
    location: str | None
    address: str | None
    conference_url: str | None
    conference_phone: str | None
    notes: str | None


@dataclass(frozen=True)
class Skipped:
    label: str
    reason: str


@dataclass(frozen=True)
class ParsedFeed:
    meetings: list[MeetingRecord]
    skipped: list[Skipped]


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    removed: int
    skipped: list[Skipped] = field(default_factory=list)
    feed: str = ""  # the list's identity
    source: str = ""  # the file it came from this time
    other_feeds: tuple[str, ...] = ()


class _Unusable:
    """A number too large to be real, or NaN/Infinity: the meeting holding it is skipped."""


UNUSABLE_NUMBER = _Unusable()


def _parse_int(text: str) -> object:
    return UNUSABLE_NUMBER if len(text.lstrip("-")) > MAX_NUMBER_DIGITS else int(text)


def _parse_float(text: str) -> object:
    value = float(text)
    return value if math.isfinite(value) else UNUSABLE_NUMBER


def feed_identity(feed: str | None, file_name: str) -> str:
    """The name a feed is known by: the moderator's (or its address), else the file name
    without the copy marker a browser adds when the same file is saved again."""
    if feed is not None and feed.strip():
        return clean_text(readable(feed), field="Feed", max_length=FEED_MAX)
    name = clean_text(readable(file_name), field="File name", max_length=FEED_MAX)
    return _COPY_MARKER.sub("", name) or name


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def readable(text: str) -> str:
    """Text safe to show even when the file held broken characters."""
    return text.encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True)
class RecoveryMeetingInfo:
    name: str
    day: int
    start_time: str | None
    end_time: str | None
    timezone: str | None
    next_start: datetime | None  # aware UTC, when the feed gave a time zone
    type_names: tuple[str, ...]
    location: str | None
    address: str | None
    conference_url: str | None
    conference_phone: str | None
    notes: str | None


def parse_feed(raw: bytes) -> ParsedFeed:
    """Read a Meeting Guide feed. File-level problems raise; per-meeting ones are reported."""
    if len(raw) > MAX_FEED_BYTES:
        raise UserFacingError(
            f"That file is over {MAX_FEED_BYTES // (1024 * 1024)} MB; split it into smaller feeds."
        )
    try:
        document = json.loads(
            raw.decode("utf-8-sig"),
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=lambda _: UNUSABLE_NUMBER,  # NaN, Infinity
        )
    except RecursionError:
        raise UserFacingError(
            "That file is nested far too deeply to be a Meeting Guide feed, so nothing changed."
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise UserFacingError(
            "That file isn't valid JSON. A Meeting Guide feed is a JSON list of meetings."
        ) from None
    if isinstance(document, dict) and isinstance(document.get("meetings"), list):
        document = document["meetings"]
    if isinstance(document, dict) and "slug" in document:
        document = [document]  # a single meeting, like the spec's example
    if not isinstance(document, list):
        raise UserFacingError(
            "That file isn't a Meeting Guide feed: I expected a list of meetings."
        )
    if len(document) > MAX_MEETINGS:
        raise UserFacingError(
            f"That feed has {len(document)} meetings; the limit is {MAX_MEETINGS} per file."
        )
    meetings: list[MeetingRecord] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for position, item in enumerate(document, start=1):
        label = f"#{position}"
        if not isinstance(item, dict):
            skipped.append(Skipped(label, "not a meeting object"))
            continue
        if isinstance(item.get("name"), str | int | float):
            label = f"#{position} ({readable(str(item['name'])[:40])})"
        try:
            record = _parse_meeting(item)
        except UserFacingError as problem:
            skipped.append(Skipped(label, problem.message))
            continue
        if record.slug in seen:
            skipped.append(Skipped(label, f"slug {record.slug!r} appears twice in this file"))
            continue
        seen.add(record.slug)
        meetings.append(record)
    return ParsedFeed(meetings, skipped)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if value is UNUSABLE_NUMBER:
        raise UserFacingError("a number too large to be real")
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        if _has_lone_surrogate(value):
            raise UserFacingError("text with broken characters (lone surrogates)")
        return value
    return None


def _parse_meeting(item: Mapping[str, Any]) -> MeetingRecord:
    name_text = _as_text(item.get("name"))
    if not name_text or not name_text.strip():
        raise UserFacingError("no name")
    slug = _as_text(item.get("slug"))
    if not slug or not _SLUG.match(slug.strip()):
        raise UserFacingError("no usable slug (the feed's id for the meeting)")
    days = _parse_days(item.get("day"))
    start = _parse_time(item.get("time"), "time")
    if days and start is None:
        raise UserFacingError("a day but no start time")
    zone = _as_text(item.get("timezone"))
    if zone is not None and zone not in _known_zones():
        raise UserFacingError(f"unknown time zone {zone[:40]!r}")
    conference = _as_text(item.get("conference_url"))
    try:
        conference = web_address(conference, field="conference_url")
    except UserFacingError:
        raise UserFacingError("conference_url is not an http(s) address") from None
    address = _as_text(item.get("formatted_address")) or ", ".join(
        part
        for part in (_as_text(item.get(key)) for key in ("address", "city", "state", "postal_code"))
        if part
    )
    raw_types = item.get("types") or []
    types = (
        tuple(t for t in (_as_text(code) for code in raw_types) if t)
        if isinstance(raw_types, list)
        else ()
    )
    return MeetingRecord(
        slug=slug.strip(),
        name=clean_text(name_text, field="name", max_length=255),
        days=days,
        start_time=start,
        end_time=_parse_time(item.get("end_time"), "end_time"),
        timezone=zone,
        types=tuple(code for code in types if code in meeting_types()),
        location=optional_text(_as_text(item.get("location")), field="location", max_length=255),
        address=optional_text(address, field="address", max_length=500),
        conference_url=conference,
        conference_phone=optional_text(
            _as_text(item.get("conference_phone")), field="phone", max_length=64
        ),
        notes=optional_text(
            _as_text(item.get("notes")), field="notes", max_length=1000, multiline=True
        ),
    )


def _parse_days(value: Any) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    values = value if isinstance(value, list) else [value]
    days = []
    for day in values:
        text = _as_text(day)
        if text is None or not text.strip().isdigit() or not 0 <= int(text) <= 6:
            raise UserFacingError(f"day {str(day)[:10]!r} is not 0 (Sunday) to 6 (Saturday)")
        days.append(int(text))
    return tuple(sorted(set(days)))


def _parse_time(value: Any, field_name: str) -> str | None:
    text = _as_text(value)
    if text is None or not text.strip():
        return None
    match = _TIME.match(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise UserFacingError(f"{field_name} {text[:10]!r} is not HH:MM")
    return f"{int(match[1]):02d}:{match[2]}"


def parse_time_filter(text: str) -> tuple[time, time]:
    """'evening', '7pm', '19:00' or '7:30 am': the window of start times to show."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in _PERIODS:
        return _PERIODS[cleaned]
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", cleaned)
    if match is None:
        raise UserFacingError("Give a time like 7pm or 19:00, or morning, afternoon or evening.")
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3]:
        if not 1 <= hour <= 12:
            raise UserFacingError("With am or pm, the hour is 1 to 12.")
        hour = hour % 12 + (12 if match[3] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserFacingError("That time doesn't exist; try something like 7pm or 19:00.")
    return time(hour, minute), time(23, 59, 59)


def next_start(day: int, start: str, zone_name: str, now: datetime) -> datetime:
    """The next start of a weekly meeting (day 0 = Sunday) at local wall time, in UTC."""
    zone = ZoneInfo(zone_name)
    local_now = now.astimezone(zone)
    weekday = (day - 1) % 7  # Python counts Monday as 0
    hour, minute = (int(part) for part in start.split(":"))
    candidate_day: date = local_now.date() + timedelta(days=(weekday - local_now.weekday()) % 7)
    for extra_weeks in (0, 1):
        moment = datetime.combine(
            candidate_day + timedelta(weeks=extra_weeks), time(hour, minute), zone
        )
        # Round-trip through UTC so a time inside a DST gap lands on the real instant after it.
        moment = moment.astimezone(UTC)
        if moment > now:
            return moment
    raise AssertionError("unreachable: a week later is always in the future")


def type_choices(current: str, *, limit: int = 25) -> list[tuple[str, str]]:
    """(name, code) pairs whose name or code contains what the member typed."""
    needle = current.strip().lower()
    found = [
        (name, code)
        for code, name in sorted(meeting_types().items(), key=lambda item: item[1])
        if not needle or needle in name.lower() or needle == code.lower()
    ]
    return found[:limit]


def skipped_summary(skipped: list[Skipped]) -> str:
    if not skipped:
        return ""
    reasons = "; ".join(f"{item.label}: {item.reason}" for item in skipped[:5])
    more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
    return f"Problems: {reasons}{more}."
