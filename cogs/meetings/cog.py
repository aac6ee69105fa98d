"""/meeting for members and /meeting-admin for moderators."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_moderator, guild_object, guild_of
from bot.errors import UserFacingError
from bot.services.meetings import LEAD_CHOICES, MEETING
from bot.services.reminders import parse_when
from bot.tree import respond, servers_only
from bot.ui.embeds import CALM_BLUE, safe
from cogs.meetings.events import sync_event
from cogs.meetings.sender import MeetingSender
from cogs.meetings.ui import MeetingButton, close_posts

if TYPE_CHECKING:
    from bot.app import MusterBot


REPEAT_CHOICES = [
    app_commands.Choice(name="Just once", value="once"),
    app_commands.Choice(name="Every week", value="weekly"),
    app_commands.Choice(name="Every other week", value="biweekly"),
    app_commands.Choice(name="Monthly, same weekday (e.g. 2nd Tuesday)", value="monthly_weekday"),
    app_commands.Choice(name="Monthly, same date", value="monthly_day"),
]
LEAD_LABELS = {"day_and_hour": "1 day and 1 hour before", "hour": "1 hour before",
               "day": "1 day before", "none": "No reminders"}  # fmt: skip
LEAD_OPTIONS = [app_commands.Choice(name=label, value=key) for key, label in LEAD_LABELS.items()]


@servers_only
class MeetingCog(commands.GroupCog, group_name="meeting"):
    """Group meetings: when they are, and a calendar for your phone."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(MeetingButton)
        self.bot.services.scheduler.register(MEETING, MeetingSender(self.bot))

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(MeetingButton)

    @app_commands.command(name="list")
    @app_commands.guild_only()
    async def list_meetings(self, interaction: discord.Interaction[MusterBot]) -> None:
        """See the group's meetings, in your own time zone."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        meetings = await self.bot.services.meetings.list(guild_of(interaction))
        if not meetings:
            await respond(interaction, "No meetings are scheduled yet.")
            return
        embed = discord.Embed(title="Upcoming meetings", colour=CALM_BLUE)
        for meeting in meetings[:25]:
            when = (
                f"<t:{int(meeting.next_start.timestamp())}:F>"
                if meeting.next_start
                else "no more dates"
            )
            embed.add_field(
                name=safe(meeting.title)[:256],
                value=f"Next: {when}\nRepeats {meeting.rule.describe()}",
                inline=False,
            )
        embed.set_footer(text="Times show in your own time zone.")
        await respond(interaction, embed=embed)

    @app_commands.command(name="calendar")
    @app_commands.guild_only()
    async def calendar(self, interaction: discord.Interaction[MusterBot]) -> None:
        """Get the group's meetings as a calendar file for your phone."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = guild_object(interaction)
        data = await self.bot.services.meetings.calendar(guild.id, guild.name)
        await interaction.followup.send(
            "Open this file to add the meetings to your calendar; "
            "it follows the group's time zone.",
            file=discord.File(io.BytesIO(data), filename="meetings.ics"),
            ephemeral=True,
        )


@app_commands.default_permissions(manage_guild=True)
@servers_only
class MeetingAdminCog(commands.GroupCog, group_name="meeting-admin"):
    """Moderators: schedule and change the group's meetings."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[MusterBot]) -> bool:  # type: ignore[override]
        await ensure_moderator(interaction)
        return True

    async def _zone(self, guild_id: int) -> str:
        config = await self.bot.services.guild_settings.get(guild_id)
        if config.meetings_channel_id is None:
            raise UserFacingError(
                "Choose a meetings channel in `/setup start` first: that's where reminders go."
            )
        return config.timezone

    @app_commands.command(name="create")
    @app_commands.describe(
        title="The meeting's name",
        starts="First meeting, in the group's time zone: e.g. Nov 24 7pm",
        repeat="How it repeats", duration="Minutes (15 to 480)", place="Where, or a link",
        voice="A voice channel to meet in", role="The role to ping in reminders",
        reminders="When to remind the channel",
        discord_event="Also show it as a Discord event (needs the Create Events permission)",
    )  # fmt: skip
    @app_commands.choices(repeat=REPEAT_CHOICES, reminders=LEAD_OPTIONS)
    async def create(
        self,
        interaction: discord.Interaction[MusterBot],
        title: app_commands.Range[str, 1, 100],
        starts: app_commands.Range[str, 1, 100],
        repeat: app_commands.Choice[str],
        duration: app_commands.Range[int, 15, 480] = 60,
        place: app_commands.Range[str, 1, 200] | None = None,
        voice: discord.VoiceChannel | None = None,
        role: discord.Role | None = None,
        reminders: app_commands.Choice[str] | None = None,
        discord_event: bool = False,
    ) -> None:
        """Schedule a group meeting; reminders post in the meetings channel."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = guild_object(interaction)
        _check_own(guild, voice, role)
        zone = await self._zone(guild.id)
        starts_at = parse_when(starts, zone, self.bot.services.clock.now())
        meeting = await self.bot.services.meetings.create(
            guild_id=guild.id, actor_id=interaction.user.id, title=title,
            starts_at=starts_at, zone=zone,
            repeat=repeat.value, duration_minutes=duration, place=place,  # type: ignore[arg-type]
            voice_channel_id=voice.id if voice else None, role_id=role.id if role else None,
            leads=LEAD_CHOICES[reminders.value if reminders else "day_and_hour"],
            mirror_event=discord_event,
        )  # fmt: skip
        problem = await sync_event(self.bot, meeting)
        first = (
            f" First one <t:{int(meeting.next_start.timestamp())}:F>." if meeting.next_start else ""
        )
        await respond(
            interaction,
            f"Scheduled **{safe(meeting.title)}**: {meeting.rule.describe()} ({zone}).{first}"
            + (f"\n{problem}" if problem else ""),
        )

    @app_commands.command(name="edit")
    @app_commands.describe(
        meeting="Which meeting",
        title="New name",
        starts="New first date and time",
        place="New place",
        role="New role to ping",
    )
    async def edit(
        self,
        interaction: discord.Interaction[MusterBot],
        meeting: app_commands.Range[str, 1, 20],
        title: app_commands.Range[str, 1, 100] | None = None,
        starts: app_commands.Range[str, 1, 100] | None = None,
        place: app_commands.Range[str, 1, 200] | None = None,
        role: discord.Role | None = None,
    ) -> None:
        """Change a meeting's name, time, place or role."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = guild_object(interaction)
        _check_own(guild, None, role)
        starts_at = (
            parse_when(starts, await self._zone(guild.id), self.bot.services.clock.now())
            if starts
            else None
        )
        updated = await self.bot.services.meetings.edit(
            guild.id, interaction.user.id, _meeting_id(meeting), title=title, starts_at=starts_at,
            place=place, role_id=role.id if role else None,
        )  # fmt: skip
        problem = await sync_event(self.bot, updated, force=True)
        await respond(
            interaction,
            f"Updated **{safe(updated.title)}**: {updated.rule.describe()}."
            + (f"\n{problem}" if problem else ""),
        )

    @app_commands.command(name="skip")
    @app_commands.describe(meeting="Which meeting", date="The date to skip, e.g. Dec 1")
    async def skip(
        self,
        interaction: discord.Interaction[MusterBot],
        meeting: app_commands.Range[str, 1, 20],
        date: app_commands.Range[str, 1, 50],
    ) -> None:
        """Skip one date of a meeting; its reminders are cancelled."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = guild_of(interaction)
        series = await self.bot.services.meetings.get(guild_id, _meeting_id(meeting))
        starts_at = parse_when(
            f"{date} {series.rule.at:%H:%M}", series.rule.zone, self.bot.services.clock.now()
        )
        skipped = await self.bot.services.meetings.skip(
            guild_id, interaction.user.id, series.id, starts_at
        )
        problem = await sync_event(self.bot, skipped)
        await respond(
            interaction,
            f"Skipped **{safe(skipped.title)}** on <t:{int(starts_at.timestamp())}:D>."
            + (f"\n{problem}" if problem else ""),
        )

    @app_commands.command(name="cancel")
    @app_commands.describe(meeting="Which meeting series to cancel")
    async def cancel(
        self, interaction: discord.Interaction[MusterBot], meeting: app_commands.Range[str, 1, 20]
    ) -> None:
        """Cancel a meeting series and all its reminders."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancelled = await self.bot.services.meetings.cancel(
            guild_of(interaction), interaction.user.id, _meeting_id(meeting)
        )
        problem = await sync_event(self.bot, cancelled)
        await close_posts(self.bot, cancelled.guild_id, cancelled.id)
        await respond(
            interaction,
            f"Cancelled **{safe(cancelled.title)}** and its reminders."
            + (f"\n{problem}" if problem else ""),
        )

    @edit.autocomplete("meeting")
    @skip.autocomplete("meeting")
    @cancel.autocomplete("meeting")
    async def meeting_autocomplete(
        self, interaction: discord.Interaction[MusterBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            async with asyncio.timeout(2.0):
                meetings = await self.bot.services.meetings.list(interaction.guild_id)
        except TimeoutError:
            return []
        return [
            app_commands.Choice(name=meeting.title[:100], value=str(meeting.id))
            for meeting in meetings
            if current.lower() in meeting.title.lower()
        ][:25]


def _meeting_id(text: str) -> int:
    if not text.isdigit():
        raise UserFacingError("Pick a meeting from the list.")
    return int(text)


def _check_own(
    guild: discord.Guild, voice: discord.VoiceChannel | None, role: discord.Role | None
) -> None:
    """Options resolved by Discord should belong here; check anyway (R21)."""
    if voice is not None and guild.get_channel(voice.id) is None:
        raise UserFacingError("That voice channel isn't in this server.")
    if role is not None and guild.get_role(role.id) is None:
        raise UserFacingError("That role isn't in this server.")
