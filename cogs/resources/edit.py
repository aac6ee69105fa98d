"""The form a moderator adds or edits one of the server's own resources with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_moderator, guild_of
from bot.services.resources import ResourceDraft, ResourceEntry
from bot.tree import report_error, respond
from bot.ui.embeds import safe

if TYPE_CHECKING:
    from bot.app import MusterBot


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
