"""Filling the visit packet from what Muster holds: check-ins, the medication log, the taper
plan and the symptom checks after its steps, the measures' scores, the sobriety counter and
the member's questions. Each service is asked for the period; the packet draws only the
sections that have something in them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.charts import daily_points
from bot.services.checkins import CheckinService, MedicationService, SobrietyService, summarize
from bot.services.crypto import UNREADABLE
from bot.services.measures import MeasureService
from bot.services.packet.data import MeasureScore, PacketData, SymptomCheck, TaperStep
from bot.services.packet.questions import QuestionService
from bot.services.taper import FINISH, TaperService


class PacketService:
    def __init__(
        self,
        clock: Clock,
        checkins: CheckinService,
        medications: MedicationService,
        sobriety: SobrietyService,
        questions: QuestionService,
        taper: TaperService,
        measures: MeasureService,
    ) -> None:
        self._clock = clock
        self._checkins = checkins
        self._medications = medications
        self._sobriety = sobriety
        self._questions = questions
        self._taper = taper
        self._measures = measures

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
        summary = summarize(entries, today)
        counter = await self._sobriety.status(user_id, zone)
        questions = await self._questions.list(user_id)
        tz = ZoneInfo(zone)
        steps = await self._taper.plan_steps(user_id, first, today)
        checks = await self._taper.symptom_checks(user_id, first, today, zone)
        # Scores are kept by UTC date: a day either side, then the member's own days.
        scores = [
            score
            for score in await self._measures.scores(
                user_id, first - timedelta(days=1), today + timedelta(days=1)
            )
            if first <= score.taken_at.astimezone(tz).date() <= today
        ]
        return PacketData(
            who=who, first=first, last=today, zone=zone, series=daily_points(entries),
            changes=changes, checkin_count=summary.count, average_mood=summary.average_mood,
            sober_days=summary.sober_days, longest_sober_run=summary.longest_sober_run,
            counter_days=None if counter is None else counter.days,
            questions=[question.text for question in questions],
            taper_steps=[TaperStep(s.on, s.dose or UNREADABLE, s.note) for s in steps],
            symptom_checks=[
                SymptomCheck(
                    c.at.astimezone(tz).date(),
                    tuple(FINISH[key].split(" (")[0] for key in c.symptoms if key in FINISH),
                    c.severity,
                )
                for c in checks
            ],
            measures=[
                MeasureScore(
                    m.taken_at.astimezone(tz).date(), m.name, m.total, m.band or m.cut_note
                )
                for m in scores
            ],
            unreadable=any(e.note_unreadable for e in entries)
            or any(not c.readable for c in changes) or any(not q.readable for q in questions)
            or any(not s.readable for s in steps),
        )  # fmt: skip
