"""/resource: search the directory, browse a category, find a recovery meeting."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import guild_of
from bot.services.resources import DAY_NAMES, parse_time_filter, type_choices
from bot.tree import anywhere, respond
from bot.ui.crisis import card_if_crisis
from cogs.resources.options import AUTOCOMPLETE_BUDGET, CATEGORY_CHOICES, entry_choices
from cogs.resources.ui import (
    ResourcePageButton,
    meetings_embed,
    page_embed,
    page_view,
    search_embed,
)

if TYPE_CHECKING:
    from bot.app import MusterBot


DAY_CHOICES = [app_commands.Choice(name=name, value=index) for index, name in enumerate(DAY_NAMES)]


@anywhere
class ResourceCog(commands.GroupCog, group_name="resource"):
    """Find help: search the directory, browse a category, find a recovery meeting."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ResourcePageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ResourcePageButton)

    @app_commands.command(name="find")
    @app_commands.describe(
        query="What you need, e.g. housing, legal help, someone to talk to",
        category="Only this kind",
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def find(
        self,
        interaction: discord.Interaction[MusterBot],
        query: app_commands.Range[str, 1, 100],
        category: app_commands.Choice[str] | None = None,
    ) -> None:
        """Search the resource directory; typos are fine."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, query)  # before the database, which may be down
        result = await self.bot.services.resources.search(
            interaction.guild_id, query, category=category.value if category else None
        )
        await respond(
            interaction, embed=search_embed(query, result.entries, result.strong, result.suggestion)
        )

    @find.autocomplete("query")
    async def find_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            async with asyncio.timeout(AUTOCOMPLETE_BUDGET):
                found = await self.bot.services.resources.autocomplete(
                    interaction.guild_id, current[:100]
                )
        except TimeoutError:
            return []
        return entry_choices(found)

    @app_commands.command(name="list")
    @app_commands.describe(category="Which kind of resource to show")
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def list_resources(
        self,
        interaction: discord.Interaction[MusterBot],
        category: app_commands.Choice[str] | None = None,
    ) -> None:
        """Browse the resource directory, a page at a time."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        key = category.value if category else None
        page = await self.bot.services.resources.list_page(interaction.guild_id, key, 0)
        await respond(interaction, embed=page_embed(page, key), view=page_view(page, key))

    @app_commands.command(name="meetings")
    @app_commands.describe(
        day="Which day",
        time="From what time: e.g. 7pm, 19:00, morning, evening",
        type="A kind of meeting, e.g. Open, Women, Spanish",
        online="Only online meetings (yes) or only in person (no)",
    )
    @app_commands.choices(day=DAY_CHOICES)
    @app_commands.guild_only()
    async def meetings(
        self,
        interaction: discord.Interaction[MusterBot],
        day: app_commands.Choice[int],
        time: app_commands.Range[str, 1, 20] | None = None,
        type: app_commands.Range[str, 1, 100] | None = None,
        online: bool | None = None,
    ) -> None:
        """Find a recovery meeting from the lists this server imported."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, time, type)
        window = parse_time_filter(time) if time else None
        found, total = await self.bot.services.recovery_meetings.find(
            guild_of(interaction), day.value, window=window, type_code=type, online=online
        )
        await respond(interaction, embed=meetings_embed(day.value, found, total))

    @meetings.autocomplete("type")
    async def type_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name[:100], value=code) for name, code in type_choices(current)
        ]
