"""Time zones as people type them: IANA names, and the common names they actually say."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from bot.errors import UserFacingError

COMMON_NAMES: dict[str, str] = {
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "arizona": "America/Phoenix",
    "pacific": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "atlantic": "America/Halifax",
    "puerto rico": "America/Puerto_Rico",
    "guam": "Pacific/Guam",
    "utc": "UTC",
    "gmt": "UTC",
}


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones() if "/" in name or name == "UTC"}


def resolve_timezone(text: str) -> str:
    """The IANA name for what someone typed ('Eastern', 'america/chicago'), or a clear error."""
    key = " ".join(text.strip().lower().replace("_", " ").split())
    key = key.removesuffix(" time").strip()
    if key in COMMON_NAMES:
        return COMMON_NAMES[key]
    zones = _zones_by_lower_name()
    exact = zones.get(text.strip().lower())
    if exact is not None:
        return exact
    raise UserFacingError(
        "I don't know that time zone. Try a name like Eastern or Pacific, or a place such as "
        "America/Chicago or Asia/Kolkata."
    )


def timezone_choices(current: str, *, limit: int = 25) -> list[tuple[str, str]]:
    """(label, IANA name) suggestions for autocomplete: common names first, then places."""
    needle = current.strip().lower()
    found = [
        (f"{common.title()} ({zone})", zone)
        for common, zone in COMMON_NAMES.items()
        if not needle or needle in common or needle in zone.lower()
    ]
    for lower, zone in sorted(_zones_by_lower_name().items()):
        if len(found) >= limit:
            break
        if needle and needle in lower and all(zone != chosen for _, chosen in found):
            found.append((zone, zone))
    return found[:limit]
