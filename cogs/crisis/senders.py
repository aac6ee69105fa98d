"""The senders of a named mentor request: posting one the member's press did not see confirmed,
and the follow-up on one nobody claimed."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery import SEND_ERRORS, send_once, send_outcome
from bot.dm import send_dm
from bot.scheduling import DMS_CLOSED, UNCONFIRMED, Delivery, Due
from bot.services.mentors import FollowUp
from bot.ui.crisis import POST_KEPT_PRIVATE, POSTS_KEPT_PRIVATE, named_route, post_request
from bot.ui.embeds import crisis_embed, safe

if TYPE_CHECKING:
    from bot.app import MusterBot


log = logging.getLogger(__name__)


FOLLOW_UP_DM = (
    "Nobody from the mentors has answered your request yet. I'm sorry about that. These "
    "lines answer now, day and night:"
)


class MentorPostSender:
    """A named request the member's press did not see confirmed (the process died, Discord
    never answered): posted now, under the request's nonce, so one that had landed is not
    posted twice. Only where the member agreed to, and only while that is still private."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        request = await services.mentor_requests.unposted(due)
        if isinstance(request, Delivery):
            return request
        guild = self.bot.get_guild(request.guild_id)
        if guild is None:  # not back from Discord yet after a restart
            return Delivery("retry", "the server is not available yet")
        config = await services.guild_settings.get(request.guild_id)
        channel, role = named_route(guild, config)
        agreed = (request.channel_id, request.role_id)
        if channel is None or role is None or (channel.id, role.id) != agreed:
            # The member agreed to that channel and role: nowhere else. Their follow-up DM
            # with the crisis lines still comes.
            return Delivery("cancelled", "named requests no longer go where the member agreed")
        member = guild.get_member(request.user_id)
        if member is None:
            try:
                member = await guild.fetch_member(request.user_id)
            except SEND_ERRORS:
                member = None  # the mention alone still says who
        name = safe(member.display_name) if member is not None else None
        outcome = await send_outcome(lambda: post_request(self.bot, request, name, request.user_id))
        if outcome.message_id is None:  # not sent
            return outcome
        # R24: posts written since the request are held back as it is marked posted, as on
        # the press; those waiting then were, in the request's own transaction
        # (`request.held`), and the press that did it did not see the request posted: it may
        # have died before telling the member (if it did tell them, they hear it twice).
        held = await services.mentor_requests.posted(
            request.request_id, outcome.message_id, hold=(config, request.user_id)
        )
        kept = held.kept_private + (request.held.kept_private if request.held else 0)
        if kept:
            note = POST_KEPT_PRIVATE if kept == 1 else POSTS_KEPT_PRIVATE
            try:
                await send_dm(self.bot, request.user_id, content=note)
            except SEND_ERRORS:
                log.warning("Could not tell a member their waiting post stays private")
        return outcome


class MentorFollowUpSender:
    """Fifteen minutes after a named request nobody claimed: ping the mentor role once more,
    and send the member the crisis lines (R26). The two sends are independent: the member's
    lines go out even when the mentors' channel refuses the ping."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        follow_up = await services.mentor_requests.follow_up(due)
        if isinstance(follow_up, Delivery):
            return follow_up
        # Each send is done at most once across retries (R30): what went out is kept in the
        # payload, and a retry tries only the other.
        progress: dict[str, Any] = {}
        ping_retry: Delivery | None = None
        notes: list[str] = []
        if "pinged" not in due.payload and follow_up.message_id is None:
            # Never confirmed in the channel (Discord down since, or requests moved): a ping
            # about "this request" would point at nothing the mentors can see.
            notes.append("the request was never confirmed posted, so no second ping")
        elif "pinged" not in due.payload:
            failure = await self._ping(due, follow_up)
            if failure is not None and failure.status == "retry":
                ping_retry = failure
            else:
                progress["pinged"] = True  # sent, or refused for good: never tried again
                if failure is not None and failure.cause == UNCONFIRMED:
                    notes.append(f"the second ping {failure.detail}")
                elif failure is not None:
                    notes.append(f"the second ping was refused ({failure.detail})")
        dm_id: int | None = due.payload.get("dm_sent")
        if "dm_sent" not in due.payload:

            async def dm_member() -> discord.Message:
                dm = await self.bot.create_dm(discord.Object(follow_up.user_id))
                return await send_once(
                    self.bot, due, dm, nonce=f"{due.nonce}-dm",
                    content=FOLLOW_UP_DM, embed=crisis_embed(),
                )  # fmt: skip

            sent = await send_outcome(
                dm_member, dm_to=follow_up.user_id, dms=services.member_settings
            )
            if sent.cause == DMS_CLOSED:
                notes.append("the member's DMs are closed (50007)")
            elif sent.message_id is None:  # not sent
                return replace(sent, progress=progress or None)
            else:
                dm_id = progress["dm_sent"] = sent.message_id
        if ping_retry is not None:
            return replace(ping_retry, progress=progress or None)
        return Delivery("sent", "; ".join(notes) or None, message_id=dm_id)

    async def _ping(self, due: Due, follow_up: FollowUp) -> Delivery | None:
        """The second ping in the mentors' channel; None if it went out, else how it failed (or
        that it may have gone out and can't be checked: cause UNCONFIRMED)."""
        channel = self.bot.get_partial_messageable(follow_up.channel_id)
        reference = (
            channel.get_partial_message(follow_up.message_id)
            if follow_up.message_id is not None
            else None
        )
        failure = await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                channel,
                nonce=f"{due.nonce}-ping",
                content=f"<@&{follow_up.role_id}> This request is still open: nobody has said "
                "they're reaching out yet. If you can, press “I'm reaching out” and contact "
                "them.",
                reference=reference,  # None sends no reference
                mention_author=False,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, users=False, roles=[discord.Object(follow_up.role_id)]
                ),
            )
        )
        if failure.status == "sent" and failure.cause != UNCONFIRMED:
            return None
        if failure.status not in ("sent", "retry"):  # unconfirmed: bot.delivery has said so
            log.warning("Could not ping the mentors again (%s)", failure.detail)
        return failure
