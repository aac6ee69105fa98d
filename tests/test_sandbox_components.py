"""The sandbox drives subcommands, autocomplete, modals, buttons and selects like Discord."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.runtime import Runtime
from bot.sandbox import SandboxError, modals
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


async def test_labelled_choices_round_trip_in_discords_submit_shape(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    shown = await sandbox.slash(world.member, world.general, "probe-group choices")
    assert shown.modal is not None
    assert [row["type"] for row in shown.modal["components"]] == [10, 18, 18, 18, 18]
    assert [row["component"]["type"] for row in shown.modal["components"][1:]] == [3, 3, 21, 23]
    submitted = await sandbox.submit_modal(
        world.member, shown, {"probe:fruit": "pear", "probe:size": "large", "probe:gift": True}
    )
    # The untouched select sends its default; discord.py reads every part back.
    assert submitted.text == "fruit=['pear'] extras=['salt'] size=large gift=True"
    again = await sandbox.slash(world.member, world.general, "probe-group choices")
    emptied = await sandbox.submit_modal(world.member, again, {"probe:fruit": "fig",
                                                               "probe:extras": []})  # fmt: skip
    assert emptied.text == "fruit=['fig'] extras=[] size=None gift=False"
    with pytest.raises(SandboxError, match="'probe:fruit' is required"):
        await sandbox.submit_modal(world.member, shown, {})
    with pytest.raises(SandboxError, match="has no option"):
        await sandbox.submit_modal(world.member, shown, {"probe:fruit": "kiwi"})
    with pytest.raises(SandboxError, match="takes 0 to 2 choices, not 3"):
        await sandbox.submit_modal(
            world.member, shown, {"probe:fruit": "fig", "probe:extras": ["salt", "sugar", "honey"]}
        )


async def test_the_submit_carries_ids_and_every_component(running: Runtime, world: World) -> None:
    shown = await world.sandbox.slash(world.member, world.general, "probe-group choices")
    assert shown.modal is not None
    components = modals.fill_in(shown.modal, {"probe:fruit": "apple"})
    assert components[0] == {"type": 10, "id": 1}
    assert components[1] == {
        "type": 18, "id": 2,
        "component": {"type": 3, "id": 3, "custom_id": "probe:fruit", "values": ["apple"]},
    }  # fmt: skip
    assert components[3]["component"] == {
        "type": 21,
        "id": 7,
        "custom_id": "probe:size",
        "value": None,
    }
    assert components[4]["component"]["value"] is False


@pytest.mark.parametrize(
    ("kind", "problems"),
    [
        ("six", ("modal has 6 components (1 to 5 allowed)",)),
        # The first three break Discord's published schema too (../shared), which the sandbox
        # checks first when it sits beside the project; its own rules otherwise.
        ("long-id", ("custom_id must be 1 to 100 characters", "custom_id: 'xxx")),
        ("empty-id", ("custom_id must be 1 to 100 characters", "should be non-empty")),
        (
            "select-in-a-row",
            ("an action row in a modal holds exactly one text input", "is not one of [4]"),
        ),
        ("twice", ("custom_id 'probe:pick0' is used twice in one modal",)),
        ("disabled", ("a select in a modal cannot be disabled",)),
    ],
)
async def test_modals_discord_refuses_are_refused(
    running: Runtime, world: World, kind: str, problems: tuple[str, ...]
) -> None:
    shown = await world.sandbox.slash(
        world.member, world.general, "probe-group bad-form", kind=kind
    )
    assert shown.modal is None
    found = world.sandbox.violations
    assert any(problem in violation for problem in problems for violation in found), found
    world.sandbox.violations.clear()


async def test_a_form_cannot_answer_a_form(running: Runtime, world: World) -> None:
    shown = await world.sandbox.slash(world.member, world.general, "probe-group choices")
    refused = "a modal cannot be the answer to a modal submit"
    answer = await world.sandbox.submit_modal(
        world.member, shown, {"probe:fruit": "fig", "probe:gift": True}, wait=False
    )
    await world.sandbox.wait_for(lambda: refused in world.sandbox.violations, what="the refusal")
    assert answer.modal is None
    world.sandbox.violations.clear()
