"""A test-only cog that provokes the situations the bot core must handle."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.tree import respond

CANARY = "canary-7f3a"


class ProbeCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="probe-fail", description="Raise an unexpected error")
    async def fail(self, interaction: discord.Interaction, note: str = "") -> None:
        raise RuntimeError("unexpected failure")

    @app_commands.command(name="probe-user-error", description="Raise a user-facing error")
    async def user_error(self, interaction: discord.Interaction) -> None:
        raise UserFacingError("That date doesn't exist. Try another one.")

    @app_commands.command(name="probe-defer-fail", description="Defer, then fail")
    async def defer_fail(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise RuntimeError("failed after deferring")

    @app_commands.command(name="probe-slow", description="Answer too late")
    async def slow(self, interaction: discord.Interaction, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await respond(interaction, "finally")

    @app_commands.command(name="probe-post", description="Post text in this channel")
    async def post(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.channel is not None
        await interaction.channel.send(text)  # type: ignore[union-attr]
        await respond(interaction, "posted")

    @app_commands.command(name="probe-dm", description="DM the caller")
    async def dm(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.user.send("hello by DM")
        except discord.Forbidden as error:
            await respond(interaction, f"DM refused with code {error.code}")
            return
        await respond(interaction, "DM sent")

    @app_commands.command(name="probe-guild-only", description="Guild only")
    @app_commands.guild_only()
    async def guild_only(self, interaction: discord.Interaction) -> None:
        await respond(interaction, "in a guild")
