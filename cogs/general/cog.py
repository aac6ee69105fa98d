"""/about and /help: what Muster is, and what you can do with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import is_moderator
from bot.tree import anywhere, group_of, respond
from bot.ui.embeds import about_embed, crisis_embed, help_embed

if TYPE_CHECKING:
    from bot.app import MusterBot


class GeneralCog(commands.Cog):
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="about")
    @anywhere
    async def about(self, interaction: discord.Interaction[MusterBot]) -> None:
        """What Muster stores, who can see it, and where to find help fast."""
        await interaction.response.send_message(
            embeds=[about_embed(), crisis_embed()], ephemeral=True
        )

    @app_commands.command(name="help")
    @anywhere
    async def help(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See everything you can do with Muster."""
        commands = sorted(self.bot.tree.walk_commands(), key=lambda c: c.qualified_name)
        listed = [command for command in commands if isinstance(command, app_commands.Command)]
        everyone = [(c.qualified_name, c.description) for c in listed if not _for_moderators(c)]
        moderators = [(c.qualified_name, c.description) for c in listed if _for_moderators(c)]
        # Moderators of this group only: not a member who runs some other server.
        in_group = group_of(interaction) is not None
        shown = moderators if in_group and await is_moderator(interaction) else None
        await respond(interaction, embed=help_embed(everyone, shown))


def _for_moderators(command: app_commands.Command[Any, ..., Any]) -> bool:
    """A moderator's command: its group is hidden from members by default (Manage Server)."""
    root = command.root_parent or command
    return root.default_permissions is not None
