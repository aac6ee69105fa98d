"""What check-ins look like in Discord: the public anonymous post and its buttons, the daily
prompt's stop button, the note form, and the weekly summary.

Buttons on a public anonymous post carry no ids at all (R2): the post is found from the
message the button is on. Ids appear only in buttons on private replies: the author's
"delete my post" carries the post's (random) id, a moderator's the public message's id;
never user ids.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.checks import ensure_moderator, guild_of, is_moderator
from bot.errors import UserFacingError
from bot.services.charts import entry_line, summary_lines
from bot.services.checkins import (
    BLOCK_DAYS,
    MOODS,
    CheckinDraft,
    Period,
    PostContent,
    WeeklySummary,
)
from bot.services.checkins.anonymous import PostRef
from bot.services.text import plural
from bot.tree import report_error, reporting, respond, services_of
from bot.ui.checkins import WITHDRAW_LABEL, WithdrawButton, checkin_fields, delete_post_message
from bot.ui.embeds import CALM_BLUE
from bot.ui.items import FixedButton, PersistentButton
from cogs.checkins.words import SOME_UNREADABLE

if TYPE_CHECKING:
    from cogs.checkins.cog import CheckinCog

PSEUDONYM_TITLE = "Check-in from "


def anonymous_post_embed(content: PostContent, day: date) -> discord.Embed:
    """The public post: a weekly pseudonym and the day, never the time (R4)."""
    embed = discord.Embed(title=f"{PSEUDONYM_TITLE}{content.pseudonym}", colour=CALM_BLUE)
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


class PostOptionsButton(FixedButton, template=r"anon:options"):
    """The one button on a public anonymous post. Its answer is private and depends on who
    asks: the author may delete it, a moderator may remove it and pause its author."""

    LABEL = "Options"
    STYLE = discord.ButtonStyle.secondary

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.message is None:
            raise UserFacingError("I couldn't find that post.")
        ref = await find_shown(interaction, interaction.message)
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


async def find_shown(interaction: discord.Interaction[Any], message: discord.Message) -> PostRef:
    """The post `message` shows. A post settled unconfirmed (an attempt's answer lost, the
    history unreadable) has no message recorded: the bot's own post in the server's channel
    under its pseudonym is taken as it, and its message recorded, so it can be removed."""
    posts = services_of(interaction).anonymous
    try:
        return await posts.find(interaction.user.id, message_id=message.id)
    except UserFacingError:
        me = interaction.client.user
        title = message.embeds[0].title if message.embeds else None
        if (
            interaction.guild_id is None
            or me is None
            or message.author.id != me.id
            or not title
            or not title.startswith(PSEUDONYM_TITLE)
        ):
            raise
        return await posts.claim_shown(
            interaction.user.id,
            interaction.guild_id,
            message.channel.id,
            message.id,
            title.removeprefix(PSEUDONYM_TITLE),
        )


ACTION_LABELS = {
    "withdraw": WITHDRAW_LABEL,
    "remove": "Remove post",
    **{
        f"block{days}": f"Remove and block for {days} day{'s' if days > 1 else ''}"
        for days in BLOCK_DAYS
    },
}


class ModerationButton(
    PersistentButton,
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
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
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


class StopPromptsButton(FixedButton, template=r"prompt:stop"):
    LABEL = "Stop daily prompts"
    STYLE = discord.ButtonStyle.secondary

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


class CheckinNoteModal(discord.ui.Modal, title="Add a note"):
    """The optional note. The check-in is keyed by the slash command's id, so submitting this
    form twice saves one check-in (R15)."""

    def __init__(self, cog: CheckinCog, draft: CheckinDraft) -> None:
        super().__init__(timeout=900)
        self.cog = cog
        self.draft = draft
        self.note: discord.ui.TextInput[CheckinNoteModal] = discord.ui.TextInput(
            label="Your note (optional)",
            custom_id="checkin:note",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
            placeholder="Anything on your mind. Your provider may want to see it too.",
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = CheckinDraft(**{**self.draft.__dict__, "note": self.note.value or None})
        await self.cog.submit(interaction, draft)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


def summary_title(week_ending: date) -> str:
    """One week's summary, and only it, has this title: how a lost attempt is found again."""
    return f"The week in anonymous check-ins (to {week_ending:%B %-d})"


def summary_embed(summary: WeeklySummary) -> discord.Embed:
    embed = discord.Embed(
        title=summary_title(summary.week_ending),
        description=(
            f"{plural(summary.authors, 'member')} shared {plural(summary.posts, 'check-in')} "
            "anonymously this week. Thank you for showing up for each other."
        ),
        colour=CALM_BLUE,
    )
    moods = "\n".join(
        f"{MOODS[level]}: {summary.moods.get(level, 0)}" for level in sorted(MOODS, reverse=True)
    )
    embed.add_field(name="Moods", value=moods)
    embed.add_field(name="Sober that day", value=plural(summary.sober, "check-in"))
    embed.set_footer(
        text="Counts the anonymous posts shown here this week (Monday to Sunday), and only "
        "when enough members posted. Named and private check-ins never count."
    )
    return embed


def history_embed(period: Period) -> discord.Embed:
    """`/checkin history`: the summary, the latest check-ins, and the chart attached."""
    embed = discord.Embed(
        title="Your last 30 days",
        colour=CALM_BLUE,
        description="\n".join(
            summary_lines(period.summary) + ([SOME_UNREADABLE] if period.unreadable else [])
        ),
    )
    embed.add_field(
        name="Latest",
        value="\n".join(entry_line(e) for e in period.entries[-5:])[:1024],
        inline=False,
    )
    embed.set_image(url="attachment://history.png")
    return embed


DYNAMIC_ITEMS = (PostOptionsButton, WithdrawButton, ModerationButton, StopPromptsButton)
