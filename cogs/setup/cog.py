"""/setup for moderators, and /mod audit: what moderators did."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_moderator, guild_object, guild_of
from bot.services.audit import AREAS
from bot.tree import respond, servers_only
from bot.ui.crisis import mentors_channel
from cogs.setup.audit import AuditPageButton, audit_embed, audit_view
from cogs.setup.editor import SetupChannelsView, SetupRolesView
from cogs.setup.settings import settings_embed
from cogs.setup.start import SetupDoneView, SetupPlanView, show_plan

if TYPE_CHECKING:
    from bot.app import MusterBot

ON_OFF = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
AREA_CHOICES = [app_commands.Choice(name=label, value=key) for key, label in AREAS.items()]


@app_commands.default_permissions(manage_guild=True)
@servers_only
class SetupCog(commands.GroupCog, group_name="setup"):
    """Moderators: choose Muster's channels, roles, time zone and limits."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Fixed custom ids: the editor keeps working after a restart.
        self.bot.add_view(SetupChannelsView())
        self.bot.add_view(SetupRolesView())
        self.bot.add_view(SetupPlanView())
        self.bot.add_view(SetupDoneView())

    async def interaction_check(self, interaction: discord.Interaction[MusterBot]) -> bool:  # type: ignore[override]
        await ensure_moderator(interaction)
        return True

    @app_commands.command(name="start")
    async def start(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Set up Muster here: time zone, then the channels and roles it needs, in one step."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await show_plan(interaction, first=True)

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Show Muster's settings here, and anything that needs attention."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = guild_object(interaction)
        config = await self.bot.services.guild_settings.get(guild.id)
        await respond(interaction, embed=settings_embed(guild, config))

    @app_commands.command(name="mentor-requests")
    @app_commands.describe(turn="on: members may ask, by name, for a peer mentor to reach out")
    @app_commands.choices(turn=ON_OFF)
    async def mentor_requests(
        self, interaction: discord.Interaction[MusterBot], turn: app_commands.Choice[str]
    ) -> None:
        """Let members ask a peer mentor to reach out; needs a mentor role and a private channel."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = guild_object(interaction)
        settings = self.bot.services.guild_settings
        config = await settings.get(guild.id)
        _, problems = mentors_channel(guild, config)
        on = turn.value == "on"
        config = await settings.set_mentor_requests(
            guild.id, interaction.user.id, on=on, problems=problems
        )
        text = (
            "Named mentor requests are on. A member who asks will see exactly who gets their "
            "name before anything is sent."
            if on
            else "Named mentor requests are off. Members still get the crisis lines."
        )
        await respond(interaction, text, embed=settings_embed(guild, config))


@app_commands.default_permissions(manage_guild=True)
@servers_only
class ModCog(commands.GroupCog, group_name="mod"):
    """Moderators: the record of what moderators did."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AuditPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AuditPageButton)

    async def interaction_check(self, interaction: discord.Interaction[MusterBot]) -> bool:  # type: ignore[override]
        await ensure_moderator(interaction)
        return True

    @app_commands.command(name="audit")
    @app_commands.describe(area="Only this kind of action")
    @app_commands.choices(area=AREA_CHOICES)
    async def audit(
        self,
        interaction: discord.Interaction[MusterBot],
        area: app_commands.Choice[str] | None = None,
    ) -> None:
        """Page through what moderators did here: who, what, when."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        key = area.value if area else None
        page = await self.bot.services.audit.page(guild_of(interaction), key, 0)
        await respond(interaction, embed=audit_embed(page, key), view=audit_view(page, key))
