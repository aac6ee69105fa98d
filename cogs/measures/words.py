"""The words of the measures in Discord: a question as a form label, a page's questions, a
score with its published reading (always "a score, not a diagnosis"), and the overview."""

from __future__ import annotations

import discord

from bot.services.measures import (
    INSTRUMENTS,
    NOT_A_DIAGNOSIS,
    Draft,
    Instrument,
    MeasureScore,
    OptIn,
    instrument,
)
from bot.ui.embeds import CALM_BLUE

LABEL_MAX, DESCRIPTION_MAX = 45, 100
CADENCE_WORDS = {"two_weeks": "every two weeks", "month": "once a month"}
CRISIS_LINE = "`/crisis` lists lines that answer right now, day and night."
PRIVATE = "Only you can see your answers and scores; `/mydata` exports or deletes them."


def label_parts(number: int, text: str) -> tuple[str, str | None, bool]:
    """An item as a form label (45 characters) and its description (100): the text split at
    a word, and whether all of it fits (if not, the message before the form shows it whole)."""
    whole = f"{number}. {text}"
    if len(whole) <= LABEL_MAX:
        return whole, None, True
    if len(text) <= LABEL_MAX:  # the form keeps the questions in order; the number can go
        return text, None, True
    cut = whole.rfind(" ", 0, LABEL_MAX - 1)
    label, rest = whole[:cut] + "…", "…" + whole[cut + 1 :]
    if len(rest) <= DESCRIPTION_MAX:
        return label, rest, True
    return label, rest[: DESCRIPTION_MAX - 1].rsplit(" ", 1)[0] + "…", False


def page_fits(measure: Instrument, page: int) -> bool:
    return all(label_parts(i + 1, measure.items[i].text)[2] for i in measure.pages[page])


def page_text(measure: Instrument, draft: Draft) -> str:
    """The page's questions in full, before its form."""
    lines = [f"**{measure.name}, page {draft.page + 1} of {draft.pages}.**"]
    if measure.stem:
        lines.append(measure.stem)
    lines += [f"{i + 1}. {measure.items[i].text}" for i in measure.pages[draft.page]]
    lines.append("Press the button when you're ready. I keep your answers so far for a day.")
    return "\n".join(lines)


def score_text(shown: MeasureScore) -> str:
    measure = instrument(shown.code)
    band = f", in the published band **{shown.band}**" if shown.band else ""
    return "\n".join(
        [
            f"**{measure.name}** ({measure.about}): **{shown.total}** out of {shown.max_total}"
            f"{band}.",
            measure.cut_note,
            f"**{NOT_A_DIAGNOSIS}**",
            PRIVATE,
            CRISIS_LINE,
        ]
    )


def overview(optins: list[OptIn], scores: list[MeasureScore]) -> discord.Embed:
    embed = discord.Embed(
        title="Your measures (private)",
        description="Optional questionnaires to bring to your provider, each on its own "
        f"schedule. Turn on any you like; I DM you when one is due. {NOT_A_DIAGNOSIS}",
        colour=CALM_BLUE,
    )
    on = {optin.code: optin for optin in optins}
    for measure in INSTRUMENTS.values():
        optin = on.get(measure.code)
        if optin is None:
            state = "Off."
        elif optin.next_prompt is not None:
            state = f"On: next prompt <t:{int(optin.next_prompt.timestamp())}:R>."
        else:
            state = "On."
        mine = [s for s in scores if s.code == measure.code][-6:]
        if mine:
            latest = mine[-1]
            band = f" ({latest.band})" if latest.band else ""
            state += (
                f"\nLatest: {latest.total} of {latest.max_total}{band}, "
                f"<t:{int(latest.taken_at.timestamp())}:d>."
            )
            if len(mine) > 1:
                state += "\nTrend, oldest first: " + " → ".join(str(s.total) for s in mine)
        embed.add_field(
            name=f"{measure.name} · {measure.about} · {CADENCE_WORDS[measure.cadence]}",
            value=state,
            inline=False,
        )
    embed.set_footer(text="Scores come with each questionnaire's published bands.")
    return embed
