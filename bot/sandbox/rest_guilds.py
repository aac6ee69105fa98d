"""The sandbox's REST routes for servers: the server, its channels and roles (made under
Discord's permission rules), its members, and its scheduled events."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox.base import PAYLOAD, SandboxBase, overwrite
from bot.sandbox.http import error_response as _error
from bot.sandbox.http import json_response as _json
from bot.sandbox.state import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    CREATE_EVENTS,
    MANAGE_CHANNELS,
    MANAGE_EVENTS,
    MANAGE_ROLES,
    Channel,
    Guild,
    Role,
    snowflake,
)


class GuildRoutes(SandboxBase):
    """REST: servers, their channels, roles, members and scheduled events."""

    def _bot_may_change_event(self, guild: Guild, event: dict[str, Any]) -> bool:
        """Manage Events for any event; Create Events for the bot's own."""
        held = guild.permissions_of(guild.members[self.bot_user.id])
        own = event.get("creator_id") == str(self.bot_user.id)
        return bool(held & MANAGE_EVENTS) or (own and bool(held & CREATE_EVENTS))

    def _guild(self, request: web.Request) -> Guild | None:
        return self.guilds.get(int(request.match_info["guild_id"]))

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        return _json(guild.to_json(guild.members[self.bot_user.id]))

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        return _json([channel.to_json() for channel in guild.channels.values()])

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        return _json([role.to_json() for role in [guild.everyone, *guild.roles.values()]])

    async def _create_guild_channel(self, request: web.Request) -> web.Response:
        """Discord's rules: Manage Channels; an overwrite may allow or deny only what the bot
        holds in the server, and Manage Roles in an overwrite only for an administrator."""
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        held = guild.permissions_of(guild.members[self.bot_user.id])
        if not held & MANAGE_CHANNELS:
            return _error(403, 50013, "Missing Permissions")
        data = request[PAYLOAD] or {}
        kind = data.get("type") or 0
        if kind not in (0, 2):
            return self._violation(f"the sandbox makes text and voice channels, not type {kind}")
        overwrites = []
        for item in data.get("permission_overwrites") or []:
            allow, deny = int(item.get("allow") or 0), int(item.get("deny") or 0)
            touched = allow | deny
            if held != ALL_PERMISSIONS and (
                touched & ~held or (touched & MANAGE_ROLES and not held & ADMINISTRATOR)
            ):
                return _error(403, 50013, "Missing Permissions")
            target = int(item["id"])
            known = {guild.everyone.id, *guild.roles, *guild.members}
            if target not in known:
                return _error(400, 50035, "Invalid Form Body")
            kind_of = item.get("type")
            overwrites.append(overwrite(target, 1 if kind_of == 1 else 0, allow=allow, deny=deny))
        channel = Channel(snowflake(), str(data["name"]), guild.id, type=kind)
        channel.overwrites = overwrites
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        await self._dispatch("CHANNEL_CREATE", channel.to_json(), guild.id)
        return _json(channel.to_json())

    async def _create_guild_role(self, request: web.Request) -> web.Response:
        """Discord's rules: Manage Roles, and no permission the bot itself lacks."""
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        held = guild.permissions_of(guild.members[self.bot_user.id])
        data = request[PAYLOAD] or {}
        wanted = int(data.get("permissions") or 0)
        if not held & MANAGE_ROLES or wanted & ~held:
            return _error(403, 50013, "Missing Permissions")
        role = Role(
            snowflake(), guild.id, str(data.get("name") or "new role"), wanted,
            position=1, mentionable=bool(data.get("mentionable")),
        )  # fmt: skip
        guild.roles[role.id] = role
        await self._dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()}, guild.id
        )
        return _json(role.to_json())

    async def _list_events(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        return _json(list(guild.scheduled_events.values()))

    async def _create_event(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        if not guild.permissions_of(guild.members[self.bot_user.id]) & CREATE_EVENTS:
            return _error(403, 50013, "Missing Permissions")
        data = request[PAYLOAD] or {}
        if len(data.get("name", "")) > 100:
            return self._violation("scheduled event name is over 100 characters")
        event = {
            "id": str(snowflake()),
            "guild_id": str(guild.id),
            "channel_id": data.get("channel_id"),
            "creator_id": str(self.bot_user.id),
            "name": data.get("name"),
            "description": data.get("description"),
            "scheduled_start_time": data.get("scheduled_start_time"),
            "scheduled_end_time": data.get("scheduled_end_time"),
            "privacy_level": data.get("privacy_level", 2),
            "status": 1,
            "entity_type": data.get("entity_type"),
            "entity_id": None,
            "entity_metadata": data.get("entity_metadata"),
            "user_count": 0,
            "image": None,
        }
        guild.scheduled_events[int(event["id"])] = event
        await self._dispatch("GUILD_SCHEDULED_EVENT_CREATE", event, guild.id)
        return _json(event)

    def _event(self, request: web.Request) -> tuple[Guild | None, dict[str, Any] | None]:
        guild = self._guild(request)
        if guild is None:
            return None, None
        return guild, guild.scheduled_events.get(
            int(request.match_info["guild_scheduled_event_id"])
        )

    async def _get_event(self, request: web.Request) -> web.Response:
        _, event = self._event(request)
        if event is None:
            return _error(404, 10070, "Unknown Guild Scheduled Event")
        return _json(event)

    async def _edit_event(self, request: web.Request) -> web.Response:
        guild, event = self._event(request)
        if guild is None or event is None:
            return _error(404, 10070, "Unknown Guild Scheduled Event")
        if not self._bot_may_change_event(guild, event):
            return _error(403, 50013, "Missing Permissions")
        for key, value in (request[PAYLOAD] or {}).items():
            if key in event:
                event[key] = value
        await self._dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event, guild.id)
        return _json(event)

    async def _delete_event(self, request: web.Request) -> web.Response:
        guild, event = self._event(request)
        if guild is None or event is None:
            return _error(404, 10070, "Unknown Guild Scheduled Event")
        if not self._bot_may_change_event(guild, event):
            return _error(403, 50013, "Missing Permissions")
        del guild.scheduled_events[int(event["id"])]
        await self._dispatch("GUILD_SCHEDULED_EVENT_DELETE", event, guild.id)
        return web.Response(status=204)

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = (
            guild.members.get(int(request.match_info["user_id"])) if guild is not None else None
        )
        if member is None:
            return _error(404, 10007, "Unknown Member")
        return _json(member.to_json())
