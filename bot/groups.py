"""Which group a command used outside a server is for: the member's only group, or the one
they pick.

Inside a server the group is that server. Outside one (Muster's DM, or any DM or group DM
through a user install) Discord says nothing about the member's servers, and Muster keeps no
list of who belongs where. So it asks Discord, per server it is in, whether the member is
there (GET /guilds/{id}/members/{user}: one request each, no privileged intent), and keeps
the answer in memory for a few minutes. With more than one group the member picks it from a
select; its answers are only ever ephemeral, so nobody else in the conversation sees it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.tree import group_of, report_error, respond
from bot.ui.embeds import safe

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

# How long a member's groups are remembered (in memory only) after Discord was asked.
REMEMBERED_FOR = 300.0
REMEMBERED_MAX = 10_000
# Requests in flight at once while asking which servers a member is in.
LOOKUPS_AT_ONCE = 4
PICK_TIMEOUT = 600.0
MAX_CHOICES = 25  # a select's limit


@dataclass(frozen=True)
class MemberGroup:
    guild_id: int
    name: str
    display_name: str  # the member's name in that server


Then = Callable[[discord.Interaction[Any], MemberGroup | None], Awaitable[None]]


class GroupLookup:
    """The servers Muster is in that a member belongs to, asked of Discord and remembered
    briefly. A server Discord could not answer for is left out (and not remembered)."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot
        self._known: dict[int, tuple[float, list[MemberGroup]]] = {}

    async def groups_of(self, user_id: int) -> list[MemberGroup]:
        now = time.monotonic()
        known = self._known.get(user_id)
        if known is not None and now - known[0] < REMEMBERED_FOR:
            return known[1]
        gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)
        complete = True

        async def look(guild: discord.Guild) -> MemberGroup | None:
            nonlocal complete
            async with gate:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.NotFound:
                    return None
                except (discord.HTTPException, OSError, TimeoutError) as error:
                    log.info("Could not ask Discord about a member (%s)", type(error).__name__)
                    complete = False
                    return None
            return MemberGroup(guild.id, guild.name, member.display_name)

        guilds = sorted(self.bot.guilds, key=lambda guild: (guild.name.casefold(), guild.id))
        found = [group for group in await asyncio.gather(*map(look, guilds)) if group]
        if complete:
            if len(self._known) >= REMEMBERED_MAX:
                self._known = {
                    user: entry
                    for user, entry in self._known.items()
                    if now - entry[0] < REMEMBERED_FOR
                }
            self._known[user_id] = (now, found)
        return found


async def with_group(interaction: discord.Interaction[Any], question: str, then: Then) -> None:
    """Run `then` for the group this is for: this server; outside a server Muster serves
    (DMs; through a user install, any conversation), the member's only group, the one they
    pick from a select when there are several, or None when Muster shares no server with
    them. The interaction must be answered or deferred already: asking
    Discord takes a request per server."""
    if group_of(interaction) is not None and interaction.guild is not None:
        member = interaction.user
        await then(
            interaction,
            MemberGroup(interaction.guild.id, interaction.guild.name, member.display_name),
        )
        return
    bot: MusterBot = interaction.client
    groups = await bot.group_lookup.groups_of(interaction.user.id)
    if len(groups) <= 1:
        await then(interaction, groups[0] if groups else None)
        return
    await respond(interaction, question, view=GroupPicker(interaction.user.id, groups, then))


class GroupPicker(discord.ui.View):
    """One select of the member's groups; only they can use it, once."""

    def __init__(self, user_id: int, groups: list[MemberGroup], then: Then) -> None:
        super().__init__(timeout=PICK_TIMEOUT)
        self.user_id = user_id
        self.groups = {str(group.guild_id): group for group in groups[:MAX_CHOICES]}
        self.then = then
        self.done = False
        self.select: discord.ui.Select[GroupPicker] = discord.ui.Select(
            custom_id="group:pick",
            placeholder="Pick a group",
            options=[
                discord.SelectOption(label=group.name[:100], value=key)
                for key, group in self.groups.items()
            ],
        )
        self.select.callback = self._picked  # type: ignore[method-assign]
        self.add_item(self.select)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return interaction.user.id == self.user_id

    async def _picked(self, interaction: discord.Interaction[Any]) -> None:
        group = self.groups.get(self.select.values[0]) if self.select.values else None
        if group is None or self.done:
            await interaction.response.edit_message(content="That choice has closed.", view=None)
            return
        self.done = True
        self.stop()
        await interaction.response.edit_message(content=f"For **{safe(group.name)}**.", view=None)
        await self.then(interaction, group)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)
