"""/resource for members and /resource-admin for moderators."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_moderator, guild_of
from bot.services.resources import (
    CATEGORIES,
    DAY_NAMES,
    FEED_MAX,
    MAX_FEED_BYTES,
    NATIONAL_PREFIX,
    ResourceDraft,
    ResourceEntry,
    parse_time_filter,
    type_choices,
)
from bot.tree import anywhere, report_error, respond, servers_only
from bot.ui.crisis import card_if_crisis
from bot.ui.embeds import safe
from bot.ui.resources import (
    ResourcePageButton,
    import_report_text,
    meetings_embed,
    page_embed,
    page_view,
    search_embed,
)

if TYPE_CHECKING:
    from bot.app import MusterBot

CATEGORY_CHOICES = [app_commands.Choice(name=label, value=key) for key, label in CATEGORIES.items()]
DAY_CHOICES = [app_commands.Choice(name=name, value=index) for index, name in enumerate(DAY_NAMES)]
# Autocomplete must answer within Discord's 3 seconds, database or not.
AUTOCOMPLETE_BUDGET = 2.0


def _choices(entries: list[ResourceEntry]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=entry.name[:100], value=entry.key) for entry in entries[:25]]


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
        return _choices(found)

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


class ResourceEditModal(discord.ui.Modal):
    """Name, ways to reach and details of a server's own resource."""

    def __init__(self, bot: MusterBot, category: str, existing: ResourceEntry | None) -> None:
        super().__init__(title="Edit resource" if existing else "Add a resource", timeout=1800)
        self.bot = bot
        self.category = category
        self.existing = existing
        self.name_input: discord.ui.TextInput[ResourceEditModal] = discord.ui.TextInput(
            label="Name",
            custom_id="resource:name",
            max_length=100,
            default=existing.name if existing else None,
        )
        self.phone_input: discord.ui.TextInput[ResourceEditModal] = discord.ui.TextInput(
            label="Phone",
            custom_id="resource:phone",
            required=False,
            max_length=40,
            default=existing.phone if existing else None,
        )
        self.text_input: discord.ui.TextInput[ResourceEditModal] = discord.ui.TextInput(
            label="Text number",
            custom_id="resource:text",
            required=False,
            max_length=40,
            default=existing.text if existing else None,
        )
        self.web_input: discord.ui.TextInput[ResourceEditModal] = discord.ui.TextInput(
            label="Website",
            custom_id="resource:web", required=False, max_length=300, placeholder="https://",
            default=existing.web if existing else None,
        )  # fmt: skip
        self.details_input: discord.ui.TextInput[ResourceEditModal] = discord.ui.TextInput(
            label="Hours, who it is for, anything else",
            custom_id="resource:details",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
            default=existing.audience if existing else None,
        )
        for item in (
            self.name_input,
            self.phone_input,
            self.text_input,
            self.web_input,
            self.details_input,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[MusterBot]) -> None:  # type: ignore[override]
        draft = ResourceDraft(
            name=self.name_input.value,
            category=self.category,
            phone=self.phone_input.value,
            text_number=self.text_input.value,
            web=self.web_input.value,
            details=self.details_input.value,
        )
        draft.clean()  # refuse bad input before deferring, so the member can fix it
        await ensure_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        resources = self.bot.services.resources
        if self.existing is None:
            saved = await resources.add(guild_of(interaction), interaction.user.id, draft)
            await respond(interaction, f"Added **{safe(saved.name)}** to this server's resources.")
        else:
            saved = await resources.update(
                guild_of(interaction), interaction.user.id, self.existing.key, draft
            )
            await respond(interaction, f"Saved your changes to **{safe(saved.name)}**.")

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


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
        return _choices([entry for entry in hidden if current.lower() in entry.name.lower()])

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
        return _choices(
            [entry for entry in found if entry.key.startswith(NATIONAL_PREFIX) == national]
        )
