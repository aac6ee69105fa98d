"""Resources through the sandbox: what members and moderators see, and what is stored."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import SandboxError
from tests.conftest import World, database_unavailable, start_bot

DEMO_FEED = Path(__file__).resolve().parents[1] / "bot" / "data" / "demo_meeting_feed.json"


async def test_member_finds_a_resource_despite_a_typo(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(
        world.member, world.general, "resource find", query="homless"
    )
    assert result.ephemeral
    [message] = result.messages
    first = message.embeds[0]["fields"][0]
    assert first["name"].startswith("National Call Center for Homeless Veterans")
    assert "1-877-424-3838" in first["value"]
    assert "/crisis" in message.embeds[0]["footer"]["text"]
    assert world.sandbox.channel_messages(world.general) == []


async def test_nothing_found_says_so_kindly(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(world.member, world.general, "resource find", query="hepl")
    assert "Did you mean **helpline**?" in result.text
    assert "couldn't find anything" in result.text


async def test_autocomplete_through_discord(running: Runtime, world: World) -> None:
    choices = await world.sandbox.autocomplete(
        world.member, world.general, "resource find", focused="query", value="cris"
    )
    assert 1 <= len(choices) <= 25
    assert choices[0] == {
        "name": "Veterans Crisis Line",
        "value": "national:veterans-crisis-line",
    }
    picked = await world.sandbox.slash(
        world.member, world.general, "resource find", query=choices[0]["value"]
    )
    assert picked.messages[0].embeds[0]["fields"][0]["name"].startswith("Veterans Crisis Line")
    everything = await world.sandbox.autocomplete(
        world.member, world.general, "resource find", focused="query", value=""
    )
    assert len(everything) <= 25


async def test_list_pages_survive_a_restart(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    keyring = Keyring.generate()  # the same keys across the restart, as in a real deployment
    async with start_bot(bot_settings, clock, keyring=keyring):
        listed = await world.sandbox.slash(world.member, world.general, "resource list")
    [message] = listed.messages
    assert message.custom_ids() == ["res:page::0", "res:page::1"]  # no ids, no secrets
    assert message.embeds[0]["footer"]["text"].startswith("Page 1 of 3")
    async with start_bot(bot_settings, clock, keyring=keyring):
        clicked = await world.sandbox.click(world.member, message, "res:page::1")
        assert clicked.response_type == 7
        assert message.embeds[0]["footer"]["text"].startswith("Page 2 of 3")
        assert message.custom_ids() == ["res:page::0", "res:page::2"]


async def test_a_forged_page_button_is_harmless(running: Runtime, world: World) -> None:
    listed = await world.sandbox.slash(world.member, world.general, "resource list")
    [message] = listed.messages
    message.components[0]["components"][1]["custom_id"] = "res:page:evil:9999"
    clicked = await world.sandbox.click(world.member, message, "res:page:evil:9999")
    assert clicked.response_type == 7
    assert message.embeds[0]["title"].startswith("All resources")
    assert message.embeds[0]["footer"]["text"].startswith("Page 3 of 3")


async def test_crisis_answers_in_servers_and_dms(running: Runtime, world: World) -> None:
    in_server = await world.sandbox.slash(world.member, world.general, "crisis")
    assert in_server.response_type == 4  # answered at once, never deferred
    assert in_server.ephemeral
    assert "Dial 988 then press 1" in in_server.text
    assert "nobody watches this bot around the clock" in in_server.text
    world.sandbox.global_commands = world.sandbox.guild_commands[world.guild.id]
    in_dm = await world.sandbox.slash(world.member, None, "crisis")
    assert in_dm.text == in_server.text


async def test_crisis_answers_with_the_database_down(
    running: Runtime, world: World, bot_settings: Settings
) -> None:
    async with database_unavailable(bot_settings):
        crisis = await world.sandbox.slash(world.member, world.general, "crisis", timeout=2)
        assert "Text 838255" in crisis.text
        # Proof the database really is unavailable: a search can only defer, then wait.
        search = await world.sandbox.slash(
            world.member, world.general, "resource find", query="housing", wait=False
        )
        await world.sandbox.wait_for(lambda: search.acknowledged, what="the defer")
        await asyncio.sleep(0.5)
        assert search.response_type == 5
        assert not search.messages
    await world.sandbox.wait_for(lambda: search.done, timeout=20, what="the search after recovery")
    assert "Homeless Veterans" in search.text


async def test_moderator_adds_edits_and_removes_a_resource(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    form = await sandbox.slash(
        world.moderator, world.general, "resource-admin add", category="local"
    )
    assert form.modal is not None
    saved = await sandbox.submit_modal(
        world.moderator,
        form,
        {
            "resource:name": "Riverside Food Pantry",
            "resource:phone": "(555) 010-0142",
            "resource:text": "",
            "resource:web": "riverside-pantry.example.org",
            "resource:details": "Tuesdays 4-7pm.",
        },
    )
    assert saved.text == "Added **Riverside Food Pantry** to this server's resources."
    found = await sandbox.slash(world.member, world.general, "resource find", query="pantry")
    assert "1-555-010-0142" in found.text
    assert "Added by this server's moderators" in found.text

    choices = await sandbox.autocomplete(
        world.moderator, world.general, "resource-admin edit", focused="entry", value="pan"
    )
    assert [choice["name"] for choice in choices] == ["Riverside Food Pantry"]
    edit = await sandbox.slash(
        world.moderator, world.general, "resource-admin edit", entry=choices[0]["value"]
    )
    assert edit.modal is not None
    defaults = [row["components"][0].get("value") for row in edit.modal["components"]]
    assert defaults[0] == "Riverside Food Pantry"
    edited = await sandbox.submit_modal(
        world.moderator,
        edit,
        {
            "resource:name": "Riverside Pantry",
            "resource:phone": "555-010-0199",
            "resource:web": "",
            "resource:text": "",
            "resource:details": "",
        },
    )
    assert "Saved your changes to **Riverside Pantry**" in edited.text

    removed = await sandbox.slash(
        world.moderator, world.general, "resource-admin remove", entry=choices[0]["value"]
    )
    assert removed.text == "Removed **Riverside Pantry**."
    again = await sandbox.slash(world.member, world.general, "resource find", query="pantry")
    assert "Riverside" not in again.text


async def test_moderator_input_is_checked_and_shown_safely(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    form = await sandbox.slash(
        world.moderator, world.general, "resource-admin add", category="legal"
    )
    refused = await sandbox.submit_modal(
        world.moderator, form, {"resource:name": "Legal aid", "resource:web": "javascript:alert(1)"}
    )
    assert refused.ephemeral
    assert refused.text == "Website: please give an address that starts with https://."
    stored = await running.services.resources.list_page(world.guild.id, "legal", 0)
    assert all(entry.national for entry in stored.entries)  # nothing was saved

    form = await sandbox.slash(
        world.moderator, world.general, "resource-admin add", category="legal"
    )
    tricky = f"@everyone {world.member.mention} [VA](http://evil.example) **bold**"
    await sandbox.submit_modal(
        world.moderator, form, {"resource:name": tricky, "resource:phone": "555-010-0100"}
    )
    shown = await sandbox.slash(world.member, world.general, "resource find", query="bold")
    [message] = shown.messages
    field = message.embeds[0]["fields"][0]["name"]
    assert "\\[VA](http://evil.example)" in field  # the masked link no longer renders
    assert "\\*\\*bold\\*\\*" in field
    assert "@\u200beveryone" in field
    assert message.pings() == (set(), set(), False)
    form = await sandbox.slash(
        world.moderator, world.general, "resource-admin add", category="legal"
    )
    too_long = {"resource:name": "x" * 10_000, "resource:phone": "555-010-0100"}
    with pytest.raises(SandboxError, match="outside what the form allows"):
        await sandbox.submit_modal(world.moderator, form, too_long)


async def test_moderator_hides_a_national_entry(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    hidden = await sandbox.slash(
        world.moderator, world.general, "resource-admin hide", entry="national:stateside-legal"
    )
    assert "Stateside Legal" in hidden.text
    found = await sandbox.slash(world.member, world.general, "resource find", query="legal")
    assert "Stateside Legal" not in found.text
    choices = await sandbox.autocomplete(
        world.moderator, world.general, "resource-admin unhide", focused="entry", value=""
    )
    assert choices == [{"name": "Stateside Legal", "value": "national:stateside-legal"}]
    await sandbox.slash(
        world.moderator, world.general, "resource-admin unhide", entry="national:stateside-legal"
    )
    assert (
        "Stateside Legal"
        in (await sandbox.slash(world.member, world.general, "resource find", query="legal")).text
    )
    forged = await sandbox.slash(
        world.moderator, world.general, "resource-admin hide", entry="guild:1"
    )
    assert forged.text == "Pick a national resource from the list."


async def test_import_a_feed_and_find_a_meeting(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    feed = sandbox.make_attachment("district.json", DEMO_FEED.read_bytes())
    imported = await sandbox.slash(
        world.moderator, world.general, "resource-admin import", file=feed
    )
    assert imported.text.startswith("Imported district.json: 4 new, 0 updated.")
    again = await sandbox.slash(
        world.moderator,
        world.general,
        "resource-admin import",
        file=sandbox.make_attachment("district.json", DEMO_FEED.read_bytes()),
    )
    assert again.text.startswith("Imported district.json: 0 new, 4 updated.")

    types = await sandbox.autocomplete(
        world.member, world.general, "resource meetings", focused="type", value="disc", day=2
    )
    assert {"name": "Discussion", "value": "D"} in types
    tuesday = await sandbox.slash(
        world.member, world.general, "resource meetings", day=2, online=True
    )
    text = tuesday.text
    assert "Veterans Online Recovery" in text
    assert "Type: Open, Discussion" in text  # names, not codes
    assert "Online: https://meet.example.org/vet-recovery" in text
    assert "Next: <t:" in text
    assert "Tuesday Step Study" not in text  # in person
    evening = await sandbox.slash(
        world.member, world.general, "resource meetings", day=2, time="6pm"
    )
    assert [field["name"] for field in evening.messages[0].embeds[0]["fields"]] == [
        "Veterans Online Recovery"
    ]
    bad_time = await sandbox.slash(
        world.member, world.general, "resource meetings", day=2, time="25:99"
    )
    assert bad_time.text == "That time doesn't exist; try something like 7pm or 19:00."
    forged_type = await sandbox.slash(
        world.member, world.general, "resource meetings", day=2, type="NOPE"
    )
    assert forged_type.text == "Pick a meeting type from the list."


async def test_broken_feeds_are_reported(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    not_json = await sandbox.slash(
        world.moderator,
        world.general,
        "resource-admin import",
        file=sandbox.make_attachment("x.json", b"<html>"),
    )
    assert "isn't valid JSON" in not_json.text
    messy = [
        {"name": "Good", "slug": "good", "day": 1, "time": "10:00"},
        {"name": "No slug"},
    ]
    partial = await sandbox.slash(
        world.moderator, world.general, "resource-admin import",
        file=sandbox.make_attachment("messy.json", json.dumps(messy).encode()),
    )  # fmt: skip
    assert "1 new" in partial.text
    assert "Skipped 1" in partial.text
    assert "no usable slug" in partial.text
