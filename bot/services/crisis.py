"""The crisis resources: one source for /crisis, /about and the check-in crisis reply.

Pure data and text, no database and no I/O, so it answers even when everything else is down.
Numbers checked against public sources on 2026-11-22: veteranscrisisline.net and va.gov
(Veterans Crisis Line), 988lifeline.org partner pages (988 Lifeline).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrisisLine:
    name: str
    how_to_reach: tuple[str, ...]


CRISIS_LINES: tuple[CrisisLine, ...] = (
    CrisisLine(
        "Veterans Crisis Line",
        ("Dial 988 then press 1", "Text 838255", "Chat at VeteransCrisisLine.net/Chat"),
    ),
    CrisisLine("988 Suicide & Crisis Lifeline", ("Call or text 988", "Chat at 988lifeline.org")),
    CrisisLine("Emergency", ("Call 911 if you are in immediate danger",)),
)

NOBODY_WATCHING = (
    "Muster is a bot. Nobody watches it around the clock, so please reach out to one of "
    "these lines directly. They answer 24/7, and it's free and confidential."
)

CRISIS_TITLE = "You don't have to go through this alone"


def crisis_text() -> str:
    """The crisis resources as plain text, for places that cannot show an embed."""
    lines = [CRISIS_TITLE, ""]
    for line in CRISIS_LINES:
        lines.append(f"{line.name}: " + "; ".join(line.how_to_reach))
    lines += ["", NOBODY_WATCHING]
    return "\n".join(lines)
