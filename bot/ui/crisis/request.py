"""The mentors' side of a named request: the post in their channel and its claim button. Only a
member with the mentor role, checked at the click, may claim it."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

import discord

from bot.delivery import CANNOT_DM, SEND_ERRORS, send_soon
from bot.errors import UserFacingError
from bot.services.mentors import Opened, Unposted, nonce_of
from bot.tree import reporting, respond, services_of
from bot.ui.embeds import safe
from bot.ui.items import PersistentButton

log = logging.getLogger(__name__)


def request_view(request_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ClaimButton(request_id))
    return view


async def post_request(
    client: discord.Client, request: Opened | Unposted, name: str | None, user_id: int
) -> discord.Message:
    """The named request in the mentors' channel, tried again at once if Discord has a
    hiccup. Every try, from the press or the scheduler, has the request's own nonce: if
    Discord had posted it before the connection dropped, it hands back that message
    instead of posting a second."""
    channel = client.get_partial_messageable(request.channel_id)
    who = f"**{name}** (<@{user_id}>)" if name else f"<@{user_id}>"
    return await send_soon(
        lambda: channel.send(
            f"<@&{request.role_id}> {who} asked for a peer mentor to reach out. If you can, "
            "press the button so they know someone has it, then contact them privately.",
            view=request_view(request.request_id),
            allowed_mentions=discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(request.role_id)]
            ),
            nonce=nonce_of(request.request_id),
        )
    )


class ClaimButton(PersistentButton, template=r"mentor:claim:(?P<id>\d{1,12})"):
    """'I'm reaching out', on a named request: the first member with the mentor role, checked
    at the click, has it."""

    def __init__(self, request_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'm reaching out",
                style=discord.ButtonStyle.success,
                custom_id=f"mentor:claim:{request_id}",
            )
        )
        self.request_id = request_id

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.guild_id is None:
            raise UserFacingError("That works inside a server, not in DMs.")
        services = services_of(interaction)
        config = await services.guild_settings.get(interaction.guild_id)
        mentor = interaction.user
        roles = [role.id for role in getattr(mentor, "roles", []) if not role.is_default()]
        claim = await services.mentor_requests.claim(
            self.request_id, mentor.id, roles=roles, mentor_role_id=config.mentor_role_id
        )
        if claim.refused:
            raise UserFacingError("Only peer mentors (the mentor role) can take a request.")
        if claim.gone:
            raise UserFacingError("This request is no longer open.")
        if not claim.won:
            who = f"<@{claim.claimed_by}>" if claim.claimed_by else "another mentor"
            await respond(interaction, f"Thank you. {who} already has this one.")
            return
        name = safe(getattr(mentor, "display_name", mentor.name))
        if interaction.message is not None:
            try:
                await interaction.message.edit(
                    content=f"{interaction.message.content}\n✅ {mentor.mention} is reaching out.",
                    view=None,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as error:
                log.warning("Could not mark a mentor request claimed (HTTP %s)", error.status)
        told = await dm_member(
            interaction,
            claim.user_id,
            f"**{name}**, one of the group's peer mentors, has your request and will reach "
            "out soon. If you need someone before then, `/crisis` lists lines that answer now.",
        )
        await respond(
            interaction,
            "Thank you. It's yours: please contact them privately soon."
            + ("" if told else " I couldn't DM them to say so; their DMs may be closed."),
        )


async def dm_member(interaction: discord.Interaction[Any], user_id: int, text: str) -> bool:
    """A DM to a member; False if it could not be delivered. Closed DMs are remembered, so
    nothing retries them (R9)."""
    try:
        channel = await interaction.client.create_dm(discord.Object(user_id))
        await channel.send(text)
    except SEND_ERRORS as error:  # a cut connection too: the claim stands either way
        log.info("Could not DM a member (%s)", type(error).__name__)
        if isinstance(error, discord.Forbidden) and error.code == CANNOT_DM:
            await services_of(interaction).member_settings.mark_dms_closed(user_id)
        return False
    return True
