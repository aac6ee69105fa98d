"""Filling the visit packet from what Muster holds today: check-ins, the medication log,
the sobriety counter and the member's questions. The taper plan and the measures are added
by their own services when they exist (PacketData's optional sections)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.charts import daily_points
from bot.services.checkins import CheckinService
from bot.services.journal import MedicationService, SobrietyService
from bot.services.packet.data import PacketData
from bot.services.packet.questions import QuestionService


class PacketService:
    def __init__(
        self,
        clock: Clock,
        checkins: CheckinService,
        medications: MedicationService,
        sobriety: SobrietyService,
        questions: QuestionService,
    ) -> None:
        self._clock = clock
        self._checkins = checkins
        self._medications = medications
        self._sobriety = sobriety
        self._questions = questions

    async def gather(self, user_id: int, zone: str, days: int, who: str) -> PacketData:
        """The member's last `days` days, in their zone."""
        today = self._clock.now().astimezone(ZoneInfo(zone)).date()
        first = today - timedelta(days=days - 1)
        entries = await self._checkins.entries(user_id, zone, days)
        changes = [
            change
            for change in await self._medications.history(user_id, first)
            if change.changed_on <= today
        ]
        summary = self._checkins.summarize(entries, today)
        counter = await self._sobriety.status(user_id, zone)
        questions = await self._questions.list(user_id)
        return PacketData(
            who=who, first=first, last=today, zone=zone, series=daily_points(entries),
            changes=changes, checkin_count=summary.count, average_mood=summary.average_mood,
            sober_days=summary.sober_days, longest_sober_run=summary.longest_sober_run,
            counter_days=None if counter is None else counter.days,
            questions=[question.text for question in questions],
            unreadable=any(e.note_unreadable for e in entries)
            or any(not c.readable for c in changes) or any(not q.readable for q in questions),
        )  # fmt: skip
