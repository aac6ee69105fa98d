"""The optional native Discord event that mirrors a meeting series' next instance."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.services.meetings import MeetingInfo

if TYPE_CHECKING:
    from bot.app import MusterBot


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
