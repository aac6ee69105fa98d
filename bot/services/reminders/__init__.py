"""Personal reminders by DM (court dates, appointments, medication, anything else), and the
member's own settings (time zone, DMs open or closed).

Public API:
- `ReminderService`: create, list, cancel, snooze, and `prepare` for the scheduler
- `MemberSettingsService`: a member's time zone and whether Muster can DM them
and the rules (`rules`, no database): REMINDER (the kind, "reminder:<id>"), `text_context`,
`reminder_sources`, KINDS and their leads, the lateness limits, the snoozes, `parse_when`;
and their hooks for /mydata, retention and key rotation (`data`): ReminderData,
MemberSettingsData.
"""

from bot.services.reminders.data import MemberSettingsData, ReminderData
from bot.services.reminders.rules import (
    DEFAULT_LEADS,
    KINDS,
    LATE_LIMIT,
    LATE_NOTE_AFTER,
    MAX_AHEAD,
    MAX_TEXT,
    NOTICE_REFRESH,
    PLAN_LEAD,
    REMINDER,
    SNOOZES,
    ReminderInfo,
    ReminderMessage,
    leave_at,
    leave_text,
    parse_when,
    reminder_sources,
    snoozes_before,
    text_context,
)
from bot.services.reminders.service import ReminderService
from bot.services.reminders.settings import MemberSettingsService

__all__ = [
    "DEFAULT_LEADS",
    "KINDS",
    "LATE_LIMIT",
    "LATE_NOTE_AFTER",
    "MAX_AHEAD",
    "MAX_TEXT",
    "NOTICE_REFRESH",
    "PLAN_LEAD",
    "REMINDER",
    "SNOOZES",
    "MemberSettingsData",
    "MemberSettingsService",
    "ReminderData",
    "ReminderInfo",
    "ReminderMessage",
    "ReminderService",
    "leave_at",
    "leave_text",
    "parse_when",
    "reminder_sources",
    "snoozes_before",
    "text_context",
]
