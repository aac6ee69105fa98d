"""/crisis, the crisis buttons, DMs to the bot, and the follow-up on an unclaimed mentor
request."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import SEND_ERRORS, send_once, send_outcome, send_soon
from bot.dm import send_dm
from bot.scheduling import DMS_CLOSED, UNCONFIRMED, Delivery, Due
from bot.services.crisis_language import assess
from bot.services.mentors import MENTOR_FOLLOW_UP, MENTOR_POST, FollowUp
from bot.tree import anywhere, group_of
from bot.ui.crisis import (
    CRISIS_ITEMS,
    FOLLOW_UP_DM,
    POST_KEPT_PRIVATE,
    POSTS_KEPT_PRIVATE,
    crisis_reply,
    named_route,
    post_request,
)
from bot.ui.embeds import crisis_embed, safe

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

DM_REPLY = (
    "Hi, I'm Muster. I don't read DMs as conversations, so nobody will see this. `/help` "
    "shows what I can do, and `/crisis` lists lines where people answer right now."
)
# One "I don't read DMs" line per member in this window, however much they write.
DM_REPLY_EVERY = timedelta(hours=1)
# The DM contents (their digests) already answered, so an edit Discord sends again with the
# same words (an embed unfurled, a resend) gets no second card.
DM_SEEN_KEPT = 4096


class CrisisFlowCog(commands.Cog):
    """No database before the card: it goes out at once, whatever else is down (R18)."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot
        self._dm_replied: dict[int, datetime] = {}
        self._dm_seen: OrderedDict[str, None] = OrderedDict()
        # Digests are keyed per process: they name a DM's words to nobody, logs included.
        self._dm_key = secrets.token_bytes(16)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*CRISIS_ITEMS)
        self.bot.services.scheduler.register(MENTOR_FOLLOW_UP, MentorFollowUpDelivery(self.bot))
        self.bot.services.scheduler.register(MENTOR_POST, MentorPostDelivery(self.bot))

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*CRISIS_ITEMS)

    @app_commands.command(name="crisis")
    @anywhere
    async def crisis(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Crisis lines you can reach right now, any time of day."""
        card, view = crisis_reply(mentor=group_of(interaction) is not None)
        if interaction.guild_id is None:
            # Outside a server (Muster's DM, or a DM or group DM through a user install) the
            # member pulled the card up to show it: it is the visible answer, and it is the
            # only way it gets there (Muster can't post in a conversation it isn't in).
            await interaction.response.send_message(embed=card, ephemeral=False)
        elif view is None:
            # In a server, privately as ever; the mentor offer only where Muster serves it.
            await interaction.response.send_message(embed=card, ephemeral=True)
        else:
            await interaction.response.send_message(embed=card, view=view, ephemeral=True)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A member's DM to the bot: the crisis card if it reads like a crisis, otherwise one
        short pointer (at most one an hour). The content is never logged (R17)."""
        if message.guild is not None or message.author.bot:
            return
        self._first_sight(message)
        if assess(message.content).crisis:
            await _reply(message, embed=crisis_embed())
            return
        now = self.bot.services.clock.now()
        last = self._dm_replied.get(message.author.id)
        if last is not None and now - last < DM_REPLY_EVERY:
            return
        self._dm_replied = {
            user: at for user, at in self._dm_replied.items() if now - at < DM_REPLY_EVERY
        }
        self._dm_replied[message.author.id] = now
        await _reply(message, text=DM_REPLY)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A DM the member edited (Discord lets anyone): crisis words edited in get the card,
        once for each wording. The raw event, because the edited DM is seldom still in
        discord.py's cache (never after a restart). Other edits get nothing: the pointer, if
        due, went with the DM itself."""
        message = payload.message
        if payload.guild_id is not None or message.author.bot or "content" not in payload.data:
            return
        digest = self._first_sight(message)
        if digest is None or not assess(message.content).crisis:
            return
        await _reply(message, embed=crisis_embed(), nonce=f"dme{digest[:20]}")

    def _first_sight(self, message: discord.Message) -> str | None:
        """A digest of this DM's id and words, or None if they were seen already."""
        digest = hashlib.blake2b(
            f"{message.id}:{message.content}".encode(), key=self._dm_key, digest_size=16
        ).hexdigest()
        if digest in self._dm_seen:
            return None
        self._dm_seen[digest] = None
        while len(self._dm_seen) > DM_SEEN_KEPT:
            self._dm_seen.popitem(last=False)
        return digest


async def _reply(
    message: discord.Message,
    *,
    text: str | None = None,
    embed: discord.Embed | None = None,
    nonce: str | None = None,
) -> None:
    """One answer to a DM, tried again if the connection is cut. Its nonce, from the DM it
    answers, makes Discord drop a second copy if the first had landed after all."""
    nonce = nonce or f"dm-{message.id}"  # at most 25 characters, as Discord allows
    try:
        if embed is not None:
            await send_soon(lambda: message.channel.send(embed=embed, nonce=nonce))
        else:
            await send_soon(lambda: message.channel.send(text, nonce=nonce))
    except SEND_ERRORS as error:
        # Their DMs closed since, or Discord is down for longer than a member should wait.
        log.info("Could not answer a DM (%s)", type(error).__name__)


class MentorPostDelivery:
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
        await services.mentor_requests.posted(request.request_id, outcome.message_id)
        held = await services.anonymous.hold_back(config, request.user_id)  # R24, as on the press
        if held.kept_private:
            # Written since the press, so nobody has told the member yet.
            note = POST_KEPT_PRIVATE if held.kept_private == 1 else POSTS_KEPT_PRIVATE
            try:
                await send_dm(self.bot, request.user_id, content=note)
            except SEND_ERRORS:
                log.warning("Could not tell a member their waiting post stays private")
        return outcome


class MentorFollowUpDelivery:
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
