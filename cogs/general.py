"""/about and /help: what Muster is, and what you can do with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.tree import respond
from bot.ui.embeds import about_embed, crisis_embed, help_embed

if TYPE_CHECKING:
    from bot.app import MusterBot


class GeneralCog(commands.Cog):
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction[MusterBot]) -> None:
        """What Muster stores, who can see it, and where to find help fast."""
        await interaction.response.send_message(
            embeds=[about_embed(), crisis_embed()], ephemeral=True
        )

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See everything you can do with Muster."""
        listed = [
            (command.qualified_name, command.description)
            for command in sorted(self.bot.tree.walk_commands(), key=lambda c: c.qualified_name)
            if isinstance(command, app_commands.Command)
        ]
        await respond(interaction, embed=help_embed(listed))
