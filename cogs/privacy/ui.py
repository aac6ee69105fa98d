"""What /privacy shows, and the confirmation /mydata delete asks for."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.services.about import PRIVACY_SECTIONS
from bot.tree import report_error, respond, services_of
from bot.ui.embeds import CALM_BLUE

log = logging.getLogger(__name__)


# Sections whose names don't read as words: (one, many).
SECTION_WORDS = {
    "checkins": ("check-in", "check-ins"),
    "meeting_rsvps": ("meeting answer", "meeting answers"),
    "measure_optins": ("questionnaire you turned on", "questionnaires you turned on"),
    "measure_scores": ("questionnaire score", "questionnaire scores"),
    "questions_for_my_provider": ("question for your provider", "questions for your provider"),
    "taper_symptom_checks": ("symptom check", "symptom checks"),
}


def counted(count: int, name: str) -> str:
    """'1 reminder', '2 meeting answers': a section name read as words."""
    words = name.replace("_", " ")
    one, many = SECTION_WORDS.get(name, (words.removesuffix("s"), words))
    return f"{count} {one if count == 1 else many}"


def privacy_embed() -> discord.Embed:
    embed = discord.Embed(title="Your privacy with Muster", colour=CALM_BLUE)
    for section in PRIVACY_SECTIONS:
        embed.add_field(name=section.title, value=section.body, inline=False)
    return embed


class ConfirmDelete(discord.ui.View):
    """A short-lived confirmation; only the member who asked can press it."""

    def __init__(self, user_id: int) -> None:
        super().__init__(timeout=300)
        self.user_id = user_id

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id != self.user_id:
            await respond(interaction, "This button is for the member who asked.")
            return False
        return True

    @discord.ui.button(
        label="Yes, delete everything", style=discord.ButtonStyle.danger, custom_id="mydata:confirm"
    )
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()
        privacy = services_of(interaction).privacy
        alerts = await privacy.alerts_naming(interaction.user.id)
        removed = await privacy.delete(interaction.user.id)
        for channel_id, message_id in alerts:  # Muster's own messages: no permission needed
            messageable = interaction.client.get_partial_messageable(channel_id)
            try:
                await messageable.get_partial_message(message_id).delete()
            except discord.NotFound:
                pass
            except discord.HTTPException as error:
                log.warning("Could not take down a mentor alert (HTTP %s)", error.status)
        parts = [counted(count, name) for name, count in removed.items() if count]
        summary = ", ".join(parts) if parts else "nothing was stored about you"
        self.stop()
        await interaction.edit_original_response(
            content=f"Done. Removed: {summary}. Muster keeps nothing more about you.", view=None
        )

    @discord.ui.button(
        label="Keep my data", style=discord.ButtonStyle.secondary, custom_id="mydata:keep"
    )
    async def keep(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(content="Okay, nothing was deleted.", view=None)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)
