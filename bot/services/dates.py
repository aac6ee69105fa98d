"""Reading dates and times as members type them ("tomorrow 9am", "Nov 3"), with dateparser.

dateparser and its language data take about 15 MB and 0.2 s to load, so they load on first
use: every command that reads a date has already deferred by then (R1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def parse_natural(text: str, settings: dict[str, Any]) -> datetime | None:
    import dateparser  # loaded by the first member who needs it

    parsed: datetime | None = dateparser.parse(text, languages=["en"], settings=settings)
    return parsed
