"""/remind and /settings: personal reminders by DM (court dates, appointments, medication,
anything else), their snooze and time-to-leave buttons, and the member's time zone."""

from cogs.reminders.cog import ReminderCog
from cogs.reminders.settings import SettingsCog

__all__ = ["ReminderCog", "SettingsCog"]
