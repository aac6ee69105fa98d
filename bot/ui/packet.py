"""The visit packet's pieces that more than one cog shows: the member's questions for their
provider (answering an interaction already deferred) and the PDF as an attachment, for the
check-in cog's /checkin questions and /checkin report; the offer on a new appointment
reminder, shown by the reminder cog, its buttons registered by the packet cog (cogs/packet/,
which also sends the packet)."""

from __future__ import annotations

import io
import re
from typing import Any, Self

import discord

from bot.errors import UserFacingError
from bot.services.packet import MAX_QUESTIONS, NameChoice, Question, initials
from bot.tree import reporting, respond, services_of
from bot.ui.embeds import safe
from bot.ui.items import PersistentButton

PACKET_FILE = "visit-packet.pdf"
OFFER = (
    "Would you like your visit packet by DM before this appointment? It's a one-page PDF of "
    "your check-ins, medication log and questions for your provider, sent three days before "
    "and on the morning of the visit. You can say no."
)
OFFER_LABELS = {
    "initials": "Yes, with my initials",
    "name": "Yes, with my name",
    "no": "No thanks",
}
NO_QUESTIONS = (
    "You have no questions for your provider yet. Add one with `/checkin questions add`; "
    "they go on your `/checkin report`."
)


PICK_QUESTION = (
    "Pick the question from the list that opens as you type (its words or its number). "
    "`/checkin questions list` shows your list."
)
ALREADY_GONE = "That question isn't on your list any more; it may have been removed already."


def who_for(user: discord.abc.User, choice: NameChoice) -> str:
    name = getattr(user, "display_name", None) or user.name
    return name if choice == "name" else initials(name)


def packet_file(pdf: bytes) -> discord.File:
    return discord.File(io.BytesIO(pdf), filename=PACKET_FILE)


def questions_text(
    questions: list[Question], heading: str = "Your questions for your provider"
) -> str:
    if not questions:
        return NO_QUESTIONS
    lines = [
        "**Your questions for your provider** (private to you; they go on your `/checkin report`):"
    ]
    lines += [f"{q.number}. {safe(q.text)}" for q in questions]
    if len(questions) >= MAX_QUESTIONS:
        lines.append(f"_That's the most the packet holds ({MAX_QUESTIONS})._")
    return "\n".join(lines)[:2000]


async def add_question(interaction: discord.Interaction[Any], question: str) -> None:
    questions = await services_of(interaction).questions.add(
        interaction.user.id, question, request_key=interaction.id
    )
    await respond(interaction, "Added. " + questions_text(questions))


async def list_questions(interaction: discord.Interaction[Any]) -> None:
    await respond(interaction, questions_text(await services_of(interaction).questions.list(
        interaction.user.id
    )))  # fmt: skip


def question_value(question: Question) -> str:
    """What the remove option's choice sends: the question itself, never its place in the
    list, so a removal sent twice (its answer lost) removes one question."""
    return f"q:{question.id}"


async def question_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[discord.app_commands.Choice[str]]:
    """The member's questions as they type, by their words or their number in the list."""
    needle = current.strip().lower()
    return [
        discord.app_commands.Choice(name=f"{q.number}. {q.text}"[:100], value=question_value(q))
        for q in await services_of(interaction).questions.list(interaction.user.id)
        if needle in f"{q.number}. {q.text}".lower()
    ][:25]


async def remove_question(interaction: discord.Interaction[Any], chosen: str) -> None:
    """Remove the question picked from the list (`question_value`)."""
    match = re.fullmatch(r"q:(\d{1,12})", chosen.strip())
    if match is None:
        raise UserFacingError(PICK_QUESTION)
    questions = services_of(interaction).questions
    removed = await questions.remove(interaction.user.id, int(match[1]))
    left = await questions.list(interaction.user.id)
    text = ALREADY_GONE if removed is None else f"Removed: “{safe(removed.text)}”."
    await respond(interaction, text + ("\n\n" + questions_text(left) if left else ""))


class PacketOfferButton(
    PersistentButton, template=r"packet:(?P<answer>initials|name|no):(?P<id>\d{1,12})"
):
    """Yes (with initials or name) or no, on the private answer to a new appointment
    reminder. The id is the reminder's; the clicker must own it."""

    def __init__(self, answer: str, reminder_id: int) -> None:
        style = discord.ButtonStyle.secondary if answer == "no" else discord.ButtonStyle.primary
        super().__init__(
            discord.ui.Button(
                label=OFFER_LABELS[answer], style=style,
                custom_id=f"packet:{answer}:{reminder_id}",
            )
        )  # fmt: skip
        self.answer = answer
        self.reminder_id = reminder_id

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls(match["answer"], int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        offers = services_of(interaction).packet_offers
        if self.answer == "no":
            await offers.decline(interaction.user.id, self.reminder_id)
            await respond(
                interaction,
                "Okay, no packet for this one. `/checkin report` makes one whenever you like.",
            )
            return
        choice: NameChoice = "name" if self.answer == "name" else "initials"
        who = who_for(interaction.user, choice)
        times = await offers.accept(interaction.user.id, self.reminder_id, who)
        if not times:
            await respond(
                interaction,
                "The visit is too close for that, but `/checkin report` makes your packet now.",
            )
            return
        stamps = " and ".join(f"<t:{int(at.timestamp())}:F>" for at in times)
        await respond(
            interaction,
            f"Okay. I'll DM you your visit packet (for “{safe(who)}”) {stamps}. Cancelling "
            "the reminder stops it.",
        )


def offer_view(reminder_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in OFFER_LABELS:
        view.add_item(PacketOfferButton(answer, reminder_id))
    return view


DYNAMIC_ITEMS = (PacketOfferButton,)
