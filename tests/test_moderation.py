"""Setup, moderator permissions (R7) and the audit log, through the sandbox and on a real engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.checks import ModeratorView
from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.sandbox import Message, Sandbox
from bot.sandbox.state import MANAGE_CHANNELS, MANAGE_ROLES, READ_MESSAGE_HISTORY
from bot.services.audit import AuditService
from bot.services.guild_settings import GuildSettingsService
from tests.conftest import World

SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14


def moderator_commands(runtime: Runtime) -> list[app_commands.Command[Any, ..., Any]]:
    """Every command under a top-level command that is hidden from members by default."""
    found = []
    for root in runtime.bot.tree.get_commands():
        if root.default_permissions is None:
            continue
        if isinstance(root, app_commands.Group):
            found += [c for c in root.walk_commands() if isinstance(c, app_commands.Command)]
        elif isinstance(root, app_commands.Command):
            found.append(root)
    return found


def sample_options(
    sandbox: Sandbox, world: World, command: app_commands.Command[Any, ..., Any]
) -> dict[str, Any]:
    """A plausible value for every required option, by its Discord type."""
    options: dict[str, Any] = {}
    for parameter in command.parameters:
        if not parameter.required:
            continue
        kind = parameter.type
        if parameter.choices:
            options[parameter.name] = parameter.choices[0].value
        elif kind is discord.AppCommandOptionType.attachment:
            options[parameter.name] = sandbox.make_attachment("feed.json", b"[]")
        elif kind is discord.AppCommandOptionType.channel:
            options[parameter.name] = world.general
        elif kind is discord.AppCommandOptionType.role:
            options[parameter.name] = world.moderator_role
        elif kind in (discord.AppCommandOptionType.integer, discord.AppCommandOptionType.number):
            options[parameter.name] = 1
        elif kind is discord.AppCommandOptionType.boolean:
            options[parameter.name] = True
        else:
            options[parameter.name] = "guild:1"
    return options


async def test_every_moderator_command_refuses_members(running: Runtime, world: World) -> None:
    commands = moderator_commands(running)
    names = {command.qualified_name for command in commands}
    assert {
        "setup start",
        "setup show",
        "mod audit",
        "resource-admin add",
        "resource-admin import",
    } <= names
    for command in commands:
        result = await world.sandbox.slash(
            world.member,
            world.general,
            command.qualified_name,
            **sample_options(world.sandbox, world, command),
        )
        assert result.ephemeral, command.qualified_name
        assert result.modal is None, command.qualified_name
        assert result.text.startswith("Only moderators can do that"), command.qualified_name
    page = await running.services.audit.page(world.guild.id, None, 0)
    assert page.total == 0  # nothing happened


async def open_editor(world: World) -> Message:
    """/setup start, then "Choose channels and roles myself": the editor with its selects."""
    shown = await world.sandbox.slash(world.moderator, world.general, "setup start")
    [message] = shown.messages
    await world.sandbox.click(world.moderator, message, "setup:choose")
    return message


async def test_every_moderator_button_refuses_members(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    # Both may make channels and roles, so that Create is open to a press.
    await sandbox.set_bot_permissions(world.guild, add=MANAGE_CHANNELS | MANAGE_ROLES)
    role = world.moderator_role
    await sandbox.edit_role(
        world.guild, role, permissions=role.permissions | MANAGE_CHANNELS | MANAGE_ROLES
    )
    shown = await sandbox.slash(world.moderator, world.general, "setup start")
    [message] = shown.messages
    pages = {"plan": message.custom_ids()}
    await sandbox.click(world.moderator, message, "setup:choose")
    pages["channels"] = message.custom_ids()
    await sandbox.click(world.moderator, message, "setup:to_roles")
    pages["roles"] = message.custom_ids()
    # The ones registered at start, and copies of them showing on messages.
    views = [view for view in running.bot.persistent_views if isinstance(view, ModeratorView)]
    assert len({type(view) for view in views}) == 4
    custom_ids = {
        item.custom_id for view in views for item in view.children if hasattr(item, "custom_id")
    }
    # The checklist's one button is pressed by a member in test_setup_create_e2e.
    assert custom_ids == {cid for ids in pages.values() for cid in ids} | {"setup:choose_after"}
    for page, ids in pages.items():
        for custom_id in sorted(ids):
            target = await _message_showing(world, page)
            values = _select_values(world, custom_id)
            refused = await sandbox.click(world.member, target, custom_id, values=values)
            assert refused.ephemeral, custom_id
            assert refused.text.startswith("Only moderators can do that"), custom_id
    config = await running.services.guild_settings.get(world.guild.id)
    assert config.checkin_channel_id is None
    assert config.moderator_role_id is None
    assert config.timezone == "UTC"  # as the moderator chose it, not the member's choice


async def _message_showing(world: World, page: str) -> Message:
    shown = await world.sandbox.slash(world.moderator, world.general, "setup start")
    [message] = shown.messages
    # With a zone chosen, Create is open to a press.
    await world.sandbox.click(world.moderator, message, "setup:zone", values=["UTC"])
    if page != "plan":
        await world.sandbox.click(world.moderator, message, "setup:choose")
    if page == "roles":
        await world.sandbox.click(world.moderator, message, "setup:to_roles")
    return message


def _select_values(world: World, custom_id: str) -> list[Any] | None:
    if custom_id.endswith("_channel"):
        return [world.general]
    if custom_id.endswith("_role"):
        return [world.moderator_role]
    if custom_id == "setup:zone":
        return ["America/Chicago"]
    return None


async def test_setup_flow_end_to_end(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    checkins = await sandbox.create_channel(world.guild, "check-ins")
    meetings = await sandbox.create_channel(world.guild, "meetings")
    mentors = await sandbox.create_channel(world.guild, "mentors")
    mentor_role = await sandbox.create_role(world.guild, "Peer mentor")
    await sandbox.deny_bot(meetings, SEND_MESSAGES | EMBED_LINKS)
    await sandbox.deny_bot(checkins, READ_MESSAGE_HISTORY)

    message = await open_editor(world)
    assert message.ephemeral
    assert "not set yet" in message.text
    for custom_id, channel in (
        ("setup:checkin_channel", checkins),
        ("setup:meetings_channel", meetings),
        ("setup:mentors_channel", mentors),
    ):
        clicked = await sandbox.click(world.moderator, message, custom_id, values=[channel])
        assert clicked.response_type == 6
    assert checkins.mention in message.text
    assert f"In {meetings.mention} I'm missing: Send Messages, Embed Links." in message.text

    await sandbox.click(world.moderator, message, "setup:to_roles")
    await sandbox.click(
        world.moderator, message, "setup:moderator_role", values=[world.moderator_role]
    )
    await sandbox.click(world.moderator, message, "setup:mentor_role", values=[mentor_role])
    assert mentor_role.mention in message.text

    form = await sandbox.click(world.moderator, message, "setup:limits_from_roles")
    assert form.modal is not None
    good = {"setup:timezone": "Eastern", "setup:delay": "10", "setup:threshold": "6",
            "setup:retention": "90"}  # fmt: skip
    refused = await sandbox.submit_modal(
        world.moderator, form, {**good, "setup:timezone": "Mars/Base"}
    )
    assert refused.text.startswith("I don't know that time zone")
    assert not (await running.services.guild_settings.get(world.guild.id)).timezone_chosen
    for field, bad, expected in (
        ("setup:delay", "-5", "from 2 to 1440"),
        ("setup:delay", "1", "from 2 to 1440"),
        ("setup:delay", "9:00, 25:00", "Give a time of day"),
        ("setup:threshold", "2", "from 3 to 50"),
        ("setup:retention", "ten", "from 30 to 3650"),
    ):
        values = {
            "setup:timezone": "Eastern",
            "setup:delay": "10",
            "setup:threshold": "5",
            "setup:retention": "90",
        }
        values[field] = bad
        answer = await sandbox.submit_modal(world.moderator, form, values)
        assert expected in answer.text
    saved = await sandbox.submit_modal(world.moderator, form, good)
    assert saved.response_type == 6
    assert "America/New_York" in message.text
    config = await running.services.guild_settings.get(world.guild.id)
    assert (config.checkin_channel_id, config.meetings_channel_id, config.mentors_channel_id) == (
        checkins.id, meetings.id, mentors.id,
    )  # fmt: skip
    assert (config.moderator_role_id, config.mentor_role_id) == (
        world.moderator_role.id,
        mentor_role.id,
    )
    assert config.timezone == "America/New_York"
    assert config.anonymous_delay_minutes == 10
    assert config.summary_threshold == 6
    assert config.retention_days == 90

    shown = await sandbox.slash(world.moderator, world.general, "setup show")
    assert f"In {meetings.mention} I'm missing: Send Messages, Embed Links." in shown.text
    # Why Read Message History matters, in plain words (a post after an outage).
    assert (
        f"In {checkins.mention} I'm missing: Read Message History. Without Read Message "
        "History there, I can't confirm a post went out after a Discord outage, so I might "
        "miss one (rather than risk posting it twice). Please grant it, so nothing is lost "
        "or doubled."
    ) in shown.text
    audit = await sandbox.slash(world.moderator, world.general, "mod audit", area="setup")
    assert audit.text.count("changed the") == 10
    assert "setup." not in audit.text  # plain words, never the stored keys
    assert "changed the crisis alerts to the mentors' channel, without names" in audit.text
    assert f"<@{world.moderator.id}>" in audit.text
    assert "time zone: from not set to America/New_York" in audit.text


async def test_the_chosen_moderator_role_is_enough(running: Runtime, world: World) -> None:
    helper_role = await world.sandbox.create_role(world.guild, "Helpers")
    helper = await world.sandbox.create_member(world.guild, "Helper", roles=[helper_role])
    refused = await world.sandbox.slash(helper, world.general, "setup show")
    assert refused.text.startswith("Only moderators")
    await running.services.guild_settings.set_role(
        world.guild.id, world.moderator.id, "moderator_role_id", helper_role.id
    )
    allowed = await world.sandbox.slash(helper, world.general, "setup show")
    assert "Muster's settings" in allowed.text


async def test_a_role_from_another_server_is_refused(running: Runtime, world: World) -> None:
    other_guild = await world.sandbox.create_guild("Elsewhere")
    foreign_role = await world.sandbox.create_role(other_guild, "Foreign")
    message = await open_editor(world)
    await world.sandbox.click(world.moderator, message, "setup:to_roles")
    refused = await world.sandbox.click(
        world.moderator, message, "setup:moderator_role", values=[foreign_role]
    )
    assert refused.text == "That role isn't in this server."
    assert (await running.services.guild_settings.get(world.guild.id)).moderator_role_id is None


async def test_audit_pages(running: Runtime, world: World, clock: FakeClock) -> None:
    settings = running.services.guild_settings
    for minutes in range(2, 14):
        await settings.set_limits(
            world.guild.id, world.moderator.id, timezone="UTC",
            anonymous_delay_minutes=str(minutes), summary_threshold="5", retention_days="180",
        )  # fmt: skip
        await clock.advance(timedelta(minutes=1))
    first = await world.sandbox.slash(world.moderator, world.general, "mod audit")
    [message] = first.messages
    assert (
        "Page 1 of 2, 16 in all" in message.text
    )  # 12 delays, and the first zone, crisis alerts, k and retention
    assert "from 12 to 13" in message.text  # newest first
    older = await world.sandbox.click(world.moderator, message, "audit:page::1")
    assert older.response_type == 6
    assert "Page 2 of 2" in message.text
    refused = await world.sandbox.click(world.member, message, "audit:page::0")
    assert refused.text.startswith("Only moderators")


# ----- services on a real engine -----


async def test_settings_defaults_changes_and_audit(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    settings = GuildSettingsService(sessions, clock)
    config = await settings.get(1)
    assert (config.timezone, config.timezone_chosen, config.retention_days) == ("UTC", False, 180)
    await settings.set_channel(1, 99, "checkin_channel_id", 555)
    await settings.set_channel(1, 99, "checkin_channel_id", 555)  # no change, no audit line
    await settings.set_limits(1, 99, timezone="pacific", anonymous_delay_minutes="2",
                              summary_threshold="50", retention_days="3650")  # fmt: skip
    config = await settings.get(1)
    assert config.timezone == "America/Los_Angeles"
    assert config.timezone_chosen
    page = await AuditService(sessions).page(1, "setup", 0)
    assert [entry.action for entry in page.entries] == [
        "setup.retention_days", "setup.summary_threshold", "setup.anonymous_delay_minutes",
        "setup.crisis_alerts", "setup.timezone", "setup.checkin_channel",
    ]  # fmt: skip
    assert page.entries[-1].detail == "not set -> <#555>"
    limits = {"timezone": "pacific", "summary_threshold": "50", "retention_days": "3650"}
    fixed = await settings.set_limits(1, 99, anonymous_delay_minutes="6pm, 9:00", **limits)
    assert (fixed.anonymous_release_times, fixed.delay_minutes) == (("09:00", "18:00"), 2)
    again = await settings.set_limits(1, 99, anonymous_delay_minutes="7", **limits)
    assert (again.anonymous_release_times, again.delay_minutes) == ((), 7)
    with pytest.raises(UserFacingError, match="from 30 to 3650"):
        await settings.set_limits(1, 99, timezone="UTC", anonymous_delay_minutes="5",
                                  summary_threshold="5", retention_days="3651")  # fmt: skip


async def test_another_process_sees_settings_within_five_seconds(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    first, second = GuildSettingsService(sessions, clock), GuildSettingsService(sessions, clock)
    assert (await second.get(1)).checkin_channel_id is None
    await first.set_channel(1, 99, "checkin_channel_id", 555)
    await clock.advance(timedelta(seconds=5))
    assert (await second.get(1)).checkin_channel_id == 555
