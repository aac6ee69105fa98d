"""The meeting reminder sender: posts a due reminder in the meetings channel."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.delivery import same_buttons, send_once, send_outcome
from bot.scheduling import Delivery, Due, not_set_up
from bot.services.meetings import MeetingNotice
from cogs.meetings.events import sync_event
from cogs.meetings.ui import meeting_buttons, meeting_embed

if TYPE_CHECKING:
    from bot.app import MusterBot


log = logging.getLogger(__name__)


class NotMessageable(Exception):
    """The meetings channel chosen is one no message can be sent to (a category, say)."""


class MeetingSender:
    """Posts a due meeting reminder in the meetings channel, pinging only its role (R6)."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prepared = await services.meetings.prepare(due, now)
        if isinstance(prepared, Delivery):
            return prepared
        notice: MeetingNotice = prepared
        config = await services.guild_settings.get(notice.meeting.guild_id)
        channel_id = config.meetings_channel_id
        if channel_id is None:
            return not_set_up("meetings")
        role = notice.meeting.role_id
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role)] if role else False
        )
        buttons = meeting_buttons(notice.meeting.id, notice.starts_at)

        async def send() -> discord.Message:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise NotMessageable
            return await send_once(
                self.bot,
                due,
                channel,
                # The buttons name the meeting and its start; the title may gain "(Delayed)".
                same=same_buttons(buttons),
                content=f"<@&{role}>" if role else None,
                embed=meeting_embed(
                    notice.meeting, notice.starts_at, notice.counts, delayed=notice.delayed
                ),
                view=buttons,
                allowed_mentions=mentions,
            )

        try:
            # Worth retrying only while the meeting has not begun.
            outcome = await send_outcome(send, deadline=notice.starts_at)
        except NotMessageable:
            return not_set_up("meetings", unusable=True)
        if outcome.status != "sent":
            return outcome
        # Once an instance has passed, its mirrored Discord event moves on to the next one.
        # Problems here never undo (or repeat) a delivered reminder.
        try:
            current = await services.meetings.any_info(notice.meeting.id)
            if current is not None:
                await sync_event(self.bot, current)
        except Exception:
            log.exception("Could not move meeting %s's Discord event on", notice.meeting.id)
        return outcome
