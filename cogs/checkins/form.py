"""The check-in form: the whole daily check-in in one Discord form, opened by `/checkin now`
without its options and by the daily prompt's button.

Discord holds a form to five top-level components, so it is five labelled parts: mood,
sleep, cravings with sober today (one choice of the nine pairs), who sees it, and the note.
A form cannot be answered with another form, so anything more would go on a button on the
private answer. Submitting it takes the same path as the slash command (submit_checkin):
one call to the check-in service, the same answers, the same crisis card.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Self, cast

import discord

from bot.db.engine import DATABASE_ERRORS
from bot.services.checkins import (
    CRAVINGS,
    MOODS,
    NOTE_MAX,
    SHARES,
    SLEEP_WORDS,
    CheckinDraft,
    Share,
    parse_sleep,
    sleep_words,
)
from bot.tree import report_error, reporting, services_of
from bot.ui.items import PersistentButton
from cogs.checkins.submit import submit_checkin

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

FORM_ID = "checkin:form"
MOOD_ID = "checkin:form:mood"
SLEEP_ID = "checkin:form:sleep"
TODAY_ID = "checkin:form:today"
SHARE_ID = "checkin:form:share"
NOTE_ID = "checkin:form:note"
# How long opening the form may wait for the member's last sharing choice: the form must
# be the first answer, within Discord's 3 seconds even with the database stalled (R1).
LAST_SHARE_BUDGET = 1.0
SLEEP_HOURS = tuple(str(hours) for hours in range(2, 13))
CRAVING_WORDS = {"none": "No cravings", "mild": "Mild cravings", "strong": "Strong cravings"}
SOBER_WORDS = {"yes": "sober today", "no": "not sober today", "skip": "sober: rather not say"}


@dataclass(frozen=True)
class FormDefaults:
    """What the form starts with: anything the member already gave `/checkin now`, and the
    share they chose (or chose last time here)."""

    mood: int | None = None
    sleep: str | None = None
    cravings: str | None = None
    sober: str | None = None
    share: Share | None = None


def _mood_select(chosen: int | None) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=MOOD_ID,
        placeholder="Pick one",
        options=[
            discord.SelectOption(
                label=f"{level} · {word}", value=str(level), default=level == chosen
            )
            for level, word in MOODS.items()
        ],
    )


def _sleep_select(chosen: str | None) -> discord.ui.Select[Any]:
    values = [*SLEEP_WORDS, *SLEEP_HOURS]
    if chosen is not None and chosen not in values:
        values.append(chosen)  # what the member typed, like 6.5, kept as given
    options = []
    for value in values:
        hours, quality = parse_sleep(value)
        options.append(
            discord.SelectOption(
                label=sleep_words(hours, quality), value=value, default=value == chosen
            )
        )
    return discord.ui.Select(
        custom_id=SLEEP_ID,
        placeholder="Hours, or how it was",
        options=options,
        min_values=0,
        required=False,
    )


def _today_select(cravings: str | None, sober: str | None) -> discord.ui.Select[Any]:
    options = [
        discord.SelectOption(
            label=f"{CRAVING_WORDS[craving]} · {SOBER_WORDS[answer]}",
            value=f"{craving}:{answer}",
            default=(craving, answer) == (cravings, sober),
        )
        for craving in CRAVINGS
        for answer in SOBER_WORDS
    ]
    return discord.ui.Select(custom_id=TODAY_ID, placeholder="Pick one", options=options)


def _share_select(chosen: Share | None) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=SHARE_ID,
        placeholder="As last time",
        min_values=0,
        required=False,
        options=[
            discord.SelectOption(label=words, value=value, default=value == chosen)
            for value, words in SHARES.items()
        ],
    )


class CheckinForm(discord.ui.Modal):
    """The check-in as one form. The check-in is keyed by the interaction that opened it, so
    submitting the form twice saves one check-in (R15)."""

    def __init__(
        self,
        *,
        guild_id: int | None,
        request_key: int,
        defaults: FormDefaults,
        from_prompt: bool = False,
    ) -> None:
        super().__init__(title="Check in", custom_id=FORM_ID, timeout=900)
        self.guild_id = guild_id
        self.request_key = request_key
        self.from_prompt = from_prompt
        self.mood = _mood_select(defaults.mood)
        self.sleep = _sleep_select(defaults.sleep)
        self.today = _today_select(defaults.cravings, defaults.sober)
        self.share = _share_select(defaults.share)
        self.note: discord.ui.TextInput[CheckinForm] = discord.ui.TextInput(
            custom_id=NOTE_ID,
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=NOTE_MAX,
            placeholder="Anything on your mind. Your provider may want to see it too.",
        )
        self.add_item(discord.ui.Label(text="How are you feeling overall?", component=self.mood))
        self.add_item(
            discord.ui.Label(text="Sleep last night", component=self.sleep, description="Optional")
        )
        self.add_item(discord.ui.Label(text="Cravings, and sober today?", component=self.today))
        if guild_id is not None:  # in a DM there is no group to share with
            self.add_item(
                discord.ui.Label(
                    text="Who sees it",
                    component=self.share,
                    description="Your last choice here if you leave it empty",
                )
            )
        self.add_item(discord.ui.Label(text="A note (optional)", component=self.note))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, name = self.guild_id, None
        if self.from_prompt and guild_id is not None:
            guild_id, name = await _still_a_member(interaction, guild_id)
        cravings, _, sober = _first(self.today.values).partition(":")
        mood = _first(self.mood.values)
        shared = _first(self.share.values) if guild_id is not None else ""
        draft = CheckinDraft(
            user_id=interaction.user.id,
            guild_id=guild_id,
            request_key=self.request_key,
            mood=int(mood) if mood.isdigit() else 0,  # anything else is refused by the service
            sleep=_first(self.sleep.values) or None,
            cravings=cravings,
            sober=sober,
            note=self.note.value or None,
            share=cast("Share", shared) if shared in SHARES else None,
        )
        await submit_checkin(cast("MusterBot", interaction.client), interaction, draft, name=name)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


def _first(values: list[Any]) -> str:
    return str(values[0]) if values else ""


async def _still_a_member(
    interaction: discord.Interaction[Any], guild_id: int
) -> tuple[int | None, str | None]:
    """A prompt's server, if the member is still in it (with their name there); otherwise the
    check-in is theirs alone. The server comes from a button, so it is checked, not trusted."""
    guild = interaction.client.get_guild(guild_id)
    if guild is None:
        return None, None
    member = guild.get_member(interaction.user.id)
    if member is None:
        try:
            member = await guild.fetch_member(interaction.user.id)
        except discord.HTTPException:
            return None, None
    return guild_id, member.display_name


async def last_share_soon(
    interaction: discord.Interaction[Any], guild_id: int | None
) -> Share | None:
    """The member's last sharing choice in this server, if it can be had within the budget;
    the read goes on in the background (and fills the cache) if it cannot."""
    if guild_id is None:
        return None
    checkins = services_of(interaction).checkins
    read = asyncio.ensure_future(checkins.last_choice(guild_id, interaction.user.id))
    read.add_done_callback(_quietly)
    try:
        return await asyncio.wait_for(asyncio.shield(read), LAST_SHARE_BUDGET)
    except TimeoutError:
        return None
    except DATABASE_ERRORS:
        return None


def _quietly(task: asyncio.Future[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.info("Could not read a member's last sharing choice for the form")


async def open_form(
    interaction: discord.Interaction[Any],
    defaults: FormDefaults,
    *,
    guild_id: int | None,
    from_prompt: bool = False,
) -> None:
    """Show the form as the interaction's first answer."""
    if defaults.share is None:
        defaults = replace(defaults, share=await last_share_soon(interaction, guild_id))
    form = CheckinForm(
        guild_id=guild_id, request_key=interaction.id, defaults=defaults, from_prompt=from_prompt
    )
    await interaction.response.send_modal(form)


class CheckinFormButton(PersistentButton, template=r"prompt:checkin:(?P<guild>\d{15,20})"):
    """On the daily prompt DM: opens the form for the prompt's server. It carries the
    server's id (which the member knows), never a user id."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Check in",
                style=discord.ButtonStyle.primary,
                custom_id=f"prompt:checkin:{guild_id}",
            )
        )
        self.guild_id = guild_id

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(int(match["guild"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await open_form(interaction, FormDefaults(), guild_id=self.guild_id, from_prompt=True)


FORM_ITEMS = (CheckinFormButton,)
