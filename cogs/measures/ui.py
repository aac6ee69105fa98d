"""The measures' forms and buttons: a questionnaire's pages as forms of labelled selects (a
form holds five), Next between them, opting in and out, and the trend chart."""

from __future__ import annotations

import io
import re
from typing import Any, ClassVar, Self

import discord

from bot.errors import UserFacingError
from bot.services.measures import (
    INSTRUMENTS,
    NOT_A_DIAGNOSIS,
    Draft,
    Instrument,
    MeasureScore,
    OptIn,
    draw_trend,
    instrument,
)
from bot.tree import group_of, member_zone, report_error, reporting, respond, services_of
from bot.ui.crisis import crisis_reply
from bot.ui.items import PersistentButton
from cogs.measures.words import CADENCE_WORDS, label_parts, page_fits, page_text, score_text

CODES = "|".join(INSTRUMENTS)


def overview_view(optins: list[OptIn], scores: list[MeasureScore]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    on = {optin.code for optin in optins}
    for row, measure in enumerate(INSTRUMENTS.values()):
        action = "off" if measure.code in on else "on"
        view.add_item(ToggleButton(action, measure.code, row=row))
        view.add_item(StartButton(measure.code, row=row))
        if any(s.code == measure.code for s in scores):
            view.add_item(TrendButton(measure.code, row=row))
    return view


def prompt_view(code: str) -> list[discord.ui.Item[Any]]:
    return [StartButton(code), ToggleButton("off", code)]


class PageModal(discord.ui.Modal):
    """One page of a questionnaire: up to five labelled selects (a form holds five)."""

    def __init__(self, measure: Instrument, draft: Draft) -> None:
        super().__init__(
            title=f"{measure.name}, page {draft.page + 1} of {draft.pages}",
            custom_id=f"measures:page:{draft.id}:{draft.page}",
            timeout=None,
        )
        self.measure, self.draft = measure, draft
        self.selects: dict[int, discord.ui.Select[Any]] = {}
        placeholder = measure.stem[:150] if measure.stem else "Choose the answer that fits"
        for index in measure.pages[draft.page]:
            item = measure.items[index]
            label, description, _ = label_parts(index + 1, item.text)
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=f"measures:item:{index}",
                placeholder=placeholder,
                required=True,
                options=[
                    discord.SelectOption(label=option.label, value=str(option.value))
                    for option in item.options
                ],
            )
            self.selects[index] = select
            self.add_item(discord.ui.Label(text=label, description=description, component=select))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        answers = {index: int(select.values[0]) for index, select in self.selects.items()}
        result = await services_of(interaction).measures.answer(
            interaction.user.id, self.draft.id, answers, request_key=interaction.id
        )
        if isinstance(result, Draft):
            view = discord.ui.View(timeout=None)
            view.add_item(NextButton(result.id))
            await respond(interaction, page_text(self.measure, result), view=view)
        elif result.crisis:  # the crisis card with the score, in one private answer
            card, offer = crisis_reply(mentor=group_of(interaction) is not None)
            await respond(interaction, score_text(result), embed=card, view=offer)
        else:
            await respond(interaction, score_text(result))

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


async def open_page(interaction: discord.Interaction[Any], draft: Draft) -> None:
    """The draft's page as a form; a page whose questions don't fit a form's labels whole
    is shown in a message first, with the button that opens it."""
    measure = instrument(draft.code)
    if page_fits(measure, draft.page):
        await interaction.response.send_modal(PageModal(measure, draft))
        return
    view = discord.ui.View(timeout=None)
    view.add_item(NextButton(draft.id))
    await respond(interaction, page_text(measure, draft), view=view)


class InstrumentButton(PersistentButton, template=r"(?!)"):
    """A button about one questionnaire, with the id `measures:ACTION:code`; the subclass gives
    ACTION, its template, STYLE and LABEL (with `{name}`, the questionnaire's)."""

    ACTION: ClassVar[str]
    LABEL: ClassVar[str]
    STYLE: ClassVar[discord.ButtonStyle]

    def __init__(self, code: str, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.LABEL.format(name=instrument(code).name), style=self.STYLE,
                custom_id=f"measures:{self.ACTION}:{code}", row=row,
            )
        )  # fmt: skip
        self.code = code

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(match["code"])


class StartButton(InstrumentButton, template=rf"measures:start:(?P<code>{CODES})"):
    ACTION = "start"
    LABEL = "Fill in {name}"
    STYLE = discord.ButtonStyle.primary

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        draft = await services_of(interaction).measures.start(interaction.user.id, self.code)
        await open_page(interaction, draft)


class NextButton(PersistentButton, template=r"measures:next:(?P<id>\d{1,12})"):
    def __init__(self, draft_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Next", style=discord.ButtonStyle.primary,
                custom_id=f"measures:next:{draft_id}",
            )
        )  # fmt: skip
        self.draft_id = draft_id

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        draft = await services_of(interaction).measures.resume(interaction.user.id, self.draft_id)
        measure = instrument(draft.code)
        await interaction.response.send_modal(PageModal(measure, draft))


class ToggleButton(PersistentButton, template=rf"measures:(?P<action>on|off):(?P<code>{CODES})"):
    def __init__(self, action: str, code: str, *, row: int | None = None) -> None:
        name = instrument(code).name
        super().__init__(
            discord.ui.Button(
                label=f"Turn {name} on" if action == "on" else f"Stop {name} prompts",
                style=discord.ButtonStyle.secondary, custom_id=f"measures:{action}:{code}",
                row=row,
            )
        )  # fmt: skip
        self.action, self.code = action, code

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(match["action"], match["code"])

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        measures = services_of(interaction).measures
        measure = instrument(self.code)
        if self.action == "off":
            stopped = await measures.opt_out(interaction.user.id, self.code)
            await respond(
                interaction,
                f"Okay, no more {measure.name} prompts. Your past scores stay until you "
                "delete them with `/mydata`."
                if stopped
                else f"{measure.name} was already off.",
            )
            return
        optin = await measures.opt_in(
            interaction.user.id, self.code, await member_zone(interaction)
        )
        first = (
            ""
            if optin.next_prompt is None
            else (f"; the first is <t:{int(optin.next_prompt.timestamp())}:R>")
        )
        await respond(
            interaction,
            f"{measure.name} is on. I'll DM you {CADENCE_WORDS[measure.cadence]}{first}. "
            "Turn it off any time in `/measures`.",
        )


class TrendButton(InstrumentButton, template=rf"measures:trend:(?P<code>{CODES})"):
    ACTION = "trend"
    LABEL = "{name} chart"
    STYLE = discord.ButtonStyle.secondary

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = services_of(interaction)
        mine = [
            s for s in await services.measures.scores(interaction.user.id) if s.code == self.code
        ]
        if not mine:
            raise UserFacingError("No scores for that one yet.")
        png = await draw_trend(self.code, [(s.taken_at, s.total) for s in mine])
        measure = instrument(self.code)
        await interaction.followup.send(
            f"Your {measure.name} scores. {measure.cut_note} {NOT_A_DIAGNOSIS}",
            file=discord.File(io.BytesIO(png), filename=f"{measure.code}.png"),
            ephemeral=True,
        )


DYNAMIC_ITEMS = (StartButton, NextButton, ToggleButton, TrendButton)
