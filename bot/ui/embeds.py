"""Embeds built from service data. Colours are calm; text stays within Discord's limits."""

from __future__ import annotations

import discord

from bot.services.about import ABOUT_INTRO, ABOUT_SECTIONS
from bot.services.crisis import CRISIS_TITLE, NOBODY_WATCHING, crisis_lines

CALM_BLUE = discord.Colour(0x3B6EA5)
WARM_RED = discord.Colour(0xB5523B)


def safe(text: str) -> str:
    """Text someone typed, for display: no markdown tricks, masked links or pings (R2, R6)."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def crisis_embed() -> discord.Embed:
    """The one crisis card, wherever it is shown; built from shipped data only (R18)."""
    embed = discord.Embed(title=CRISIS_TITLE, description=NOBODY_WATCHING, colour=WARM_RED)
    for line in crisis_lines():
        embed.add_field(name=line.name, value="\n".join(line.how_to_reach), inline=False)
    return embed


def about_embed() -> discord.Embed:
    embed = discord.Embed(title="About Muster", description=ABOUT_INTRO, colour=CALM_BLUE)
    for section in ABOUT_SECTIONS:
        embed.add_field(name=section.title, value=section.body, inline=False)
    return embed


# Discord hides commands marked Manage Server from a member with only the moderator role.
# Said the same way wherever Muster says it: /help's footer (plain: a footer shows no bold),
# /setup start's checklist.
INTEGRATIONS_MENU = "Server Settings > Integrations > Muster > Manage"
INTEGRATIONS_THEN = "then under Roles & Members add your moderator role."
INTEGRATIONS_HOW = f"**{INTEGRATIONS_MENU}**, {INTEGRATIONS_THEN}"
INTEGRATIONS_STEP = (
    f"If someone with your moderator role can't see these commands: {INTEGRATIONS_MENU}, "
    f"{INTEGRATIONS_THEN}"
)


def help_embed(
    commands: list[tuple[str, str]], moderator_commands: list[tuple[str, str]] | None = None
) -> discord.Embed:
    """Lists of (command, description) pairs: everyone's, then, for a moderator, theirs.
    Fields are cut to Discord's limits."""
    embed = discord.Embed(
        title="What you can do with Muster",
        description="Everything Muster says back to you is private unless you choose to share.",
        colour=CALM_BLUE,
    )
    _add_command_fields(embed, commands, "Commands")
    if moderator_commands:
        _add_command_fields(embed, moderator_commands, "For moderators")
        embed.set_footer(text=INTEGRATIONS_STEP)
    return embed


def _add_command_fields(embed: discord.Embed, commands: list[tuple[str, str]], title: str) -> None:
    chunk: list[str] = []
    first = True

    def flush() -> None:
        nonlocal first
        embed.add_field(name=title if first else "More", value="\n".join(chunk), inline=False)
        first = False

    for line in (f"`/{name}`: {description}" for name, description in commands):
        if sum(len(item) + 1 for item in chunk) + len(line) > 1000:
            flush()
            chunk = []
        chunk.append(line)
    if chunk:
        flush()
