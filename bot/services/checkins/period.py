"""What `/checkin history` and `/checkin report` show: a member's last days, in their zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.charts import daily_points, draw_chart
from bot.services.checkins.medications import MedChange, MedicationService
from bot.services.checkins.rules import Entry, Summary, summarize
from bot.services.checkins.service import CheckinService


@dataclass(frozen=True)
class Period:
    """A member's check-ins, medication changes and summary, from `first` to `today`."""

    zone: str
    first: date
    today: date
    entries: list[Entry]
    changes: list[MedChange]
    summary: Summary

    @property
    def unreadable(self) -> bool:
        """Some notes or medication entries could not be decrypted (R28)."""
        return any(entry.note_unreadable for entry in self.entries) or any(
            not change.readable for change in self.changes
        )

    async def chart(self, title: str) -> bytes:
        """The PNG, drawn in the drawing process from one point per day."""
        return await draw_chart(
            daily_points(self.entries), self.changes, title=title, first=self.first, last=self.today
        )


async def period(
    clock: Clock,
    checkins: CheckinService,
    medications: MedicationService,
    user_id: int,
    zone: str,
    days: int,
) -> Period:
    """The member's last `days` days, in `zone`: check-ins, medication changes, summary."""
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    first = today - timedelta(days=days - 1)
    entries = await checkins.entries(user_id, zone, days)
    changes = await medications.history(user_id, first)
    return Period(
        zone=zone, first=first, today=today, entries=entries,
        changes=[change for change in changes if change.changed_on <= today],
        summary=summarize(entries, today),
    )  # fmt: skip
