"""Reading dates and times as members type them ("tomorrow 9am", "Nov 3"), with dateparser.

dateparser and its language data take about 15 MB and 0.2 s to load, so they load on first
use: every command that reads a date has already deferred by then (R1).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.errors import UserFacingError


def parse_natural(text: str, settings: dict[str, Any]) -> datetime | None:
    import dateparser  # loaded by the first member who needs it

    parsed: datetime | None = dateparser.parse(text, languages=["en"], settings=settings)
    return parsed


def parse_clock_time(text: str) -> str:
    """ "8pm", "8:30 am", "20:00" to "HH:MM"."""
    match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*", text.casefold())
    if match is None:
        raise UserFacingError("Give a time of day like 8pm, 8:30am or 20:00.")
    hour, minute = int(match[1]), int(match[2] or 0)
    suffix = (match[3] or "").replace(".", "")
    if suffix and not 1 <= hour <= 12:
        raise UserFacingError("With am or pm, the hour goes from 1 to 12.")
    if suffix == "pm" and hour != 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise UserFacingError("Give a time of day like 8pm, 8:30am or 20:00.")
    return f"{hour:02d}:{minute:02d}"
