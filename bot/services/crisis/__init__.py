"""Crisis support: the crisis lines and the detector of crisis language in what members write.

Public API:
- `crisis_lines()`, CRISIS_TITLE, NOBODY_WATCHING (`lines`: the card's words, read from the
  shipped directory, never the database)
- `assess(text)` -> Assessment, `crisis_in(*texts)`, `normalise`, `without_negations`
  (`language`: the patterns; `screen`: which patterns may match a note, so that only
  those run; `model`: the learned second stage, trained offline)
All of it is pure: nothing here reads the database.
"""

from bot.services.crisis.language import (
    CATEGORIES,
    NEGATIONS,
    SEVERITY,
    Assessment,
    Match,
    assess,
    crisis_in,
    normalise,
    without_negations,
)
from bot.services.crisis.lines import (
    CRISIS_TITLE,
    EMERGENCY,
    NOBODY_WATCHING,
    CrisisLine,
    crisis_lines,
)

__all__ = [
    "CATEGORIES",
    "CRISIS_TITLE",
    "EMERGENCY",
    "NEGATIONS",
    "NOBODY_WATCHING",
    "SEVERITY",
    "Assessment",
    "CrisisLine",
    "Match",
    "assess",
    "crisis_in",
    "crisis_lines",
    "normalise",
    "without_negations",
]
