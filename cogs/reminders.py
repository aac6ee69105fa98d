"""/remind and /settings: personal reminders by DM, and the member's own time zone."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.dm import dm_outcome
from bot.errors import UserFacingError
from bot.scheduling import (
    DISCORD_UNAVAILABLE,
    DMS_CLOSED,
    INVALID_BODY,
    LATE,
    MISSING_PERMISSION,
    NETWORK,
    RATE_LIMITED,
    UNEXPECTED,
    UNKNOWN_CHANNEL,
    Delivery,
    Due,
)
from bot.services.packet import APPOINTMENT_KINDS
from bot.services.reminders import KINDS, REMINDER, ReminderInfo, ReminderMessage, parse_when
from bot.services.timezones import resolve_timezone, timezone_choices
from bot.tree import anywhere, group_of, member_zone, report_error, reporting, respond, services_of
from bot.ui.crisis import card_if_crisis
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.packet import OFFER, offer_view

if TYPE_CHECKING:
    from bot.app import MusterBot


KIND_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in KINDS.items() if key != "leave"
]
BUTTON_LABELS = {
    "snooze10m": "Remind me in 10 minutes",
    "snooze1h": "Remind me in 1 hour",
    "tomorrow": "Remind me tomorrow",
    "done": "Done",
    "leave": "Set a time-to-leave reminder",
}
SNOOZE_CHOICES = {"snooze10m": "10m", "snooze1h": "1h", "tomorrow": "tomorrow"}
# The stored text could not be decrypted (R28): the reminder still comes, saying so.
UNREADABLE_REMINDER = "You have a reminder now (its text could not be read)."
ANSWER_WAIT_STEPS = 60  # 3 s in 50 ms steps: an interaction unanswered by then has failed
DMS_CLOSED_NOTICE = (
    "I tried to send you a reminder by DM, but your DMs are closed to me. To get reminders, "
    "allow direct messages from this server's members (in the server's Privacy settings), "
    "then use `/remind list` to see what you missed."
)


# What /remind list says about a reminder that didn't reach the member, by its real cause.
WHAT_HAPPENED = {
    DMS_CLOSED: "Couldn't be delivered: your DMs are closed to me.",
    RATE_LIMITED: "Didn't reach you: Discord was having trouble and I couldn't get it to you "
    "before the time passed. I'm sorry.",
    DISCORD_UNAVAILABLE: "Didn't reach you: Discord was having trouble and I couldn't get it "
    "to you before the time passed. I'm sorry.",
    NETWORK: "Didn't reach you: I couldn't reach Discord before the time passed. I'm sorry.",
    UNEXPECTED: "Didn't reach you: something went wrong on my side before the time passed. "
    "I'm sorry.",
    LATE: "Missed: I was offline when it was due.",
    MISSING_PERMISSION: "Couldn't be delivered: Discord wouldn't let me send it.",
    UNKNOWN_CHANNEL: "Couldn't be delivered: Discord couldn't find where to send it.",
    INVALID_BODY: "Couldn't be delivered: Discord wouldn't accept it.",
}
UNKNOWN_PROBLEM = "Didn't reach you, I'm sorry."
STILL_TRYING = "Running late: I couldn't reach you through Discord yet, and I'm still trying."
CAUGHT_UP_NOTE = "Reached you late: I sent the latest one and folded the earlier ones into it."
# The late note on a DM, by why the last try failed; no failed try means Muster was offline.
WHY_LATE = {
    RATE_LIMITED: "Discord was having trouble, so I couldn't send it sooner.",
    DISCORD_UNAVAILABLE: "Discord was having trouble, so I couldn't send it sooner.",
    NETWORK: "I couldn't reach Discord until now.",
    UNEXPECTED: "Something went wrong on my side, and I couldn't send it sooner.",
}
OFFLINE = "I was offline."


def _lead_words(minutes: int) -> str:
    if minutes == 0:
        return "at the time"
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "1 day before" if days == 1 else f"{days} days before"
    hours = minutes // 60
    return "1 hour before" if hours == 1 else f"{hours} hours before"


def reminder_line(view: ReminderInfo) -> str:
    stamp = int(view.event_at.timestamp())
    line = f"**{KINDS[view.kind]}**: {safe(view.text)}\n<t:{stamp}:F> (<t:{stamp}:R>)"
    if view.next_due is not None:
        line += f"\nNext reminder <t:{int(view.next_due.timestamp())}:R>"
    if view.retrying is not None:
        line += "\n" + STILL_TRYING
    if view.undelivered or view.missed:
        line += "\n" + WHAT_HAPPENED.get(view.cause or "", UNKNOWN_PROBLEM)
    elif view.caught_up:
        line += "\n" + CAUGHT_UP_NOTE
    return line


class ReminderButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"rem:(?P<action>snooze10m|snooze1h|tomorrow|done|leave):(?P<id>\d{1,12})",
):
    """Snooze, done and make-a-plan on a reminder DM. The id is the reminder's, never a user's;
    the clicker must own it."""

    def __init__(self, action: str, reminder_id: int) -> None:
        style = discord.ButtonStyle.success if action == "done" else discord.ButtonStyle.secondary
        if action == "leave":
            style = discord.ButtonStyle.primary
        super().__init__(
            discord.ui.Button(
                label=BUTTON_LABELS[action], style=style, custom_id=f"rem:{action}:{reminder_id}"
            )
        )
        self.action = action
        self.reminder_id = reminder_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ReminderButton:
        return cls(match["action"], int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        reminders = services_of(interaction).reminders
        user_id = interaction.user.id
        if self.action == "leave":
            # A modal must be the first answer: the reminder is looked up when it comes back.
            await interaction.response.send_modal(LeaveModal(self.reminder_id))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.action == "done":
            await reminders.done(user_id, self.reminder_id)
            await respond(interaction, "Marked done. Nice work.")
            return
        choice = SNOOZE_CHOICES[self.action]
        due_at = await reminders.snooze(user_id, self.reminder_id, choice)
        await respond(interaction, f"Okay, I'll remind you again <t:{int(due_at.timestamp())}:R>.")


class LeaveModal(discord.ui.Modal, title="When will you leave?"):
    def __init__(self, reminder_id: int) -> None:
        super().__init__(timeout=1800)
        self.reminder_id = reminder_id
        self.when: discord.ui.TextInput[LeaveModal] = discord.ui.TextInput(
            label="Time to leave", custom_id="leave:when", max_length=100,
            placeholder="e.g. 7:30am, or June 17 1:45pm",
        )  # fmt: skip
        self.plan: discord.ui.TextInput[LeaveModal] = discord.ui.TextInput(
            label="How you'll get there (optional)", custom_id="leave:plan", required=False,
            max_length=150, placeholder="Bus 12 from Main St, a ride from a friend...",
        )  # fmt: skip
        self.add_item(self.when)
        self.add_item(self.plan)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, self.when.value, self.plan.value)
        services = services_of(interaction)
        reminder = await services.reminders.get(interaction.user.id, self.reminder_id)
        if reminder is None:
            raise UserFacingError("I couldn't find that reminder among yours.")
        local_event = reminder.event_at.astimezone(ZoneInfo(reminder.timezone))
        # "7:30am" means that morning, the day of the event.
        text = self.when.value
        if re.fullmatch(r"\s*\d{1,2}(:\d{2})?\s*(am|pm)?\s*", text, flags=re.IGNORECASE):
            text = f"{local_event:%B %d %Y} {text}"
        leave_at = parse_when(text, reminder.timezone, services.clock.now())
        if leave_at >= reminder.event_at:
            raise UserFacingError("That's after the event starts. Pick a time before it.")
        plan = f" ({self.plan.value.strip()})" if self.plan.value.strip() else ""
        created = await services.reminders.create(
            user_id=interaction.user.id, guild_id=None, kind="leave",
            text=f"Leave for: {reminder.text}{plan}"[:200], event_at=leave_at,
            zone=reminder.timezone, interaction_id=interaction.id,
        )  # fmt: skip
        await respond(
            interaction,
            f"Done. I'll tell you it's time to leave <t:{int(created.event_at.timestamp())}:F>.",
        )

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


def reminder_embed(message: ReminderMessage) -> discord.Embed:
    stamp = int(message.event_at.timestamp())
    when = (
        "now"
        if message.lead_minutes == 0
        else _lead_words(message.lead_minutes).replace(" before", " to go")
    )
    embed = discord.Embed(
        title=f"{KINDS[message.kind]}: {when}",
        description=UNREADABLE_REMINDER if message.text is None else safe(message.text),
        colour=CALM_BLUE,
    )
    embed.add_field(name="When", value=f"<t:{stamp}:F> (<t:{stamp}:R>)", inline=False)
    if message.plan_prompt:
        embed.add_field(
            name="Make a plan",
            value=(
                "How will you get there, and when will you leave? "
                "Set a reminder for the time to leave."
            ),
            inline=False,
        )
    if message.late_since is not None:
        # A footer shows no <t:...> stamps: the time is written out in the member's zone.
        due = message.late_since.astimezone(ZoneInfo(message.timezone))
        embed.set_footer(
            text=f"Sorry, this is late: it should have reached you at "
            f"{due:%-I:%M %p} on {due:%A, %B %-d} ({message.timezone}). "
            + WHY_LATE.get(message.late_cause or "", OFFLINE)
        )
    return embed


def reminder_buttons(message: ReminderMessage) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if message.plan_prompt:
        view.add_item(ReminderButton("leave", message.reminder_id))
    for action, choice in SNOOZE_CHOICES.items():
        if choice in message.snoozes:
            view.add_item(ReminderButton(action, message.reminder_id))
    view.add_item(ReminderButton("done", message.reminder_id))
    return view


class ReminderDelivery:
    """Sends a due personal reminder by DM, and says how it went in the scheduler's terms."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prepared = await services.reminders.prepare(due, now)
        if isinstance(prepared, Delivery):
            return prepared
        return await dm_outcome(
            self.bot,
            prepared.user_id,
            embed=reminder_embed(prepared),
            view=reminder_buttons(prepared),
            due=due,
            deadline=prepared.deadline,
        )


@anywhere
class ReminderCog(commands.GroupCog, group_name="remind"):
    """Reminders by DM for court dates, appointments and anything else."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReminderButton)
        self.bot.services.scheduler.register(REMINDER, ReminderDelivery(self.bot))

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReminderButton)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction[MusterBot], command: Any
    ) -> None:
        self.bot.spawn(self._tell_if_dms_closed(interaction))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[MusterBot]) -> None:
        # Buttons and forms have no completion event: wait for their answer, then tell.
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            self.bot.spawn(self._tell_after_the_answer(interaction))

    async def _tell_after_the_answer(self, interaction: discord.Interaction[MusterBot]) -> None:
        for _ in range(ANSWER_WAIT_STEPS):
            if interaction.response.is_done():
                await self._tell_if_dms_closed(interaction)
                return
            await asyncio.sleep(0.05)

    async def _tell_if_dms_closed(self, interaction: discord.Interaction[MusterBot]) -> None:
        # Told privately, at their next interaction, that a DM couldn't reach them (R9).
        if await self.bot.services.member_settings.take_dm_notice(interaction.user.id):
            await interaction.followup.send(DMS_CLOSED_NOTICE, ephemeral=True)

    @app_commands.command(name="add")
    @app_commands.describe(
        what="What to remind you about",
        when="When, in your time zone: e.g. tomorrow 9am, June 17 2:30pm, in 2 hours",
        kind="Court dates and appointments get reminders 3 days, 1 day and 2 hours before",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction[MusterBot],
        what: app_commands.Range[str, 1, 200],
        when: app_commands.Range[str, 1, 100],
        kind: app_commands.Choice[str] | None = None,
    ) -> None:
        """Get a reminder by DM: court dates, appointments, anything."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, what, when)
        services = self.bot.services
        zone = await member_zone(interaction)
        event_at = parse_when(when, zone, services.clock.now())
        created = await services.reminders.create(
            user_id=interaction.user.id, guild_id=group_of(interaction),
            kind=kind.value if kind else "other", text=what, event_at=event_at,
            zone=zone, interaction_id=interaction.id,
        )  # fmt: skip
        local = created.event_at.astimezone(ZoneInfo(zone))
        stamp = int(created.event_at.timestamp())
        due_times = ", ".join(
            _lead_words(int((created.event_at - due).total_seconds() // 60))
            for due, state in await services.scheduler.states(REMINDER.source(created.id))
            if state == "pending"
        )
        text = (
            f"Got it. I'll remind you about “{safe(created.text)}” on "
            f"{local:%A, %B %-d at %-I:%M %p} ({zone}), which is <t:{stamp}:F> for you. "
            f"Reminders: {due_times}."
        )
        if created.kind in APPOINTMENT_KINDS:  # the visit packet, if they want it
            await respond(interaction, f"{text}\n\n{OFFER}", view=offer_view(created.id))
            return
        await respond(interaction, text)

    @app_commands.command(name="list")
    async def list_reminders(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See your upcoming reminders, and any that didn't reach you."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        views = await self.bot.services.reminders.list(interaction.user.id)
        if not views:
            await respond(interaction, "You have no reminders. Add one with `/remind add`.")
            return
        # Past ones stay for 12 hours (and missed ones until seen to), marked, after the rest:
        # what didn't reach the member is what they most need to see.
        now = self.bot.services.clock.now()
        lines = [reminder_line(view) for view in views if view.event_at > now] + [
            "Past: " + reminder_line(view) for view in views if view.event_at <= now
        ]
        embed = discord.Embed(title="Your reminders", colour=CALM_BLUE)
        embed.description = "\n\n".join(lines[:20])[:4096]
        await respond(interaction, embed=embed)

    @app_commands.command(name="cancel")
    @app_commands.describe(reminder="Which reminder to cancel")
    async def cancel(
        self, interaction: discord.Interaction[MusterBot], reminder: app_commands.Range[str, 1, 20]
    ) -> None:
        """Cancel one of your reminders."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not reminder.isdigit():
            raise UserFacingError("Pick one of your reminders from the list.")
        cancelled = await self.bot.services.reminders.cancel(interaction.user.id, int(reminder))
        await respond(interaction, f"Cancelled: “{safe(cancelled.text)}”.")

    @cancel.autocomplete("reminder")
    async def cancel_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        views = await self.bot.services.reminders.list(interaction.user.id)
        needle = current.lower()
        return [
            app_commands.Choice(name=f"{KINDS[view.kind]}: {view.text}"[:100], value=str(view.id))
            for view in views
            if needle in view.text.lower()
        ][:25]


@anywhere
class SettingsCog(commands.GroupCog, group_name="settings"):
    """Your own preferences."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    @app_commands.command(name="timezone")
    @app_commands.describe(zone="Your time zone, e.g. Eastern, Pacific, America/Chicago")
    async def timezone(
        self, interaction: discord.Interaction[MusterBot], zone: app_commands.Range[str, 1, 64]
    ) -> None:
        """Set your time zone, for reminders and times Muster reads from you."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await card_if_crisis(interaction, zone)
        name = resolve_timezone(zone)  # autocomplete only suggests: check what came back
        await self.bot.services.member_settings.set_timezone(interaction.user.id, name)
        local = self.bot.services.clock.now().astimezone(ZoneInfo(name))
        await respond(interaction, f"Your time zone is now {name}. It's {local:%-I:%M %p} there.")

    @timezone.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label[:100], value=zone)
            for label, zone in timezone_choices(current)
        ]
