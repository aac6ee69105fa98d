"""What /setup show and /setup start say about the chosen channels and roles: the settings
embed, and what Muster lacks in a channel, said plainly."""

from __future__ import annotations

import discord

from bot.services.guild_settings import LABELS, Channel, GuildConfig, Role
from bot.ui.crisis import mentors_channel
from bot.ui.embeds import CALM_BLUE

# What Muster needs in each channel it posts to, as Discord names them.
NEEDED_IN_CHANNELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}
# Why Read Message History matters (bot.delivery.find_sent): a post whose answer a Discord
# outage lost is checked for in the history; unable to look, Muster leaves it rather than
# post it twice.
NO_HISTORY = (
    "Without Read Message History there, I can't confirm a post went out after a Discord "
    "outage, so I might miss one (rather than risk posting it twice). Please grant it, so "
    "nothing is lost or doubled."
)
CHANNELS: tuple[Channel, ...] = ("checkin_channel_id", "meetings_channel_id", "mentors_channel_id")
ROLES: tuple[Role, ...] = ("moderator_role_id", "mentor_role_id")


def channel_lacks(channel: discord.abc.GuildChannel, allowed: discord.Permissions) -> str | None:
    """What Muster is missing in `channel` (having `allowed` there), said plainly; None if
    nothing. /setup show and /setup start both say it in these words."""
    missing = [label for flag, label in NEEDED_IN_CHANNELS.items() if not getattr(allowed, flag)]
    if not missing:
        return None
    line = f"In {channel.mention} I'm missing: {', '.join(missing)}."
    return f"{line} {NO_HISTORY}" if not allowed.read_message_history else line


def permission_problems(guild: discord.Guild, config: GuildConfig) -> list[str]:
    """What stops Muster from working in the chosen channels, said plainly."""
    problems = []
    for column in CHANNELS:
        channel_id = getattr(config, column)
        if channel_id is None:
            continue
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            problems.append(f"The {LABELS[column]} no longer exists; please choose another.")
            continue
        lacks = channel_lacks(channel, channel.permissions_for(guild.me))
        if lacks is not None:
            problems.append(lacks)
    for role_column in ROLES:
        role_id = getattr(config, role_column)
        if role_id is not None and guild.get_role(role_id) is None:
            problems.append(f"The {LABELS[role_column]} no longer exists; please choose another.")
    return problems


def settings_embed(guild: discord.Guild, config: GuildConfig) -> discord.Embed:
    def shown(column: str) -> str:
        value = getattr(config, column)
        if value is None:
            return "not set yet"
        return f"<#{value}>" if column.endswith("channel_id") else f"<@&{value}>"

    embed = discord.Embed(title=f"Muster's settings for {guild.name}"[:256], colour=CALM_BLUE)
    for column in (*CHANNELS, *ROLES):
        embed.add_field(name=LABELS[column].capitalize(), value=shown(column), inline=True)
    zone = config.timezone if config.timezone_chosen else f"{config.timezone} (not chosen yet)"
    embed.add_field(name="Time zone", value=zone, inline=True)
    embed.add_field(
        name="Anonymous posts appear",
        value=f"together at {', '.join(config.anonymous_release_times)}"
        if config.anonymous_release_times
        else f"after {config.delay_minutes} to {2 * config.delay_minutes} minutes",
        inline=True,
    )
    embed.add_field(
        name="Group summaries need", value=f"{config.summary_threshold} members", inline=True
    )
    embed.add_field(
        name="Check-ins are kept for", value=f"{config.retention_days} days", inline=True
    )
    embed.add_field(
        name="Crisis alerts (no names)",
        value="on, to the mentors' channel" if config.crisis_alerts else "off",
        inline=True,
    )
    _, missing = mentors_channel(guild, config)
    needs = f"this server needs {' and '.join(missing)}"
    if config.mentor_requests:
        requests = f"paused: {needs}" if missing else "on: members may ask a peer mentor, by name"
    else:
        requests = f"off. To turn them on, {needs}" if missing else "off (`/setup mentor-requests`)"
    embed.add_field(name="Named mentor requests", value=requests[:1024], inline=False)
    problems = permission_problems(guild, config)
    embed.add_field(
        name="Needs attention" if problems else "Permissions",
        value="\n".join(problems)[:1024]
        if problems
        else "I can post in every channel chosen here.",
        inline=False,
    )
    return embed
