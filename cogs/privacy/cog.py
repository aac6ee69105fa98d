"""/privacy and /mydata: what Muster keeps, and a member's export and deletion."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import CANNOT_DM
from bot.services.about import PRIVACY_SECTIONS
from bot.tree import anywhere, report_error, respond, services_of
from bot.ui.embeds import CALM_BLUE

if TYPE_CHECKING:
    from bot.app import MusterBot

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


def _counted(count: int, name: str) -> str:
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
        parts = [_counted(count, name) for name, count in removed.items() if count]
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
        files = [
            discord.File(io.BytesIO(exported.json_bytes), filename="muster-data.json"),
            discord.File(io.BytesIO(exported.csv_bytes), filename="muster-data.csv"),
        ]
        summary = ", ".join(_counted(count, name) for name, count in exported.counts.items())
        try:
            await interaction.user.send(
                f"Here is everything Muster keeps about you ({summary}).", files=files
            )
        except discord.Forbidden as error:
            if error.code != CANNOT_DM:
                raise
            retry = [
                discord.File(io.BytesIO(exported.json_bytes), filename="muster-data.json"),
                discord.File(io.BytesIO(exported.csv_bytes), filename="muster-data.csv"),
            ]
            await interaction.followup.send(
                f"Your DMs are closed to me, so here it is privately instead ({summary}).",
                files=retry,
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
