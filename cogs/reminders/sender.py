"""The personal reminder sender: a due reminder by DM."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.dm import dm_outcome
from bot.scheduling import Delivery, Due
from cogs.reminders.ui import reminder_buttons
from cogs.reminders.words import reminder_embed

if TYPE_CHECKING:
    from bot.app import MusterBot


class ReminderSender:
    """Sends a due personal reminder by DM, and says how it went in the scheduler's terms."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prepared = await services.reminders.prepare(due, now)
        if isinstance(prepared, Delivery):
            return prepared
        return await dm_outcome(
            self.bot,
            prepared.user_id,
            embed=reminder_embed(prepared),
            view=reminder_buttons(prepared),
            due=due,
            deadline=prepared.deadline,
        )
