"""The symptom check after a taper step: the optional button on a saved check-in's private
answer, and its form. Shared: the check-in cog shows the button, the taper cog registers it.
The buttons carry no ids; the step is found again from the member when the form comes back.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.services.taper import AS_SET, FINISH, SEVERE, SEVERE_MESSAGE, SEVERITY, TALK_FIRST
from bot.tree import member_zone, report_error, reporting, respond, services_of
from bot.ui.embeds import safe

SYMPTOMS_ID, SKIP_ID = "taper:symptoms", "taper:skip"
SYMPTOMS_LABEL = "Symptom check (optional)"
SKIPPED = "Okay, no symptom check this time. Nothing was saved."


def offer_symptom_check(view: discord.ui.View) -> None:
    """Add the optional symptom check, and a way to wave it off, to a check-in's answer."""
    view.add_item(SymptomCheckButton())
    view.add_item(SkipSymptomCheckButton())


class SymptomCheckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SYMPTOMS_ID):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=SYMPTOMS_LABEL, style=discord.ButtonStyle.secondary, custom_id=SYMPTOMS_ID
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> SymptomCheckButton:  # fmt: skip
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(SymptomCheckModal())


class SkipSymptomCheckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SKIP_ID):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Skip", style=discord.ButtonStyle.secondary, custom_id=SKIP_ID)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> SkipSymptomCheckButton:  # fmt: skip
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await respond(interaction, SKIPPED)


class SymptomCheckModal(discord.ui.Modal, title="Symptom check (optional)"):
    """The FINISH groups as checkboxes, and how bad it is overall, 0-3."""

    def __init__(self) -> None:
        super().__init__(timeout=1800, custom_id="taper:symptom-form")
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
        services = services_of(interaction)
        check = await services.taper.record_symptom_check(
            user_id=interaction.user.id,
            symptoms=list(self.symptoms.values),
            severity=int(self.severity.value or 0),
            zone=await member_zone(interaction),
            request_key=interaction.id,
        )
        noticed = ", ".join(FINISH[key].split(" (")[0] for key in check.symptoms) or "none"
        dose = "" if check.dose is None else f" ({safe(check.dose)}, {AS_SET})"
        text = (
            f"Saved, privately: {noticed}; how bad: {check.severity} "
            f"({SEVERITY[check.severity]}). It's kept with your step of "
            f"{check.step_on:%B %-d}{dose} and goes on your `/checkin report`. {TALK_FIRST}"
        )
        if check.severity >= SEVERE:
            text = SEVERE_MESSAGE + "\n\n" + text
        await respond(interaction, text)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


DYNAMIC_ITEMS = (SymptomCheckButton, SkipSymptomCheckButton)
