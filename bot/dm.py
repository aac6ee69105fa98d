"""Direct messages in one request: the DM channel's id is remembered in the database.

Opening a DM channel is a request of its own (POST /users/@me/channels), and discord.py keeps
only the last 128 DM channels, in memory. Muster stores the id once Discord has given it, so
every later DM to that member, across restarts, is a single send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.app import MusterBot

UNKNOWN_CHANNEL = 10003


async def send_dm(bot: MusterBot, user_id: int, **message: Any) -> discord.Message:
    """Send `message` (channel.send's keywords; no files, they can't be sent twice) to the
    member's DMs. A remembered channel Discord no longer knows is opened afresh, once."""
    settings = bot.services.member_settings
    remembered = await settings.dm_channel(user_id)
    if remembered is not None:
        channel = bot.get_partial_messageable(remembered, type=discord.ChannelType.private)
        try:
            return await channel.send(**message)
        except discord.NotFound as error:
            if error.code != UNKNOWN_CHANNEL:
                raise
    opened = await bot.create_dm(discord.Object(user_id))
    await settings.remember_dm_channel(user_id, opened.id)
    return await opened.send(**message)
