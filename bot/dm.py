"""Direct messages in one request: the DM channel's id is remembered in the database.

Opening a DM channel is a request of its own (POST /users/@me/channels), and discord.py keeps
only the last 128 DM channels, in memory. Muster stores the id once Discord has given it, so
every later DM to that member, across restarts, is a single send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery import send_once, send_outcome

if TYPE_CHECKING:
    from datetime import datetime

    from bot.app import MusterBot
    from bot.scheduling import Delivery, Due

UNKNOWN_CHANNEL = 10003


async def send_dm(
    bot: MusterBot,
    user_id: int,
    *,
    due: Due | None = None,
    files: Callable[[], list[discord.File]] | None = None,
    **message: Any,
) -> discord.Message:
    """Send `message` (channel.send's keywords) to the member's DMs; for a scheduled delivery
    `due`, once (see send_once). A remembered channel Discord no longer knows is opened
    afresh, once. A file can't be sent twice: `files` makes them afresh for each send."""

    async def send(channel: discord.abc.Messageable) -> discord.Message:
        attached: dict[str, Any] = {} if files is None else {"files": files()}
        if due is None:
            return await channel.send(**message, **attached)
        return await send_once(bot, due, channel, **message, **attached)

    settings = bot.services.member_settings
    remembered = await settings.dm_channel(user_id)
    if remembered is not None:
        channel = bot.get_partial_messageable(remembered, type=discord.ChannelType.private)
        try:
            return await send(channel)
        except discord.NotFound as error:
            if error.code != UNKNOWN_CHANNEL:
                raise
    opened = await bot.create_dm(discord.Object(user_id))
    await settings.remember_dm_channel(user_id, opened.id)
    return await send(opened)


async def dm_outcome(
    bot: MusterBot,
    user_id: int,
    *,
    due: Due,
    deadline: datetime | None = None,
    files: Callable[[], list[discord.File]] | None = None,
    **message: Any,
) -> Delivery:
    """A scheduled delivery's DM to the member (send_dm, once), as its outcome: sent, or the
    classified failure, with their DMs noted closed or open again (send_outcome)."""
    return await send_outcome(
        lambda: send_dm(bot, user_id, due=due, files=files, **message),
        deadline=deadline,
        dm_to=user_id,
        dms=bot.services.member_settings,
    )
