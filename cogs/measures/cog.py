"""The /measures command and the scheduled DM prompt."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.dm import dm_outcome
from bot.scheduling import Delivery, Due
from bot.services.measures import MEASURE, NOT_A_DIAGNOSIS, instrument
from bot.tree import anywhere, respond
from bot.ui.crisis import CrisisCardButton
from cogs.measures.ui import DYNAMIC_ITEMS, overview_view, prompt_view
from cogs.measures.words import CADENCE_WORDS, PRIVATE, overview

if TYPE_CHECKING:
    from bot.app import MusterBot

# A prompt is retried through Discord trouble for a day; after that the next one is soon.
PROMPT_DEADLINE = timedelta(days=1)


class MeasuresCog(commands.Cog):
    """Optional questionnaires to bring to your provider."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.services.scheduler.register(
            MEASURE, MeasurePromptDelivery(self.bot), deadline=PROMPT_DEADLINE
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @app_commands.command(name="measures")
    @anywhere
    async def measures(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Optional questionnaires (PHQ-8, GAD-7, PCL-5, AUDIT-C): turn on, fill in, see scores."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        optins = await services.measures.opted_in(interaction.user.id)
        scores = await services.measures.scores(interaction.user.id)
        await respond(
            interaction,
            embed=overview(optins, scores),
            view=overview_view(optins, scores),
        )


class MeasurePromptDelivery:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prompt = await services.measures.prepare(due, now)
        if isinstance(prompt, Delivery):
            return prompt
        measure = instrument(prompt.code)
        view = discord.ui.View(timeout=None)
        for item in prompt_view(prompt.code):
            view.add_item(item)
        view.add_item(CrisisCardButton())
        count = len(measure.items)
        return await dm_outcome(
            self.bot,
            prompt.user_id,
            content=f"Hi. Your {measure.name} ({measure.about}) is due, if you'd like to "
            f"fill it in: {count} questions on {len(measure.pages)} "
            f"{'page' if len(measure.pages) == 1 else 'pages'}, "
            f"{CADENCE_WORDS[measure.cadence]}. Skip it any time, no pressure. "
            f"{PRIVATE} {NOT_A_DIAGNOSIS}",
            view=view,
            due=due,
        )
