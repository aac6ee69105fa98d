"""The check-in rules, with no database: the answers a check-in takes, reading sleep, when an
anonymous post appears and how far apart a member's shares are kept, when the peer-mentor
offer is earned, the summary of a period, the sobriety milestones, and the next moment a
wall-clock time comes round (daily prompts, release times).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import UserFacingError
from bot.services.crypto import UNREADABLE
from bot.services.dates import parse_natural
from bot.services.guild_settings import LIMITS, MIN_ANONYMOUS_DELAY_MINUTES, GuildConfig
from bot.services.recurrence import to_utc
from bot.services.text import clean_text

MOODS: dict[int, str] = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Very good"}
SLEEP_WORDS: dict[str, str] = {"poor": "Poor", "ok": "OK", "good": "Good"}
CRAVINGS: dict[str, str] = {"none": "None", "mild": "Mild", "strong": "Strong"}
SOBER: dict[str, str] = {"yes": "Yes", "no": "No", "skip": "Rather not say"}
SHARES: dict[str, str] = {
    "private": "Only me",
    "anonymous": "The group, anonymously",
    "named": "The group, with my name",
}
Share = Literal["private", "anonymous", "named"]
# For a check-in held back for its crisis note: keep it private, share it without the note,
# or share it as written.
HeldChoice = Literal["private", "bare", "full"]
HELD_CHOICES: tuple[HeldChoice, ...] = ("private", "bare", "full")
# How long the choice stays open; after that the check-in simply stays private.
HOLD_FOR = timedelta(days=1)
NOTE_MAX = 1000
MAX_SLEEP_HOURS = 24
# One shared post per member per server in this window; more are kept privately.
SHARE_COOLDOWN = timedelta(minutes=10)
# The longest spacing any server's delay asks for (see `spacing`): memory keeps no longer.
MAX_SPACING = 2 * timedelta(minutes=LIMITS["anonymous_delay_minutes"][1])
# A member who asked a peer mentor by name: their anonymous posts waiting then, or made in the
# HOLD_BACK[1] after, appear this far on, so the moment of the request (the mentors see a
# name) and the moment of the post tell nothing about each other.
HOLD_BACK = (timedelta(hours=1), timedelta(hours=4))
HISTORY_DAYS = 30
REPORT_MAX_DAYS = 365


def parse_sleep(text: str | None) -> tuple[float | None, str | None]:
    """Hours ("7", "6.5", "7h") or a word (poor, ok, good); blank means not answered."""
    if text is None or not text.strip():
        return None, None
    value = text.strip().casefold().removesuffix("hours").removesuffix("h").strip()
    if value in SLEEP_WORDS:
        return None, value
    if value == "okay":
        return None, "ok"
    if re.fullmatch(r"\d{1,2}([.,]\d)?", value):
        hours = float(value.replace(",", "."))
        if hours <= MAX_SLEEP_HOURS:
            return hours, None
    raise UserFacingError(
        "For sleep, give the hours (like 7 or 6.5, up to 24) or a word: poor, ok or good."
    )


def sleep_words(hours: float | None, quality: str | None) -> str:
    if hours is not None:
        return f"{hours:g} hours"
    return SLEEP_WORDS.get(quality or "", "Not said")


@dataclass(frozen=True)
class Entry:
    """One check-in as its owner sees it, in their own zone."""

    at: datetime
    local: datetime
    mood: int
    sleep_hours: float | None
    sleep_quality: str | None
    cravings: str
    sober: str
    share: str
    note: str | None

    @property
    def note_unreadable(self) -> bool:
        return self.note == UNREADABLE


@dataclass(frozen=True)
class Summary:
    count: int
    days: int
    average_mood: float | None
    average_sleep: float | None
    trend: str
    checkin_streak: int
    sober_days: int
    longest_sober_run: int
    cravings: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Signals:
    """Not alarms: reasons to offer a peer mentor, gently."""

    low_mood_again: bool
    slip_after_streak: bool

    @property
    def any(self) -> bool:
        return self.low_mood_again or self.slip_after_streak


def spacing(config: GuildConfig) -> timedelta:
    """How far apart a member's shares in a server are kept. An anonymous post appears
    between the delay and twice it after its check-in, so a moderator looks for its author
    among those who shared by name in that window before it: a member's named share less
    than twice the delay from their anonymous one would be there. With fixed release times
    the moment of a post says nothing of its check-in, and SHARE_COOLDOWN is enough."""
    if config.anonymous_release_times:
        return SHARE_COOLDOWN
    return max(SHARE_COOLDOWN, 2 * timedelta(minutes=config.delay_minutes))


def release_at(
    config: GuildConfig, now: datetime, rng: secrets.SystemRandom, *, held_back: bool = False
) -> datetime:
    """When an anonymous post submitted now appears: at the server's next fixed release time
    at least the minimum delay away, or after a random wait between the delay and twice it.
    Held back (its author asked for a mentor): HOLD_BACK away, or the release time after.

    Always on a whole second (UTC): a post's moment keeps no fraction of a second from the
    moment it was counted from (the check-in, or the mentor request whose alert the mentors
    see to the millisecond), so every post shares the same fraction, and it says nothing."""
    if held_back:
        low, high = (span.total_seconds() for span in HOLD_BACK)
        later = whole_second(now + timedelta(seconds=rng.uniform(low, high - 1)))
        if config.anonymous_release_times:
            return min(
                next_local(at, config.timezone, later) for at in config.anonymous_release_times
            )
        return later
    floor = timedelta(
        minutes=MIN_ANONYMOUS_DELAY_MINUTES
        if config.anonymous_release_times
        else config.delay_minutes
    )
    if config.anonymous_release_times:
        return min(
            next_local(at, config.timezone, now + floor) for at in config.anonymous_release_times
        )
    wait = rng.uniform(floor.total_seconds(), 2 * floor.total_seconds() - 1)
    return whole_second(now + timedelta(seconds=wait))


def whole_second(moment: datetime) -> datetime:
    """The first whole second at or after `moment`."""
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def validate_days(days: int | None, default: int = HISTORY_DAYS) -> int:
    if days is None:
        return default
    if not 1 <= days <= REPORT_MAX_DAYS:
        raise UserFacingError(f"Pick a number of days from 1 to {REPORT_MAX_DAYS}.")
    return days


def summarize(entries: Sequence[Entry], today: date) -> Summary:
    moods = [entry.mood for entry in entries]
    hours = [entry.sleep_hours for entry in entries if entry.sleep_hours is not None]
    trend = "not enough check-ins yet to see a trend"
    if len(moods) >= 4:
        half = len(moods) // 2
        change = sum(moods[half:]) / len(moods[half:]) - sum(moods[:half]) / half
        trend = "rising" if change >= 0.5 else "falling" if change <= -0.5 else "steady"
    days_in = {entry.local.date() for entry in entries}
    # A streak counts through yesterday until today ends: no check-in yet today doesn't
    # break it.
    streak, day = 0, today if today in days_in else today - timedelta(days=1)
    while day in days_in:
        streak += 1
        day -= timedelta(days=1)
    sober_days = sorted({entry.local.date() for entry in entries if entry.sober == "yes"})
    longest = run = 0
    for index, day in enumerate(sober_days):
        run = run + 1 if index and (day - sober_days[index - 1]).days == 1 else 1
        longest = max(longest, run)
    return Summary(
        count=len(entries),
        days=len(days_in),
        average_mood=sum(moods) / len(moods) if moods else None,
        average_sleep=sum(hours) / len(hours) if hours else None,
        trend=trend,
        checkin_streak=streak,
        sober_days=len(sober_days),
        longest_sober_run=longest,
        cravings={name: sum(1 for e in entries if e.cravings == name) for name in CRAVINGS},
    )


MilestoneShare = Literal["none", "anonymous", "named"]
MILESTONE_DAYS = (1, 7, 30, 60, 90, 180, 365)


def milestone_words(days: int) -> str:
    if days == 1:
        return "24 hours"
    if days == 180:
        return "6 months"
    if days % 365 == 0:
        years = days // 365
        return "1 year" if years == 1 else f"{years} years"
    return f"{days} days"


def next_milestone(days_so_far: int) -> int:
    """The first milestone after `days_so_far`: the list above, then every year."""
    for days in MILESTONE_DAYS:
        if days > days_so_far:
            return days
    return (days_so_far // 365 + 1) * 365


def parse_day(text: str | None, zone: str, now: datetime, *, field: str) -> date:
    """A date as a member types it ("today", "Nov 3", "2026-11-03"), in their zone."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if text is None or not text.strip():
        return today
    cleaned = clean_text(text, field=field, max_length=40)
    if re.search(r"\b\d{5,}\b", cleaned):
        raise UserFacingError(f"{field}: that year doesn't look right.")
    parsed = parse_natural(
        cleaned,
        {
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        raise UserFacingError(
            f"I couldn't read “{cleaned}” as a date. Try “today”, “Nov 3” or “2026-11-03”."
        )
    day: date = parsed.date()
    return day


def next_local(at: str, zone: str, after: datetime) -> datetime:
    """The first moment after `after` when the wall clock in `zone` shows `at` (R12 policy)."""
    tz = ZoneInfo(zone)
    wall = time.fromisoformat(at)
    day = after.astimezone(tz).date()
    while True:
        moment = to_utc(datetime.combine(day, wall), tz)
        if moment > after:
            return moment
        day += timedelta(days=1)


def share_choice(value: str | None) -> Share:
    """A share choice as sent or as remembered; anything unexpected (a forged value, a choice
    no key opens) keeps it private."""
    return "anonymous" if value == "anonymous" else "named" if value == "named" else "private"


def milestone_share(value: str) -> MilestoneShare:
    """A milestone choice as sent; anything unexpected keeps them to the member."""
    return "anonymous" if value == "anonymous" else "named" if value == "named" else "none"


def worrying(mood: int, sober: str) -> bool:
    """The only answers that can bring the peer-mentor offer: mood 1, or not sober today."""
    return mood == 1 or sober == "no"


def signals_of(
    mood: int,
    sober: str,
    earlier: Sequence[tuple[datetime, int, str]],
    zone: str,
    today: date,
    sober_since: date | None,
) -> Signals:
    """Mood 1 on the previous day too, or a "no" after a run of sober days. `earlier` holds
    the member's check-ins before this one (when, mood, sober), `sober_since` the start of
    their sobriety count, if they keep one."""
    tz = ZoneInfo(zone)
    before_today = sorted(
        (item for item in earlier if item[0].astimezone(tz).date() < today),
        key=lambda item: item[0],
        reverse=True,
    )
    yesterday = today - timedelta(days=1)
    low_again = mood == 1 and any(
        level == 1 and at.astimezone(tz).date() == yesterday for at, level, _ in before_today
    )
    sober_run = [answer for _, _, answer in before_today[:3]]
    slip = sober == "no" and (
        (len(sober_run) == 3 and all(value == "yes" for value in sober_run))
        or (sober_since is not None and (today - sober_since).days >= 1)
    )
    return Signals(low_mood_again=low_again, slip_after_streak=slip)
