"""/checkin, /meds and /sobriety, and the deliveries they schedule: delayed anonymous posts,
milestones, daily prompts and the weekly group summary."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.engine import DATABASE_ERRORS
from bot.delivery import CANNOT_DM, SEND_ERRORS, find_sent, send_failure, send_once, send_outcome
from bot.dm import dm_outcome
from bot.errors import UserFacingError
from bot.groups import MemberGroup, with_group
from bot.scheduling import Delivery, Due, not_set_up
from bot.services.anonymous import ANONYMOUS_POST_DEADLINE
from bot.services.charts import (
    NO_ADVICE,
    checkins_csv,
    daily_points,
    draw_chart,
    entry_line,
    summary_lines,
)
from bot.services.checkins import (
    CRAVINGS,
    HISTORY_DAYS,
    MOODS,
    RELEASE,
    SHARES,
    SOBER,
    CheckinDraft,
    Entry,
    Share,
    Summary,
    parse_sleep,
    validate_days,
)
from bot.services.crisis_language import assess
from bot.services.journal import (
    MILESTONE,
    MILESTONE_LATE_LIMIT,
    MedChange,
    MilestoneShare,
    milestone_words,
)
from bot.services.packet import draw_packet
from bot.services.rhythm import PROMPT, PROMPT_LATE_LIMIT, SUMMARY, SUMMARY_DEADLINE, WeeklySummary
from bot.services.text import plural
from bot.tree import anywhere, group_of, member_zone, report_error, respond
from bot.ui.checkin_form import FORM_ITEMS, CheckinFormButton, FormDefaults, open_form
from bot.ui.checkin_submit import submit_checkin
from bot.ui.checkins import (
    DYNAMIC_ITEMS,
    PostOptionsButton,
    StopPromptsButton,
    anonymous_post_embed,
    delete_post_message,
)
from bot.ui.crisis import CrisisCardButton, card_if_crisis, show_card
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.packet import (
    add_question,
    list_questions,
    packet_file,
    question_choices,
    remove_question,
    who_for,
)

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

MOOD_CHOICES = [app_commands.Choice(name=f"{n} · {w}", value=n) for n, w in MOODS.items()]
CRAVING_CHOICES = [app_commands.Choice(name=w, value=k) for k, w in CRAVINGS.items()]
SOBER_CHOICES = [app_commands.Choice(name=w, value=k) for k, w in SOBER.items()]
SHARE_CHOICES = [app_commands.Choice(name=w, value=k) for k, w in SHARES.items()]
MILESTONE_CHOICES = [
    app_commands.Choice(name="Keep them to myself", value="none"),
    app_commands.Choice(name="Celebrate in the group anonymously", value="anonymous"),
    app_commands.Choice(name="Celebrate in the group with my name", value="named"),
]
PACKET_NAME_CHOICES = [
    app_commands.Choice(name="My initials", value="initials"),
    app_commands.Choice(name="My name", value="name"),
]
SLEEP_SUGGESTIONS = ["poor", "ok", "good", "4", "5", "6", "7", "8", "9", "10"]
# Recording a sent post's message id can fail on the database or on the post's own state.
RECORDING_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, UserFacingError)
NO_GROUP = (
    "I couldn't find a server of yours that I'm in, so there's no group to share with. "
    "Everything private still works here."
)
SOME_UNREADABLE = (
    "Some of your notes could not be read with the keys I have now, so they show as "
    "“(text could not be read)”. Everything else is here."
)


@dataclass(frozen=True)
class Period:
    """What `/checkin history` and `/checkin report` show."""

    zone: str
    first: date
    today: date
    entries: list[Entry]
    changes: list[MedChange]
    summary: Summary

    @property
    def unreadable(self) -> bool:
        """Some notes or medication entries could not be decrypted (R28)."""
        return any(entry.note_unreadable for entry in self.entries) or any(
            not change.readable for change in self.changes
        )

    async def chart(self, title: str) -> bytes:
        """The PNG, drawn in the drawing process from one point per day."""
        return await draw_chart(
            daily_points(self.entries), self.changes, title=title, first=self.first, last=self.today
        )


class CheckinNoteModal(discord.ui.Modal, title="Add a note"):
    """The optional note. The check-in is keyed by the slash command's id, so submitting this
    form twice saves one check-in (R15)."""

    def __init__(self, cog: CheckinCog, draft: CheckinDraft) -> None:
        super().__init__(timeout=900)
        self.cog = cog
        self.draft = draft
        self.note: discord.ui.TextInput[CheckinNoteModal] = discord.ui.TextInput(
            label="Your note (optional)",
            custom_id="checkin:note",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
            placeholder="Anything on your mind. Your provider may want to see it too.",
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = CheckinDraft(**{**self.draft.__dict__, "note": self.note.value or None})
        await self.cog.submit(interaction, draft)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


@anywhere
class CheckinCog(commands.GroupCog, group_name="checkin"):
    """Check in, see your history, and get a report for your provider."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, *FORM_ITEMS)
        services = self.bot.services
        scheduler = services.scheduler
        scheduler.register(
            RELEASE,
            AnonymousPostDelivery(self.bot),
            deadline=ANONYMOUS_POST_DEADLINE,
            record=services.anonymous.record_posted,
        )
        scheduler.register(MILESTONE, MilestoneDelivery(self.bot), deadline=MILESTONE_LATE_LIMIT)
        scheduler.register(PROMPT, PromptDelivery(self.bot), deadline=PROMPT_LATE_LIMIT)
        scheduler.register(SUMMARY, SummaryDelivery(self.bot), deadline=SUMMARY_DEADLINE)

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
        """The member's last `days` days, in their zone: check-ins, medication changes, summary."""
        services = self.bot.services
        zone = await member_zone(interaction)
        today = services.clock.now().astimezone(ZoneInfo(zone)).date()
        first = today - timedelta(days=days - 1)
        entries = await services.checkins.entries(interaction.user.id, zone, days)
        changes = await services.medications.history(interaction.user.id, first)
        return Period(
            zone=zone, first=first, today=today, entries=entries,
            changes=[change for change in changes if change.changed_on <= today],
            summary=services.checkins.summarize(entries, today),
        )  # fmt: skip

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
        embed = discord.Embed(
            title="Your last 30 days",
            colour=CALM_BLUE,
            description="\n".join(
                summary_lines(period.summary) + ([SOME_UNREADABLE] if period.unreadable else [])
            ),
        )
        embed.add_field(
            name="Latest",
            value="\n".join(entry_line(e) for e in period.entries[-5:])[:1024],
            inline=False,
        )
        embed.set_image(url="attachment://history.png")
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
        lines = [
            f"**Your check-in report, {first:%B %-d} to {today:%B %-d, %Y}** ({period.zone})",
            "",
        ]
        lines += summary_lines(period.summary)
        if changes:
            lines += ["", "Medication changes you recorded:"]
            lines += [
                f"- {c.changed_on:%b %-d, %Y}: {safe(c.medication)} {safe(c.dose)}" for c in changes
            ]
        if period.unreadable:
            lines += ["", SOME_UNREADABLE]
        lines += ["", f"_{NO_ADVICE}_"]
        text = "\n".join(lines)[:2000]

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
        label = {"poor": "Poor", "ok": "OK", "good": "Good"}
        return [app_commands.Choice(name=label.get(s, f"{s} hours"), value=s) for s in options][:25]


@anywhere
class MedsCog(commands.GroupCog, group_name="meds"):
    """Your private log of medication changes your prescriber decided."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="log")
    @app_commands.describe(
        medication="The medication's name",
        dose="The new dose, as your prescriber gave it",
        date="When it changed (today if you leave it out), e.g. Nov 3",
        note="Anything to remember",
    )
    async def log(
        self,
        interaction: discord.Interaction[MusterBot],
        medication: app_commands.Range[str, 1, 100],
        dose: app_commands.Range[str, 1, 100],
        date: app_commands.Range[str, 1, 40] | None = None,
        note: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Record a medication change your prescriber decided. Private; never advice."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, medication, dose, date, note)
        zone = await member_zone(interaction)
        change = await self.bot.services.medications.log(
            user_id=interaction.user.id,
            medication=medication,
            dose=dose,
            when=date,
            note=note,
            zone=zone,
            request_key=interaction.id,
        )
        await respond(
            interaction,
            f"Noted: {safe(change.medication)}, {safe(change.dose)}, "
            f"from {change.changed_on:%B %-d, %Y}. "
            "Only you can see this; it's marked on your `/checkin report`.\n"
            "_Your own record of what your prescriber decided; "
            "Muster doesn't give medical advice._",
        )

    @app_commands.command(name="history")
    async def history(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See the medication changes you've recorded."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        changes = await self.bot.services.medications.history(interaction.user.id)
        if not changes:
            await respond(
                interaction, "You haven't recorded any medication changes. Use `/meds log`."
            )
            return
        lines = [
            f"**{c.changed_on:%b %-d, %Y}**: {safe(c.medication)}, {safe(c.dose)}"
            + (f" ({safe(c.note)})" if c.note else "")
            for c in changes
        ]
        shown = lines[-40:]
        if any(not change.readable for change in changes):
            shown.insert(0, SOME_UNREADABLE + "\n")
        embed = discord.Embed(
            title="Your medication changes",
            colour=CALM_BLUE,
            description="\n".join(shown)[:4000],
        )
        embed.set_footer(text="Private to you. Muster gives no medical advice.")
        await respond(interaction, embed=embed)


@anywhere
class SobrietyCog(commands.GroupCog, group_name="sobriety"):
    """A counter that keeps your history and celebrates milestones, if you want."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="set")
    @app_commands.describe(
        since="The day you started (today if you leave it out), e.g. Oct 1",
        milestones="Celebrate milestones in the group? (private unless you choose)",
    )
    @app_commands.choices(milestones=MILESTONE_CHOICES)
    async def set(
        self,
        interaction: discord.Interaction[MusterBot],
        since: app_commands.Range[str, 1, 40] | None = None,
        milestones: app_commands.Choice[str] | None = None,
    ) -> None:
        """Start your counter, or correct its start date."""
        share = share_of(milestones.value) if milestones is not None else "none"
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, since)

        async def start(answer: discord.Interaction[Any], group: MemberGroup | None) -> None:
            if share != "none" and group is None:
                await respond(answer, NO_GROUP)
                return
            guild_id = group.guild_id if group is not None else None
            zone = await self.bot.services.zone_of(answer.user.id, guild_id)
            status = await self.bot.services.sobriety.set(
                user_id=answer.user.id, since=since, share=share, guild_id=guild_id, zone=zone
            )
            where = {
                "none": "kept to you",
                "anonymous": "celebrated in the group anonymously",
                "named": "celebrated in the group with your name",
            }[status.share]
            await respond(
                answer,
                f"Counting from {status.started_on:%B %-d, %Y}: "
                f"**{plural(status.days, 'day')}**. Next milestone: "
                f"{milestone_words(status.next_milestone_days)} on "
                f"{status.next_milestone_on:%B %-d}. Milestones are {where}.",
            )

        if share == "none" and group_of(interaction) is None:  # kept to them: no group needed
            await start(interaction, None)
            return
        await with_group(interaction, "Which group should celebrate your milestones?", start)

    @app_commands.command(name="reset")
    async def reset(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Start counting again from today. Your history stays."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await member_zone(interaction)
        reached, status = await self.bot.services.sobriety.reset(interaction.user.id, zone)
        await respond(
            interaction,
            f"Okay, counting again from today. The {plural(reached, 'day')} you had still "
            f"happened, and they count. Your longest run is "
            f"{plural(status.longest_days, 'day')}. One day at a time.",
        )

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See your counter, your longest run and your next milestone."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await member_zone(interaction)
        status = await self.bot.services.sobriety.status(interaction.user.id, zone)
        if status is None:
            await respond(
                interaction, "You haven't started a counter. Use `/sobriety set` when you're ready."
            )
            return
        # "Fresh starts", never "attempts" (read as suicide attempts here): the times the
        # member began again, shown once there has been one.
        fresh = status.attempts - 1
        again = f" · Fresh starts: {fresh}" if fresh > 0 else ""
        await respond(
            interaction,
            f"**{plural(status.days, 'day')}** since {status.started_on:%B %-d, %Y}.\n"
            f"Longest run: {plural(status.longest_days, 'day')}{again}\n"
            f"Next milestone: {milestone_words(status.next_milestone_days)} on "
            f"{status.next_milestone_on:%B %-d, %Y}.",
        )


def share_choice(value: str) -> Share:
    """A share choice as sent; anything unexpected (a forged value) keeps it private."""
    return "anonymous" if value == "anonymous" else "named" if value == "named" else "private"


def share_of(value: str) -> MilestoneShare:
    return "anonymous" if value == "anonymous" else "named" if value == "named" else "none"


class AnonymousPostDelivery:
    """A server's release delivery: posts the anonymous check-in it was booked for, with
    channel.send, never as an interaction answer (R2): no interaction metadata, mentions off,
    one button without ids. Then books the next release (see book_release)."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        guild_id = RELEASE.parse(due.source)
        prepared = await services.anonymous.due_post(due, now)
        if isinstance(prepared, Delivery):
            if prepared.status == "cancelled":
                prepared = await self._take_down_lost_copy(due, prepared)
            await services.scheduler.scheduled(await services.anonymous.book_next(guild_id, now))
            return prepared
        zone = (await services.guild_settings.get(guild_id)).timezone
        day = prepared.post_after.astimezone(ZoneInfo(zone)).date()
        view = discord.ui.View(timeout=None)
        view.add_item(PostOptionsButton())
        outcome = await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                self.bot.get_partial_messageable(prepared.channel_id),
                embed=anonymous_post_embed(prepared, day),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
                # Per post, not per release: a release pointed at another post since (a
                # hold-back) must not hand Discord this nonce for a different message.
                nonce=anonymous_nonce(prepared.post_id),
            )
        )
        if outcome.message_id is None:  # not sent
            if outcome.status == "failed_permanent":
                await services.anonymous.mark_failed(prepared.post_id)
                await services.scheduler.scheduled(
                    await services.anonymous.book_next(guild_id, now)
                )
            return outcome  # transient: this delivery is tried again, the others wait
        await self._take_down_if_withdrawn(
            prepared.post_id, prepared.channel_id, outcome.message_id
        )
        await services.scheduler.scheduled(
            await services.anonymous.book_next(guild_id, now, done=prepared.post_id)
        )
        # Recorded with the settle, in one transaction, and retried until it is (R30).
        return outcome

    async def _take_down_lost_copy(self, due: Due, outcome: Delivery) -> Delivery:
        """Withdrawn or removed after an attempt whose answer was lost: Discord may show it.
        Found in the channel, it is recorded and taken down; its author was told it would be."""
        lost = await self.bot.services.anonymous.gone_but_maybe_sent(due)
        if lost is None:
            return outcome
        title = f"Check-in from {lost.pseudonym}"
        channel = self.bot.get_partial_messageable(lost.channel_id)
        try:
            found = await find_sent(
                self.bot, due, channel, _titled(title), nonce=anonymous_nonce(lost.post_id)
            )
        except SEND_ERRORS as error:
            return send_failure(error)  # looked for again on the retry
        if found is None:
            return outcome
        await self._take_down_if_withdrawn(lost.post_id, lost.channel_id, found.id)
        return Delivery("cancelled", "withdrawn; the copy that reached the channel was taken down")

    async def _take_down_if_withdrawn(self, post_id: int, channel_id: int, message_id: int) -> None:
        """The author withdrew it (or a moderator removed it) while the send was in flight:
        it is recorded now, and taken down. If this fails, the settle still records it."""
        try:
            gone_already = await self.bot.services.anonymous.attach_message(post_id, message_id)
            if gone_already:
                await delete_post_message(self.bot, channel_id, message_id)
        except RECORDING_ERRORS:
            log.warning("Could not record or take down post #%s after sending", post_id)


def anonymous_nonce(post_id: int) -> str:
    """An anonymous post's nonce: per post, as its release may move to another post."""
    return f"anon-{post_id}"


class MilestoneDelivery:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        milestone = await services.sobriety.prepare(due, now)
        if isinstance(milestone, Delivery):
            return milestone
        config = await services.guild_settings.get(milestone.guild_id)
        if config.checkin_channel_id is None:
            return not_set_up("check-in")
        reached = milestone_words(milestone.days)
        if milestone.named_user_id is not None:
            text = f"🎉 <@{milestone.named_user_id}> reached **{reached}** today. Well done!"
        else:
            text = (
                f"🎉 Someone in the group reached **{reached}** today. Well done, whoever you are!"
            )
        channel = self.bot.get_partial_messageable(config.checkin_channel_id)
        return await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                channel,
                content=text,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        )


class PromptDelivery:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prompt = await services.prompts.prepare(due, now)
        if isinstance(prompt, Delivery):
            return prompt
        guild = self.bot.get_guild(prompt.guild_id)
        where = f" in {safe(guild.name)}" if guild is not None else ""
        view = discord.ui.View(timeout=None)
        view.add_item(CheckinFormButton(prompt.guild_id))
        view.add_item(StopPromptsButton())
        view.add_item(CrisisCardButton())
        return await dm_outcome(
            self.bot,
            prompt.user_id,
            content="Hi. How are you doing today? When you're ready, **Check in** takes a "
            f"few seconds (or `/checkin now`{where}). No pressure.",
            view=view,
            due=due,
        )


def summary_title(week_ending: date) -> str:
    """One week's summary, and only it, has this title: how a lost attempt is found again."""
    return f"The week in anonymous check-ins (to {week_ending:%B %-d})"


def summary_embed(summary: WeeklySummary) -> discord.Embed:
    embed = discord.Embed(
        title=summary_title(summary.week_ending),
        description=(
            f"{plural(summary.authors, 'member')} shared {plural(summary.posts, 'check-in')} "
            "anonymously this week. Thank you for showing up for each other."
        ),
        colour=CALM_BLUE,
    )
    moods = "\n".join(
        f"{MOODS[level]}: {summary.moods.get(level, 0)}" for level in sorted(MOODS, reverse=True)
    )
    embed.add_field(name="Moods", value=moods)
    embed.add_field(name="Sober that day", value=plural(summary.sober, "check-in"))
    embed.set_footer(
        text="Counts the anonymous posts shown here this week (Monday to Sunday), and only "
        "when enough members posted. Named and private check-ins never count."
    )
    return embed


class SummaryDelivery:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        guild_id = SUMMARY.parse(due.source)
        config = await services.guild_settings.get(guild_id)
        summary = await services.summaries.prepare(due, config)
        if isinstance(summary, Delivery):
            if summary.status != "cancelled" or config.checkin_channel_id is None:
                return summary
            # Fewer members now (a post taken down since) than when an attempt whose answer
            # was lost may have posted it: if it is in the channel, it went out.
            ending = (due.due_at - timedelta(days=1)).astimezone(ZoneInfo(config.timezone))
            channel = self.bot.get_partial_messageable(config.checkin_channel_id)
            try:
                found = await find_sent(self.bot, due, channel, _titled(summary_title(ending)))
            except SEND_ERRORS as error:
                return send_failure(error)
            return summary if found is None else Delivery("sent", message_id=found.id)
        return await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                self.bot.get_partial_messageable(summary.channel_id),
                # Its counts may have changed since a lost attempt: the week is what matches.
                same=_titled(summary_title(summary.week_ending)),
                embed=summary_embed(summary),
            )
        )


def _titled(title: str) -> Callable[[discord.Message], bool]:
    return lambda message: bool(message.embeds) and message.embeds[0].title == title
