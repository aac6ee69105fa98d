"""The taper step sender: a step's reminder by DM on its date."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.dm import dm_outcome
from bot.scheduling import Delivery, Due
from bot.services.taper import AS_SET, TALK_FIRST, StepReminder
from bot.ui.embeds import safe

if TYPE_CHECKING:
    from bot.app import MusterBot


def reminder_text(message: StepReminder) -> str:
    dose = "a step (its dose could not be read)" if message.dose is None else safe(message.dose)
    text = f"Today your plan says: {dose}, {AS_SET}."
    if message.note:
        text += f"\nYour note: {safe(message.note)}"
    text += f"\n{TALK_FIRST} `/meds plan show` has the whole plan."
    if message.late_since is not None:
        due = message.late_since.astimezone(ZoneInfo(message.timezone))
        text += (
            f"\n_Sorry, this is late: it should have reached you at {due:%-I:%M %p} "
            f"({message.timezone})._"
        )
    return text


class StepReminderSender:
    """Sends a step's reminder by DM, by the lateness policy of personal reminders."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prepared = await services.taper.prepare(due, now)
        if isinstance(prepared, Delivery):
            return prepared
        return await dm_outcome(
            self.bot,
            prepared.user_id,
            content=reminder_text(prepared),
            due=due,
            deadline=prepared.deadline,
        )
