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


def help_embed(commands: list[tuple[str, str]]) -> discord.Embed:
    """A list of (command, description) pairs; fields are cut to Discord's limits."""
    embed = discord.Embed(
        title="What you can do with Muster",
        description="Everything Muster says back to you is private unless you choose to share.",
        colour=CALM_BLUE,
    )
    lines = [f"`/{name}`: {description}" for name, description in commands]
    chunk: list[str] = []
    for line in lines:
        if sum(len(item) + 1 for item in chunk) + len(line) > 1000:
            embed.add_field(
                name="Commands" if not embed.fields else "More",
                value="\n".join(chunk),
                inline=False,
            )
            chunk = []
        chunk.append(line)
    if chunk:
        embed.add_field(
            name="Commands" if not embed.fields else "More", value="\n".join(chunk), inline=False
        )
    return embed
