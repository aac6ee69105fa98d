"""What /setup start finds, makes and leaves to do, as Discord objects; no views here.

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
from bot.ui.embeds import CALM_BLUE, INTEGRATIONS_HOW, safe
from cogs.setup.editor import NEEDED_IN_CHANNELS, channel_lacks

BOT_ROLE_PATH = "Server Settings > Roles > Muster"
# What Muster allows itself in each channel it makes, so a later @everyone change can't mute it.
BOT_OVERWRITE = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
READERS_OVERWRITE = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True
)
CHOOSE_MYSELF = "Choose channels and roles myself"


@dataclass(frozen=True)
class Wanted:
    column: Channel | Role
    name: str  # the name Muster gives it
    also: tuple[str, ...]  # other names it is found by
    what: str
    topic: str = ""

    @property
    def is_role(self) -> bool:
        return self.column.endswith("role_id")


MENTOR_ROLE = Wanted(
    "mentor_role_id", "Peer mentor", ("peer mentors", "mentor", "mentors"), "mentor role"
)
CHECKINS = Wanted(
    "checkin_channel_id", "check-ins", ("checkins", "check-in", "checkin"), "check-in channel",
    "Check-ins and group summaries from Muster.",
)  # fmt: skip
MENTORS = Wanted(
    "mentors_channel_id", "mentors", ("peer-mentors",), "mentors' channel",
    "Private: peer mentors and moderators only. Muster's alerts come here.",
)  # fmt: skip
MEETINGS = Wanted(
    "meetings_channel_id", "meetings", ("meeting",), "meetings channel",
    "Meeting reminders and RSVPs from Muster.",
)  # fmt: skip
WANTED = (MENTOR_ROLE, CHECKINS, MENTORS, MEETINGS)  # the role first: #mentors needs it

Found = discord.TextChannel | discord.Role


@dataclass
class Step:
    wanted: Wanted
    found: Found | None = None
    source: str = ""  # "chosen" (saved before) or "found" (by name)
    blocking: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Plan:
    steps: list[Step]
    moderator_role: discord.Role | None
    blocking: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[Step]:
        return [step for step in self.steps if step.found is None]

    @property
    def problems(self) -> list[str]:
        return [s.blocking for s in self.steps if s.blocking] + self.blocking

    def step(self, wanted: Wanted) -> Step:
        return next(step for step in self.steps if step.wanted == wanted)


def make_plan(
    guild: discord.Guild,
    config: GuildConfig,
    channels: list[discord.TextChannel],
    roles: list[discord.Role],
    *,
    moderator: discord.Permissions,
) -> Plan:
    """What exists, what is wrong with it, and what must be made; nothing is changed."""
    roles = [role for role in roles if not role.is_default() and not role.managed]
    moderator_role = next((r for r in roles if r.id == config.moderator_role_id), None)
    plan = Plan([], moderator_role)
    for wanted in WANTED:
        pool: list[Any] = roles if wanted.is_role else channels
        step = Step(wanted)
        chosen = getattr(config, wanted.column)
        names = {wanted.name.casefold(), *wanted.also}
        step.found = next((item for item in pool if item.id == chosen), None)
        step.source = "chosen"
        if step.found is None:
            step.found = next((i for i in pool if i.name.casefold() in names), None)
            step.source = "found"
        _check(guild, step, plan)
        plan.steps.append(step)
    me = guild.me.guild_permissions
    missing = plan.missing
    if any(not step.wanted.is_role for step in missing):
        if not me.manage_channels:
            plan.blocking.append(_bot_lacks("Manage Channels", "create channels"))
        if not moderator.manage_channels:
            plan.blocking.append(_you_lack("Manage Channels"))
        # Discord lets a bot set in an overwrite only what it holds in the server.
        lacking = [label for flag, label in NEEDED_IN_CHANNELS.items() if not getattr(me, flag)]
        if lacking:
            plan.blocking.append(
                f"To post in the channels I make, I need {', '.join(lacking)} in the server: "
                f"a server admin can turn them on in {BOT_ROLE_PATH}."
            )
    if any(step.wanted.is_role for step in missing):
        if not me.manage_roles:
            plan.blocking.append(_bot_lacks("Manage Roles", "create the mentor role"))
        if not moderator.manage_roles:
            plan.blocking.append(_you_lack("Manage Roles"))
    return plan


def _bot_lacks(permission: str, to: str) -> str:
    return (
        f"I need the **{permission}** permission to {to}. A server admin can turn it on in "
        f"{BOT_ROLE_PATH}, then press Check again. Or make it yourself and choose it "
        f"({CHOOSE_MYSELF})."
    )


def _you_lack(permission: str) -> str:
    return (
        f"Making channels and roles needs **{permission}**, and you don't have it here. "
        f"A server admin can press Create, or you can choose existing ones ({CHOOSE_MYSELF})."
    )


def _check(guild: discord.Guild, step: Step, plan: Plan) -> None:
    found = step.found
    if isinstance(found, discord.Role):
        if not found.mentionable:
            step.warnings.append(
                f"The {safe(found.name)} role can't be mentioned, so meeting reminders can't "
                f"ping it: Server Settings > Roles > {safe(found.name)} > Allow anyone to "
                "@mention this role."
            )
        return
    if found is None:
        return
    lacks = channel_lacks(found, found.permissions_for(guild.me))
    if lacks is not None:
        step.warnings.append(lacks)
    if step.wanted != MENTORS:
        return
    if found.permissions_for(guild.default_role).view_channel:
        step.blocking = (
            f"{found.mention} can be seen by everyone in the server, so I won't send mentor "
            "alerts there. To make it private: Edit Channel > Permissions > @everyone, turn off "
            "View Channel; then add your mentor and moderator roles and allow View Channel. "
            f"Or choose another channel ({CHOOSE_MYSELF}). Then press Check again."
        )
        return
    mentor_role = plan.step(MENTOR_ROLE).found
    if (
        isinstance(mentor_role, discord.Role)
        and not found.permissions_for(mentor_role).view_channel
    ):
        step.warnings.append(
            f"The {safe(mentor_role.name)} role can't see {found.mention} yet: Edit Channel > "
            "Permissions, add that role and allow View Channel."
        )


def _shown(item: Found) -> str:
    return item.mention


def plan_embed(guild: discord.Guild, config: GuildConfig, plan: Plan) -> discord.Embed:
    embed = discord.Embed(title=f"Setting up Muster in {guild.name}"[:256], colour=CALM_BLUE)
    if config.timezone_chosen:
        embed.description = f"Your group's time zone: **{config.timezone}**."
    else:
        embed.description = (
            "First, your group's time zone: reminders and meeting times use it. "
            "Pick it below, or press Another time zone to type one."
        )
    found = [
        f"{_shown(s.found)}: your {s.wanted.what}"
        + (" (found by name)" if s.source == "found" else "")
        for s in plan.steps
        if s.found is not None
    ]
    if found:
        embed.add_field(name="Already here", value="\n".join(found)[:1024], inline=False)
    making = [_will_make(step.wanted, plan) for step in plan.missing]
    if making:
        embed.add_field(name="I'll create", value="\n".join(making)[:1024], inline=False)
    problems = plan.problems
    if problems:
        embed.add_field(name="Before I can go on", value="\n".join(problems)[:1024], inline=False)
    warnings = [w for s in plan.steps for w in s.warnings]
    if warnings:
        embed.add_field(name="Worth fixing", value="\n".join(warnings)[:1024], inline=False)
    embed.set_footer(text="Nothing is changed until you press Create and save.")
    return embed


def _will_make(wanted: Wanted, plan: Plan) -> str:
    if wanted == MENTOR_ROLE:
        return f"@{wanted.name}: the mentor role, mentionable, with no extra permissions"
    if wanted == MENTORS:
        mentor = plan.step(MENTOR_ROLE).found
        readers = f"the {safe(mentor.name) if mentor else MENTOR_ROLE.name} role"
        if plan.moderator_role is None:
            return (
                f"#{wanted.name}: private, only {readers} (and Muster) can see it. To let "
                "moderators see it too, choose your moderator role below first."
            )
        readers += f" and the {safe(plan.moderator_role.name)} role"
        return f"#{wanted.name}: private, only {readers} (and Muster) can see it"
    return f"#{wanted.name}: your {wanted.what}"


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
        lines.append(f"{verb} {_shown(item)} as your {step.wanted.what}{extra}")
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
