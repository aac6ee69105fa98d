"""/privacy and /mydata: what Muster keeps, and a member's export and deletion."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import CANNOT_DM
from bot.tree import anywhere, respond
from cogs.privacy.ui import ConfirmDelete, counted, privacy_embed

if TYPE_CHECKING:
    from bot.app import MusterBot
    from bot.services.privacy import Export


def _files(exported: Export) -> list[discord.File]:
    return [
        discord.File(io.BytesIO(exported.json_bytes), filename="muster-data.json"),
        discord.File(io.BytesIO(exported.csv_bytes), filename="muster-data.csv"),
    ]


class PrivacyCog(commands.Cog):
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="privacy")
    @anywhere
    async def privacy(self, interaction: discord.Interaction[MusterBot]) -> None:
        """What Muster keeps about you, for how long, and who can see it."""
        await interaction.response.send_message(embed=privacy_embed(), ephemeral=True)

    mydata = anywhere(
        app_commands.Group(name="mydata", description="Get or erase what Muster keeps about you")
    )

    @mydata.command(name="export")
    async def export(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Get everything Muster keeps about you, as JSON and CSV, by DM."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await self.bot.services.privacy.export(interaction.user.id)
        summary = ", ".join(counted(count, name) for name, count in exported.counts.items())
        try:
            await interaction.user.send(
                f"Here is everything Muster keeps about you ({summary}).", files=_files(exported)
            )
        except discord.Forbidden as error:
            if error.code != CANNOT_DM:
                raise
            await interaction.followup.send(
                f"Your DMs are closed to me, so here it is privately instead ({summary}).",
                files=_files(exported),  # a File is read once: new ones for the retry
                ephemeral=True,
            )
            return
        await respond(interaction, "I've sent your data to your DMs.")

    @mydata.command(name="delete")
    async def delete(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Erase everything Muster keeps about you (you'll be asked to confirm)."""
        await interaction.response.send_message(
            "This erases your check-ins, your medication log, sobriety counter, questionnaire "
            "scores, reminders, "
            "settings, meeting answers and mentor requests (taken down from the mentors' "
            "channel), for good. Anonymous posts already shown in a channel stay there, no "
            "longer tied to you even with the keys; delete those from the post itself (its "
            "Options button) first if you want them gone.",
            view=ConfirmDelete(interaction.user.id),
            ephemeral=True,
        )
