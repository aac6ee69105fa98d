"""/checkin: check in, see your history, get a report for your provider, questions for
your provider, and daily prompts. Registers the check-ins' senders."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import CANNOT_DM
from bot.groups import MemberGroup, with_group
from bot.services.charts import checkins_csv
from bot.services.checkins import (
    HISTORY_DAYS,
    SLEEP_WORDS,
    CheckinDraft,
    Period,
    parse_sleep,
    period,
    share_choice,
    validate_days,
)
from bot.services.crisis import assess
from bot.services.packet import draw_packet
from bot.tree import anywhere, group_of, member_zone, respond
from bot.ui.crisis import card_if_crisis, show_card
from bot.ui.packet import (
    add_question,
    list_questions,
    packet_file,
    question_choices,
    remove_question,
    who_for,
)
from cogs.checkins.form import FORM_ITEMS, FormDefaults, open_form
from cogs.checkins.senders import register_senders
from cogs.checkins.submit import submit_checkin
from cogs.checkins.ui import DYNAMIC_ITEMS, CheckinNoteModal, history_embed
from cogs.checkins.words import (
    CRAVING_CHOICES,
    MOOD_CHOICES,
    NO_GROUP,
    PACKET_NAME_CHOICES,
    SHARE_CHOICES,
    SLEEP_SUGGESTIONS,
    SOBER_CHOICES,
    report_text,
)

if TYPE_CHECKING:
    from bot.app import MusterBot


@anywhere
class CheckinCog(commands.GroupCog, group_name="checkin"):
    """Check in, see your history, and get a report for your provider."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, *FORM_ITEMS)
        register_senders(self.bot)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS, *FORM_ITEMS)

    @app_commands.command(name="now")
    @app_commands.describe(
        mood="How are you feeling overall?",
        sleep="Hours of sleep (like 7 or 6.5), or poor / ok / good",
        cravings="Any cravings today?",
        sober="Sober today?",
        share="Who sees it (your last choice if you leave this out)",
        add_note="Add a short note (opens a form)",
    )
    @app_commands.choices(mood=MOOD_CHOICES)
    @app_commands.choices(cravings=CRAVING_CHOICES, sober=SOBER_CHOICES, share=SHARE_CHOICES)
    async def now(
        self,
        interaction: discord.Interaction[MusterBot],
        mood: app_commands.Choice[int] | None = None,
        sleep: app_commands.Range[str, 1, 20] | None = None,
        cravings: app_commands.Choice[str] | None = None,
        sober: app_commands.Choice[str] | None = None,
        share: app_commands.Choice[str] | None = None,
        add_note: bool = False,
    ) -> None:
        """Check in (leave the options out for a form): mood, sleep, cravings, sober today."""
        # Checked before it is parsed: crisis words here are never just "not a number". Such
        # words can't parse, so the card is never followed by a form (which must come first).
        await card_if_crisis(interaction, sleep)
        parse_sleep(sleep)  # a clear error now, before a form is opened
        chosen = share_choice(share.value) if share is not None else None
        if mood is None or sleep is None or cravings is None or sober is None:
            # The form, holding what was given: it must be the first answer (R1).
            given = FormDefaults(
                mood=mood.value if mood else None, sleep=sleep, share=chosen,
                cravings=cravings.value if cravings else None,
                sober=sober.value if sober else None,
            )  # fmt: skip
            await open_form(interaction, given, guild_id=interaction.guild_id)
            return
        draft = CheckinDraft(
            user_id=interaction.user.id,
            guild_id=group_of(interaction),
            request_key=interaction.id,
            mood=mood.value,
            sleep=sleep,
            cravings=cravings.value,
            sober=sober.value,
            note=None,
            share=chosen,
        )
        if add_note:
            # A form must be the first answer: nothing touches the database before it (R1).
            await interaction.response.send_modal(CheckinNoteModal(self, draft))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.submit(interaction, draft)

    async def submit(self, interaction: discord.Interaction[Any], draft: CheckinDraft) -> None:
        if group_of(interaction) is not None:
            await submit_checkin(self.bot, interaction, draft)
            return
        # Outside its group's server (Muster's DM; through a user install, any DM, group DM
        # or server Muster isn't in): saved for the member's group, picked when there are
        # several; a shared one goes to that server's channel, never here. A crisis note's
        # card comes before the question.
        crisis = assess(draft.note).crisis
        if crisis:
            await show_card(interaction)

        async def save_for(answer: discord.Interaction[Any], group: MemberGroup | None) -> None:
            await submit_checkin(
                self.bot,
                answer,
                replace(draft, guild_id=group.guild_id if group else None),
                name=group.display_name if group else None,
                card_shown=crisis,
            )

        await with_group(interaction, "Which group is this check-in for?", save_for)

    async def _period(self, interaction: discord.Interaction[MusterBot], days: int) -> Period:
        """The member's last `days` days, in their zone."""
        services = self.bot.services
        zone = await member_zone(interaction)
        return await period(
            services.clock, services.checkins, services.medications, interaction.user.id, zone, days
        )

    @app_commands.command(name="history")
    @app_commands.checks.cooldown(3, 60, key=lambda i: i.user.id)  # charts take CPU
    async def history(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Your last 30 days as a private chart and a short summary."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        period = await self._period(interaction, HISTORY_DAYS)
        if not period.entries:
            await respond(
                interaction, "No check-ins in the last 30 days yet. Start with `/checkin now`."
            )
            return
        png = await period.chart("Your last 30 days")
        embed = history_embed(period)
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename="history.png"), ephemeral=True
        )

    @app_commands.command(name="report")
    @app_commands.checks.cooldown(3, 300, key=lambda i: i.user.id)
    @app_commands.describe(
        days="How many days back (30 if you leave it out; up to 365)",
        name="On the PDF for your provider: your initials (if you leave it out) or your name",
    )
    @app_commands.choices(name=PACKET_NAME_CHOICES)
    async def report(
        self,
        interaction: discord.Interaction[MusterBot],
        days: int | None = None,
        name: app_commands.Choice[str] | None = None,
    ) -> None:
        """A report for your provider by DM: a one-page PDF, a chart and a table of check-ins."""
        span = validate_days(days)
        await interaction.response.defer(ephemeral=True, thinking=True)
        period = await self._period(interaction, span)
        first, today, changes = period.first, period.today, period.changes
        png = await period.chart(f"Check-ins {first:%b %-d} to {today:%b %-d, %Y}")
        who = who_for(interaction.user, "name" if name and name.value == "name" else "initials")
        packet = await self.bot.services.packets.gather(interaction.user.id, period.zone, span, who)
        pdf = await draw_packet(packet)
        text = report_text(period)

        def files() -> list[discord.File]:
            return [
                packet_file(pdf),
                discord.File(io.BytesIO(png), filename="checkins.png"),
                discord.File(
                    io.BytesIO(checkins_csv(period.entries, changes)), filename="checkins.csv"
                ),
            ]

        try:
            await interaction.user.send(text, files=files())
        except discord.Forbidden as error:
            if error.code != CANNOT_DM:
                raise
            await interaction.followup.send(
                "Your DMs are closed to me, so here is your report privately instead.\n\n"
                + text[:1900],
                files=files(),
                ephemeral=True,
            )
            return
        await respond(
            interaction,
            "I've sent your report (a one-page PDF for your provider, a chart and a table of "
            "every check-in) to your DMs.",
        )

    questions = app_commands.Group(
        name="questions", description="Your questions for your provider, for your report"
    )

    @questions.command(name="add")
    @app_commands.describe(question="A question you want to ask at your next visit")
    async def questions_add(
        self, interaction: discord.Interaction[MusterBot], question: app_commands.Range[str, 1, 200]
    ) -> None:
        """Add a question for your provider; it goes on your /checkin report."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, question)
        await add_question(interaction, question)

    @questions.command(name="list")
    async def questions_list(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See your questions for your provider."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await list_questions(interaction)

    @questions.command(name="remove")
    @app_commands.describe(question="The question to remove: type its words or number, pick it")
    async def questions_remove(
        self, interaction: discord.Interaction[MusterBot], question: app_commands.Range[str, 1, 100]
    ) -> None:
        """Remove one of your questions for your provider."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await remove_question(interaction, question)

    @questions_remove.autocomplete("question")
    async def question_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await question_choices(interaction, current)

    @app_commands.command(name="prompt")
    @app_commands.describe(at="A time of day in your time zone, like 8pm; or off")
    async def prompt(
        self, interaction: discord.Interaction[MusterBot], at: app_commands.Range[str, 1, 20]
    ) -> None:
        """Get a gentle DM each day at a time you pick, reminding you to check in."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, at)
        services = self.bot.services
        if at.strip().casefold() in ("off", "stop", "none", "no"):
            stopped = await services.prompts.stop(interaction.user.id)
            await respond(
                interaction,
                "Daily prompts are off." if stopped else "Daily prompts were already off.",
            )
            return

        async def turn_on(answer: discord.Interaction[Any], group: MemberGroup | None) -> None:
            if group is None:
                await respond(answer, NO_GROUP)
                return
            zone = await services.zone_of(answer.user.id, group.guild_id)
            prompt = await services.prompts.set(answer.user.id, group.guild_id, at, zone)
            await respond(
                answer,
                f"Okay. I'll DM you every day at {prompt.local_time} ({zone}); the first is "
                f"<t:{int(prompt.next_at.timestamp())}:R>. Use `/checkin prompt off` to stop.",
            )

        await with_group(interaction, "Which group are the prompts for?", turn_on)

    @now.autocomplete("sleep")
    async def sleep_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().casefold()
        options = [s for s in SLEEP_SUGGESTIONS if s.startswith(typed)] or SLEEP_SUGGESTIONS
        named = [SLEEP_WORDS.get(s, f"{s} hours") for s in options]
        return [app_commands.Choice(name=n, value=s) for n, s in zip(named, options, strict=True)][
            :25
        ]
