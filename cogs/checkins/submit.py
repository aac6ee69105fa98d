"""Saving a check-in and answering its member: the one path every way of checking in takes
(`/checkin now` with options, its note form, and the check-in form), crisis card included."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.db.engine import DATABASE_ERRORS
from bot.services.checkins import CheckinDraft, CheckinResult, parse_sleep, worrying
from bot.services.crisis import assess
from bot.services.guild_settings import GuildConfig
from bot.tree import member_zone, respond
from bot.ui.checkins import WithdrawButton, named_post_embed, when_it_appears
from bot.ui.crisis import (
    ANONYMOUS_ALERT,
    HELD_BACK,
    MentorButton,
    alert_mentors,
    held_view,
    show_card,
)
from bot.ui.taper import offer_symptom_check

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

# How long the crisis-safe path waits for the server's settings before going on without.
SETTINGS_BUDGET = 1.5
UNSAVED = (
    "I couldn't save your check-in just now: my database is busy and I have nowhere safe "
    "to keep it meanwhile. It may still go through in a minute (`/checkin history` will "
    "show it); if it isn't there, please send it again in a little while."
)
SUPPORT_OFFER = (
    "Thank you for being honest about how it's going. Hard stretches happen, and you "
    "don't have to carry them alone. If you'd like, a peer mentor can reach out to you. "
    "`/crisis` is there any time."
)

HELD = (
    "Your check-in is in. I'm having trouble reaching my database, so I'm holding on to it "
    "and will save it as soon as I can."
)


async def config_if_reachable(bot: MusterBot, guild_id: int | None) -> GuildConfig | None:
    """The server's settings, or the last copy this process saw, without ever blocking long."""
    if guild_id is None:
        return None
    return await bot.services.guild_settings.within(guild_id, SETTINGS_BUDGET)


def _confirmation(result: CheckinResult, name: str) -> str:
    if result.unsaved:
        return UNSAVED
    if result.held:
        # Held for a crisis note as well: without its id there is no choice to offer, so it
        # simply stays private (R25).
        return HELD + (" It will stay private; nothing is posted." if result.held_for else "")
    lines = []
    if result.share == "private":
        lines.append("Saved. Only you can see it; `/checkin history` shows how things are going.")
    elif result.share == "anonymous":
        when = when_it_appears(
            result.post_after,
            result.delay_minutes or 0,
            result.release_times,
            waits_because=result.waits_because,
        )
        lines.append(
            f"Saved. It will appear in <#{result.channel_id}> {when} as "
            f"**{result.pseudonym}**, with the day but not the time. Nobody, moderators "
            "included, can see that it was you."
        )
    else:
        lines.append(f"Saved and shared in <#{result.channel_id}> as **{name}**.")
    if result.kept_private_because is not None:
        lines.append(f"I kept this one private: {result.kept_private_because}.")
        if result.block_until is not None:
            lines.append(
                f"You can post anonymously here again <t:{int(result.block_until.timestamp())}:f>."
            )
    return "\n".join(lines)


async def submit_checkin(
    bot: MusterBot,
    interaction: discord.Interaction[Any],
    draft: CheckinDraft,
    *,
    name: str | None = None,
    card_shown: bool = False,
) -> None:
    """Save `draft` (one call to the check-in service) and answer privately; the interaction
    is already deferred. A crisis note shows the card first (unless `card_shown` already) and
    is never posted (R18, R25). `name` is the member's name in the server, when the
    interaction came from outside it."""
    services = bot.services
    in_server = draft.guild_id is not None
    crisis = assess(draft.note).crisis
    # The card starts first, before anything that could wait on the database (R18), and
    # the check-in is saved alongside, whatever becomes of that send (a cut connection,
    # a stall): nothing the member wrote waits on Discord. Every answer follows the card.
    card = asyncio.create_task(show_card(interaction)) if crisis and not card_shown else None
    try:
        config = await config_if_reachable(bot, draft.guild_id)
        result = await services.checkins.submit(draft, config)
    finally:
        if card is not None:
            await card
    if crisis and config is not None and not result.duplicate and result.held_for != "named":
        # A named check-in held back waits for its member's choice: an alert now could
        # be matched to their post by its timing (see HeldShareButton).
        bot.spawn(alert_mentors(bot, config, ANONYMOUS_ALERT))
    if name is None:
        name = getattr(interaction.user, "display_name", interaction.user.name)
    if result.held_for is not None and not result.held and result.checkin_id is not None:
        await respond(interaction, HELD_BACK, view=held_view(result.checkin_id))
        return
    text = _confirmation(result, name)
    buttons = discord.ui.View(timeout=900)
    if result.share == "anonymous" and result.post_id is not None:
        buttons.add_item(WithdrawButton(result.post_id))
    shown = not result.held and not result.duplicate  # never posted twice
    if result.share == "named" and result.channel_id is not None and shown:
        text = await _post_named(bot, result.channel_id, draft, result.note, name, text)
    offer = worrying(draft.mood, draft.sober) and not crisis and in_server
    if offer and not result.held and not result.unsaved:
        zone = await member_zone(interaction)
        signals = await services.checkins.signals(draft.user_id, draft.mood, draft.sober, zone)
        if signals.any:
            text += "\n\n" + SUPPORT_OFFER
            buttons.add_item(MentorButton())
    if not result.held and not result.unsaved:
        await _offer_symptom_check(bot, interaction, draft.user_id, buttons)
    await respond(interaction, text, view=buttons if buttons.children else None)


async def _offer_symptom_check(
    bot: MusterBot, interaction: discord.Interaction[Any], user_id: int, buttons: discord.ui.View
) -> None:
    """In the 14 days after a step of their taper plan, the optional symptom check."""
    try:
        offer = await bot.services.taper.symptom_offer(user_id, await member_zone(interaction))
    except DATABASE_ERRORS:  # the check-in's answer never waits on it
        log.warning("Could not look for a recent taper step")
        return
    if offer is not None:
        offer_symptom_check(buttons)


async def _post_named(
    bot: MusterBot, channel_id: int, draft: CheckinDraft, note: str | None, name: str, text: str
) -> str:
    hours, quality = parse_sleep(draft.sleep)
    embed = named_post_embed(
        name, mood=draft.mood, sleep_hours=hours, sleep_quality=quality,
        cravings=draft.cravings, sober=draft.sober, note=note,
    )  # fmt: skip
    try:
        await bot.get_partial_messageable(channel_id).send(embed=embed)
    except discord.HTTPException as error:
        log.warning("Could not post a named check-in (HTTP %s)", error.status)
        return (
            f"Saved, but I couldn't post it in <#{channel_id}>; I may be missing permission "
            "there. A moderator can check `/setup show`."
        )
    return text
