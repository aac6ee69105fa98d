"""The buttons on a reminder DM (snooze, done, make a plan) and the time-to-leave form."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from bot.services.reminders import ReminderMessage
from bot.tree import report_error, reporting, respond, services_of
from bot.ui.crisis import card_if_crisis
from bot.ui.items import PersistentButton

BUTTON_LABELS = {
    "snooze10m": "Remind me in 10 minutes",
    "snooze1h": "Remind me in 1 hour",
    "tomorrow": "Remind me tomorrow",
    "done": "Done",
    "leave": "Set a time-to-leave reminder",
}
SNOOZE_CHOICES = {"snooze10m": "10m", "snooze1h": "1h", "tomorrow": "tomorrow"}


class ReminderButton(
    PersistentButton,
    template=r"rem:(?P<action>snooze10m|snooze1h|tomorrow|done|leave):(?P<id>\d{1,12})",
):
    """Snooze, done and make-a-plan on a reminder DM. The id is the reminder's, never a user's;
    the clicker must own it."""

    def __init__(self, action: str, reminder_id: int) -> None:
        style = discord.ButtonStyle.success if action == "done" else discord.ButtonStyle.secondary
        if action == "leave":
            style = discord.ButtonStyle.primary
        super().__init__(
            discord.ui.Button(
                label=BUTTON_LABELS[action], style=style, custom_id=f"rem:{action}:{reminder_id}"
            )
        )
        self.action = action
        self.reminder_id = reminder_id

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(match["action"], int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        reminders = services_of(interaction).reminders
        user_id = interaction.user.id
        if self.action == "leave":
            # A modal must be the first answer: the reminder is looked up when it comes back.
            await interaction.response.send_modal(LeaveModal(self.reminder_id))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.action == "done":
            await reminders.done(user_id, self.reminder_id)
            await respond(interaction, "Marked done. Nice work.")
            return
        choice = SNOOZE_CHOICES[self.action]
        due_at = await reminders.snooze(user_id, self.reminder_id, choice)
        await respond(interaction, f"Okay, I'll remind you again <t:{int(due_at.timestamp())}:R>.")


class LeaveModal(discord.ui.Modal, title="When will you leave?"):
    def __init__(self, reminder_id: int) -> None:
        super().__init__(timeout=1800)
        self.reminder_id = reminder_id
        self.when: discord.ui.TextInput[LeaveModal] = discord.ui.TextInput(
            label="Time to leave", custom_id="leave:when", max_length=100,
            placeholder="e.g. 7:30am, or June 17 1:45pm",
        )  # fmt: skip
        self.plan: discord.ui.TextInput[LeaveModal] = discord.ui.TextInput(
            label="How you'll get there (optional)", custom_id="leave:plan", required=False,
            max_length=150, placeholder="Bus 12 from Main St, a ride from a friend...",
        )  # fmt: skip
        self.add_item(self.when)
        self.add_item(self.plan)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, self.when.value, self.plan.value)
        created = await services_of(interaction).reminders.add_leave(
            interaction.user.id, self.reminder_id, self.when.value, self.plan.value,
            interaction_id=interaction.id,
        )  # fmt: skip
        await respond(
            interaction,
            f"Done. I'll tell you it's time to leave <t:{int(created.event_at.timestamp())}:F>.",
        )

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


def reminder_buttons(message: ReminderMessage) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if message.plan_prompt:
        view.add_item(ReminderButton("leave", message.reminder_id))
    for action, choice in SNOOZE_CHOICES.items():
        if choice in message.snoozes:
            view.add_item(ReminderButton(action, message.reminder_id))
    view.add_item(ReminderButton("done", message.reminder_id))
    return view
