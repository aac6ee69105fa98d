"""/sobriety: a counter that keeps its history and celebrates milestones, if the member
wants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.groups import MemberGroup, with_group
from bot.services.checkins import milestone_share, milestone_words
from bot.services.text import plural
from bot.tree import anywhere, group_of, member_zone, respond
from bot.ui.crisis import card_if_crisis
from cogs.checkins.words import MILESTONE_CHOICES, NO_GROUP

if TYPE_CHECKING:
    from bot.app import MusterBot


@anywhere
class SobrietyCog(commands.GroupCog, group_name="sobriety"):
    """A counter that keeps your history and celebrates milestones, if you want."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="set")
    @app_commands.describe(
        since="The day you started (today if you leave it out), e.g. Oct 1",
        milestones="Celebrate milestones in the group? (private unless you choose)",
    )
    @app_commands.choices(milestones=MILESTONE_CHOICES)
    async def set(
        self,
        interaction: discord.Interaction[MusterBot],
        since: app_commands.Range[str, 1, 40] | None = None,
        milestones: app_commands.Choice[str] | None = None,
    ) -> None:
        """Start your counter, or correct its start date."""
        share = milestone_share(milestones.value) if milestones is not None else "none"
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, since)

        async def start(answer: discord.Interaction[Any], group: MemberGroup | None) -> None:
            if share != "none" and group is None:
                await respond(answer, NO_GROUP)
                return
            guild_id = group.guild_id if group is not None else None
            zone = await self.bot.services.zone_of(answer.user.id, guild_id)
            status = await self.bot.services.sobriety.set(
                user_id=answer.user.id, since=since, share=share, guild_id=guild_id, zone=zone
            )
            where = {
                "none": "kept to you",
                "anonymous": "celebrated in the group anonymously",
                "named": "celebrated in the group with your name",
            }[status.share]
            await respond(
                answer,
                f"Counting from {status.started_on:%B %-d, %Y}: "
                f"**{plural(status.days, 'day')}**. Next milestone: "
                f"{milestone_words(status.next_milestone_days)} on "
                f"{status.next_milestone_on:%B %-d}. Milestones are {where}.",
            )

        if share == "none" and group_of(interaction) is None:  # kept to them: no group needed
            await start(interaction, None)
            return
        await with_group(interaction, "Which group should celebrate your milestones?", start)

    @app_commands.command(name="reset")
    async def reset(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Start counting again from today. Your history stays."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await member_zone(interaction)
        reached, status = await self.bot.services.sobriety.reset(interaction.user.id, zone)
        await respond(
            interaction,
            f"Okay, counting again from today. The {plural(reached, 'day')} you had still "
            f"happened, and they count. Your longest run is "
            f"{plural(status.longest_days, 'day')}. One day at a time.",
        )

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See your counter, your longest run and your next milestone."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await member_zone(interaction)
        status = await self.bot.services.sobriety.status(interaction.user.id, zone)
        if status is None:
            await respond(
                interaction, "You haven't started a counter. Use `/sobriety set` when you're ready."
            )
            return
        # "Fresh starts", never "attempts" (read as suicide attempts here): the times the
        # member began again, shown once there has been one.
        fresh = status.attempts - 1
        again = f" · Fresh starts: {fresh}" if fresh > 0 else ""
        await respond(
            interaction,
            f"**{plural(status.days, 'day')}** since {status.started_on:%B %-d, %Y}.\n"
            f"Longest run: {plural(status.longest_days, 'day')}{again}\n"
            f"Next milestone: {milestone_words(status.next_milestone_days)} on "
            f"{status.next_milestone_on:%B %-d, %Y}.",
        )
