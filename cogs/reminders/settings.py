"""/settings: a member's own preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.timezones import resolve_timezone, timezone_choices
from bot.tree import anywhere, respond
from bot.ui.crisis import card_if_crisis

if TYPE_CHECKING:
    from bot.app import MusterBot


@anywhere
class SettingsCog(commands.GroupCog, group_name="settings"):
    """Your own preferences."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="timezone")
    @app_commands.describe(zone="Your time zone, e.g. Eastern, Pacific, America/Chicago")
    async def timezone(
        self, interaction: discord.Interaction[MusterBot], zone: app_commands.Range[str, 1, 64]
    ) -> None:
        """Set your time zone, for reminders and times Muster reads from you."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, zone)
        name = resolve_timezone(zone)  # autocomplete only suggests: check what came back
        await self.bot.services.member_settings.set_timezone(interaction.user.id, name)
        local = self.bot.services.clock.now().astimezone(ZoneInfo(name))
        await respond(interaction, f"Your time zone is now {name}. It's {local:%-I:%M %p} there.")

    @timezone.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label[:100], value=zone)
            for label, zone in timezone_choices(current)
        ]
