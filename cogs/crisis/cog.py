"""/crisis, the crisis buttons, DMs to the bot."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import SEND_ERRORS, send_soon
from bot.services.crisis import assess
from bot.services.mentors import MENTOR_FOLLOW_UP, MENTOR_POST
from bot.tree import anywhere, group_of
from bot.ui.crisis import CRISIS_ITEMS, crisis_reply
from bot.ui.embeds import crisis_embed
from cogs.crisis.senders import MentorFollowUpSender, MentorPostSender

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
        self.bot.services.scheduler.register(MENTOR_FOLLOW_UP, MentorFollowUpSender(self.bot))
        self.bot.services.scheduler.register(MENTOR_POST, MentorPostSender(self.bot))

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
