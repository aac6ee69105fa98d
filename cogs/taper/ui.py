"""The taper plan as the member sees it: each step's line, the plan in pages of one embed
each, so a long plan (60 steps with notes) is shown whole, never cut at Discord's limits, and
the form that takes several steps at once. A page's Next button carries only the page
number; the plan is read again from the member who clicks it."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from bot.services.taper import AS_SET, TALK_FIRST, PlanStep
from bot.tree import member_zone, report_error, reporting, respond, services_of
from bot.ui.crisis import card_if_crisis
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.items import PersistentButton

NO_PLAN = "You haven't entered a plan. `/meds plan add` takes the steps your prescriber gave you."
NO_ADVICE = "Muster keeps your plan and reminds you of it; it gives no medical advice."
UNREADABLE_DOSE = "(this step's dose could not be read with the keys I have now)"
PAGE_CHARS = 3500  # of step lines on one page: under an embed's 4096 with the words around
PAGE_ID = "taper:page"
SEE_ALL = " `/meds plan show` has every step."


def step_line(step: PlanStep, number: int | None = None) -> str:
    dose = UNREADABLE_DOSE if step.dose is None else safe(step.dose)
    line = f"**{step.on:%a, %b %-d, %Y}**: {dose}"
    if number is not None:
        line = f"{number}. {line}"
    if step.note:
        line += f" ({safe(step.note)})"
    if step.reminder_at is not None:
        line += f"\n    reminder <t:{int(step.reminder_at.timestamp())}:F>"
    return line


def plan_pages(steps: list[PlanStep]) -> list[list[str]]:
    """The numbered step lines, packed into pages of at most PAGE_CHARS each."""
    pages: list[list[str]] = [[]]
    used = 0
    for number, step in enumerate(steps, start=1):
        line = step_line(step, number)[:PAGE_CHARS]
        if pages[-1] and used + len(line) + 1 > PAGE_CHARS:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += len(line) + 1
    return pages


def plan_embed(
    steps: list[PlanStep], title: str = "Your taper plan", page: int = 0, more: str = ""
) -> discord.Embed:
    """One page of the steps (the first unless told). When there are more pages, the page
    says so, and `more` says where the rest is."""
    pages = plan_pages(steps)
    page = max(0, min(page, len(pages) - 1))
    text = "\n".join(pages[page])
    if len(pages) > 1:
        rest = more if page + 1 < len(pages) else ""
        text += f"\n\n_Page {page + 1} of {len(pages)}.{rest}_"
    embed = discord.Embed(
        title=f"{title}, {AS_SET}", description=f"{text}\n\n**{TALK_FIRST}**", colour=CALM_BLUE
    )
    embed.set_footer(text=f"Private to you. {NO_ADVICE}")
    return embed


def page_view(steps: list[PlanStep], page: int) -> discord.ui.View | None:
    """The Next button under a page of the whole plan, if a page follows it."""
    if page + 1 >= len(plan_pages(steps)):
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PlanPageButton(page + 1))
    return view


async def show_plan(interaction: discord.Interaction[Any], page: int = 0) -> None:
    """A page of the member's whole plan, as a new private message."""
    steps = await services_of(interaction).taper.steps(interaction.user.id)
    if not steps:
        await respond(interaction, NO_PLAN)
        return
    page = max(0, min(page, len(plan_pages(steps)) - 1))
    embed = plan_embed(steps, page=page, more=" The rest are on the next page.")
    view = page_view(steps, page)
    if view is None:
        await respond(interaction, embed=embed)
    else:
        await respond(interaction, embed=embed, view=view)


class PlanPageButton(PersistentButton, template=rf"{PAGE_ID}:(?P<page>\d{{1,3}})"):
    def __init__(self, page: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Next page", style=discord.ButtonStyle.secondary,
                custom_id=f"{PAGE_ID}:{page}",
            )
        )  # fmt: skip
        self.page = page

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(int(match["page"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await show_plan(interaction, self.page)


class AddStepsModal(discord.ui.Modal, title="Your prescriber's plan"):
    """Keyed by the interaction that opened it (carried in its custom_id), so the form
    submitted twice adds its steps once (R15)."""

    def __init__(self, request_key: int) -> None:
        super().__init__(timeout=1800, custom_id=f"taper:add:{request_key}")
        self.request_key = request_key
        self.steps: discord.ui.TextInput[AddStepsModal] = discord.ui.TextInput(
            label="One step a line: date, then dose", custom_id="taper:steps",
            style=discord.TextStyle.paragraph, max_length=2000,
            placeholder="2027-01-10 10 mg\n2027-02-07 5 mg; with breakfast",
        )  # fmt: skip
        self.add_item(self.steps)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, self.steps.value)
        services = services_of(interaction)
        added = await services.taper.add_steps(
            user_id=interaction.user.id, text=self.steps.value,
            zone=await member_zone(interaction), request_key=self.request_key,
        )  # fmt: skip
        title = f"Added {len(added)} step(s)"
        await respond(interaction, embed=plan_embed(added, title, more=SEE_ALL))

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


PLAN_ITEMS = (PlanPageButton,)
