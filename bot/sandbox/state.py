"""What the sandbox knows: users, guilds, channels, roles, messages, and their Discord JSON."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
VIEW_CHANNEL = 1 << 10
READ_MESSAGE_HISTORY = 1 << 16
ALL_PERMISSIONS = (1 << 53) - 1
# View channel, send messages, embed links, attach files, read history, mention, use app commands.
DEFAULT_EVERYONE_PERMISSIONS = (
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 17) | (1 << 31)
)
MANAGE_ROLES = 1 << 28
MANAGE_EVENTS = 1 << 33
CREATE_EVENTS = 1 << 44  # needed to create a scheduled event since 2026-02-23
BOT_PERMISSIONS = (
    DEFAULT_EVERYONE_PERMISSIONS | (1 << 13) | (1 << 28) | MANAGE_EVENTS | CREATE_EVENTS
)  # +manage msgs, roles, events; create events

_counter = itertools.count()
# The time a new id carries, as Discord's do. A test on a fake clock points this at it, so
# that ids tell the same time as everything else in the test's timeline.
clock_seconds: Callable[[], float] = time.time


def snowflake() -> int:
    millis = int(clock_seconds() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_counter) % (1 << 22))


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    dms_open: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", "_"),
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 1
    mentionable: bool = True

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass
class Channel:
    id: int
    name: str
    guild_id: int | None
    type: int = 0  # 0 text, 1 DM, 2 voice
    recipient: User | None = None  # the member, in a DM between them and the bot
    # A DM or group DM between users that the bot is not in (type 1 or 3): who is in it.
    # Muster reaches one only by answering an interaction there (a user install).
    members: list[User] = field(default_factory=list)
    # Discord's permission overwrites: {"id", "type" (0 role, 1 member), "allow", "deny"}.
    overwrites: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def bot_present(self) -> bool:
        """False for a conversation between users: the bot can't read or post there."""
        return not self.members

    def to_json(self) -> dict[str, Any]:
        if self.members:
            between: dict[str, Any] = {
                "id": str(self.id),
                "type": self.type,
                "recipients": [user.to_json() for user in self.members],
                "last_message_id": None,
                "flags": 0,
            }
            if self.type == 3:
                between.update(name=self.name, icon=None, owner_id=str(self.members[0].id))
            return between
        if self.recipient is not None:
            return {
                "id": str(self.id),
                "type": 1,
                "recipients": [self.recipient.to_json()],
                "last_message_id": None,
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": 0,
            "permission_overwrites": self.overwrites,
            "nsfw": False,
            "parent_id": None,
            "flags": 0,
        }
        if self.type == 0:
            data.update(topic=None, last_message_id=None, rate_limit_per_user=0)
        else:
            data.update(bitrate=64000, user_limit=0, rtc_region=None)
        return data


@dataclass
class Member:
    user: User
    guild_id: int
    roles: list[Role] = field(default_factory=list)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.nick or self.user.name

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"

    def to_json(self, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": self.user.to_json(),
            "nick": self.nick,
            "avatar": None,
            "roles": [str(role.id) for role in self.roles],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    everyone: Role
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)
    system_channel_id: int | None = None  # where Discord posts join messages

    def permissions_of(self, member: Member) -> int:
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        value = self.everyone.permissions
        for role in member.roles:
            value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def permissions_in(self, member: Member, channel: Channel) -> int:
        """Discord's order: server-wide permissions, then the channel's @everyone overwrite,
        the member's roles' overwrites together, and the member's own overwrite."""
        value = self.permissions_of(member)
        if value == ALL_PERMISSIONS:
            return value
        by_id = {int(item["id"]): item for item in channel.overwrites}

        def apply(value: int, allow: int, deny: int) -> int:
            return (value & ~deny) | allow

        everyone = by_id.get(self.everyone.id)
        if everyone is not None:
            value = apply(value, int(everyone["allow"]), int(everyone["deny"]))
        allow = deny = 0
        for role in member.roles:
            item = by_id.get(role.id)
            if item is not None and item.get("type") == 0:
                allow |= int(item["allow"])
                deny |= int(item["deny"])
        value = apply(value, allow, deny)
        own = by_id.get(member.id)
        if own is not None and own.get("type") == 1:
            value = apply(value, int(own["allow"]), int(own["deny"]))
        return value if value & VIEW_CHANNEL else 0

    def to_json(self, bot_member: Member) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [role.to_json() for role in [self.everyone, *self.roles.values()]],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None
            if self.system_channel_id is None
            else str(self.system_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [bot_member.to_json()],
            "channels": [channel.to_json() for channel in self.channels.values()],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": list(self.scheduled_events.values()),
            "soundboard_sounds": [],
        }


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None

    def to_json(self, base_url: str) -> dict[str, Any]:
        url = f"{base_url}/attachments/{self.id}/{self.filename}"
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class Message:
    """A message as the sandbox stored it, with who could see it and whom it pinged."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    flags: int
    attachments: list[Attachment]
    allowed_mentions: dict[str, Any] | None
    nonce: str | int | None = None
    interaction_id: int | None = None
    interaction_user: User | None = None
    deleted: bool = False
    edits: int = 0
    received_at: float = field(default_factory=time.time)  # when the sandbox stored it

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def text(self) -> str:
        """Everything a reader sees as text: content and every part of every embed."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for item in embed.get("fields", []):
                parts += [item.get("name", ""), item.get("value", "")]
            parts += [
                embed.get("footer", {}).get("text", ""),
                embed.get("author", {}).get("name", ""),
            ]
        return "\n".join(part for part in parts if part)

    def custom_ids(self) -> list[str]:
        found: list[str] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if "custom_id" in item:
                    found.append(item["custom_id"])
                walk(item.get("components", []))
                if isinstance(item.get("accessory"), dict):
                    walk([item["accessory"]])

        walk(self.components)
        return found

    def __post_init__(self) -> None:
        # Discord notifies when a message is created; later edits ping nobody.
        self._pinged = self._mentions_now()

    def pings(self) -> tuple[set[int], set[int], bool]:
        """(user ids, role ids, @everyone/@here) that this message notified when it was sent."""
        return self._pinged

    def _mentions_now(self) -> tuple[set[int], set[int], bool]:
        users = {int(x) for x in _USER_MENTION.findall(self.content)}
        roles = {int(x) for x in _ROLE_MENTION.findall(self.content)}
        everyone = "@everyone" in self.content or "@here" in self.content
        allowed = self.allowed_mentions
        if allowed is None:
            return users, roles, everyone
        parse = set(allowed.get("parse", []))
        allowed_users = (
            users if "users" in parse else users & {int(x) for x in allowed.get("users", [])}
        )
        allowed_roles = (
            roles if "roles" in parse else roles & {int(x) for x in allowed.get("roles", [])}
        )
        return allowed_users, allowed_roles, everyone and "everyone" in parse

    def to_json(self, base_url: str, application_id: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_json(),
            "content": self.content,
            "timestamp": iso_now(),
            "edited_timestamp": iso_now() if self.edits else None,
            "tts": False,
            "mention_everyone": self._pinged[2],
            "mentions": [],
            "mention_roles": [str(role) for role in self._pinged[1]],
            "attachments": [attachment.to_json(base_url) for attachment in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": 0 if self.interaction_id is None else 20,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.interaction_id is not None and self.interaction_user is not None:
            data["webhook_id"] = str(application_id)
            data["application_id"] = str(application_id)
            data["interaction_metadata"] = {
                "id": str(self.interaction_id),
                "type": 2,
                "user": self.interaction_user.to_json(),
                "authorizing_integration_owners": {},
            }
        return data
