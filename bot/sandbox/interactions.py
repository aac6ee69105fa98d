"""How the sandbox's driver builds an interaction as Discord's client would: finding the
registered command, checking that it is offered where the member is (contexts and installs),
the option values and resolved users, channels, roles and attachments, and the
INTERACTION_CREATE payload."""

from __future__ import annotations

from typing import Any

from bot.sandbox.base import (
    MAX_STRING_OPTION,
    PRIVATE_CHANNEL_APP_PERMISSIONS,
    InteractionResult,
    SandboxBase,
    SandboxError,
)
from bot.sandbox.state import (
    BOT_PERMISSIONS,
    VIEW_CHANNEL,
    Attachment,
    Channel,
    Member,
    Message,
    Role,
    User,
)


class InteractionBuilder(SandboxBase):
    """How the driver builds an interaction the way Discord's client would."""

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
