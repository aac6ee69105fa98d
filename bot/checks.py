"""Run-time permission checks (R7). `default_permissions` only hides commands in Discord's
client; these checks are what actually refuse."""

from __future__ import annotations

from typing import Any

import discord

from bot.tree import NOT_IN_DMS, Refused

NOT_A_MODERATOR = (
    "Only moderators can do that. If you think you should be able to, ask a server admin."
)


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Server (or Administrator) here, as Discord computed it for this interaction."""
    if interaction.guild_id is None:
        return False
    permissions = interaction.permissions
    return permissions.manage_guild or permissions.administrator


def guild_of(interaction: discord.Interaction[Any]) -> int:
    """The server an interaction came from; refuses politely in DMs."""
    if interaction.guild_id is None:
        raise Refused(NOT_IN_DMS)
    return interaction.guild_id


def require_moderator(interaction: discord.Interaction[Any]) -> None:
    if interaction.guild_id is None:
        raise Refused(NOT_IN_DMS)
    if not is_moderator(interaction):
        raise Refused(NOT_A_MODERATOR)
