"""What the visit packet shows, as plain values: built by `PacketService.gather` (or by
hand in tests), drawn by `render_packet` in the drawing process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.services.charts import DailySeries
from bot.services.checkins import MedChange


@dataclass(frozen=True)
class TaperStep:
    """A step of the taper plan, exactly as the prescriber set it."""

    date: date
    dose_as_written: str
    note: str | None = None


@dataclass(frozen=True)
class SymptomCheck:
    """The symptom check after a taper step: the groups ticked and how bad, 0 to 3."""

    date: date
    groups: tuple[str, ...]
    severity: int


@dataclass(frozen=True)
class MeasureScore:
    """One score of a validated measure, with its instrument's published band."""

    date: date
    instrument: str
    score: int
    band: str


@dataclass(frozen=True)
class PacketData:
    who: str  # the member's name or initials, as they chose
    first: date
    last: date
    zone: str
    series: DailySeries
    changes: list[MedChange] = field(default_factory=list)
    checkin_count: int = 0
    average_mood: float | None = None
    sober_days: int = 0  # days in the period a check-in said sober today
    longest_sober_run: int = 0
    counter_days: int | None = None  # the sobriety counter today, if the member keeps one
    questions: list[str] = field(default_factory=list)
    taper_steps: list[TaperStep] = field(default_factory=list)
    symptom_checks: list[SymptomCheck] = field(default_factory=list)
    measures: list[MeasureScore] = field(default_factory=list)
    unreadable: bool = False  # some entries could not be read with the keys at hand


def initials(name: str) -> str:
    """ "Sam Rivera" -> "S.R."; a name with no letters -> "Member"."""
    letters = [part[0].upper() for part in name.replace(".", " ").split() if part[:1].isalpha()]
    return ".".join(letters) + "." if letters else "Member"
