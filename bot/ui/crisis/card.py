"""The crisis card, the same everywhere, and the button that shows it."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.delivery import SEND_ERRORS, send_soon
from bot.services.crisis import crisis_in
from bot.tree import group_of, reporting, respond
from bot.ui.crisis.offer import MentorButton
from bot.ui.embeds import crisis_embed
from bot.ui.items import FixedButton

log = logging.getLogger(__name__)


def crisis_reply(*, mentor: bool) -> tuple[discord.Embed, discord.ui.View | None]:
    """The same card everywhere, built without the database (R18); inside a server, with the
    offer of a peer mentor."""
    if not mentor:
        return crisis_embed(), None
    view = discord.ui.View(timeout=None)
    view.add_item(MentorButton())
    return crisis_embed(), view


async def card_if_crisis(interaction: discord.Interaction[Any], *texts: str | None) -> bool:
    """Anything a member writes to the bot is checked (R25), dates and times included, before
    it is parsed: a match gets the card, privately, before the normal answer (or the format
    error), which still follows. Nothing is blocked. True if the card was due. The texts
    are one form's fields: checked each alone and together (crisis words split over them)."""
    if not crisis_in(*texts):
        return False
    await show_card(interaction)
    return True


async def show_card(interaction: discord.Interaction[Any]) -> None:
    """The card, privately, tried again if the connection is cut. It never raises: what the
    member asked for (saving a check-in, an entry) must not be lost for a failed card."""
    card, view = crisis_reply(mentor=group_of(interaction) is not None)
    try:
        await send_soon(lambda: respond(interaction, embed=card, view=view))
    except SEND_ERRORS as error:
        log.warning("Could not show the crisis card (%s)", type(error).__name__)


class CrisisCardButton(FixedButton, template=r"crisis:card"):
    """'Talk to someone now': the crisis card, privately, anywhere (the daily prompt, DMs)."""

    LABEL = "Talk to someone now"
    STYLE = discord.ButtonStyle.danger

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        card, view = crisis_reply(mentor=group_of(interaction) is not None)
        await respond(interaction, embed=card, view=view)
