"""Weekly pseudonyms for anonymous posts, and the one definition of "a week".

A pseudonym such as "Quiet Heron 42" is drawn at random the first time a member posts
anonymously in a server in a week, and reused for their other posts that week (found by
opening the owners of that week's posts, see bot/services/ownership.py). It is not derived
from the member, so no key, leaked or not, recomputes it from the member list.

The week is the ISO week in the server's time zone, Monday 00:00 to Monday 00:00 local:
pseudonyms rotate at that moment, and the weekly summary covers exactly that week.
"""

from __future__ import annotations

import secrets
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.recurrence import to_utc

_ADJECTIVES = (
    "Amber",
    "Brave",
    "Bright",
    "Calm",
    "Cedar",
    "Clear",
    "Copper",
    "Quiet",
    "Evening",
    "Gentle",
    "Golden",
    "Green",
    "Harbor",
    "Hidden",
    "Hopeful",
    "Kind",
    "Little",
    "Lucky",
    "Maple",
    "Misty",
    "Morning",
    "North",
    "Patient",
    "Prairie",
    "River",
    "Silver",
    "Steady",
    "Stone",
    "Summer",
    "Sunny",
    "Swift",
    "Tall",
    "Warm",
    "Western",
    "Wild",
    "Winter",
)
_ANIMALS = (
    "Badger",
    "Bear",
    "Bison",
    "Crane",
    "Deer",
    "Eagle",
    "Falcon",
    "Finch",
    "Fox",
    "Hawk",
    "Heron",
    "Lynx",
    "Moose",
    "Otter",
    "Owl",
    "Pelican",
    "Raven",
    "Robin",
    "Salmon",
    "Sparrow",
    "Stag",
    "Swan",
    "Trout",
    "Turtle",
    "Walrus",
    "Wolf",
    "Wren",
    "Coyote",
    "Beaver",
    "Cardinal",
    "Loon",
    "Marten",
    "Mustang",
    "Osprey",
    "Puffin",
    "Quail",
)


_NUMBERS = range(10, 100)


def draw_pseudonym(taken: Container[str]) -> str:
    """A fresh name nobody else uses in that server that week."""
    while True:
        name = (
            f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_ANIMALS)} {secrets.choice(_NUMBERS)}"
        )
        if name not in taken:
            return name


def week_label(at: datetime, zone: str) -> str:
    """The ISO week of `at` in `zone`, as "2026-W48"."""
    year, week, _ = at.astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str, zone: str) -> datetime:
    """When the week named `label` begins (Monday 00:00 local), in UTC."""
    monday = date.fromisocalendar(int(label[:4]), int(label[6:]), 1)
    return to_utc(datetime.combine(monday, time(0)), ZoneInfo(zone)).astimezone(UTC)


def storage_week(at: datetime) -> date:
    """The Monday (UTC) of `at`'s week: the only time a check-in row shows in the clear."""
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())
