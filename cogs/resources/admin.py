"""/resource-admin: moderators keep the server's own resources and meeting lists right."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_moderator, guild_of
from bot.services.resources import FEED_MAX, MAX_FEED_BYTES, NATIONAL_PREFIX
from bot.tree import respond, servers_only
from bot.ui.embeds import safe
from cogs.resources.edit import ResourceEditModal
from cogs.resources.options import AUTOCOMPLETE_BUDGET, CATEGORY_CHOICES, entry_choices
from cogs.resources.ui import import_report_text

if TYPE_CHECKING:
    from bot.app import MusterBot


@app_commands.default_permissions(manage_guild=True)
@servers_only
class ResourceAdminCog(commands.GroupCog, group_name="resource-admin"):
    """Moderators: keep this server's resource list right."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[MusterBot]) -> bool:  # type: ignore[override]
        await ensure_moderator(interaction)  # default_permissions only hides; this refuses
        return True

    @app_commands.command(name="add")
    @app_commands.describe(category="Which kind of resource it is")
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def add(
        self, interaction: discord.Interaction[MusterBot], category: app_commands.Choice[str]
    ) -> None:
        """Add a local resource to this server's directory."""
        await interaction.response.send_modal(ResourceEditModal(self.bot, category.value, None))

    @app_commands.command(name="edit")
    @app_commands.describe(entry="The resource to change")
    async def edit(
        self, interaction: discord.Interaction[MusterBot], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        """Change one of this server's own resources."""
        # A modal must be the first answer, so only the in-memory directory is consulted here.
        existing = self.bot.services.resources.peek(interaction.guild_id, entry)
        if existing is None or existing.national:
            await respond(interaction, "Pick one of this server's own resources from the list.")
            return
        await interaction.response.send_modal(
            ResourceEditModal(self.bot, existing.category, existing)
        )

    @app_commands.command(name="remove")
    @app_commands.describe(entry="The resource to remove")
    async def remove(
        self, interaction: discord.Interaction[MusterBot], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        """Remove one of this server's own resources."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.bot.services.resources.remove(
            guild_of(interaction), interaction.user.id, entry
        )
        await respond(interaction, f"Removed **{safe(removed.name)}**.")

    @app_commands.command(name="hide")
    @app_commands.describe(entry="The national resource members here should not see")
    async def hide(
        self, interaction: discord.Interaction[MusterBot], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        """Hide a national resource from this server's members."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        hidden = await self.bot.services.resources.hide_national(
            guild_of(interaction), interaction.user.id, entry
        )
        await respond(
            interaction,
            f"**{safe(hidden.name)}** is hidden here now. `/resource-admin unhide` brings it back.",
        )

    @app_commands.command(name="unhide")
    @app_commands.describe(entry="The hidden national resource to show again")
    async def unhide(
        self, interaction: discord.Interaction[MusterBot], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        """Show a hidden national resource again."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await self.bot.services.resources.unhide_national(
            guild_of(interaction), interaction.user.id, entry
        )
        await respond(interaction, f"**{safe(shown.name)}** is back in this server's directory.")

    @app_commands.command(name="import")
    @app_commands.describe(
        file="A Meeting Guide JSON file of recovery meetings",
        feed="The list's name or web address (else the file's name); "
        "importing it again replaces it",
    )
    async def import_feed(
        self,
        interaction: discord.Interaction[MusterBot],
        file: discord.Attachment,
        feed: app_commands.Range[str, 1, FEED_MAX] | None = None,
    ) -> None:
        """Import recovery meetings from a Meeting Guide JSON file."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file.size > MAX_FEED_BYTES:
            await respond(
                interaction,
                f"That file is over {MAX_FEED_BYTES // (1024 * 1024)} MB; split it first.",
            )
            return
        raw = await file.read()
        report = await self.bot.services.recovery_meetings.import_feed(
            guild_of(interaction), interaction.user.id, file.filename, raw, feed=feed
        )
        await respond(interaction, import_report_text(report))

    @edit.autocomplete("entry")
    @remove.autocomplete("entry")
    async def own_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._autocomplete(interaction, current, national=False)

    @hide.autocomplete("entry")
    async def national_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._autocomplete(interaction, current, national=True)

    @unhide.autocomplete("entry")
    async def hidden_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        hidden = await self.bot.services.resources.hidden_national(interaction.guild_id)
        return entry_choices([entry for entry in hidden if current.lower() in entry.name.lower()])

    async def _autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str, *, national: bool
    ) -> list[app_commands.Choice[str]]:
        try:
            async with asyncio.timeout(AUTOCOMPLETE_BUDGET):
                found = await self.bot.services.resources.autocomplete(
                    interaction.guild_id, current[:100], limit=100
                )
        except TimeoutError:
            return []
        return entry_choices(
            [entry for entry in found if entry.key.startswith(NATIONAL_PREFIX) == national]
        )
