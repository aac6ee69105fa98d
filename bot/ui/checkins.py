"""What check-ins look like in Discord: the shared post, the crisis and support offers, and the
buttons on anonymous posts.

Buttons on a public anonymous post carry no ids at all (R2): the post is found from the
message the button is on. Ids appear only in buttons on private replies: the author's
"delete my post" carries the post's (random) id, a moderator's the public message's id;
never user ids.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

import discord

from bot.checks import ensure_moderator, guild_of, is_moderator
from bot.errors import UserFacingError
from bot.services.checkins import BLOCK_DAYS, CRAVINGS, MOODS, SOBER, PostContent, sleep_words
from bot.tree import reporting, respond, services_of
from bot.ui.embeds import CALM_BLUE, safe

log = logging.getLogger(__name__)

# One line under a crisis note its member chose to share as written (R25).
CRISIS_POINTER = "`/crisis` lists lines that answer right now, day and night."
SUPPORT_OFFER = (
    "Thank you for being honest about how it's going. Hard stretches happen, and you "
    "don't have to carry them alone. If you'd like, a peer mentor can reach out to you. "
    "`/crisis` is there any time."
)


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


def anonymous_post_embed(content: PostContent, day: date) -> discord.Embed:
    """The public post: a weekly pseudonym and the day, never the time (R4)."""
    embed = discord.Embed(title=f"Check-in from {content.pseudonym}", colour=CALM_BLUE)
    checkin_fields(
        embed,
        mood=content.mood,
        sleep_hours=content.sleep_hours,
        sleep_quality=content.sleep_quality,
        cravings=content.cravings,
        sober=content.sober,
        note=content.note,
        crisis_pointer=content.crisis_pointer,
    )
    embed.set_footer(text=f"Shared anonymously · {day:%A, %B %-d}")
    return embed


class PostOptionsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"anon:options"):
    """The one button on a public anonymous post. Its answer is private and depends on who
    asks: the author may delete it, a moderator may remove it and pause its author."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Options", style=discord.ButtonStyle.secondary, custom_id="anon:options"
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PostOptionsButton:
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.message is None:
            raise UserFacingError("I couldn't find that post.")
        ref = await services_of(interaction).anonymous.find(
            interaction.user.id, message_id=interaction.message.id
        )
        moderator = interaction.guild_id is not None and await is_moderator(interaction)
        view = discord.ui.View(timeout=600)
        if ref.mine:
            view.add_item(WithdrawButton(ref.post_id))
        if moderator:
            view.add_item(ModerationButton("remove", interaction.message.id))
            for days in BLOCK_DAYS:
                view.add_item(ModerationButton(f"block{days}", interaction.message.id))
        if not view.children:
            await respond(
                interaction,
                "Only the person who wrote this post, or a moderator, can do anything with it. "
                "If something in it worries you, tell a moderator.",
            )
            return
        text = "What would you like to do with this post?"
        if moderator:
            text += (
                " Blocking pauses its author's anonymous posting here; you won't learn who it is."
            )
        await respond(interaction, text, view=view)


ACTION_LABELS = {
    "withdraw": "Delete my post",
    "remove": "Remove post",
    **{
        f"block{days}": f"Remove and block for {days} day{'s' if days > 1 else ''}"
        for days in BLOCK_DAYS
    },
}


class WithdrawButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"anon:withdraw:(?P<id>\d{1,12})"
):
    """On the author's private replies only: delete my post (authorship checked at the
    click)."""

    def __init__(self, post_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=ACTION_LABELS["withdraw"],
                style=discord.ButtonStyle.secondary,
                custom_id=f"anon:withdraw:{post_id}",
            )
        )
        self.post_id = post_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> WithdrawButton:
        return cls(int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ref = await services_of(interaction).anonymous.withdraw(interaction.user.id, self.post_id)
        await delete_post_message(interaction.client, ref.channel_id, ref.message_id)
        if ref.message_id:
            answer = "Your post is gone."
        elif ref.on_its_way:
            answer = (
                "Okay. It was already on its way to the channel, so if it appears I'll "
                "take it down right away."
            )
        else:
            answer = "Okay, it won't be posted."
        await respond(interaction, answer)


class ModerationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"anon:(?P<action>remove|block1|block7|block30):(?P<message>\d{15,20})",
):
    """On a moderator's private reply only: remove the post, and maybe pause its author; the
    clicker is checked to be a moderator at the moment of the click (R7). It carries the id
    of the public message the moderator pressed Options on, which they see already, and not
    the post's own id (restart-safe all the same: the message finds the post)."""

    def __init__(self, action: str, message_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=ACTION_LABELS[action],
                style=discord.ButtonStyle.danger,
                custom_id=f"anon:{action}:{message_id}",
            )
        )
        self.action = action
        self.message_id = message_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ModerationButton:
        return cls(match["action"], int(match["message"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_moderator(interaction)  # at the moment of the click (R7)
        await interaction.response.defer(ephemeral=True, thinking=True)
        days = int(self.action.removeprefix("block")) if self.action.startswith("block") else None
        posts = services_of(interaction).anonymous
        found = await posts.find(interaction.user.id, message_id=self.message_id)
        ref, until = await posts.remove(
            guild_of(interaction), interaction.user.id, found.post_id, block_days=days
        )
        await delete_post_message(interaction.client, ref.channel_id, ref.message_id)
        text = f"Removed anonymous post #{ref.post_id}."
        if until is not None:
            text += (
                f" Its author can't post anonymously here until <t:{int(until.timestamp())}:f>. "
                "You weren't told who it is, and neither is anyone else."
            )
        await respond(interaction, text)


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


class StopPromptsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"prompt:stop"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Stop daily prompts",
                style=discord.ButtonStyle.secondary,
                custom_id="prompt:stop",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StopPromptsButton:
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        stopped = await services_of(interaction).prompts.stop(interaction.user.id)
        await respond(
            interaction,
            "Okay, no more daily prompts. Turn them back on any time with `/checkin prompt`."
            if stopped
            else "Daily prompts were already off.",
        )


DYNAMIC_ITEMS = (PostOptionsButton, WithdrawButton, ModerationButton, StopPromptsButton)
