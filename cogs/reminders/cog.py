"""/remind: reminders by DM, and a word to a member whose DMs are closed that one missed them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.services.packet import APPOINTMENT_KINDS
from bot.services.reminders import KINDS, REMINDER, parse_when
from bot.tree import anywhere, group_of, member_zone, respond
from bot.ui.crisis import card_if_crisis
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.packet import OFFER, offer_view
from cogs.reminders.sender import ReminderSender
from cogs.reminders.ui import ReminderButton
from cogs.reminders.words import lead_words, reminder_line

if TYPE_CHECKING:
    from bot.app import MusterBot


KIND_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in KINDS.items() if key != "leave"
]

ANSWER_WAIT_STEPS = 60  # 3 s in 50 ms steps: an interaction unanswered by then has failed
DMS_CLOSED_NOTICE = (
    "I tried to send you a reminder by DM, but your DMs are closed to me. To get reminders, "
    "allow direct messages from this server's members (in the server's Privacy settings), "
    "then use `/remind list` to see what you missed."
)


@anywhere
class ReminderCog(commands.GroupCog, group_name="remind"):
    """Reminders by DM for court dates, appointments and anything else."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReminderButton)
        self.bot.services.scheduler.register(REMINDER, ReminderSender(self.bot))

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReminderButton)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction[MusterBot], command: Any
    ) -> None:
        self.bot.spawn(self._tell_if_dms_closed(interaction))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[MusterBot]) -> None:
        # Buttons and forms have no completion event: wait for their answer, then tell.
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            self.bot.spawn(self._tell_after_the_answer(interaction))

    async def _tell_after_the_answer(self, interaction: discord.Interaction[MusterBot]) -> None:
        for _ in range(ANSWER_WAIT_STEPS):
            if interaction.response.is_done():
                await self._tell_if_dms_closed(interaction)
                return
            await asyncio.sleep(0.05)

    async def _tell_if_dms_closed(self, interaction: discord.Interaction[MusterBot]) -> None:
        # Told privately, at their next interaction, that a DM couldn't reach them (R9).
        if await self.bot.services.member_settings.take_dm_notice(interaction.user.id):
            await interaction.followup.send(DMS_CLOSED_NOTICE, ephemeral=True)

    @app_commands.command(name="add")
    @app_commands.describe(
        what="What to remind you about",
        when="When, in your time zone: e.g. tomorrow 9am, June 17 2:30pm, in 2 hours",
        kind="Court dates and appointments get reminders 3 days, 1 day and 2 hours before",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction[MusterBot],
        what: app_commands.Range[str, 1, 200],
        when: app_commands.Range[str, 1, 100],
        kind: app_commands.Choice[str] | None = None,
    ) -> None:
        """Get a reminder by DM: court dates, appointments, anything."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, what, when)
        services = self.bot.services
        zone = await member_zone(interaction)
        event_at = parse_when(when, zone, services.clock.now())
        created = await services.reminders.create(
            user_id=interaction.user.id, guild_id=group_of(interaction),
            kind=kind.value if kind else "other", text=what, event_at=event_at,
            zone=zone, interaction_id=interaction.id,
        )  # fmt: skip
        local = created.event_at.astimezone(ZoneInfo(zone))
        stamp = int(created.event_at.timestamp())
        due_times = ", ".join(
            lead_words(minutes) for minutes in await services.reminders.pending_leads(created)
        )
        text = (
            f"Got it. I'll remind you about “{safe(created.text)}” on "
            f"{local:%A, %B %-d at %-I:%M %p} ({zone}), which is <t:{stamp}:F> for you. "
            f"Reminders: {due_times}."
        )
        if created.kind in APPOINTMENT_KINDS:  # the visit packet, if they want it
            await respond(interaction, f"{text}\n\n{OFFER}", view=offer_view(created.id))
            return
        await respond(interaction, text)

    @app_commands.command(name="list")
    async def list_reminders(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See your upcoming reminders, and any that didn't reach you."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        reminders = await self.bot.services.reminders.list(interaction.user.id)
        if not reminders:
            await respond(interaction, "You have no reminders. Add one with `/remind add`.")
            return
        # Past ones stay for 12 hours (and missed ones until seen to), marked, after the rest:
        # what didn't reach the member is what they most need to see.
        now = self.bot.services.clock.now()
        lines = [reminder_line(reminder) for reminder in reminders if reminder.event_at > now] + [
            "Past: " + reminder_line(reminder) for reminder in reminders if reminder.event_at <= now
        ]
        embed = discord.Embed(title="Your reminders", colour=CALM_BLUE)
        embed.description = "\n\n".join(lines[:20])[:4096]
        await respond(interaction, embed=embed)

    @app_commands.command(name="cancel")
    @app_commands.describe(reminder="Which reminder to cancel")
    async def cancel(
        self, interaction: discord.Interaction[MusterBot], reminder: app_commands.Range[str, 1, 20]
    ) -> None:
        """Cancel one of your reminders."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not reminder.isdigit():
            raise UserFacingError("Pick one of your reminders from the list.")
        cancelled = await self.bot.services.reminders.cancel(interaction.user.id, int(reminder))
        await respond(interaction, f"Cancelled: “{safe(cancelled.text)}”.")

    @cancel.autocomplete("reminder")
    async def cancel_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        reminders = await self.bot.services.reminders.list(interaction.user.id)
        needle = current.lower()
        return [
            app_commands.Choice(
                name=f"{KINDS[reminder.kind]}: {reminder.text}"[:100], value=str(reminder.id)
            )
            for reminder in reminders
            if needle in reminder.text.lower()
        ][:25]
