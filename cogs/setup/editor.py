"""The /setup editor: two pages of selects and a form, each change saved as it is made."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Any

import discord

from bot.checks import ModeratorView, ensure_moderator, guild_object, guild_of
from bot.services.audit import AREAS, AuditPage, AuditRecord
from bot.services.guild_settings import LABELS, Channel, GuildConfig, Role
from bot.tree import Refused, report_error, reporting, services_of
from bot.ui.crisis import mentors_channel
from bot.ui.embeds import CALM_BLUE, safe

# What Muster needs in each channel it posts to, as Discord names them.
NEEDED_IN_CHANNELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}
# Why Read Message History matters (bot.delivery.find_sent): a post whose answer a Discord
# outage lost is checked for in the history; unable to look, Muster leaves it rather than
# post it twice.
NO_HISTORY = (
    "Without Read Message History there, I can't confirm a post went out after a Discord "
    "outage, so I might miss one (rather than risk posting it twice). Please grant it, so "
    "nothing is lost or doubled."
)
CHANNELS: tuple[Channel, ...] = ("checkin_channel_id", "meetings_channel_id", "mentors_channel_id")
ROLES: tuple[Role, ...] = ("moderator_role_id", "mentor_role_id")


def channel_lacks(channel: discord.abc.GuildChannel, allowed: discord.Permissions) -> str | None:
    """What Muster is missing in `channel` (having `allowed` there), said plainly; None if
    nothing. /setup show and /setup start both say it in these words."""
    missing = [label for flag, label in NEEDED_IN_CHANNELS.items() if not getattr(allowed, flag)]
    if not missing:
        return None
    line = f"In {channel.mention} I'm missing: {', '.join(missing)}."
    return f"{line} {NO_HISTORY}" if not allowed.read_message_history else line


def permission_problems(guild: discord.Guild, config: GuildConfig) -> list[str]:
    """What stops Muster from working in the chosen channels, said plainly."""
    problems = []
    for column in CHANNELS:
        channel_id = getattr(config, column)
        if channel_id is None:
            continue
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            problems.append(f"The {LABELS[column]} no longer exists; please choose another.")
            continue
        lacks = channel_lacks(channel, channel.permissions_for(guild.me))
        if lacks is not None:
            problems.append(lacks)
    for role_column in ROLES:
        role_id = getattr(config, role_column)
        if role_id is not None and guild.get_role(role_id) is None:
            problems.append(f"The {LABELS[role_column]} no longer exists; please choose another.")
    return problems


def settings_embed(guild: discord.Guild, config: GuildConfig) -> discord.Embed:
    def shown(column: str) -> str:
        value = getattr(config, column)
        if value is None:
            return "not set yet"
        return f"<#{value}>" if column.endswith("channel_id") else f"<@&{value}>"

    embed = discord.Embed(title=f"Muster's settings for {guild.name}"[:256], colour=CALM_BLUE)
    for column in (*CHANNELS, *ROLES):
        embed.add_field(name=LABELS[column].capitalize(), value=shown(column), inline=True)
    zone = config.timezone if config.timezone_chosen else f"{config.timezone} (not chosen yet)"
    embed.add_field(name="Time zone", value=zone, inline=True)
    embed.add_field(
        name="Anonymous posts appear",
        value=f"together at {', '.join(config.anonymous_release_times)}"
        if config.anonymous_release_times
        else f"after {config.delay_minutes} to {2 * config.delay_minutes} minutes",
        inline=True,
    )
    embed.add_field(
        name="Group summaries need", value=f"{config.summary_threshold} members", inline=True
    )
    embed.add_field(
        name="Check-ins are kept for", value=f"{config.retention_days} days", inline=True
    )
    embed.add_field(
        name="Crisis alerts (no names)",
        value="on, to the mentors' channel" if config.crisis_alerts else "off",
        inline=True,
    )
    _, missing = mentors_channel(guild, config)
    needs = f"this server needs {' and '.join(missing)}"
    if config.mentor_requests:
        requests = f"paused: {needs}" if missing else "on: members may ask a peer mentor, by name"
    else:
        requests = f"off. To turn them on, {needs}" if missing else "off (`/setup mentor-requests`)"
    embed.add_field(name="Named mentor requests", value=requests[:1024], inline=False)
    problems = permission_problems(guild, config)
    embed.add_field(
        name="Needs attention" if problems else "Permissions",
        value="\n".join(problems)[:1024]
        if problems
        else "I can post in every channel chosen here.",
        inline=False,
    )
    return embed


async def _show(
    interaction: discord.Interaction[Any], config: GuildConfig, view: discord.ui.View
) -> None:
    if interaction.guild is None:
        raise Refused("That works inside a server, not in DMs.")
    await interaction.edit_original_response(
        embed=settings_embed(interaction.guild, config), view=view
    )


async def _save_channel(
    interaction: discord.Interaction[Any], column: Channel, chosen: Any
) -> GuildConfig:
    guild_id = guild_of(interaction)
    if interaction.guild is None or interaction.guild.get_channel(chosen.id) is None:
        raise Refused("That channel isn't in this server.")
    services = services_of(interaction)
    config = await services.guild_settings.set_channel(
        guild_id, interaction.user.id, column, chosen.id
    )
    if column == "checkin_channel_id":
        # Booked now, so a member's first anonymous post adds no delivery row of its own.
        await services.anonymous.book_next(guild_id, services.clock.now())
    return config


async def _save_role(
    interaction: discord.Interaction[Any], column: Role, chosen: Any
) -> GuildConfig:
    guild_id = guild_of(interaction)
    if interaction.guild is None or interaction.guild.get_role(chosen.id) is None:
        raise Refused("That role isn't in this server.")
    return await services_of(interaction).guild_settings.set_role(
        guild_id, interaction.user.id, column, chosen.id
    )


class SetupChannelsView(ModeratorView):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="setup:checkin_channel",
        placeholder="Check-in channel (where check-ins and summaries go)",
        channel_types=[discord.ChannelType.text],
    )
    async def checkin(
        self, interaction: discord.Interaction[Any], select: discord.ui.ChannelSelect[Any]
    ) -> None:
        await interaction.response.defer()
        await _show(
            interaction,
            await _save_channel(interaction, "checkin_channel_id", select.values[0]),
            self,
        )

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="setup:meetings_channel",
        placeholder="Meetings channel (reminders and RSVPs)",
        channel_types=[discord.ChannelType.text],
    )
    async def meetings(
        self, interaction: discord.Interaction[Any], select: discord.ui.ChannelSelect[Any]
    ) -> None:
        await interaction.response.defer()
        await _show(
            interaction,
            await _save_channel(interaction, "meetings_channel_id", select.values[0]),
            self,
        )

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="setup:mentors_channel",
        placeholder="Mentors' channel (private: alerts for peer mentors)",
        channel_types=[discord.ChannelType.text],
    )
    async def mentors(
        self, interaction: discord.Interaction[Any], select: discord.ui.ChannelSelect[Any]
    ) -> None:
        await interaction.response.defer()
        await _show(
            interaction,
            await _save_channel(interaction, "mentors_channel_id", select.values[0]),
            self,
        )

    @discord.ui.button(
        label="Roles", style=discord.ButtonStyle.secondary, custom_id="setup:to_roles"
    )
    async def to_roles(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()  # before the settings are read
        config = await services_of(interaction).guild_settings.get(guild_of(interaction))
        await interaction.edit_original_response(
            embed=settings_embed(guild_object(interaction), config), view=SetupRolesView()
        )

    @discord.ui.button(
        label="Time zone and limits", style=discord.ButtonStyle.primary, custom_id="setup:limits"
    )
    async def limits(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        # A modal must be the first answer: pre-fill only from what is in memory.
        config = services_of(interaction).guild_settings.cached(guild_of(interaction))
        await interaction.response.send_modal(SetupLimitsModal(config, self))


class SetupRolesView(ModeratorView):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        cls=discord.ui.RoleSelect, custom_id="setup:moderator_role", placeholder="Moderator role"
    )
    async def moderator(
        self, interaction: discord.Interaction[Any], select: discord.ui.RoleSelect[Any]
    ) -> None:
        await interaction.response.defer()
        await _show(
            interaction, await _save_role(interaction, "moderator_role_id", select.values[0]), self
        )

    @discord.ui.select(
        cls=discord.ui.RoleSelect, custom_id="setup:mentor_role", placeholder="Peer mentor role"
    )
    async def mentor(
        self, interaction: discord.Interaction[Any], select: discord.ui.RoleSelect[Any]
    ) -> None:
        await interaction.response.defer()
        await _show(
            interaction, await _save_role(interaction, "mentor_role_id", select.values[0]), self
        )

    @discord.ui.button(
        label="Channels", style=discord.ButtonStyle.secondary, custom_id="setup:to_channels"
    )
    async def to_channels(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()  # before the settings are read
        config = await services_of(interaction).guild_settings.get(guild_of(interaction))
        await interaction.edit_original_response(
            embed=settings_embed(guild_object(interaction), config), view=SetupChannelsView()
        )

    @discord.ui.button(
        label="Time zone and limits",
        style=discord.ButtonStyle.primary,
        custom_id="setup:limits_from_roles",
    )
    async def limits(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        # A modal must be the first answer: pre-fill only from what is in memory.
        config = services_of(interaction).guild_settings.cached(guild_of(interaction))
        await interaction.response.send_modal(SetupLimitsModal(config, self))


def _delay_default(config: GuildConfig | None) -> str | None:
    if config is None:
        return None
    if config.anonymous_release_times:
        return ", ".join(config.anonymous_release_times)
    return str(config.delay_minutes)


class SetupLimitsModal(discord.ui.Modal, title="Time zone and limits"):
    """Pre-filled with the current values when they are known here; otherwise empty, so that
    nothing is reset to a default without the moderator typing it."""

    def __init__(self, config: GuildConfig | None, view: discord.ui.View) -> None:
        super().__init__(timeout=1800)
        self.view = view
        self.zone: discord.ui.TextInput[SetupLimitsModal] = discord.ui.TextInput(
            label="The group's time zone", custom_id="setup:timezone", max_length=64,
            placeholder="Eastern, Pacific, America/Chicago...",
            default=config.timezone if config is not None and config.timezone_chosen else None,
        )  # fmt: skip
        self.delay: discord.ui.TextInput[SetupLimitsModal] = discord.ui.TextInput(
            label="Anonymous posts wait (minutes) or go at", custom_id="setup:delay",
            max_length=100, default=_delay_default(config),
            placeholder="5 (at least 2), or fixed times: 9:00, 13:00, 18:00",
        )  # fmt: skip
        self.threshold: discord.ui.TextInput[SetupLimitsModal] = discord.ui.TextInput(
            label="Members needed for a group summary", custom_id="setup:threshold",
            max_length=2, default=str(config.summary_threshold) if config is not None else None,
            placeholder="e.g. 5",
        )  # fmt: skip
        self.retention: discord.ui.TextInput[SetupLimitsModal] = discord.ui.TextInput(
            label="Days to keep check-ins", custom_id="setup:retention",
            max_length=4, default=str(config.retention_days) if config is not None else None,
            placeholder="e.g. 180",
        )  # fmt: skip
        self.alerts: discord.ui.TextInput[SetupLimitsModal] = discord.ui.TextInput(
            label="Crisis alerts to mentors, without names?", custom_id="setup:alerts",
            max_length=3, placeholder="yes (the default) or no", required=False,
            default=("yes" if config.crisis_alerts else "no") if config is not None else None,
        )  # fmt: skip
        for item in (self.zone, self.delay, self.threshold, self.retention, self.alerts):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await ensure_moderator(interaction)
        await interaction.response.defer()
        config = await services_of(interaction).guild_settings.set_limits(
            guild_of(interaction),
            interaction.user.id,
            timezone=self.zone.value,
            anonymous_delay_minutes=self.delay.value,
            summary_threshold=self.threshold.value,
            retention_days=self.retention.value,
            crisis_alerts=self.alerts.value,
        )
        await _show(interaction, config, self.view)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


# What a moderator did, in words; the stored keys ("setup.crisis_alerts") stay for the log.
ACTION_WORDS = {
    "resources.add": "added the resource",
    "resources.edit": "edited the resource",
    "resources.remove": "removed the resource",
    "resources.hide": "hid the resource",
    "resources.unhide": "showed again the resource",
    "resources.import": "imported the meeting list",
    "meetings.create": "scheduled the meeting",
    "meetings.edit": "changed the meeting",
    "meetings.skip": "skipped one date of the meeting",
    "meetings.cancel": "cancelled the meeting",
    "posts.remove": "removed",
    "posts.block": "paused the",
}
SETTING_VALUES = {"True": "on", "False": "off"}


def audit_line(record: AuditRecord) -> str:
    """One audit entry as a sentence: who, when, what, and any change from one value to
    another ("from on to off"), never a raw key."""
    stamp = int(record.created_at.timestamp())
    target = safe(record.target)
    detail = record.detail
    if record.action.startswith("setup."):
        words = f"changed the {target}"
        if detail and " -> " in detail:
            before, after = (SETTING_VALUES.get(v, v) for v in detail.split(" -> ", 1))
            detail = f"from {before} to {after}"
    else:
        words = f"{ACTION_WORDS.get(record.action, record.action.replace('.', ' '))} {target}"
        if record.action == "meetings.skip" and detail:
            with contextlib.suppress(ValueError):
                detail = f"<t:{int(datetime.fromisoformat(detail).timestamp())}:F>"
    shown = f": {detail}" if detail else ""
    return f"<t:{stamp}:f> <@{record.actor_id}> {words}{shown}"


def audit_embed(page: AuditPage, area: str | None) -> discord.Embed:
    label = AREAS.get(area, "Everything") if area else "Everything"
    embed = discord.Embed(title=f"Moderator actions: {label}", colour=CALM_BLUE)
    if not page.entries:
        embed.description = "Nothing recorded yet."
    lines = []
    for entry in page.entries:
        lines.append(audit_line(entry))
    if lines:
        embed.description = "\n".join(lines)[:4096]
    embed.set_footer(
        text=f"Page {page.page + 1} of {page.pages}, {page.total} in all. Newest first."
    )
    return embed


class AuditPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"audit:page:(?P<area>[a-z]*):(?P<page>\d{1,5})",
):
    """Paging through /mod audit. Moderators only, checked on every click."""

    def __init__(self, area: str | None, page: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"audit:page:{area or ''}:{page}",
                disabled=disabled,
            )
        )
        self.area = area
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AuditPageButton:
        area = match["area"] or None
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(area if area in AREAS else None, int(match["page"]), label=label or "Page")

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_moderator(interaction)
        await interaction.response.defer()
        page = await services_of(interaction).audit.page(
            guild_of(interaction), self.area, self.page
        )
        await interaction.edit_original_response(
            embed=audit_embed(page, self.area), view=audit_view(page, self.area)
        )


def audit_view(page: AuditPage, area: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        AuditPageButton(area, max(page.page - 1, 0), label="Newer", disabled=page.page == 0)
    )
    view.add_item(
        AuditPageButton(area, page.page + 1, label="Older", disabled=page.page >= page.pages - 1)
    )
    return view
