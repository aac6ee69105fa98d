"""Asking a peer mentor by name: first exactly who would see the name, then the member's yes."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.delivery import SEND_ERRORS, is_transient
from bot.errors import UserFacingError
from bot.services.checkins import HeldBack
from bot.services.guild_settings import GuildConfig
from bot.tree import reporting, respond, services_of
from bot.ui.crisis.request import post_request
from bot.ui.crisis.route import named_route
from bot.ui.embeds import safe
from bot.ui.items import FixedButton

log = logging.getLogger(__name__)

NOT_SET_UP = (
    "This server hasn't set up private mentor requests, so I can't pass your name on "
    "safely. `/crisis` lists lines where people answer right now, or you could message a "
    "mentor you trust directly."
)
MENTOR_ASKED = (
    "I've let the group's peer mentors know you'd like someone to reach out. I'll DM you "
    "when one of them has it. If you need someone right now, `/crisis` lists lines that "
    "answer day and night."
)
MENTOR_UNCONFIRMED = (
    "I'm asking the group's peer mentors to reach out, but Discord hasn't confirmed it "
    "arrived yet, so I'll keep trying. If nobody has it in 15 minutes, I'll DM you. If you "
    "need someone right now, `/crisis` lists lines that answer day and night."
)
ROUTE_CHANGED = (
    "Since I showed you where your request would go, the server has changed it, so I "
    "haven't posted anything."
)
POST_HELD_BACK = (
    "Your anonymous post that was waiting will appear an hour or more later than planned, "
    "so nobody can connect it with this request."
)
POST_KEPT_PRIVATE = (
    "Your anonymous check-in that was waiting will stay private, so nobody can connect it "
    "with this request."
)
POSTS_KEPT_PRIVATE = (
    "Your anonymous check-ins that were waiting will stay private, so nobody can connect "
    "them with this request."
)
MENTOR_ALREADY_ASKED = (
    "The mentors already know you'd like someone to reach out; they'll be in touch. "
    "If you need someone right now, the crisis lines answer day and night: `/crisis`."
)


async def _route(
    interaction: discord.Interaction[Any],
) -> tuple[discord.TextChannel, discord.Role, GuildConfig]:
    """Where a named request from this member would go, or a kind refusal."""
    if interaction.guild is None:
        raise UserFacingError(
            "I can only reach a group's mentors from inside its server. The lines above "
            "answer day and night."
        )
    config = await services_of(interaction).guild_settings.get(interaction.guild.id)
    channel, role = named_route(interaction.guild, config)
    if channel is None or role is None:
        raise UserFacingError(NOT_SET_UP)
    return channel, role, config


def offer_text(
    name: str, channel: discord.TextChannel, role: discord.Role, config: GuildConfig
) -> str:
    """Exactly who would see the member's name, and what the mentors may already know."""
    text = (
        f"If you go ahead, I'll post your name, **{name}**, in {channel.mention} and ping "
        f"the **{safe(role.name)}** role there. Only that role and the server's moderators "
        "can read that channel. "
    )
    if not config.crisis_alerts:
        return text + (
            "I won't pass on anything from your check-ins, only that you'd like someone to "
            "reach out."
        )
    # A nameless alert about a check-in note goes to that channel at once; a named request
    # right after it would tell the mentors whose note it was (R24): the member decides
    # knowing that.
    return text + (
        "The request will say only that you'd like someone to reach out. One thing to know: "
        "when a check-in note worries me, I let the mentors there know without a name, so "
        "if you wrote one a little while ago, they may guess it was yours."
    )


def offered_here(offer: str, channel: discord.TextChannel, role: discord.Role) -> bool:
    """Whether the offer the member read names this channel and this role. Discord hands
    the pressed message back with the press, as the bot wrote it (a custom_id a client
    could forge; this it can't), so the yes is bound to what the member agreed to."""
    return channel.mention in offer and f"**{safe(role.name)}** role" in offer


class MentorButton(FixedButton, template=r"crisis:mentor"):
    """'Ask a peer mentor to reach out': first says exactly who would see the member's name."""

    LABEL = "Ask a peer mentor to reach out"
    STYLE = discord.ButtonStyle.primary

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel, role, config = await _route(interaction)
        await _offer(interaction, channel, role, config)


async def _offer(
    interaction: discord.Interaction[Any],
    channel: discord.TextChannel,
    role: discord.Role,
    config: GuildConfig,
    *,
    before: str = "",
) -> None:
    name = safe(getattr(interaction.user, "display_name", interaction.user.name))
    view = discord.ui.View(timeout=None)
    view.add_item(MentorSendButton())
    await respond(interaction, before + offer_text(name, channel, role, config), view=view)


class MentorSendButton(FixedButton, template=r"crisis:mentor:send"):
    """The member's yes: only this sends their name to the mentors, and only where the offer
    they pressed it on said."""

    LABEL = "Yes, ask a mentor"
    STYLE = discord.ButtonStyle.success

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel, role, config = await _route(interaction)  # again: settings may have changed
        offer = interaction.message.content if interaction.message is not None else ""
        if not offered_here(offer or "", channel, role):
            # Requests go somewhere else now: nothing is posted until the member agrees to it.
            await _offer(interaction, channel, role, config, before=f"{ROUTE_CHANGED}\n\n")
            return
        services = services_of(interaction)
        requests = services.mentor_requests
        user = interaction.user
        # The member's waiting anonymous posts are held back in the request's own
        # transaction, before the mentors can see the name (R24).
        opened = await requests.open(channel.guild.id, user.id, channel.id, role.id,
                                     config=config)  # fmt: skip
        elsewhere = (opened.channel_id, opened.role_id) != (channel.id, role.id)
        if not opened.fresh and not opened.posted and elsewhere:
            # An unconfirmed request for a channel the member no longer agreed to: not that.
            await requests.not_sent(opened.request_id)
            opened = await requests.open(channel.guild.id, user.id, channel.id, role.id,
                                         config=config)  # fmt: skip
        held = opened.held
        if opened.posted:
            await respond(interaction, MENTOR_ALREADY_ASKED)
            return
        name = safe(getattr(user, "display_name", user.name))
        try:
            message: discord.Message | None = await post_request(
                interaction.client, opened, name, user.id
            )
        except SEND_ERRORS as error:
            if not is_transient(error):
                # Discord refused it (missing permission, channel gone): nobody saw it.
                log.warning("Could not post a mentor request (%s)", type(error).__name__)
                await requests.not_sent(opened.request_id)
                await respond(interaction, "\n\n".join([NOT_SET_UP, *_held_words(held)]))
                return
            # No answer: it may be in front of the mentors. The request stays claimable, the
            # scheduler posts it (same nonce) if it isn't confirmed within a minute, and its
            # follow-up stays booked.
            log.warning("A mentor request may not have been posted (%s)", type(error).__name__)
            message = None
        if message is not None:
            await requests.posted(opened.request_id, message.id)
        told = [MENTOR_ASKED if message is not None else MENTOR_UNCONFIRMED, *_held_words(held)]
        await respond(interaction, "\n\n".join(told))


def _held_words(held: HeldBack) -> list[str]:
    """What the member is told about their waiting posts, held back for the request."""
    told = []
    if held.kept_private:
        told.append(POST_KEPT_PRIVATE if held.kept_private == 1 else POSTS_KEPT_PRIVATE)
    if held.held:
        told.append(POST_HELD_BACK)
    return told
