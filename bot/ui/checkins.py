"""What a shared check-in looks like in Discord, and its author's "delete my post" button:
the pieces the check-in flow and the crisis card's held-check-in choice both show.

Ids appear only in buttons on private replies: the author's "delete my post" carries the
post's (random) id, never a user id.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Self

import discord

from bot.errors import UserFacingError
from bot.services.checkins import CRAVINGS, MOODS, SOBER, sleep_words
from bot.services.checkins.anonymous import POSTED
from bot.tree import reporting, respond, services_of
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.items import PersistentButton

log = logging.getLogger(__name__)

# One line under a crisis note its member chose to share as written (R25).
CRISIS_POINTER = "`/crisis` lists lines that answer right now, day and night."
WITHDRAW_LABEL = "Delete my post"


def when_it_appears(
    post_after: datetime | None,
    delay_minutes: int,
    release_times: tuple[str, ...],
    *,
    waits_because: str | None = None,
) -> str:
    """When an anonymous post appears, as the member should understand it (R24); later than
    usual when its author asked for a mentor ("mentor") or shared a little while ago
    ("spacing")."""
    if waits_because is not None and post_after is not None:
        why = (
            "you asked for a peer mentor a little while ago, so it waits an hour or more"
            if waits_because == "mentor"
            else "you shared one a little while ago, so it waits a little longer"
        )
        return (
            f"later than usual, at <t:{int(post_after.timestamp())}:t>: {why} and nobody can "
            "connect the two"
        )
    if release_times:
        when = f" (<t:{int(post_after.timestamp())}:t>)" if post_after else ""
        times = ", ".join(release_times)
        return f"at the next of this server's release times{when}: posts go out together at {times}"
    return (
        f"in {delay_minutes} to {2 * delay_minutes} minutes (this server's delay, so the time "
        "gives no hint)"
    )


def checkin_fields(
    embed: discord.Embed,
    *,
    mood: int,
    sleep_hours: float | None,
    sleep_quality: str | None,
    cravings: str,
    sober: str,
    note: str | None,
    crisis_pointer: bool = False,
) -> discord.Embed:
    embed.add_field(name="Mood", value=f"{mood} · {MOODS[mood]}")
    embed.add_field(name="Sleep", value=sleep_words(sleep_hours, sleep_quality))
    embed.add_field(name="Cravings", value=CRAVINGS[cravings])
    embed.add_field(name="Sober today", value=SOBER[sober])
    if note:
        embed.description = safe(note)[:4000]
    if crisis_pointer:
        embed.add_field(name="Need someone now?", value=CRISIS_POINTER, inline=False)
    return embed


def named_post_embed(name: str, **answers: Any) -> discord.Embed:
    """A check-in shared by name: the display name, then what `checkin_fields` shows."""
    embed = discord.Embed(title=f"Check-in from {safe(name)}", colour=CALM_BLUE)
    return checkin_fields(embed, **answers)


class WithdrawButton(PersistentButton, template=r"anon:withdraw:(?P<id>\d{1,12})"):
    """On the author's private replies only: delete my post (authorship checked at the
    click)."""

    def __init__(self, post_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=WITHDRAW_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=f"anon:withdraw:{post_id}",
            )
        )
        self.post_id = post_id

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ref = await services_of(interaction).anonymous.withdraw(interaction.user.id, self.post_id)
        await delete_post_message(interaction.client, ref.channel_id, ref.message_id)
        if ref.message_id:
            answer = "Your post is gone."
        elif ref.state == POSTED:  # settled unconfirmed: it may be up, its message unknown
            answer = (
                "Okay, it's marked deleted. But it may already be in the channel: Discord "
                "never confirmed the post, so I can't find it to take it down myself. If you "
                "see it there, ask a moderator to remove it (its Options button lets them)."
            )
        elif ref.on_its_way:
            answer = (
                "Okay. It was already on its way to the channel, so if it appears I'll "
                "take it down right away."
            )
        else:
            answer = "Okay, it won't be posted."
        await respond(interaction, answer)


async def delete_post_message(
    client: discord.Client, channel_id: int, message_id: int | None
) -> None:
    if message_id is None:
        return
    try:
        await client.get_partial_messageable(channel_id).get_partial_message(message_id).delete()
    except discord.NotFound:
        pass  # already gone
    except discord.HTTPException as error:
        log.warning("Could not delete an anonymous post's message (HTTP %s)", error.status)
        raise UserFacingError(
            "The post is marked removed, but I couldn't delete the message. Check that I can "
            "manage messages in that channel, or delete it by hand."
        ) from None
