"""A check-in held back for its crisis note: the author's choice of what the group sees, and the
nameless alert to the mentors.

Its buttons carry no user ids: they name the check-in, and only its author, found by key, may
answer."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, Self

import discord

from bot.delivery import SEND_ERRORS, send_soon
from bot.errors import UserFacingError
from bot.services.checkins import HeldChoice
from bot.services.guild_settings import GuildConfig
from bot.tree import reporting, respond, services_of
from bot.ui.checkins import WithdrawButton, named_post_embed, when_it_appears
from bot.ui.items import PersistentButton

log = logging.getLogger(__name__)

ANONYMOUS_ALERT = (
    "Someone in the group just wrote a check-in note with words that suggest they may be in "
    "crisis. Muster showed them the crisis lines privately and offered them a peer mentor. "
    "Muster won't say who it is, and nothing was posted to the group.\n"
    "What you can do: keep an eye on the group, post a warm word to everyone, and remind "
    "people that `/crisis` lists lines that answer 24/7. If they ask for a mentor, their "
    "request will come here with their name.\n"
    "If you think someone is in immediate danger, call 911."
)
SHARED_ALERT = (
    "A check-in just shared by name in the group has words that suggest its author may be "
    "in crisis: {link}\nThey saw the crisis lines and chose to share it as written, so "
    "reaching out to them the way you normally would is okay.\n"
    "If you think someone is in immediate danger, call 911."
)
HELD_BACK = (
    "Saved, and kept private for now: nothing has been posted. Some words in your note make "
    "me think things may be really hard right now, so you choose what the group sees. If "
    "you do nothing, it stays private."
)
CHOICE_LABELS: dict[HeldChoice, str] = {
    "private": "Keep it private",
    "bare": "Share without my note",
    "full": "Share it as written",
}


def held_view(checkin_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for choice in CHOICE_LABELS:
        view.add_item(HeldShareButton(checkin_id, choice))
    return view


async def alert_mentors(client: discord.Client, config: GuildConfig, text: str) -> None:
    """A nameless alert to the mentors' channel, when the server wants them. Run on its own
    (spawned), so it never raises: a cut connection is tried again, under one random nonce
    so that Discord drops a second copy; the nonce says nothing about who or when."""
    if config.mentors_channel_id is None or not config.crisis_alerts:
        return
    channel = client.get_partial_messageable(config.mentors_channel_id)
    nonce = secrets.token_hex(12)
    try:
        await send_soon(
            lambda: channel.send(text, allowed_mentions=discord.AllowedMentions.none(), nonce=nonce)
        )
    except SEND_ERRORS as error:
        log.warning("Could not send a crisis alert to the mentors (%s)", type(error).__name__)


class HeldShareButton(
    PersistentButton,
    template=r"crisis:share:(?P<id>\d{1,12}):(?P<choice>private|bare|full)",
):
    """The member's choice for a check-in held back for its crisis note. The id is the
    check-in's; whether the clicker wrote it is decided by key, in the service."""

    def __init__(self, checkin_id: int, choice: HeldChoice) -> None:
        style = (
            discord.ButtonStyle.primary if choice == "private" else discord.ButtonStyle.secondary
        )
        super().__init__(
            discord.ui.Button(
                label=CHOICE_LABELS[choice], style=style,
                custom_id=f"crisis:share:{checkin_id}:{choice}",
            )
        )  # fmt: skip
        self.checkin_id = checkin_id
        self.choice: HeldChoice = choice

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        choice: HeldChoice = (
            "full"
            if match["choice"] == "full"
            else "bare"
            if match["choice"] == "bare"
            else "private"
        )
        return cls(int(match["id"]), choice)

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = services_of(interaction)
        # The check-in's own group: the choice may be made outside its server (in Muster's DM,
        # or through a user install in any conversation), and it shares only there.
        guild_id = await services.checkins.group_of(interaction.user.id, self.checkin_id)
        config = await services.guild_settings.get(guild_id) if guild_id is not None else None
        chosen = await services.checkins.choose(
            interaction.user.id, self.checkin_id, self.choice, config
        )
        if chosen.share == "private":
            await respond(
                interaction,
                "Okay, it stays private. Only you can see it, in `/checkin history`. "
                "The lines above are there whenever you want them.",
            )
            if chosen.asked_for == "named" and config is not None:
                # Nothing of it is in the channel, so a nameless alert can't point at anyone.
                await alert_mentors(interaction.client, config, ANONYMOUS_ALERT)
            return
        without = " without your note" if self.choice == "bare" else ""
        if chosen.share == "anonymous":
            view = discord.ui.View(timeout=900)
            if chosen.post_id is not None:
                view.add_item(WithdrawButton(chosen.post_id))
            when = when_it_appears(
                chosen.post_after,
                config.delay_minutes if config is not None else 0,
                config.anonymous_release_times if config is not None else (),
                waits_because=chosen.waits_because,
            )
            await respond(
                interaction,
                f"Okay. It will appear{without} in <#{chosen.channel_id}> {when} as "
                f"**{chosen.pseudonym}**, with the day but not the time. Nobody, "
                "moderators included, can see that it was you.",
                view=view,
            )
            return
        if chosen.entry is None or chosen.channel_id is None:
            raise UserFacingError("I couldn't find where to share it; it stays private.")
        name = await _name_in(interaction, guild_id)
        entry = chosen.entry
        embed = named_post_embed(
            name, mood=entry.mood, sleep_hours=entry.sleep_hours,
            sleep_quality=entry.sleep_quality, cravings=entry.cravings, sober=entry.sober,
            note=entry.note, crisis_pointer=self.choice == "full",
        )  # fmt: skip
        try:
            channel = interaction.client.get_partial_messageable(
                chosen.channel_id, guild_id=guild_id
            )
            message = await channel.send(
                embed=embed, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as error:
            log.warning("Could not post a named check-in (HTTP %s)", error.status)
            await respond(
                interaction,
                f"I couldn't post it in <#{chosen.channel_id}>; I may be missing permission "
                "there. It's saved, and a moderator can check `/setup show`.",
            )
            return
        await respond(interaction, f"Shared{without} in <#{chosen.channel_id}> as **{name}**.")
        if self.choice == "full" and config is not None:
            await alert_mentors(
                interaction.client, config, SHARED_ALERT.format(link=message.jump_url)
            )


async def _name_in(interaction: discord.Interaction[Any], guild_id: int | None) -> str:
    """The member's name in that server, as a named post shows it, wherever they pressed."""
    if interaction.guild_id != guild_id and guild_id is not None:
        groups = await interaction.client.group_lookup.groups_of(interaction.user.id)
        for group in groups:
            if group.guild_id == guild_id:
                return str(group.display_name)
    return str(getattr(interaction.user, "display_name", interaction.user.name))
