"""The sandbox drives subcommands, autocomplete, modals, buttons and selects like Discord."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.runtime import Runtime
from bot.sandbox import SandboxError
from tests.conftest import World
from tests.probe_cog import ProbeGroup


@pytest.fixture
def extra_cogs() -> list[Callable[[Any], Any]]:
    return [ProbeGroup]


async def test_subcommand_with_options(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(
        world.member, world.general, "probe-group pick", fruit="apple", amount=3
    )
    assert result.text == "3 x apple"


async def test_autocomplete_answers_within_discords_limits(running: Runtime, world: World) -> None:
    choices = await world.sandbox.autocomplete(
        world.member, world.general, "probe-group pick", focused="fruit", value="ap"
    )
    assert [choice["value"] for choice in choices] == ["apple", "apricot"]
    many = await world.sandbox.autocomplete(
        world.member, world.general, "probe-group pick", focused="fruit", value="fruit"
    )
    assert len(many) == 25


async def test_modal_round_trip_and_the_4000_character_limit(
    running: Runtime, world: World
) -> None:
    shown = await world.sandbox.slash(world.member, world.general, "probe-group form")
    assert shown.modal is not None
    assert shown.modal["title"] == "Probe form"
    submitted = await world.sandbox.submit_modal(world.member, shown, {"probe:note": "x" * 4000})
    assert submitted.text == "got 4000 characters"
    with pytest.raises(SandboxError, match="outside what the form allows"):
        await world.sandbox.submit_modal(world.member, shown, {"probe:note": "x" * 4001})
    with pytest.raises(SandboxError, match="is required"):
        await world.sandbox.submit_modal(world.member, shown, {"probe:note": ""})


async def test_buttons_update_the_message_and_selects_pass_values(
    running: Runtime, world: World
) -> None:
    panel = await world.sandbox.slash(world.member, world.general, "probe-group panel")
    [message] = panel.messages
    assert not message.ephemeral
    assert message.custom_ids() == ["probe:count", "probe:colour", "probe:channel"]
    clicked = await world.sandbox.click(world.other_member, message, "probe:count")
    assert clicked.response_type == 7
    assert message.content == "count 1"
    picked = await world.sandbox.click(world.member, message, "probe:colour", values=["green"])
    assert picked.text == "picked green"
    chosen = await world.sandbox.click(
        world.member, message, "probe:channel", values=[world.general]
    )
    assert chosen.text == "channel general"


async def test_the_driver_refuses_what_discords_client_would(
    running: Runtime, world: World
) -> None:
    with pytest.raises(SandboxError, match="is required"):
        await world.sandbox.slash(world.member, world.general, "probe-group pick")
    with pytest.raises(SandboxError, match="no option"):
        await world.sandbox.slash(
            world.member, world.general, "probe-group pick", fruit="a", colour="x"
        )
    with pytest.raises(SandboxError, match="refuses 6001 characters"):
        await world.sandbox.slash(world.member, world.general, "probe-group pick", fruit="x" * 6001)
    with pytest.raises(SandboxError, match="not registered"):
        await world.sandbox.slash(world.member, world.general, "nonexistent")
