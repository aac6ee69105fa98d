"""Where a named mentor request may go: the mentors' channel and role, and what keeps the
channel private (also checked by /setup)."""

from __future__ import annotations

import discord

from bot.services.guild_settings import GuildConfig
from bot.services.mentors import named_request_problems
from bot.ui.embeds import safe


def mentors_channel(
    guild: discord.Guild, config: GuildConfig
) -> tuple[discord.TextChannel | None, list[str]]:
    """The mentors' channel, and what stops a named request going there (R26). Private
    means @everyone cannot view it, from its overwrites and @everyone's permissions."""
    found = (
        guild.get_channel(config.mentors_channel_id)
        if config.mentors_channel_id is not None
        else None
    )
    channel = found if isinstance(found, discord.TextChannel) else None
    public = None if channel is None else channel.permissions_for(guild.default_role).view_channel
    problems = named_request_problems(config, channel_public=public)
    others = [] if channel is None or public else other_readers(guild, channel, config)
    if others:
        problems.append(
            "a mentors' channel only mentors and moderators can read (now "
            f"{' and '.join(others)} can too)"
        )
    role = guild.get_role(config.mentor_role_id) if config.mentor_role_id is not None else None
    if config.mentor_role_id is not None and role is None:
        problems.append("a mentor role that still exists")
    if channel is not None and role is not None and not channel.permissions_for(role).view_channel:
        problems.append(f"a mentors' channel the {safe(role.name)} role can read")
    if channel is not None:
        mine = channel.permissions_for(guild.me)
        if not (mine.view_channel and mine.send_messages):
            problems.append("a mentors' channel Muster can post in")
    return channel, problems


def is_moderator_role(role: discord.Role, config: GuildConfig) -> bool:
    permissions = role.permissions
    return (
        role.id == config.moderator_role_id or permissions.administrator or permissions.manage_guild
    )


def other_readers(
    guild: discord.Guild, channel: discord.TextChannel, config: GuildConfig
) -> list[str]:
    """Who besides the mentor role and moderators could read the mentors' channel (R26).
    Muster doesn't know who holds which role, so any role might be held by a member who is
    no mentor ('Members', 'Verified', a booster role): each one that can read the channel,
    with @everyone, counts against it. Checking roles one at a time is exact: a member with
    several roles can read only if one of them allows it or grants it with nothing denying.
    A member let in by name might be anyone, so that counts too; only Muster itself and
    roles that only bots hold are left out."""
    readers = [
        f"the {safe(role.name)} role"
        for role in guild.roles
        if not role.is_default()
        and role.id != config.mentor_role_id
        and not role.is_bot_managed()
        and not is_moderator_role(role, config)
        and channel.permissions_for(role).view_channel
    ]
    by_name = sum(
        1
        for target, overwrite in channel.overwrites.items()
        if not isinstance(target, discord.Role)
        and target.id != guild.me.id
        and overwrite.view_channel
    )
    if by_name:
        readers.append(f"{by_name} member{'s' if by_name > 1 else ''} let in by name")
    return readers


def named_route(
    guild: discord.Guild, config: GuildConfig
) -> tuple[discord.TextChannel | None, discord.Role | None]:
    """The mentors' channel and role a named request may go to now, or (None, None)."""
    channel, problems = mentors_channel(guild, config)
    role = guild.get_role(config.mentor_role_id or 0)
    if not config.mentor_requests or problems or channel is None or role is None:
        return None, None
    return channel, role
