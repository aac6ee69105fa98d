"""The taper plan, exactly as the prescriber set it, and the symptom checks after its steps.

Public API (the visit packet reads a member's plan and checks for a period):
- `TaperService.plan_steps(user_id, since, until)` -> list[PlanStep]
- `TaperService.symptom_checks(user_id, since, until, zone)` -> list[SymptomCheck]
and the rules: FINISH (the symptom groups), SEVERITY, AS_SET and TALK_FIRST (said wherever a
plan is shown), SEVERE_MESSAGE.
"""

from bot.services.taper.data import TaperData
from bot.services.taper.rules import (
    AS_SET,
    FINISH,
    SEVERE,
    SEVERE_MESSAGE,
    SEVERITY,
    SYMPTOM_WINDOW_DAYS,
    TALK_FIRST,
    StepText,
    in_symptom_window,
    parse_steps,
    reminder_moment,
)
from bot.services.taper.service import (
    TAPER_STEP,
    PlanStep,
    StepReminder,
    SymptomCheck,
    SymptomOffer,
    TaperService,
)

__all__ = [
    "AS_SET",
    "FINISH",
    "SEVERE",
    "SEVERE_MESSAGE",
    "SEVERITY",
    "SYMPTOM_WINDOW_DAYS",
    "TALK_FIRST",
    "TAPER_STEP",
    "PlanStep",
    "StepReminder",
    "StepText",
    "SymptomCheck",
    "SymptomOffer",
    "TaperData",
    "TaperService",
    "in_symptom_window",
    "parse_steps",
    "reminder_moment",
]
