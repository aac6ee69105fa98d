"""A meeting reminder as posted: its embed, its RSVP and DM-me buttons, and closing the posts
of a cancelled series."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.checks import guild_of
from bot.services.meetings import MeetingCancelled, MeetingInfo, dm_me_before
from bot.tree import reporting, respond, services_of
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.items import PersistentButton

if TYPE_CHECKING:
    from bot.app import MusterBot


log = logging.getLogger(__name__)

ANSWER_LABELS = {"going": "Going", "maybe": "Maybe", "no": "Can't make it"}


def meeting_embed(
    meeting: MeetingInfo, starts_at: datetime, counts: dict[str, int], *, delayed: bool = False
) -> discord.Embed:
    stamp = int(starts_at.timestamp())
    title = f"{'(Delayed) ' if delayed else ''}Meeting: {safe(meeting.title)}"
    embed = discord.Embed(title=title[:256], colour=CALM_BLUE)
    embed.description = f"<t:{stamp}:F> (<t:{stamp}:R>), {meeting.duration_minutes} minutes"
    where = []
    if meeting.voice_channel_id:
        where.append(f"<#{meeting.voice_channel_id}>")
    if meeting.place:
        where.append(safe(meeting.place))
    if where:
        embed.add_field(name="Where", value=" / ".join(where)[:1024], inline=False)
    embed.add_field(
        name="Who's coming",
        value=(
            f"Going: {counts['going']} · Maybe: {counts['maybe']} · Can't make it: {counts['no']}"
        ),
        inline=False,
    )
    embed.set_footer(text=f"Repeats {meeting.rule.describe()} ({meeting.rule.zone}).")
    return embed


def meeting_buttons(
    meeting_id: int, starts_at: datetime, *, closed: bool = False
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ("going", "maybe", "no", "dm"):
        button = MeetingButton(action, meeting_id, int(starts_at.timestamp()))
        button.item.disabled = closed
        view.add_item(button)
    return view


def cancelled_embed(posted: discord.Embed) -> discord.Embed:
    """A reminder post of a cancelled meeting: the same, titled as cancelled."""
    embed = posted.copy()
    title = (embed.title or "").removeprefix("(Delayed) ").removeprefix("Cancelled: ")
    embed.title = f"Cancelled: {title}"[:256]
    return embed


async def close_posts(bot: MusterBot, guild_id: int, meeting_id: int) -> None:
    """A cancelled series: its reminder posts say so, and their buttons are disabled."""
    config = await bot.services.guild_settings.get(guild_id)
    if config.meetings_channel_id is None:
        return
    channel = bot.get_partial_messageable(config.meetings_channel_id)
    for message_id in await bot.services.meetings.posts(meeting_id):
        try:
            message = await channel.fetch_message(message_id)
            await message.edit(
                embeds=[cancelled_embed(embed) for embed in message.embeds[:1]],
                view=_closed_view(message) or discord.utils.MISSING,
            )
        except discord.HTTPException as error:  # deleted by hand, or no access: leave it
            log.info("Could not close a cancelled meeting's post (HTTP %s)", error.status)


def _closed_view(message: discord.Message) -> discord.ui.View | None:
    """The post's RSVP buttons, disabled; None if it has none."""
    for row in message.components:
        for child in getattr(row, "children", []):
            match = re.fullmatch(r"mtg:\w+:(\d{1,12}):(\d{1,12})", child.custom_id or "")
            if match:
                start = datetime.fromtimestamp(int(match[2]), UTC)
                return meeting_buttons(int(match[1]), start, closed=True)
    return None


class MeetingButton(
    PersistentButton,
    template=r"mtg:(?P<action>going|maybe|no|dm):(?P<id>\d{1,12}):(?P<ts>\d{1,12})",
):
    """RSVP and DM-me on a meeting reminder. The custom id holds the meeting's id and start
    time, never a member's; every click is re-checked against the meeting."""

    def __init__(self, action: str, meeting_id: int, stamp: int) -> None:
        label = ANSWER_LABELS.get(action, "DM me an hour before")
        style = discord.ButtonStyle.success if action == "going" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"mtg:{action}:{meeting_id}:{stamp}"
            )
        )
        self.action = action
        self.meeting_id = meeting_id
        self.starts_at = datetime.fromtimestamp(stamp, UTC)

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(match["action"], int(match["id"]), int(match["ts"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        guild_id = guild_of(interaction)
        if self.action == "dm":
            await interaction.response.defer(ephemeral=True, thinking=True)
            remind_at = await dm_me_before(
                services.meetings, services.reminders, services.clock, guild_id=guild_id,
                meeting_id=self.meeting_id, starts_at=self.starts_at,
                user_id=interaction.user.id, interaction_id=interaction.id,
            )  # fmt: skip
            await respond(interaction, f"I'll DM you <t:{int(remind_at.timestamp())}:R>.")
            return
        await interaction.response.defer()
        try:
            counts = await services.meetings.rsvp(
                guild_id, self.meeting_id, self.starts_at, interaction.user.id, self.action
            )
        except MeetingCancelled:
            # Cancelled since this was posted (the post was not closed): close it now.
            if interaction.message is not None:
                await interaction.edit_original_response(
                    embeds=[cancelled_embed(e) for e in interaction.message.embeds[:1]],
                    view=meeting_buttons(self.meeting_id, self.starts_at, closed=True),
                )
            raise
        meeting = await services.meetings.get(guild_id, self.meeting_id)
        await interaction.edit_original_response(
            embed=meeting_embed(meeting, self.starts_at, counts)
        )
