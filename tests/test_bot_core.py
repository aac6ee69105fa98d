"""The bot core through the sandbox: error handling, mentions, DMs, retries, reconnects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from discord import app_commands

from bot.runtime import Runtime
from bot.sandbox import SandboxError
from bot.sandbox.server import SEND_MESSAGES
from tests.conftest import World, eventually
from tests.probe_cog import ProbeCog


@pytest.fixture
def extra_cogs() -> list[Callable[[Any], Any]]:
    return [ProbeCog]


async def test_about_tells_what_is_stored_and_the_crisis_lines(
    running: Runtime, world: World
) -> None:
    result = await world.sandbox.slash(world.member, world.general, "about")
    assert result.ephemeral
    text = result.text
    assert "What Muster stores" in text
    assert "Who can see it" in text
    assert "no medical, legal or dosing advice" in text
    assert "Dial 988 then press 1" in text
    assert "Text 838255" in text
    assert "https://www.veteranscrisisline.net/get-help-now/chat/" in text
    assert "nobody watches this bot around the clock" in text
    assert world.sandbox.channel_messages(world.general) == []


def _moderators_commands(running: Runtime) -> set[str]:
    """The commands of groups Discord hides from members (Manage Server by default)."""
    return {
        command.qualified_name
        for command in running.bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
        and (command.root_parent or command).default_permissions is not None
    }


async def test_help_lists_a_members_commands_and_not_the_moderators(
    running: Runtime, world: World
) -> None:
    moderators = _moderators_commands(running)
    assert {"setup start", "mod audit"} <= moderators
    result = await world.sandbox.slash(world.member, world.general, "help")
    assert result.ephemeral
    for command in running.bot.tree.walk_commands():
        if isinstance(command, app_commands.Command):
            listed = f"`/{command.qualified_name}`" in result.text
            assert listed != (command.qualified_name in moderators), command.qualified_name
    assert "For moderators" not in result.text


async def test_help_shows_a_moderator_their_commands_and_the_integrations_step(
    running: Runtime, world: World
) -> None:
    result = await world.sandbox.slash(world.moderator, world.general, "help")
    assert "For moderators" in result.text
    for command in running.bot.tree.walk_commands():
        assert f"/{command.qualified_name}" in result.text
    assert "Server Settings > Integrations > Muster" in result.text


async def test_commands_work_in_dms_too(running: Runtime, world: World) -> None:
    # The tests sync to a development guild; publish the same commands globally for DMs.
    world.sandbox.global_commands = world.sandbox.guild_commands[world.guild.id]
    result = await world.sandbox.slash(world.member, None, "about")
    assert "Veterans Crisis Line" in result.text


async def test_unexpected_error_shows_an_error_id_and_logs_no_content(
    running: Runtime, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = await world.sandbox.slash(
        world.member, world.general, "probe-fail", note="private words"
    )
    assert result.ephemeral
    assert "something went wrong on my side" in result.text
    error_id = result.text.rsplit("error id ", 1)[1].rstrip(")")
    assert any(error_id in record.getMessage() for record in caplog.records)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "private words" not in logged
    assert str(world.member.id) not in logged


async def test_user_facing_error_is_a_private_plain_message(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(world.member, world.general, "probe-user-error")
    assert result.ephemeral
    assert result.text == "That date doesn't exist. Try another one."


async def test_error_after_defer_is_reported_as_a_followup(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(world.member, world.general, "probe-defer-fail")
    assert result.response_type == 5
    assert result.ephemeral
    assert "error id" in result.text


async def test_guild_only_command_is_not_offered_in_dms(running: Runtime, world: World) -> None:
    world.sandbox.global_commands = world.sandbox.guild_commands[world.guild.id]
    with pytest.raises(SandboxError, match="not offered in DMs"):
        await world.sandbox.slash(world.member, None, "probe-guild-only")


async def test_guild_only_command_is_refused_at_run_time(running: Runtime, world: World) -> None:
    world.sandbox.global_commands = world.sandbox.guild_commands[world.guild.id]
    world.sandbox.enforce_contexts = False  # a client with a stale command cache
    result = await world.sandbox.slash(world.member, None, "probe-guild-only")
    assert result.text == "That command works inside a server, not in DMs."


async def test_messages_ping_nobody_by_default(running: Runtime, world: World) -> None:
    text = f"@everyone @here {world.other_member.mention} {world.moderator_role.mention} hi"
    await world.sandbox.slash(world.member, world.general, "probe-post", text=text)
    [posted] = world.sandbox.channel_messages(world.general)
    assert posted.content == text
    assert posted.pings() == (set(), set(), False)


async def test_dm_to_closed_inbox_is_403_50007(running: Runtime, world: World) -> None:
    closed = await world.sandbox.create_member(world.guild, "Closed DMs", dms_open=False)
    refused = await world.sandbox.slash(closed, world.general, "probe-dm")
    assert refused.text == "DM refused with code 50007"
    assert world.sandbox.dms_to(closed) == []
    sent = await world.sandbox.slash(world.member, world.general, "probe-dm")
    assert sent.text == "DM sent"
    assert [m.content for m in world.sandbox.dms_to(world.member)] == ["hello by DM"]


async def test_rate_limit_is_retried_and_posts_once(running: Runtime, world: World) -> None:
    world.sandbox.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=0.05)
    await world.sandbox.slash(world.member, world.general, "probe-post", text="after a 429")
    posts = [r for r in world.sandbox.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(posts) == 2
    assert [m.content for m in world.sandbox.channel_messages(world.general)] == ["after a 429"]


async def test_server_error_is_retried(running: Runtime, world: World) -> None:
    world.sandbox.fail_next("POST", r"^/channels/\d+/messages$", 502)
    result = await world.sandbox.slash(
        world.member, world.general, "probe-post", text="after a 502", timeout=10
    )
    assert result.text == "posted"
    assert [m.content for m in world.sandbox.channel_messages(world.general)] == ["after a 502"]


async def test_late_first_response_is_refused_with_10062(running: Runtime, world: World) -> None:
    world.sandbox.response_deadline = 0.2
    result = await world.sandbox.slash(
        world.member, world.general, "probe-slow", seconds=0.4, wait=False
    )
    await world.sandbox.wait_for(lambda: 10062 in result.rejected_callbacks, what="the late answer")
    assert not result.acknowledged
    assert world.sandbox.violations
    world.sandbox.violations.clear()


async def test_second_response_is_refused_with_40060(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(world.member, world.general, "help")
    url = f"{world.sandbox.api_base}/interactions/{result.id}/{result.token}/callback"
    async with aiohttp.ClientSession() as http:
        response = await http.post(url, json={"type": 4, "data": {"content": "again"}})
        body = await response.json()
    assert response.status == 400
    assert body["code"] == 40060
    world.sandbox.violations.clear()


async def test_invalid_body_is_refused_and_recorded(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(world.member, world.general, "help")
    url = f"{world.sandbox.api_base}/webhooks/{world.sandbox.application_id}/{result.token}"
    async with aiohttp.ClientSession() as http:
        response = await http.post(url, json={"content": "x" * 2001})
        body = await response.json()
    assert response.status == 400
    assert body["code"] == 50035
    assert any("content" in problem for problem in world.sandbox.violations)
    world.sandbox.violations.clear()


async def test_gateway_drop_resumes_and_replays_missed_events(
    running: Runtime, world: World
) -> None:
    await world.sandbox.drop_gateway()
    # Created while the bot is disconnected: the GUILD_CREATE must be replayed on resume.
    late = await world.sandbox.create_guild("Joined during the blip")
    await world.sandbox.wait_for(
        lambda: world.sandbox.resume_count == 1, timeout=15, what="a resume"
    )
    await world.sandbox.wait_for(lambda: running.bot.get_guild(late.id) is not None, what="replay")
    assert world.sandbox.identify_count == 1
    result = await world.sandbox.slash(world.member, world.general, "about")
    assert "Veterans Crisis Line" in result.text

    async def recorded() -> bool:  # written by the bot's event handler, in its own time
        return await running.services.guilds.get(late.id) is not None

    await eventually(recorded, what="the replayed guild to be recorded")


async def test_a_new_session_changes_nothing(running: Runtime, world: World) -> None:
    syncs_before = [r for r in world.sandbox.requests if r[0] == "PUT"]
    await world.sandbox.forget_sessions()
    await world.sandbox.wait_for(
        lambda: world.sandbox.identify_count == 2, timeout=15, what="re-identify"
    )
    await world.sandbox.slash(world.member, world.general, "help")
    assert [r for r in world.sandbox.requests if r[0] == "PUT"] == syncs_before
    assert len(await running.services.guilds.list_present()) == 1


async def test_bot_leaving_a_guild_is_recorded(running: Runtime, world: World) -> None:
    await world.sandbox.remove_guild(world.guild)

    async def left() -> bool:
        presence = await running.services.guilds.get(world.guild.id)
        return presence is not None and presence.left_at is not None

    await eventually(left, what="the guild marked as left")


async def test_joining_a_server_says_hello_in_its_system_channel(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    guild = await sandbox.create_guild("New cohort", with_bot=False)
    lobby = await sandbox.create_channel(guild, "welcome")
    guild.system_channel_id = lobby.id
    await sandbox.invite_bot(guild)
    await sandbox.wait_for(lambda: bool(sandbox.channel_messages(lobby)), what="the hello")
    [hello] = sandbox.channel_messages(lobby)
    assert "`/setup start`" in hello.text
    assert "`/crisis`" in hello.text
    assert hello.pings() == (set(), set(), False)
    assert sandbox.dms_to(sandbox.owner_of(guild)) == []


async def test_joining_a_server_it_cannot_post_in_tells_the_owner_by_dm(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    guild = await sandbox.create_guild("Quiet cohort", with_bot=False)
    lobby = await sandbox.create_channel(guild, "announcements")
    lobby.overwrites = [  # only admins post here
        {"id": str(guild.everyone.id), "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)}
    ]
    guild.system_channel_id = lobby.id
    await sandbox.invite_bot(guild)
    owner = sandbox.owner_of(guild)
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(owner)), what="the owner's DM")
    [hello] = sandbox.dms_to(owner)
    assert "**Quiet cohort**" in hello.text
    assert "`/setup start`" in hello.text
    assert sandbox.channel_messages(lobby) == []
