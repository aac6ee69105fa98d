"""Group meetings: series in the group's time zone, channel reminders, RSVPs, a calendar.

Public API:
- `MeetingService`: create, edit, skip, cancel, list, RSVP, the calendar, and the reminders
  the scheduler delivers (`prepare`, `top_up_all`)
and the rules (`rules`, no database): MEETING (the kind of one instance's reminders),
MeetingInfo (a series as members see it), MeetingNotice, MeetingCancelled, the leads and
the reminder WINDOW;
- `dm_me_before`: a member's own DM an hour before one instance ("DM me");
- `MeetingData`: the hook for /mydata (RSVPs), retention and server purges.
"""

from bot.services.meetings.data import MeetingData
from bot.services.meetings.dm_me import DM_ME_BEFORE, dm_me_before
from bot.services.meetings.rules import (
    ANSWERS,
    CANCELLED,
    DEFAULT_LEADS,
    LATE_MARK_AFTER,
    LEAD_CHOICES,
    MEETING,
    WINDOW,
    MeetingCancelled,
    MeetingInfo,
    MeetingKind,
    MeetingNotice,
)
from bot.services.meetings.service import MeetingService

__all__ = [
    "ANSWERS",
    "CANCELLED",
    "DEFAULT_LEADS",
    "DM_ME_BEFORE",
    "LATE_MARK_AFTER",
    "LEAD_CHOICES",
    "MEETING",
    "WINDOW",
    "MeetingCancelled",
    "MeetingData",
    "MeetingInfo",
    "MeetingKind",
    "MeetingNotice",
    "MeetingService",
    "dm_me_before",
]
