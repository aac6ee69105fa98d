"""The /setup editor: two pages of selects and a form, each change saved as it is made."""

from __future__ import annotations

from typing import Any

import discord

from bot.checks import ModeratorView, ensure_moderator, guild_object, guild_of
from bot.services.guild_settings import Channel, GuildConfig, Role
from bot.tree import Refused, report_error, services_of
from cogs.setup.settings import settings_embed


async def open_page(interaction: discord.Interaction[Any], view: discord.ui.View) -> None:
    """A press that opens a page of the editor: `view`, under the settings as they are now."""
    await interaction.response.defer()  # before the settings are read
    config = await services_of(interaction).guild_settings.get(guild_of(interaction))
    await interaction.edit_original_response(
        embed=settings_embed(guild_object(interaction), config), view=view
    )


async def _show(
    interaction: discord.Interaction[Any], config: GuildConfig, view: discord.ui.View
) -> None:
    if interaction.guild is None:
        raise Refused("That works inside a server, not in DMs.")
    await interaction.edit_original_response(
        embed=settings_embed(interaction.guild, config), view=view
    )


async def _choose_channel(
    interaction: discord.Interaction[Any], column: Channel, chosen: Any, view: discord.ui.View
) -> None:
    await interaction.response.defer()
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
    await _show(interaction, config, view)


async def _choose_role(
    interaction: discord.Interaction[Any], column: Role, chosen: Any, view: discord.ui.View
) -> None:
    await interaction.response.defer()
    guild_id = guild_of(interaction)
    if interaction.guild is None or interaction.guild.get_role(chosen.id) is None:
        raise Refused("That role isn't in this server.")
    config = await services_of(interaction).guild_settings.set_role(
        guild_id, interaction.user.id, column, chosen.id
    )
    await _show(interaction, config, view)


async def _open_limits(interaction: discord.Interaction[Any], view: discord.ui.View) -> None:
    # A modal must be the first answer: pre-fill only from what is in memory.
    config = services_of(interaction).guild_settings.cached(guild_of(interaction))
    await interaction.response.send_modal(SetupLimitsModal(config, view))


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
        await _choose_channel(interaction, "checkin_channel_id", select.values[0], self)

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="setup:meetings_channel",
        placeholder="Meetings channel (reminders and RSVPs)",
        channel_types=[discord.ChannelType.text],
    )
    async def meetings(
        self, interaction: discord.Interaction[Any], select: discord.ui.ChannelSelect[Any]
    ) -> None:
        await _choose_channel(interaction, "meetings_channel_id", select.values[0], self)

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="setup:mentors_channel",
        placeholder="Mentors' channel (private: alerts for peer mentors)",
        channel_types=[discord.ChannelType.text],
    )
    async def mentors(
        self, interaction: discord.Interaction[Any], select: discord.ui.ChannelSelect[Any]
    ) -> None:
        await _choose_channel(interaction, "mentors_channel_id", select.values[0], self)

    @discord.ui.button(
        label="Roles", style=discord.ButtonStyle.secondary, custom_id="setup:to_roles"
    )
    async def to_roles(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await open_page(interaction, SetupRolesView())

    @discord.ui.button(
        label="Time zone and limits", style=discord.ButtonStyle.primary, custom_id="setup:limits"
    )
    async def limits(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await _open_limits(interaction, self)


class SetupRolesView(ModeratorView):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        cls=discord.ui.RoleSelect, custom_id="setup:moderator_role", placeholder="Moderator role"
    )
    async def moderator(
        self, interaction: discord.Interaction[Any], select: discord.ui.RoleSelect[Any]
    ) -> None:
        await _choose_role(interaction, "moderator_role_id", select.values[0], self)

    @discord.ui.select(
        cls=discord.ui.RoleSelect, custom_id="setup:mentor_role", placeholder="Peer mentor role"
    )
    async def mentor(
        self, interaction: discord.Interaction[Any], select: discord.ui.RoleSelect[Any]
    ) -> None:
        await _choose_role(interaction, "mentor_role_id", select.values[0], self)

    @discord.ui.button(
        label="Channels", style=discord.ButtonStyle.secondary, custom_id="setup:to_channels"
    )
    async def to_channels(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await open_page(interaction, SetupChannelsView())

    @discord.ui.button(
        label="Time zone and limits",
        style=discord.ButtonStyle.primary,
        custom_id="setup:limits_from_roles",
    )
    async def limits(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await _open_limits(interaction, self)


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
