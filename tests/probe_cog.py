"""A test-only cog that provokes the situations the bot core must handle."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.tree import respond

CANARY = "canary-7f3a"


class ProbeCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="probe-fail", description="Raise an unexpected error")
    async def fail(self, interaction: discord.Interaction, note: str = "") -> None:
        raise RuntimeError("unexpected failure")

    @app_commands.command(name="probe-user-error", description="Raise a user-facing error")
    async def user_error(self, interaction: discord.Interaction) -> None:
        raise UserFacingError("That date doesn't exist. Try another one.")

    @app_commands.command(name="probe-defer-fail", description="Defer, then fail")
    async def defer_fail(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise RuntimeError("failed after deferring")

    @app_commands.command(name="probe-slow", description="Answer too late")
    async def slow(self, interaction: discord.Interaction, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await respond(interaction, "finally")

    @app_commands.command(name="probe-post", description="Post text in this channel")
    async def post(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.channel is not None
        await interaction.channel.send(text)  # type: ignore[union-attr]
        await respond(interaction, "posted")

    @app_commands.command(name="probe-dm", description="DM the caller")
    async def dm(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.user.send("hello by DM")
        except discord.Forbidden as error:
            await respond(interaction, f"DM refused with code {error.code}")
            return
        await respond(interaction, "DM sent")

    @app_commands.command(name="probe-guild-only", description="Guild only")
    @app_commands.guild_only()
    async def guild_only(self, interaction: discord.Interaction) -> None:
        await respond(interaction, "in a guild")


class ProbeForm(discord.ui.Modal, title="Probe form"):
    note: discord.ui.TextInput[ProbeForm] = discord.ui.TextInput(
        label="Note", custom_id="probe:note", max_length=4000, style=discord.TextStyle.long
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await respond(interaction, f"got {len(self.note.value)} characters")


class ProbeChoices(discord.ui.Modal, title="Probe choices"):
    """Labelled selects, a radio group and a checkbox, as discord.py 2.7 sends them."""

    def __init__(self) -> None:
        super().__init__()
        self.add_item(discord.ui.TextDisplay("Pick what fits."))
        self.fruit: discord.ui.Select[ProbeChoices] = discord.ui.Select(
            custom_id="probe:fruit",
            options=[discord.SelectOption(label=n, value=n) for n in ("apple", "pear", "fig")],
        )
        self.extras: discord.ui.Select[ProbeChoices] = discord.ui.Select(
            custom_id="probe:extras",
            min_values=0,
            max_values=2,
            required=False,
            options=[
                discord.SelectOption(label=n, value=n, default=n == "salt")
                for n in ("salt", "sugar", "honey")
            ],
        )
        self.size: discord.ui.RadioGroup[ProbeChoices] = discord.ui.RadioGroup(
            custom_id="probe:size",
            required=False,
            options=[discord.RadioGroupOption(label=n, value=n) for n in ("small", "large")],
        )
        self.gift: discord.ui.Checkbox[ProbeChoices] = discord.ui.Checkbox(custom_id="probe:gift")
        self.add_item(discord.ui.Label(text="Fruit", component=self.fruit))
        self.add_item(discord.ui.Label(text="Extras", component=self.extras))
        self.add_item(discord.ui.Label(text="Size", component=self.size))
        self.add_item(discord.ui.Label(text="A gift?", component=self.gift))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if self.fruit.values == ["fig"] and self.gift.value:  # a form answering a form
            await interaction.response.send_modal(ProbeForm())
            return
        await respond(
            interaction,
            f"fruit={self.fruit.values} extras={self.extras.values} "
            f"size={self.size.value} gift={self.gift.value}",
        )


def _label(number: int, **component: object) -> dict[str, object]:
    inner = {"type": 3, "custom_id": f"probe:pick{number}",
             "options": [{"label": "one", "value": "one"}], **component}  # fmt: skip
    return {"type": 18, "label": f"Pick {number}", "component": inner}


# Modals Discord refuses, sent as they are (discord.py itself would stop some of them).
BAD_MODALS: dict[str, list[dict[str, object]]] = {
    "six": [_label(n) for n in range(6)],
    "long-id": [_label(0, custom_id="x" * 101)],
    "empty-id": [_label(0, custom_id="")],
    "twice": [_label(0), _label(1, custom_id="probe:pick0")],
    "select-in-a-row": [{"type": 1, "components": [_label(0)["component"]]}],
    "disabled": [_label(0, disabled=True)],
}


class RawModal(discord.ui.Modal, title="Probe raw"):
    def __init__(self, components: list[dict[str, object]]) -> None:
        super().__init__(custom_id="probe:raw")
        self.raw = components

    def to_components(self) -> list[dict[str, object]]:
        return self.raw


class ProbeView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.count = 0

    @discord.ui.button(label="Count", custom_id="probe:count")
    async def count_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[ProbeView]
    ) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"count {self.count}")

    @discord.ui.select(
        custom_id="probe:colour",
        options=[discord.SelectOption(label=name, value=name) for name in ("red", "green")],
    )
    async def colour(
        self, interaction: discord.Interaction, select: discord.ui.Select[ProbeView]
    ) -> None:
        await respond(interaction, f"picked {select.values[0]}")

    @discord.ui.select(cls=discord.ui.ChannelSelect, custom_id="probe:channel")
    async def channel(
        self, interaction: discord.Interaction, select: discord.ui.ChannelSelect[ProbeView]
    ) -> None:
        await respond(interaction, f"channel {select.values[0].name}")


class ProbeGroup(commands.GroupCog, group_name="probe-group"):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="pick", description="Pick a fruit with autocomplete")
    async def pick(self, interaction: discord.Interaction, fruit: str, amount: int = 1) -> None:
        await respond(interaction, f"{amount} x {fruit}")

    @pick.autocomplete("fruit")
    async def fruit_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        fruits = [f"fruit-{n}" for n in range(40)] + ["apple", "apricot"]
        return [app_commands.Choice(name=f, value=f) for f in fruits if current in f][:25]

    @app_commands.command(name="form", description="Open a form")
    async def form(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ProbeForm())

    @app_commands.command(name="choices", description="Open a form of choices")
    async def choices(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ProbeChoices())

    @app_commands.command(name="bad-form", description="Open a form Discord refuses")
    @app_commands.choices(kind=[app_commands.Choice(name=k, value=k) for k in BAD_MODALS])
    async def bad_form(self, interaction: discord.Interaction, kind: str) -> None:
        await interaction.response.send_modal(RawModal(BAD_MODALS[kind]))

    @app_commands.command(name="panel", description="Show buttons and selects")
    async def panel(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("count 0", view=ProbeView())
