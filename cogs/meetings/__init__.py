"""/meeting and /meeting-admin: group meetings, their reminders in the meetings channel, RSVPs,
a calendar, and the optional Discord event that mirrors the next one."""

from cogs.meetings.cog import MeetingAdminCog, MeetingCog

__all__ = ["MeetingAdminCog", "MeetingCog"]
