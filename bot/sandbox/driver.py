"""The sandbox's driver: what a test calls to act as a member would (slash commands,
autocomplete, button and select clicks, modal submits, DMs to the bot, posts in a channel
with a nonce of their own) and to wait for what the bot does."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.sandbox import modals
from bot.sandbox.base import SEND_MESSAGES, InteractionResult, SandboxError
from bot.sandbox.interactions import InteractionBuilder
from bot.sandbox.state import VIEW_CHANNEL, Channel, Member, Message, User, snowflake


class DriverMixin(InteractionBuilder):
    """What tests call to act as a member: commands, clicks, modals, DMs, and waiting."""

    async def wait_for_message(
        self, predicate: Callable[[Message], bool], *, timeout: float = 5.0, what: str = "a message"
    ) -> Message:
        found: list[Message] = []

        def check() -> bool:
            found[:] = [m for m in self.messages.values() if not m.deleted and predicate(m)]
            return bool(found)

        await self.wait_for(check, timeout=timeout, what=what)
        return found[0]

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

    async def post_as(
        self, who: Member, channel: Channel, text: str, *, nonce: str | int | None = None
    ) -> Message:
        """The member writes in a server channel from their client, which sends a nonce of
        its choosing; Discord announces the message (nonce included) on the gateway."""
        guild = self.guilds[channel.guild_id or 0]
        if not guild.permissions_in(who, channel) & (VIEW_CHANNEL | SEND_MESSAGES):
            raise SandboxError(f"{who.name} can't write in #{channel.name}")
        message = Message(
            id=snowflake(), channel_id=channel.id, guild_id=channel.guild_id, author=who.user,
            content=text, embeds=[], components=[], flags=0, attachments=[],
            allowed_mentions=None, nonce=nonce,
        )  # fmt: skip
        self.messages[message.id] = message
        await self._dispatch(
            "MESSAGE_CREATE", message.to_json(self.base_url, self.application_id), channel.guild_id
        )
        await self._notify()
        return message

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
        self.interactions_by_token[record.token] = record
        payload = self._interaction_payload(record, channel, data, source)
        if not await self._dispatch("INTERACTION_CREATE", payload, channel.guild_id):
            raise SandboxError("the bot is not connected to the gateway")
        if wait:
            await self.wait_for(lambda: record.done, timeout=timeout, what=f"an answer to {what}")
        return record


def _find_component(items: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for item in items:
        if item.get("custom_id") == custom_id:
            return item
        found = _find_component(item.get("components") or [], custom_id)
        if found is not None:
            return found
    return None
