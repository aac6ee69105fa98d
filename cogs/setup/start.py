"""/setup start: the group's time zone first, then what Muster found and what it will make
(cogs/setup/plan.py), made in one step the moderator confirms, and a checklist of what is
left (cogs/setup/create.py)."""

from __future__ import annotations

from typing import Any

import discord

from bot.checks import ModeratorView, ensure_moderator, guild_object, guild_of
from bot.services.guild_settings import GuildConfig
from bot.services.timezones import COMMON_NAMES
from bot.tree import Refused, report_error, services_of
from cogs.setup.create import checklist_embed, create_missing
from cogs.setup.editor import SetupChannelsView, open_page
from cogs.setup.plan import CHOOSE_MYSELF, Plan, make_plan, plan_embed


def zone_options(config: GuildConfig) -> list[discord.SelectOption]:
    seen: dict[str, str] = {}
    for name, zone in COMMON_NAMES.items():
        seen.setdefault(zone, name.title() if name != "utc" else "UTC")
    return [
        discord.SelectOption(
            label=f"{label} ({zone})",
            value=zone,
            default=config.timezone_chosen and config.timezone == zone,
        )
        for zone, label in seen.items()
    ]


async def current_plan(interaction: discord.Interaction[Any]) -> tuple[GuildConfig, Plan]:
    """From what this process knows of the server (Create reads Discord afresh)."""
    guild = guild_object(interaction)
    config = await services_of(interaction).guild_settings.get(guild.id)
    channels = [c for c in guild.channels if isinstance(c, discord.TextChannel)]
    plan = make_plan(guild, config, channels, list(guild.roles), moderator=interaction.permissions)
    return config, plan


async def show_plan(interaction: discord.Interaction[Any], *, first: bool = False) -> None:
    config, plan = await current_plan(interaction)
    embed = plan_embed(guild_object(interaction), config, plan)
    view = SetupPlanView(config, ready=config.timezone_chosen and not plan.problems)
    if first:
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)
    else:
        await interaction.edit_original_response(embed=embed, view=view)


class SetupPlanView(ModeratorView):
    """The first page of /setup start; fixed custom ids, so it keeps working after a restart."""

    def __init__(self, config: GuildConfig | None = None, *, ready: bool = False) -> None:
        super().__init__(timeout=None)
        if config is not None:
            self.zone.options = zone_options(config)
        self.create.disabled = not ready

    @discord.ui.select(
        cls=discord.ui.Select, custom_id="setup:zone", placeholder="Your group's time zone",
        options=zone_options(GuildConfig(0)),
    )  # fmt: skip
    async def zone(
        self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]
    ) -> None:
        await interaction.response.defer()
        await services_of(interaction).guild_settings.set_timezone(
            guild_of(interaction), interaction.user.id, select.values[0]
        )
        await show_plan(interaction)

    @discord.ui.select(
        cls=discord.ui.RoleSelect, custom_id="setup:plan_moderator_role",
        placeholder="Your moderator role (it can see #mentors and run moderator commands)",
    )  # fmt: skip
    async def moderator_role(
        self, interaction: discord.Interaction[Any], select: discord.ui.RoleSelect[Any]
    ) -> None:
        await interaction.response.defer()
        chosen = select.values[0]
        if interaction.guild is None or interaction.guild.get_role(chosen.id) is None:
            raise Refused("That role isn't in this server.")
        await services_of(interaction).guild_settings.set_role(
            guild_of(interaction), interaction.user.id, "moderator_role_id", chosen.id
        )
        await show_plan(interaction)

    @discord.ui.button(
        label="Create and save", style=discord.ButtonStyle.success, custom_id="setup:create"
    )
    async def create(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()
        plan, outcome = await create_missing(interaction)
        guild = guild_object(interaction)
        config = await services_of(interaction).guild_settings.get(guild.id)
        if not config.timezone_chosen or (plan.problems and not outcome.made):
            await show_plan(interaction)
            why = plan.problems or ["First choose your group's time zone."]
            await interaction.followup.send(
                "I didn't change anything yet.\n" + "\n".join(why), ephemeral=True
            )
            return
        # After a failure, Create again: whatever was made is found and reused.
        view = SetupDoneView() if outcome.failed is None else SetupPlanView(config, ready=True)
        await interaction.edit_original_response(
            embed=checklist_embed(guild, config, plan, outcome), view=view
        )

    @discord.ui.button(
        label="Another time zone", style=discord.ButtonStyle.secondary,
        custom_id="setup:zone_other",
    )  # fmt: skip
    async def other_zone(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(ZoneModal())

    @discord.ui.button(label="Check again", style=discord.ButtonStyle.secondary,
                       custom_id="setup:recheck")  # fmt: skip
    async def recheck(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()
        await show_plan(interaction)

    @discord.ui.button(label=CHOOSE_MYSELF, style=discord.ButtonStyle.secondary,
                       custom_id="setup:choose")  # fmt: skip
    async def choose(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await open_page(interaction, SetupChannelsView())


class SetupDoneView(ModeratorView):
    """Under the checklist: the editor, for anything to change by hand."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label=CHOOSE_MYSELF, style=discord.ButtonStyle.secondary,
                       custom_id="setup:choose_after")  # fmt: skip
    async def choose(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await open_page(interaction, SetupChannelsView())


class ZoneModal(discord.ui.Modal, title="Your group's time zone"):
    zone: discord.ui.TextInput[ZoneModal] = discord.ui.TextInput(
        label="Time zone", custom_id="setup:zone_text", max_length=64,
        placeholder="Eastern, Pacific, Europe/London, Asia/Kolkata...",
    )  # fmt: skip

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await ensure_moderator(interaction)
        await interaction.response.defer()
        await services_of(interaction).guild_settings.set_timezone(
            guild_of(interaction), interaction.user.id, self.zone.value
        )
        await show_plan(interaction)

    async def on_error(  # type: ignore[override]  # discord.py Modal narrows BaseView.on_error
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)
