"""The sandbox's world as a test builds it: servers (with or without Muster), channels and
their overwrites, roles, members, users outside every server, user installs and
conversations between users; and what members and channels see (channel messages, DMs)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.sandbox.base import SandboxBase, SandboxError, overwrite
from bot.sandbox.state import (
    BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    VIEW_CHANNEL,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    snowflake,
)


class WorldMixin(SandboxBase):
    """Building the world a test needs, and reading what members and channels see."""

    async def create_guild(
        self, name: str, *, owner_name: str = "Server Owner", with_bot: bool = True
    ) -> Guild:
        """A server; Muster is in it from the start unless `with_bot` is False (then
        `invite_bot` adds it later, as a server owner inviting it would)."""
        guild_id = snowflake()
        owner = self._new_user(owner_name)
        everyone = Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, position=0)
        guild = Guild(guild_id, name, owner.id, everyone)
        guild.members[owner.id] = Member(owner, guild_id)
        self.guilds[guild_id] = guild
        if with_bot:
            await self._add_bot(guild, joined=False)
        return guild

    async def invite_bot(self, guild: Guild) -> None:
        """Muster joins the server, as its owner inviting it would: GUILD_CREATE with what
        exists and no `unavailable` field, which is how Discord marks a join."""
        await self._add_bot(guild, joined=True)

    async def _add_bot(self, guild: Guild, *, joined: bool) -> None:
        bot_role = Role(snowflake(), guild.id, "Muster", BOT_PERMISSIONS)
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = Member(self.bot_user, guild.id, [bot_role])
        data = guild.to_json(guild.members[self.bot_user.id])
        if joined:
            del data["unavailable"]
        await self._dispatch("GUILD_CREATE", data, guild.id)

    async def remove_guild(self, guild: Guild) -> None:
        """The server removes the bot."""
        del self.guilds[guild.id]
        await self._dispatch("GUILD_DELETE", {"id": str(guild.id), "unavailable": False}, guild.id)

    def owner_of(self, guild: Guild) -> Member:
        return guild.members[guild.owner_id]

    async def create_channel(
        self, guild: Guild, name: str, *, voice: bool = False, private_to: Iterable[Role] = ()
    ) -> Channel:
        """A channel; with `private_to`, hidden from @everyone and shown to those roles (and
        to Muster), as a server admin would set up a private channel."""
        channel = Channel(snowflake(), name, guild.id, type=2 if voice else 0)
        roles = list(private_to)
        if roles:
            channel.overwrites = [
                overwrite(guild.everyone.id, 0, deny=VIEW_CHANNEL),
                *(overwrite(role.id, 0, allow=VIEW_CHANNEL) for role in roles),
                overwrite(self.bot_user.id, 1, allow=VIEW_CHANNEL),
            ]
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        if self.bot_user.id in guild.members:  # Discord tells only servers the bot is in
            await self._dispatch("CHANNEL_CREATE", channel.to_json(), guild.id)
        return channel

    async def set_overwrite(
        self, channel: Channel, target: Role | Member, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set (replace) one role's or member's overwrite in a channel."""
        kind = 0 if isinstance(target, Role) else 1
        channel.overwrites = [
            item for item in channel.overwrites if int(item["id"]) != target.id
        ] + [overwrite(target.id, kind, allow=allow, deny=deny)]
        await self._dispatch("CHANNEL_UPDATE", channel.to_json(), channel.guild_id)

    async def deny_bot(self, channel: Channel, permissions: int) -> None:
        """Take permissions (bit values) from the bot in one channel, as a server admin would."""
        guild = self.guilds[channel.guild_id or 0]
        await self.set_overwrite(channel, guild.members[self.bot_user.id], deny=permissions)

    async def set_bot_permissions(self, guild: Guild, *, add: int = 0, remove: int = 0) -> None:
        """Change the server-wide permissions of Muster's own role, as a server admin would."""
        member = guild.members[self.bot_user.id]
        role = member.roles[0]
        role.permissions = (role.permissions | add) & ~remove
        await self._dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_json()}, guild.id
        )

    async def edit_role(
        self, guild: Guild, role: Role, *, permissions: int | None = None, name: str | None = None
    ) -> None:
        """Change a role's server-wide permissions (@everyone's too) or its name, as a server
        admin would."""
        role.permissions = role.permissions if permissions is None else permissions
        role.name = role.name if name is None else name
        await self._dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_json()}, guild.id
        )

    def bot_permissions_in(self, channel: Channel) -> int:
        if not channel.bot_present:
            return 0  # a conversation between users: the bot is not in it
        if channel.guild_id is None:
            return BOT_PERMISSIONS
        guild = self.guilds[channel.guild_id]
        bot = guild.members.get(self.bot_user.id)
        return 0 if bot is None else guild.permissions_in(bot, channel)

    def _bot_absent(self, channel: Channel) -> bool:
        """A conversation between users, or a server the bot was never added to: reached only
        through a member's user install, by answering their interactions."""
        if channel.guild_id is None:
            return not channel.bot_present
        guild = self.guilds.get(channel.guild_id)
        return guild is None or self.bot_user.id not in guild.members

    async def create_role(self, guild: Guild, name: str, *, permissions: int = 0) -> Role:
        role = Role(snowflake(), guild.id, name, permissions, position=len(guild.roles) + 1)
        guild.roles[role.id] = role
        await self._dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()}, guild.id
        )
        return role

    async def create_member(
        self, guild: Guild, name: str, *, roles: Iterable[Role] = (), dms_open: bool = True
    ) -> Member:
        user = self._new_user(name, dms_open=dms_open)
        member = Member(user, guild.id, list(roles))
        guild.members[user.id] = member
        return member

    async def join(
        self,
        guild: Guild,
        who: Member | User,
        *,
        nick: str | None = None,
        roles: Iterable[Role] = (),
    ) -> Member:
        """An existing user joins another server (Discord sends the bot nothing: no members
        intent)."""
        user = who.user if isinstance(who, Member) else who
        member = Member(user, guild.id, list(roles), nick=nick)
        guild.members[user.id] = member
        return member

    def create_user(self, name: str) -> User:
        """Someone on Discord who shares no server with the bot (a member's friend)."""
        return self._new_user(name)

    def install_for(self, who: Member | User) -> None:
        """The member adds Muster to their own account (the app's user install)."""
        self.user_installs.add((who.user if isinstance(who, Member) else who).id)

    def private_channel(self, *people: Member | User, name: str = "group chat") -> Channel:
        """A DM between two users, or a group DM of more, that the bot is not in: Muster sees
        it only through interactions a member who installed it starts there."""
        users = [who.user if isinstance(who, Member) else who for who in people]
        if len(users) < 2:
            raise SandboxError("a conversation between users needs at least two of them")
        channel = Channel(snowflake(), name, None, type=1 if len(users) == 2 else 3, members=users)
        self.channels[channel.id] = channel
        return channel

    def _new_user(self, name: str, *, dms_open: bool = True) -> User:
        user = User(snowflake(), name, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def channel_messages(self, channel: Channel) -> list[Message]:
        return [
            message
            for message in self.messages.values()
            if message.channel_id == channel.id and not message.deleted and not message.ephemeral
        ]

    def dms_to(self, member: Member | User) -> list[Message]:
        """Messages the bot sent to this member's DMs on its own (not replies to their clicks)."""
        user = member.user if isinstance(member, Member) else member
        channel = self._dm_channels.get(user.id)
        if channel is None:
            return []
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel.id
            and not m.deleted
            and m.interaction_id is None
            and m.author.id == self.bot_user.id
        ]

    async def edit_dm(self, message: Message, text: str) -> None:
        """The member edits a DM they wrote to the bot: Discord sends MESSAGE_UPDATE. The same
        words again are Discord's update for an embed unfurled, sent all the same."""
        message.content = text
        message.edits += 1
        await self._dispatch(
            "MESSAGE_UPDATE", message.to_json(self.base_url, self.application_id), None
        )

    async def delete_message(self, message: Message) -> None:
        """Someone (a moderator, with Delete Message) takes a message down: MESSAGE_DELETE."""
        message.deleted = True
        await self._dispatch(
            "MESSAGE_DELETE",
            {
                "id": str(message.id),
                "channel_id": str(message.channel_id),
                **({"guild_id": str(message.guild_id)} if message.guild_id else {}),
            },
            message.guild_id,
        )

    def replies_in_dm(self, who: Member | User, after: Message) -> list[Message]:
        """What the bot wrote in this member's DMs after one of their messages."""
        return [m for m in self.dms_to(who) if m.id > after.id]

    def make_attachment(
        self, filename: str, data: bytes, content_type: str = "application/json"
    ) -> Attachment:
        """A file a member attaches to a command option."""
        return Attachment(snowflake(), filename, data, content_type)

    def dm_channel(self, who: Member | User) -> Channel:
        """The DM channel between the bot and `who` (opened if need be), e.g. to aim a fault."""
        return self._dm_channel(who.user if isinstance(who, Member) else who)

    def _dm_channel(self, user: User) -> Channel:
        channel = self._dm_channels.get(user.id)
        if channel is None:
            channel = Channel(snowflake(), user.name, None, type=1, recipient=user)
            self._dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel
