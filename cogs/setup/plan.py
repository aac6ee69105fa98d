"""What /setup start finds and would make, as Discord objects, and the page that says so; no
views here. Nothing is changed: making is cogs/setup/create.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord

from bot.services.guild_settings import Channel, GuildConfig, Role
from bot.ui.embeds import CALM_BLUE, safe
from cogs.setup.settings import NEEDED_IN_CHANNELS, channel_lacks

BOT_ROLE_PATH = "Server Settings > Roles > Muster"
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
