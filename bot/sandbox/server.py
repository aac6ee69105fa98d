"""The sandbox server (REST on /api/v10 and the gateway) and the driver API that tests use."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from bot.sandbox import modals
from bot.sandbox.base import (
    MAX_STRING_OPTION,
    PRIVATE_CHANNEL_APP_PERMISSIONS,
    SEND_MESSAGES,
    Handler,
    InteractionResult,
    SandboxBase,
    SandboxError,
    Stall,
)
from bot.sandbox.faults import FaultsMixin
from bot.sandbox.gateway import GatewayMixin
from bot.sandbox.http import HttpMixin
from bot.sandbox.rest_channels import ChannelRoutes
from bot.sandbox.rest_commands import CommandRoutes
from bot.sandbox.rest_guilds import GuildRoutes
from bot.sandbox.rest_interactions import InteractionRoutes
from bot.sandbox.state import (
    BOT_PERMISSIONS,
    VIEW_CHANNEL,
    Attachment,
    Channel,
    Member,
    Message,
    Role,
    User,
    snowflake,
)
from bot.sandbox.world import WorldMixin

log = logging.getLogger(__name__)

# What tests and the demo import from here.
__all__ = ["SEND_MESSAGES", "InteractionResult", "Sandbox", "SandboxError", "Stall"]


class Sandbox(
    WorldMixin,
    GuildRoutes,
    ChannelRoutes,
    InteractionRoutes,
    CommandRoutes,
    GatewayMixin,
    FaultsMixin,
    HttpMixin,
    SandboxBase,
):
    """Discord on loopback. Build guilds and members, then drive the bot as they would."""

    async def wait_for_message(
        self, predicate: Callable[[Message], bool], *, timeout: float = 5.0, what: str = "a message"
    ) -> Message:
        found: list[Message] = []

        def check() -> bool:
            found[:] = [m for m in self.messages.values() if not m.deleted and predicate(m)]
            return bool(found)

        await self.wait_for(check, timeout=timeout, what=what)
        return found[0]

    # ----- acting as a member -----

    async def dm_bot(self, who: Member | User, text: str) -> Message:
        """The member writes a DM to the bot. Discord delivers it on the gateway only to a
        session with the direct-messages intent (DM content needs no privileged intent)."""
        user = who.user if isinstance(who, Member) else who
        channel = self._dm_channel(user)
        message = Message(
            id=snowflake(), channel_id=channel.id, guild_id=None, author=user, content=text,
            embeds=[], components=[], flags=0, attachments=[], allowed_mentions=None,
        )  # fmt: skip
        self.messages[message.id] = message
        await self._dispatch(
            "MESSAGE_CREATE", message.to_json(self.base_url, self.application_id), None
        )
        return message

    def replies_in_dm(self, who: Member | User, after: Message) -> list[Message]:
        """What the bot wrote in this member's DMs after one of their messages."""
        return [m for m in self.dms_to(who) if m.id > after.id]

    async def slash(
        self,
        who: Member | User,
        channel: Channel | None,
        command: str,
        *,
        wait: bool = True,
        timeout: float = 5.0,
        **options: Any,
    ) -> InteractionResult:
        """Run `/command sub ... option=value` as a member in a channel (or in DMs with None)."""
        guild_id = channel.guild_id if channel is not None else None
        root, definition, path = self._find_command(guild_id, command)
        user = who.user if isinstance(who, Member) else who
        absent = channel is not None and self._bot_absent(channel)
        self._check_context(root, self._context_of(user, channel), user, channel_absent=absent)
        built, resolved = self._build_options(definition, options, path, focused=None)
        data = {
            "id": root["id"],
            "name": root["name"],
            "type": 1,
            "options": built,
            "resolved": resolved,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return await self._interact(
            2, who, channel, data, wait=wait, timeout=timeout, what=f"/{command}"
        )

    async def autocomplete(
        self,
        who: Member | User,
        channel: Channel | None,
        command: str,
        *,
        focused: str,
        value: str,
        timeout: float = 5.0,
        **options: Any,
    ) -> list[dict[str, Any]]:
        guild_id = channel.guild_id if channel is not None else None
        root, definition, path = self._find_command(guild_id, command)
        built, resolved = self._build_options(
            definition, {**options, focused: value}, path, focused=focused
        )
        data = {
            "id": root["id"],
            "name": root["name"],
            "type": 1,
            "options": built,
            "resolved": resolved,
        }
        result = await self._interact(
            4, who, channel, data, wait=True, timeout=timeout, what="autocomplete"
        )
        return result.choices or []

    async def click(
        self,
        who: Member | User,
        message: Message,
        custom_id: str,
        *,
        values: Iterable[Any] | None = None,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Press a button, or choose `values` in a select menu, on a message the member can see."""
        if message.deleted:
            raise SandboxError("that message was deleted")
        component = _find_component(message.components, custom_id)
        if component is None:
            raise SandboxError(f"no component {custom_id!r} on that message")
        if component.get("disabled"):
            raise SandboxError(f"{custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            chosen = list(values or [])
            data["values"] = [str(getattr(value, "id", value)) for value in chosen]
            if component["type"] != 3:  # only user, role and channel selects carry `resolved`
                data["resolved"] = self._resolve_values(chosen)
        channel = self.channels[message.channel_id]
        return await self._interact(
            3,
            who,
            channel,
            data,
            wait=wait,
            timeout=timeout,
            what=f"click {custom_id}",
            source=message,
        )

    async def submit_modal(
        self,
        who: Member | User,
        shown: InteractionResult,
        values: Mapping[str, modals.Answer],
        *,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Fill in and submit the modal `shown` opened, checking what Discord's client checks:
        `values` by custom id (text, an option's value or a list of them, a boolean); parts
        not named keep what the form shows. See bot/sandbox/modals.py."""
        modal = shown.modal
        if modal is None:
            raise SandboxError("that interaction did not open a modal")
        try:
            rows = modals.fill_in(modal, dict(values))
        except modals.FormRefused as refused:
            raise SandboxError(str(refused)) from None
        channel = self.channels[shown.channel_id]
        data = {"custom_id": modal["custom_id"], "components": rows}
        return await self._interact(
            5, who, channel, data, wait=wait, timeout=timeout, what="modal submit",
            source=shown.source_message,
        )  # fmt: skip

    # ----- interactions -----

    async def _interact(
        self,
        kind: int,
        who: Member | User,
        channel: Channel | None,
        data: dict[str, Any],
        *,
        wait: bool,
        timeout: float,
        what: str,
        source: Message | None = None,
    ) -> InteractionResult:
        user = who.user if isinstance(who, Member) else who
        if channel is None or channel.recipient is not None:
            channel = self._dm_channel(user)
        elif not channel.bot_present and user not in channel.members:
            raise SandboxError(f"{user.name} is not in that conversation")
        record = InteractionResult(
            id=snowflake(),
            token=f"itok-{secrets.token_urlsafe(32)}",
            type=kind,
            user=user,
            guild_id=channel.guild_id,
            channel_id=channel.id,
            created=time.monotonic(),
            source_message=source,
        )
        self.interactions[record.id] = record
        payload = self._interaction_payload(record, channel, data, source)
        if not await self._dispatch("INTERACTION_CREATE", payload, channel.guild_id):
            raise SandboxError("the bot is not connected to the gateway")
        if wait:
            await self.wait_for(lambda: record.done, timeout=timeout, what=f"an answer to {what}")
        return record

    def _interaction_payload(
        self,
        record: InteractionResult,
        channel: Channel,
        data: dict[str, Any],
        source: Message | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": record.type,
            "data": data,
            "token": record.token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel.id),
            "channel": channel.to_json(),
        }
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            member = guild.members.get(record.user.id)
            if member is None:
                raise SandboxError("that user is not a member of this server")
            if not guild.permissions_in(member, channel) & VIEW_CHANNEL:
                raise SandboxError(f"{member.name} can't see #{channel.name}")
            absent = self._bot_absent(channel)
            owners = {"0": str(guild.id)}
            if absent:  # a server without the bot: reached through the member's install
                owners = {"1": str(record.user.id)}
            elif record.user.id in self.user_installs:
                owners["1"] = str(record.user.id)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member.to_json(permissions=guild.permissions_in(member, channel)),
                app_permissions=str(
                    PRIVATE_CHANNEL_APP_PERMISSIONS if absent else self.bot_permissions_in(channel)
                ),
                authorizing_integration_owners=owners,
                context=0,
            )
        elif not channel.bot_present:
            # A user install, in a conversation the bot is not in: only the interaction's
            # own answers (its webhook) reach it.
            payload.update(
                user=record.user.to_json(),
                app_permissions=str(PRIVATE_CHANNEL_APP_PERMISSIONS),
                authorizing_integration_owners={"1": str(record.user.id)},
                context=2,
            )
        else:
            owners = {"0": "0"}
            if record.user.id in self.user_installs:
                owners["1"] = str(record.user.id)
            payload.update(
                user=record.user.to_json(),
                app_permissions=str(BOT_PERMISSIONS),
                authorizing_integration_owners=owners,
                context=1,
            )
        if source is not None:
            payload["message"] = source.to_json(self.base_url, self.application_id)
        return payload

    def _find_command(
        self, guild_id: int | None, command: str
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        name, *path = command.split()
        scopes = ([self.guild_commands.get(guild_id, [])] if guild_id is not None else []) + [
            self.global_commands
        ]
        for registered in scopes:
            for root in registered:
                if root["name"] == name:
                    return root, root, path
        raise SandboxError(f"/{name} is not registered here (was the command tree synced?)")

    def _context_of(self, user: User, channel: Channel | None) -> int:
        """Discord's interaction context: 0 a server, 1 the member's DM with the bot, 2 a DM or
        group DM between users (reached only through a user install)."""
        if channel is None or channel.recipient is not None:
            return 1
        if channel.guild_id is not None:
            return 0
        if user not in channel.members:
            raise SandboxError(f"{user.name} is not in that conversation")
        return 2

    def _check_context(
        self, root: dict[str, Any], context: int, user: User, *, channel_absent: bool
    ) -> None:
        """Discord's client offers a command only where its registration allows it: its
        contexts, and an install that reaches there (a server install reaches servers and the
        bot's DM; a conversation between users only a user install, of a command that has
        integration type 1)."""
        if not self.enforce_contexts:
            return
        contexts = root.get("contexts")
        if contexts is None:  # registered without: servers, and DMs unless dm_permission=false
            contexts = [0] if root.get("dm_permission") is False else [0, 1]
        types = root.get("integration_types") or [0]
        installed = 1 in types and user.id in self.user_installs
        where = {0: "servers", 1: "DMs", 2: "DMs and group DMs between users"}[context]
        if context not in contexts or (context == 1 and root.get("dm_permission") is False):
            raise SandboxError(f"/{root['name']} is not offered in {where}")
        if context in (0, 2) and channel_absent and not installed:
            raise SandboxError(
                f"/{root['name']} is not offered in {where}: "
                + ("the member hasn't installed Muster" if 1 in types else "no user install")
            )
        if context == 0 and not channel_absent and 0 not in types and not installed:
            raise SandboxError(f"/{root['name']} is not offered in {where}")

    def _build_options(
        self,
        definition: dict[str, Any],
        values: dict[str, Any],
        path: list[str],
        *,
        focused: str | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        resolved: dict[str, Any] = {}
        if path:
            for option in definition.get("options") or []:
                if option["name"] == path[0] and option["type"] in (1, 2):
                    inner, resolved = self._build_options(option, values, path[1:], focused=focused)
                    return [
                        {"type": option["type"], "name": option["name"], "options": inner}
                    ], resolved
            raise SandboxError(f"no subcommand {path[0]!r}")
        declared = {option["name"]: option for option in definition.get("options") or []}
        for name, option in declared.items():
            if option.get("required") and name not in values and focused is None:
                raise SandboxError(f"option {name!r} is required")
        built: list[dict[str, Any]] = []
        for name, value in values.items():
            option = declared.get(name)
            if option is None:
                raise SandboxError(f"there is no option {name!r}")
            built.append(self._option_value(option, value, resolved, focused=name == focused))
        return built, resolved

    def _option_value(
        self, option: dict[str, Any], value: Any, resolved: dict[str, Any], *, focused: bool
    ) -> dict[str, Any]:
        kind = option["type"]
        entry: dict[str, Any] = {"name": option["name"], "type": kind}
        if focused:
            entry.update(value=str(value), focused=True)
            return entry
        if kind == 3:
            text = str(value)
            if len(text) > option.get("max_length", MAX_STRING_OPTION):
                raise SandboxError(
                    f"Discord's client refuses {len(text)} characters for {option['name']!r}"
                )
            value = text
        choices = option.get("choices")
        if choices and value not in [choice["value"] for choice in choices]:
            raise SandboxError(f"{value!r} is not one of the choices for {option['name']!r}")
        if kind in (6, 7, 8, 11):
            self._resolve_one(value, resolved)
            value = str(value.id)
        entry["value"] = value
        return entry

    def _resolve_values(self, chosen: list[Any]) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for value in chosen:
            if not isinstance(value, str):
                self._resolve_one(value, resolved)
        return resolved

    def _resolve_one(self, value: Any, resolved: dict[str, Any]) -> None:
        if isinstance(value, Member):
            guild = self.guilds[value.guild_id]
            resolved.setdefault("users", {})[str(value.id)] = value.user.to_json()
            member = value.to_json(permissions=guild.permissions_of(value))
            member.pop("user")
            resolved.setdefault("members", {})[str(value.id)] = member
        elif isinstance(value, Channel):
            resolved.setdefault("channels", {})[str(value.id)] = {
                **value.to_json(),
                "permissions": "0",
            }
        elif isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_json()
        elif isinstance(value, Attachment):
            self.attachments[value.id] = value
            resolved.setdefault("attachments", {})[str(value.id)] = value.to_json(self.base_url)
        else:
            raise SandboxError(f"cannot pass {value!r} as a user, channel, role or attachment")

    # ----- REST -----

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._get_attachment)
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/applications/{application_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self._put_commands, True),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._put_commands,
                True,
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                self._callback,
                False,
            ),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup, False),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._get_original,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._delete_webhook_message,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._delete_webhook_message,
                False,
            ),
            ("POST", "/users/@me/channels", self._open_dm, True),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._get_messages, True),
            ("POST", "/channels/{channel_id}/messages", self._post_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True),
            ("POST", "/guilds/{guild_id}/channels", self._create_guild_channel, True),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles, True),
            ("POST", "/guilds/{guild_id}/roles", self._create_guild_role, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events, True),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event, True),
            (
                "GET",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                self._get_event,
                True,
            ),
            (
                "PATCH",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                self._edit_event,
                True,
            ),
            (
                "DELETE",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                self._delete_event,
                True,
            ),
        ]
        for method, template, handler, needs_auth in routes:
            app.router.add_route(
                method, "/api/v10" + template, self._wrap(method, template, handler, needs_auth)
            )
        app.router.add_route("*", "/api/v10/{tail:.*}", self._unknown_route)


def _find_component(items: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for item in items:
        if item.get("custom_id") == custom_id:
            return item
        found = _find_component(item.get("components") or [], custom_id)
        if found is not None:
            return found
    return None
