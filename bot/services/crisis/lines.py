"""The crisis resources: one source for /crisis, /about and the check-in crisis reply.

The lines come from the shipped national directory (bot/data/national_resources.json),
read once, never from the database, so they answer even when everything else is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.services.resources import national_resources


@dataclass(frozen=True)
class CrisisLine:
    name: str
    how_to_reach: tuple[str, ...]


NOBODY_WATCHING = (
    "Muster is a bot, and nobody watches this bot around the clock. These lines are people "
    "who answer right now, 24/7. It's free and confidential."
)

CRISIS_TITLE = "You don't have to go through this alone"
EMERGENCY = CrisisLine("Emergency", ("Call 911 if you are in immediate danger",))


@cache
def crisis_lines() -> tuple[CrisisLine, ...]:
    directory = [
        CrisisLine(entry.name, tuple(entry.ways_to_reach(include_web=False)))
        for entry in national_resources()
        if entry.category == "crisis"
    ]
    return (*directory, EMERGENCY)
