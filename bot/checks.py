"""Run-time permission checks (R7). `default_permissions` only hides commands in Discord's
client; these checks are what actually refuse, for commands and buttons alike."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from bot.tree import NOT_IN_DMS, Refused, report_error, services_of

NOT_A_MODERATOR = (
    "Only moderators can do that. If you think you should be able to, ask a server admin."
)
# Checks run before a handler can defer; never let a slow database eat the 3 seconds.
CHECK_BUDGET = 1.5


def guild_of(interaction: discord.Interaction[Any]) -> int:
    """The server an interaction came from; refuses politely in DMs."""
    if interaction.guild_id is None:
        raise Refused(NOT_IN_DMS)
    return interaction.guild_id


def guild_object(interaction: discord.Interaction[Any]) -> discord.Guild:
    """The server object an interaction came from; refuses politely in DMs."""
    if interaction.guild is None:
        raise Refused(NOT_IN_DMS)
    return interaction.guild


async def ensure_moderator(interaction: discord.Interaction[Any]) -> None:
    """Manage Server, or the moderator role chosen in /setup; otherwise refuse."""
    guild_id = guild_of(interaction)
    permissions = interaction.permissions
    if permissions.manage_guild or permissions.administrator:
        return
    try:
        async with asyncio.timeout(CHECK_BUDGET):
            config = await services_of(interaction).guild_settings.get(guild_id)
    except TimeoutError:
        raise Refused(
            "I couldn't check your roles just now. Please try again in a moment."
        ) from None
    member = interaction.user
    if (
        config.moderator_role_id is not None
        and isinstance(member, discord.Member)
        and any(role.id == config.moderator_role_id for role in member.roles)
    ):
        return
    raise Refused(NOT_A_MODERATOR)


async def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """The same test as ensure_moderator, as a yes or no."""
    try:
        await ensure_moderator(interaction)
    except Refused:
        return False
    return True


class ModeratorView(discord.ui.View):
    """A view whose every button and select is for moderators only, checked on each use."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        await ensure_moderator(interaction)
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)
