"""The symptom check after a taper step: the optional button on a saved check-in's private
answer, and its form. Shared: the check-in cog shows the button, the taper cog registers it.
The buttons carry no ids; the step is found again from the member when the form comes back.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.delivery import SEND_ERRORS, send_soon
from bot.services.taper import AS_SET, FINISH, SEVERE, SEVERE_MESSAGE, SEVERITY, TALK_FIRST
from bot.tree import member_zone, report_error, reporting, respond, services_of
from bot.ui.embeds import safe
from bot.ui.items import FixedButton

log = logging.getLogger(__name__)

SYMPTOMS_ID, SKIP_ID = "taper:symptoms", "taper:skip"
SYMPTOMS_LABEL = "Symptom check (optional)"
SKIPPED = "Okay, no symptom check this time. Nothing was saved."


def offer_symptom_check(view: discord.ui.View) -> None:
    """Add the optional symptom check, and a way to wave it off, to a check-in's answer."""
    view.add_item(SymptomCheckButton())
    view.add_item(SkipSymptomCheckButton())


class SymptomCheckButton(FixedButton, template=SYMPTOMS_ID):
    LABEL = SYMPTOMS_LABEL
    STYLE = discord.ButtonStyle.secondary

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(SymptomCheckModal(interaction.id))


class SkipSymptomCheckButton(FixedButton, template=SKIP_ID):
    LABEL = "Skip"
    STYLE = discord.ButtonStyle.secondary

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await respond(interaction, SKIPPED)


class SymptomCheckModal(discord.ui.Modal, title="Symptom check (optional)"):
    """The FINISH groups as checkboxes, and how bad it is overall, 0-3. Keyed by the
    interaction that opened it (carried in its custom_id), so the form submitted twice
    saves one check (R15)."""

    def __init__(self, request_key: int) -> None:
        super().__init__(timeout=1800, custom_id=f"taper:symptom-form:{request_key}")
        self.request_key = request_key
        self.symptoms: discord.ui.CheckboxGroup[SymptomCheckModal] = discord.ui.CheckboxGroup(
            custom_id="taper:groups", required=False, min_values=0, max_values=len(FINISH),
            options=[discord.CheckboxGroupOption(label=label, value=key)
                     for key, label in FINISH.items()],
        )  # fmt: skip
        self.severity: discord.ui.RadioGroup[SymptomCheckModal] = discord.ui.RadioGroup(
            custom_id="taper:severity", required=True,
            options=[discord.RadioGroupOption(label=f"{n} · {word}", value=str(n))
                     for n, word in SEVERITY.items()],
        )  # fmt: skip
        self.add_item(
            discord.ui.TextDisplay(
                "Since your last step, have you noticed any of these? Tick none, some or all."
            )
        )
        self.add_item(discord.ui.Label(text="What you've noticed", component=self.symptoms))
        self.add_item(discord.ui.Label(text="How bad, overall (0-3)", component=self.severity))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        severity = int(self.severity.value or 0)
        if severity >= SEVERE:  # first, and whatever becomes of the save (R18)
            await _say_first(interaction, SEVERE_MESSAGE)
        services = services_of(interaction)
        check = await services.taper.record_symptom_check(
            user_id=interaction.user.id,
            symptoms=list(self.symptoms.values),
            severity=severity,
            zone=await member_zone(interaction),
            request_key=self.request_key,
        )
        noticed = ", ".join(FINISH[key].split(" (")[0] for key in check.symptoms) or "none"
        dose = "" if check.dose is None else f" ({safe(check.dose)}, {AS_SET})"
        text = (
            f"Saved, privately: {noticed}; how bad: {check.severity} "
            f"({SEVERITY[check.severity]}). It's kept with your step of "
            f"{check.step_on:%B %-d}{dose} and goes on your `/checkin report`. {TALK_FIRST}"
        )
        await respond(interaction, text)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


async def _say_first(interaction: discord.Interaction[Any], text: str) -> None:
    """A message before the save, tried again if the connection is cut; it never raises, so
    the save still goes ahead."""
    try:
        await send_soon(lambda: respond(interaction, text))
    except SEND_ERRORS as error:
        log.warning("Could not show the severe-symptom message (%s)", type(error).__name__)


DYNAMIC_ITEMS = (SymptomCheckButton, SkipSymptomCheckButton)
