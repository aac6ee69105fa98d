"""/meeting for members, /meeting-admin for moderators, and the meeting reminders themselves."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_moderator, guild_object, guild_of
from bot.delivery import same_buttons, send_once, send_outcome
from bot.errors import UserFacingError
from bot.scheduling import Delivery, Due, not_set_up
from bot.services.meetings import (
    LEAD_CHOICES,
    MEETING,
    MeetingCancelled,
    MeetingInfo,
    MeetingNotice,
)
from bot.services.reminders import parse_when
from bot.tree import reporting, respond, servers_only, services_of
from bot.ui.embeds import CALM_BLUE, safe

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

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
ANSWER_LABELS = {"going": "Going", "maybe": "Maybe", "no": "Can't make it"}


def meeting_embed(
    meeting: MeetingInfo, starts_at: datetime, counts: dict[str, int], *, delayed: bool = False
) -> discord.Embed:
    stamp = int(starts_at.timestamp())
    title = f"{'(Delayed) ' if delayed else ''}Meeting: {safe(meeting.title)}"
    embed = discord.Embed(title=title[:256], colour=CALM_BLUE)
    embed.description = f"<t:{stamp}:F> (<t:{stamp}:R>), {meeting.duration_minutes} minutes"
    where = []
    if meeting.voice_channel_id:
        where.append(f"<#{meeting.voice_channel_id}>")
    if meeting.place:
        where.append(safe(meeting.place))
    if where:
        embed.add_field(name="Where", value=" / ".join(where)[:1024], inline=False)
    embed.add_field(
        name="Who's coming",
        value=(
            f"Going: {counts['going']} · Maybe: {counts['maybe']} · Can't make it: {counts['no']}"
        ),
        inline=False,
    )
    embed.set_footer(text=f"Repeats {meeting.rule.describe()} ({meeting.rule.zone}).")
    return embed


def meeting_buttons(
    meeting_id: int, starts_at: datetime, *, closed: bool = False
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ("going", "maybe", "no", "dm"):
        button = MeetingButton(action, meeting_id, int(starts_at.timestamp()))
        button.item.disabled = closed
        view.add_item(button)
    return view


def cancelled_embed(posted: discord.Embed) -> discord.Embed:
    """A reminder post of a cancelled meeting: the same, titled as cancelled."""
    embed = posted.copy()
    title = (embed.title or "").removeprefix("(Delayed) ").removeprefix("Cancelled: ")
    embed.title = f"Cancelled: {title}"[:256]
    return embed


async def close_posts(bot: MusterBot, guild_id: int, meeting_id: int) -> None:
    """A cancelled series: its reminder posts say so, and their buttons are disabled."""
    config = await bot.services.guild_settings.get(guild_id)
    if config.meetings_channel_id is None:
        return
    channel = bot.get_partial_messageable(config.meetings_channel_id)
    for message_id in await bot.services.meetings.posts(meeting_id):
        try:
            message = await channel.fetch_message(message_id)
            await message.edit(
                embeds=[cancelled_embed(embed) for embed in message.embeds[:1]],
                view=_closed_view(message) or discord.utils.MISSING,
            )
        except discord.HTTPException as error:  # deleted by hand, or no access: leave it
            log.info("Could not close a cancelled meeting's post (HTTP %s)", error.status)


def _closed_view(message: discord.Message) -> discord.ui.View | None:
    """The post's RSVP buttons, disabled; None if it has none."""
    for row in message.components:
        for child in getattr(row, "children", []):
            match = re.fullmatch(r"mtg:\w+:(\d{1,12}):(\d{1,12})", child.custom_id or "")
            if match:
                start = datetime.fromtimestamp(int(match[2]), UTC)
                return meeting_buttons(int(match[1]), start, closed=True)
    return None


class MeetingButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"mtg:(?P<action>going|maybe|no|dm):(?P<id>\d{1,12}):(?P<ts>\d{1,12})",
):
    """RSVP and DM-me on a meeting reminder. The custom id holds the meeting's id and start
    time, never a member's; every click is re-checked against the meeting."""

    def __init__(self, action: str, meeting_id: int, stamp: int) -> None:
        label = ANSWER_LABELS.get(action, "DM me an hour before")
        style = discord.ButtonStyle.success if action == "going" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"mtg:{action}:{meeting_id}:{stamp}"
            )
        )
        self.action = action
        self.meeting_id = meeting_id
        self.starts_at = datetime.fromtimestamp(stamp, UTC)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MeetingButton:
        return cls(match["action"], int(match["id"]), int(match["ts"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        guild_id = guild_of(interaction)
        if self.action == "dm":
            await interaction.response.defer(ephemeral=True, thinking=True)
            meeting = await services.meetings.get(guild_id, self.meeting_id)
            remind_at = self.starts_at - timedelta(hours=1)
            if remind_at <= services.clock.now():
                raise UserFacingError(
                    "It starts in less than an hour, so there's no time for a reminder."
                )
            await services.reminders.create(
                user_id=interaction.user.id, guild_id=guild_id, kind="other",
                text=f"“{meeting.title}” starts in an hour"[:200], event_at=remind_at,
                zone=meeting.rule.zone, interaction_id=interaction.id,
            )  # fmt: skip
            await respond(interaction, f"I'll DM you <t:{int(remind_at.timestamp())}:R>.")
            return
        await interaction.response.defer()
        try:
            counts = await services.meetings.rsvp(
                guild_id, self.meeting_id, self.starts_at, interaction.user.id, self.action
            )
        except MeetingCancelled:
            # Cancelled since this was posted (the post was not closed): close it now.
            if interaction.message is not None:
                await interaction.edit_original_response(
                    embeds=[cancelled_embed(e) for e in interaction.message.embeds[:1]],
                    view=meeting_buttons(self.meeting_id, self.starts_at, closed=True),
                )
            raise
        meeting = await services.meetings.get(guild_id, self.meeting_id)
        await interaction.edit_original_response(
            embed=meeting_embed(meeting, self.starts_at, counts)
        )


async def sync_event(bot: MusterBot, meeting: MeetingInfo, *, force: bool = False) -> str | None:
    """Keep the optional native Discord event on the next instance (and, with force, on the
    series' name and place). Returns a problem to tell the moderator, or None."""
    if not meeting.mirror_event or (meeting.event_in_step and not force):
        return None
    guild = bot.get_guild(meeting.guild_id)
    if guild is None:
        return None
    meetings = bot.services.meetings
    voice = guild.get_channel(meeting.voice_channel_id) if meeting.voice_channel_id else None
    try:
        event = None
        if meeting.discord_event_id is not None:
            event = await guild.fetch_scheduled_event(meeting.discord_event_id)
        if meeting.next_start is None:
            if event is not None:
                await event.delete()
            await meetings.record_event(meeting.id, None, None)
            return None
        end = meeting.next_start + timedelta(minutes=meeting.duration_minutes)
        where: dict[str, Any]
        if isinstance(voice, discord.VoiceChannel):
            where = {"entity_type": discord.EntityType.voice, "channel": voice}
        else:
            location = (meeting.place or "See the meetings channel")[:100]
            where = {"entity_type": discord.EntityType.external, "location": location}
        if event is None:
            event = await guild.create_scheduled_event(
                name=meeting.title[:100], start_time=meeting.next_start, end_time=end,
                privacy_level=discord.PrivacyLevel.guild_only, **where,
            )  # fmt: skip
        else:
            await event.edit(
                name=meeting.title[:100], start_time=meeting.next_start, end_time=end, **where
            )
        await meetings.record_event(meeting.id, event.id, meeting.next_start)
    except discord.NotFound:
        await meetings.record_event(meeting.id, None, None)  # deleted by hand: a new one next time
        return "Someone deleted the Discord event; I'll create a new one at the next change."
    except discord.Forbidden:
        return missing_event_permission(guild, voice)
    except discord.HTTPException as error:
        return (
            f"I couldn't update the Discord event just now ({error.status}); I'll try again later."
        )
    return None


def missing_event_permission(guild: discord.Guild, voice: object) -> str:
    """Discord refused the event: name the permission Muster lacks, as a server admin finds it.
    Since 2026-02-23 creating an event needs Create Events (Manage Events alone is not
    enough); a voice-channel event also needs to see and join that channel."""
    held = guild.me.guild_permissions
    where = "Server Settings > Roles > Muster"
    if not held.create_events:
        return (
            "I couldn't create or update the Discord event: I need the **Create Events** "
            f"permission. A server admin can turn it on in {where}."
        )
    if isinstance(voice, discord.VoiceChannel):
        inside = voice.permissions_for(guild.me)
        if not (inside.view_channel and inside.connect):
            return (
                f"I couldn't create or update the Discord event: I need **View Channel** and "
                f"**Connect** in {voice.mention}."
            )
    return (
        "I couldn't create or update the Discord event: Discord refused it. Check that I have "
        f"**Create Events** and **Manage Events** in {where}."
    )


class NotMessageable(Exception):
    """The meetings channel chosen is one no message can be sent to (a category, say)."""


class MeetingDelivery:
    """Posts a due meeting reminder in the meetings channel, pinging only its role (R6)."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prepared = await services.meetings.prepare(due, now)
        if isinstance(prepared, Delivery):
            return prepared
        notice: MeetingNotice = prepared
        config = await services.guild_settings.get(notice.meeting.guild_id)
        channel_id = config.meetings_channel_id
        if channel_id is None:
            return not_set_up("meetings")
        role = notice.meeting.role_id
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role)] if role else False
        )
        buttons = meeting_buttons(notice.meeting.id, notice.starts_at)

        async def send() -> discord.Message:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise NotMessageable
            return await send_once(
                self.bot,
                due,
                channel,
                # The buttons name the meeting and its start; the title may gain "(Delayed)".
                same=same_buttons(buttons),
                content=f"<@&{role}>" if role else None,
                embed=meeting_embed(
                    notice.meeting, notice.starts_at, notice.counts, delayed=notice.delayed
                ),
                view=buttons,
                allowed_mentions=mentions,
            )

        try:
            # Worth retrying only while the meeting has not begun.
            outcome = await send_outcome(send, deadline=notice.starts_at)
        except NotMessageable:
            return not_set_up("meetings", unusable=True)
        if outcome.status != "sent":
            return outcome
        # Once an instance has passed, its mirrored Discord event moves on to the next one.
        # Problems here never undo (or repeat) a delivered reminder.
        try:
            current = await services.meetings.any_info(notice.meeting.id)
            if current is not None:
                await sync_event(self.bot, current)
        except Exception:
            log.exception("Could not move meeting %s's Discord event on", notice.meeting.id)
        return outcome


@servers_only
class MeetingCog(commands.GroupCog, group_name="meeting"):
    """Group meetings: when they are, and a calendar for your phone."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(MeetingButton)
        self.bot.services.scheduler.register(MEETING, MeetingDelivery(self.bot))

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
        view = await self.bot.services.meetings.get(guild_id, _meeting_id(meeting))
        starts_at = parse_when(
            f"{date} {view.rule.at:%H:%M}", view.rule.zone, self.bot.services.clock.now()
        )
        skipped = await self.bot.services.meetings.skip(
            guild_id, interaction.user.id, view.id, starts_at
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
