"""The sandbox's REST routes for channels and their messages: opening a DM, reading a channel,
and posting (with nonces and Discord's permission and DM rules), reading, editing and
deleting messages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox import limits
from bot.sandbox.base import (
    FILES,
    PAYLOAD,
    SEND_MESSAGES,
    InteractionResult,
    SandboxBase,
    apply_edit,
)
from bot.sandbox.http import error_response as _error
from bot.sandbox.http import json_response as _json
from bot.sandbox.state import (
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    Attachment,
    Channel,
    Message,
    snowflake,
)


class ChannelRoutes(SandboxBase):
    """REST: DM channels, channels, and the messages in them."""

    def _store_message(
        self,
        channel_id: int,
        data: dict[str, Any],
        files: list[Attachment],
        record: InteractionResult | None = None,
    ) -> Message:
        channel = self.channels[channel_id]
        message = Message(
            id=snowflake(),
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author=self.bot_user,
            content=data.get("content") or "",
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            flags=data.get("flags") or 0,
            attachments=list(files),
            allowed_mentions=data.get("allowed_mentions"),
            nonce=data.get("nonce"),
            interaction_id=record.id if record is not None else None,
            interaction_user=record.user if record is not None else None,
        )
        for attachment in files:
            self.attachments[attachment.id] = attachment
        self.messages[message.id] = message
        return message

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient = self.users.get(int((request[PAYLOAD] or {}).get("recipient_id", 0)))
        if recipient is None:
            return _error(400, 50033, "Invalid Recipient(s)")
        return _json(self._dm_channel(recipient).to_json())

    def _channel(self, request: web.Request) -> Channel | None:
        return self.channels.get(int(request.match_info["channel_id"]))

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        if not channel.bot_present:
            return _error(403, 50001, "Missing Access")
        return _json(channel.to_json())

    async def _post_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        if self._bot_absent(channel):
            # A conversation between users, or a server without the bot: a user install
            # answers only through the interaction.
            self.refused_posts.append(channel.id)
            return _error(403, 50001, "Missing Access")
        if channel.type == 1 and channel.recipient is not None and not channel.recipient.dms_open:
            return _error(403, 50007, "Cannot send messages to this user")
        needed = VIEW_CHANNEL | SEND_MESSAGES
        if self.bot_permissions_in(channel) & needed != needed:
            return _error(403, 50013, "Missing Permissions")
        data = request[PAYLOAD] or {}
        problems = limits.check_message(data)
        if problems:
            return self._violation("; ".join(problems))
        nonce = data.get("nonce")
        if nonce is not None:
            self.posts_by_nonce[nonce] += 1
        if data.get("enforce_nonce") and nonce is not None:
            seen = self._nonces.get((channel.id, nonce))
            if seen is not None and self.clock() - seen[1] < self.nonce_window:
                earlier = self.messages[seen[0]]
                return _json(earlier.to_json(self.base_url, self.application_id))
        message = self._store_message(channel.id, data, request[FILES])
        if nonce is not None:
            self._nonces[(channel.id, nonce)] = (message.id, self.clock())
        await self._dispatch(
            "MESSAGE_CREATE", message.to_json(self.base_url, self.application_id), channel.guild_id
        )
        return _json(message.to_json(self.base_url, self.application_id))

    async def _get_messages(self, request: web.Request) -> web.Response:
        """A channel's history as Discord gives it: at most `limit` (1-100, default 50)
        messages, newest first, around, before or after a snowflake (which need not be a
        message's: one made from a time works); no nonces (Discord returns them only when a
        message is created). Without View Channel: 403 50001; without Read Message History:
        no messages."""
        channel = self._channel(request)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        if not self.bot_permissions_in(channel) & VIEW_CHANNEL:
            return _error(403, 50001, "Missing Access")
        query = request.query
        try:
            limit = int(query.get("limit", "50"))
            anchors = {
                key: int(query[key]) for key in ("around", "before", "after") if key in query
            }
        except ValueError:
            return self._violation(f"GET {request.path}: a query value is not a number")
        if not 1 <= limit <= 100:
            return self._violation(f"GET {request.path}: limit {limit} is not within 1-100")
        if not self.bot_permissions_in(channel) & READ_MESSAGE_HISTORY:
            return _json([])
        shown = sorted(
            (m for m in self.messages.values() if m.channel_id == channel.id and not m.deleted),
            key=lambda m: m.id,
        )
        if "around" in anchors:  # Discord honours only one anchor: around, then before, after
            middle = anchors["around"]
            older = [m for m in shown if m.id < middle][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in shown if m.id >= middle][: limit - len(older)]
            page = older + newer
        elif "before" in anchors:
            page = [m for m in shown if m.id < anchors["before"]][-limit:]
        elif "after" in anchors:
            page = [m for m in shown if m.id > anchors["after"]][:limit]
        else:
            page = shown[-limit:]
        body = []
        for message in reversed(page):
            data = message.to_json(self.base_url, self.application_id)
            data.pop("nonce", None)
            body.append(data)
        return _json(body)

    def _channel_message(self, request: web.Request) -> Message | None:
        message = self.messages.get(int(request.match_info["message_id"]))
        if (
            message is None
            or message.deleted
            or message.channel_id != int(request.match_info["channel_id"])
        ):
            return None
        return message

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        return _json(message.to_json(self.base_url, self.application_id))

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        if message.author.id != self.bot_user.id:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        data = request[PAYLOAD] or {}
        problems = limits.check_message(data)
        if problems:
            return self._violation("; ".join(problems))
        apply_edit(message, data, request[FILES])
        return _json(message.to_json(self.base_url, self.application_id))

    async def _delete_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        await self.delete_message(message)
        return web.Response(status=204)
