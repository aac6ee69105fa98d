"""/meds: the private log of medication changes the member's prescriber decided."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.tree import anywhere, member_zone, respond
from bot.ui.crisis import card_if_crisis
from bot.ui.embeds import CALM_BLUE, safe
from cogs.checkins.words import SOME_UNREADABLE

if TYPE_CHECKING:
    from bot.app import MusterBot


@anywhere
class MedsCog(commands.GroupCog, group_name="meds"):
    """Your private log of medication changes your prescriber decided."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="log")
    @app_commands.describe(
        medication="The medication's name",
        dose="The new dose, as your prescriber gave it",
        date="When it changed (today if you leave it out), e.g. Nov 3",
        note="Anything to remember",
    )
    async def log(
        self,
        interaction: discord.Interaction[MusterBot],
        medication: app_commands.Range[str, 1, 100],
        dose: app_commands.Range[str, 1, 100],
        date: app_commands.Range[str, 1, 40] | None = None,
        note: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Record a medication change your prescriber decided. Private; never advice."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, medication, dose, date, note)
        zone = await member_zone(interaction)
        change = await self.bot.services.medications.log(
            user_id=interaction.user.id,
            medication=medication,
            dose=dose,
            when=date,
            note=note,
            zone=zone,
            request_key=interaction.id,
        )
        await respond(
            interaction,
            f"Noted: {safe(change.medication)}, {safe(change.dose)}, "
            f"from {change.changed_on:%B %-d, %Y}. "
            "Only you can see this; it's marked on your `/checkin report`.\n"
            "_Your own record of what your prescriber decided; "
            "Muster doesn't give medical advice._",
        )

    @app_commands.command(name="history")
    async def history(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See the medication changes you've recorded."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        changes = await self.bot.services.medications.history(interaction.user.id)
        if not changes:
            await respond(
                interaction, "You haven't recorded any medication changes. Use `/meds log`."
            )
            return
        lines = [
            f"**{c.changed_on:%b %-d, %Y}**: {safe(c.medication)}, {safe(c.dose)}"
            + (f" ({safe(c.note)})" if c.note else "")
            for c in changes
        ]
        shown = lines[-40:]
        if any(not change.readable for change in changes):
            shown.insert(0, SOME_UNREADABLE + "\n")
        embed = discord.Embed(
            title="Your medication changes",
            colour=CALM_BLUE,
            description="\n".join(shown)[:4000],
        )
        embed.set_footer(text="Private to you. Muster gives no medical advice.")
        await respond(interaction, embed=embed)
