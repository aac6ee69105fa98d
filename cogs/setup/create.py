"""/setup start's Create: what is missing made, one at a time, each saved as soon as it is
made; then the checklist of what was done and what is left.

Making things is idempotent: whatever exists is found again (by the ids already saved, then
by name, from what Discord says now, not from memory), so a double click, or pressing Create
again after Discord failed half-way, never makes a second channel or role."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord

from bot.checks import guild_object
from bot.services.guild_settings import Channel, GuildConfig, Role
from bot.tree import services_of
from bot.ui.embeds import CALM_BLUE, INTEGRATIONS_HOW
from cogs.setup.plan import (
    BOT_ROLE_PATH,
    CHECKINS,
    CHOOSE_MYSELF,
    MENTOR_ROLE,
    MENTORS,
    Found,
    Plan,
    Wanted,
    make_plan,
)

# What Muster allows itself in each channel it makes, so a later @everyone change can't mute it.
BOT_OVERWRITE = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
READERS_OVERWRITE = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True
)


_LOCKS: dict[int, asyncio.Lock] = {}


@dataclass
class Outcome:
    made: list[tuple[Wanted, Found]] = field(default_factory=list)
    failed: tuple[Wanted, str] | None = None


async def create_missing(interaction: discord.Interaction[Any]) -> tuple[Plan, Outcome]:
    """Read what Discord has now, save what exists, make what is missing; one at a time, each
    saved as soon as it is made. Stops at the first refusal and says what was not made."""
    guild = guild_object(interaction)
    async with _LOCKS.setdefault(guild.id, asyncio.Lock()):
        settings = services_of(interaction).guild_settings
        config = await settings.get(guild.id)
        fetched = await guild.fetch_channels()
        channels = [c for c in fetched if isinstance(c, discord.TextChannel)]
        plan = make_plan(guild, config, channels, list(await guild.fetch_roles()),
                         moderator=interaction.permissions)  # fmt: skip
        outcome = Outcome()
        if plan.problems or not config.timezone_chosen:
            return plan, outcome
        actor = interaction.user.id
        unsaved: dict[Channel | Role, int] = {
            s.wanted.column: s.found.id
            for s in plan.steps
            if s.found is not None and getattr(config, s.wanted.column) != s.found.id
        }
        if unsaved:
            await settings.set_many(guild.id, actor, unsaved)
        reason = f"/setup start, confirmed by {interaction.user} ({actor})"
        for step in plan.missing:
            try:
                step.found = await _make(guild, plan, step.wanted, reason)
            except discord.Forbidden:
                outcome.failed = (step.wanted, _refused(step.wanted))
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError):
                outcome.failed = (step.wanted, "Discord couldn't make it just now")
            if step.found is None:
                break
            await settings.set_many(guild.id, actor, {step.wanted.column: step.found.id})
            if step.wanted == CHECKINS:
                # Booked now, so a member's first anonymous post adds no delivery row of its own.
                await services_of(interaction).anonymous.book_next(
                    guild.id, services_of(interaction).clock.now()
                )
            outcome.made.append((step.wanted, step.found))
        return plan, outcome


def _refused(wanted: Wanted) -> str:
    needed = (
        "**Manage Roles**"
        if wanted.is_role
        else "**Manage Channels**, and View Channel, Send Messages, Embed Links and Read Message "
        "History"
    )
    return f"Discord refused, as I'm missing a permission: I need {needed} ({BOT_ROLE_PATH})"


async def _make(guild: discord.Guild, plan: Plan, wanted: Wanted, reason: str) -> Found:
    if wanted == MENTOR_ROLE:
        return await guild.create_role(
            name=wanted.name, permissions=discord.Permissions.none(), mentionable=True,
            reason=reason,
        )  # fmt: skip
    overwrites: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]
    overwrites = {guild.me: BOT_OVERWRITE}
    if wanted == MENTORS:
        mentor = plan.step(MENTOR_ROLE).found  # made first, or the loop stopped
        overwrites = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: BOT_OVERWRITE,
        }
        if isinstance(mentor, discord.Role):
            overwrites[mentor] = READERS_OVERWRITE
        if plan.moderator_role is not None:
            overwrites[plan.moderator_role] = READERS_OVERWRITE
    return await guild.create_text_channel(
        wanted.name, overwrites=overwrites, topic=wanted.topic, reason=reason
    )


def checklist_embed(
    guild: discord.Guild, config: GuildConfig, plan: Plan, outcome: Outcome
) -> discord.Embed:
    done = outcome.failed is None
    embed = discord.Embed(
        title="Muster is set up" if done else "Set-up is partly done", colour=CALM_BLUE
    )
    made = {wanted: item for wanted, item in outcome.made}
    lines = [f"Time zone: {config.timezone}"]
    for step in plan.steps:
        item = made.get(step.wanted) or step.found
        if item is None:
            continue
        verb = "Created" if step.wanted in made else "Using"
        extra = " (private)" if step.wanted == MENTORS else ""
        lines.append(f"{verb} {item.mention} as your {step.wanted.what}{extra}")
    embed.add_field(name="Done", value="\n".join(lines)[:1024], inline=False)
    if outcome.failed is not None:
        wanted, why = outcome.failed
        left = [f"#{s.wanted.name}" if not s.wanted.is_role else f"@{s.wanted.name}"
                for s in plan.missing if s.wanted not in made]  # fmt: skip
        embed.add_field(
            name="Not made yet",
            value=(
                f"{', '.join(left)}. The {wanted.what}: {why}. Press Create and save again: "
                "I'll reuse what's already made and never make anything twice."
            )[:1024],
            inline=False,
        )
    embed.add_field(name="Left to do", value=_left_to_do(config, plan)[:1024], inline=False)
    return embed


def _left_to_do(config: GuildConfig, plan: Plan) -> str:
    todo = []
    if config.moderator_role_id is None:
        todo.append(
            'Choose a moderator role: run `/setup start` again and pick it under "Your '
            'moderator role". Until then, only people with Manage Server can use the '
            "moderator commands."
        )
    todo.append(
        f"Let your moderator role see the moderator commands: {INTEGRATIONS_HOW} Discord "
        "hides them from it until you do."
    )
    if config.mentor_role_id is not None:
        todo.append(
            f"Give <@&{config.mentor_role_id}> to your peer mentors: Server Settings > Members, "
            "or right-click a name > Roles."
        )
    todo += [w for s in plan.steps for w in s.warnings]
    if not config.mentor_requests:
        todo.append(
            "If you'd like members to ask a mentor by name: `/setup mentor-requests turn:on`."
        )
    todo.append(
        f"Anonymous post timing, summaries and how long check-ins are kept: `/setup start` > "
        f"{CHOOSE_MYSELF} > Time zone and limits."
    )
    todo.append("Add your group's first meeting: `/meeting-admin create`.")
    return "\n".join(f"{n}. {line}" for n, line in enumerate(todo, 1))
