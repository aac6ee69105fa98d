"""The taper cog: /meds plan's commands, and the registration of the plan's buttons, the
symptom check's (bot/ui/taper.py, shown by the check-in cog) and the step sender."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.services.reminders import LATE_LIMIT
from bot.services.taper import AS_SET, TALK_FIRST, TAPER_STEP
from bot.tree import member_zone, respond
from bot.ui.crisis import card_if_crisis
from bot.ui.taper import DYNAMIC_ITEMS
from cogs.taper.sender import StepReminderSender
from cogs.taper.ui import PLAN_ITEMS, AddStepsModal, plan_embed, show_plan, step_line

if TYPE_CHECKING:
    from bot.app import MusterBot


WHOLE_PLAN = "all"


class PlanCommands(app_commands.Group):
    """Under /meds: the taper plan your prescriber set."""

    def __init__(self, bot: MusterBot) -> None:
        super().__init__(name="plan", description="Your taper plan, as your prescriber set it")
        self.bot = bot

    @app_commands.command(name="add")
    @app_commands.describe(
        date="The step's date (leave out to enter several steps at once in a form)",
        dose="The dose as your prescriber wrote it",
        note="Anything to remember about this step",
    )
    async def add(
        self,
        interaction: discord.Interaction[MusterBot],
        date: app_commands.Range[str, 1, 40] | None = None,
        dose: app_commands.Range[str, 1, 100] | None = None,
        note: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Enter your prescriber's steps: one here, or several at once in a form."""
        if date is None and dose is None and note is None:
            await interaction.response.send_modal(AddStepsModal(interaction.id))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, date, dose, note)
        if date is None or dose is None:
            raise UserFacingError("Give both the date and the dose, or neither to open the form.")
        step = await self.bot.services.taper.add_step(
            user_id=interaction.user.id, when=date, dose=dose, note=note,
            zone=await member_zone(interaction), request_key=interaction.id,
        )  # fmt: skip
        await respond(interaction, embed=plan_embed([step], "Added a step"))

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See your taper plan, as your prescriber set it."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await show_plan(interaction)

    @app_commands.command(name="edit")
    @app_commands.describe(
        step="The step to change",
        date="Its new date",
        dose="Its dose, as your prescriber wrote it",
        note="Its note",
    )
    async def edit(
        self,
        interaction: discord.Interaction[MusterBot],
        step: str,
        date: app_commands.Range[str, 1, 40] | None = None,
        dose: app_commands.Range[str, 1, 100] | None = None,
        note: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Change a step to match what your prescriber set; its reminder moves with it."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, date, dose, note)
        if date is None and dose is None and note is None:
            raise UserFacingError("Say what changes: the date, the dose or the note.")
        changed = await self.bot.services.taper.edit_step(
            user_id=interaction.user.id, step_id=_step_id(step), when=date, dose=dose,
            note=note, zone=await member_zone(interaction),
        )  # fmt: skip
        await respond(interaction, embed=plan_embed([changed], "Changed a step"))

    @app_commands.command(name="cancel")
    @app_commands.describe(step="The step to take out, or the whole plan")
    async def cancel(self, interaction: discord.Interaction[MusterBot], step: str) -> None:
        """Take a step, or the whole plan, out; their reminders stop."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        taper = self.bot.services.taper
        if step == WHOLE_PLAN:
            count = await taper.cancel_plan(interaction.user.id)
            text = f"Your plan is cleared: {count} step(s) and their reminders are gone."
        else:
            gone = await taper.cancel_step(interaction.user.id, _step_id(step))
            text = f"Taken out of your plan, with its reminder:\n{step_line(gone)}"
        await respond(interaction, f"{text}\nKeep your plan {AS_SET}. {TALK_FIRST}")

    @edit.autocomplete("step")
    @cancel.autocomplete("step")
    async def step_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        steps = await self.bot.services.taper.steps(interaction.user.id)
        choices = [
            app_commands.Choice(
                name=f"{s.on:%b %-d, %Y}: {s.dose or '(unreadable)'}"[:100], value=str(s.id)
            )
            for s in steps
            if current.lower() in f"{s.on:%b %-d %Y} {s.on.isoformat()} {s.dose}".lower()
        ][:24]
        if interaction.command is not None and interaction.command.name == "cancel":
            choices.append(app_commands.Choice(name="The whole plan", value=WHOLE_PLAN))
        return choices


def _step_id(text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise UserFacingError("Pick the step from the list as you type.")
    return int(text)


class TaperCog(commands.Cog):
    """The taper plan: its commands sit under /meds, beside the medication log."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot
        self.plan = PlanCommands(bot)

    async def cog_load(self) -> None:
        meds = self.bot.tree.get_command("meds")
        if not isinstance(meds, app_commands.Group):
            raise RuntimeError("load the /meds cog before the taper plan")
        meds.add_command(self.plan)
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, *PLAN_ITEMS)
        self.bot.services.scheduler.register(
            TAPER_STEP, StepReminderSender(self.bot), deadline=LATE_LIMIT
        )

    async def cog_unload(self) -> None:
        meds = self.bot.tree.get_command("meds")
        if isinstance(meds, app_commands.Group):
            meds.remove_command(self.plan.name)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS, *PLAN_ITEMS)
