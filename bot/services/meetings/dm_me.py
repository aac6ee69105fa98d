""" "DM me an hour before" on a meeting reminder: a personal reminder for one instance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import UserFacingError

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.meetings.service import MeetingService
    from bot.services.reminders import ReminderService

DM_ME_BEFORE = timedelta(hours=1)


async def dm_me_before(
    meetings: MeetingService,
    reminders: ReminderService,
    clock: Clock,
    *,
    guild_id: int,
    meeting_id: int,
    starts_at: datetime,
    user_id: int,
    interaction_id: int,
) -> datetime:
    """Book the member's DM an hour before this instance; when it will come."""
    meeting = await meetings.get(guild_id, meeting_id)
    remind_at = starts_at - DM_ME_BEFORE
    if remind_at <= clock.now():
        raise UserFacingError("It starts in less than an hour, so there's no time for a reminder.")
    await reminders.create(
        user_id=user_id, guild_id=guild_id, kind="other",
        text=f"“{meeting.title}” starts in an hour"[:200], event_at=remind_at,
        zone=meeting.rule.zone, interaction_id=interaction_id,
    )  # fmt: skip
    return remind_at
