"""The taper plan as the member sees it: each step's line, and the plan in pages of one
embed each, so a long plan (60 steps with notes) is shown whole, never cut at Discord's
limits. A page's Next button carries only the page number; the plan is read again from the
member who clicks it."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.services.taper import AS_SET, TALK_FIRST, PlanStep
from bot.tree import reporting, respond, services_of
from bot.ui.embeds import CALM_BLUE, safe

NO_PLAN = "You haven't entered a plan. `/meds plan add` takes the steps your prescriber gave you."
NO_ADVICE = "Muster keeps your plan and reminds you of it; it gives no medical advice."
UNREADABLE_DOSE = "(this step's dose could not be read with the keys I have now)"
PAGE_CHARS = 3500  # of step lines on one page: under an embed's 4096 with the words around
PAGE_ID = "taper:page"


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


class PlanPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PAGE_ID}:(?P<page>\d{{1,3}})"
):
    def __init__(self, page: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Next page", style=discord.ButtonStyle.secondary,
                custom_id=f"{PAGE_ID}:{page}",
            )
        )  # fmt: skip
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> PlanPageButton:  # fmt: skip
        return cls(int(match["page"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await show_plan(interaction, self.page)


PLAN_ITEMS = (PlanPageButton,)
