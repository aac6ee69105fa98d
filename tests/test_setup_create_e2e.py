"""`/setup start` (#15): the zone first, then what exists and what Muster will make, made in
one confirmed step with the right overwrites, checked when it exists, never made twice."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.runtime import Runtime
from bot.sandbox import Channel, Guild, Member, Message, Sandbox
from bot.sandbox.state import (
    MANAGE_CHANNELS,
    MANAGE_ROLES,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
)
from tests.conftest import World

SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
WANTED_CHANNELS = ("check-ins", "mentors", "meetings")


def component(message: Message, custom_id: str) -> dict[str, Any]:
    for row in message.components:
        for item in row.get("components", []):
            if item.get("custom_id") == custom_id:
                return dict(item)
    raise AssertionError(f"no {custom_id} on the message")


def by_name(guild: Guild, name: str) -> list[Channel]:
    return [channel for channel in guild.channels.values() if channel.name == name]


def overwrite(channel: Channel, target_id: int) -> tuple[int, int]:
    """(allow, deny) of one role's or member's overwrite in the channel; (0, 0) without one."""
    found = [item for item in channel.overwrites if int(item["id"]) == target_id]
    assert len(found) <= 1
    return (int(found[0]["allow"]), int(found[0]["deny"])) if found else (0, 0)


def creates(sandbox: Sandbox, guild: Guild, what: str) -> int:
    return sandbox.requests.count(("POST", f"/guilds/{guild.id}/{what}"))


async def start(sandbox: Sandbox, who: Member, world: World) -> Message:
    shown = await sandbox.slash(who, world.general, "setup start")
    assert shown.ephemeral
    [message] = shown.messages
    return message


async def ready(running: Runtime, world: World, *, moderator_role: bool = True) -> Member:
    """A server whose bot may make channels and roles, as an admin grants them; its owner."""
    sandbox, guild = world.sandbox, world.guild
    await sandbox.set_bot_permissions(guild, add=MANAGE_CHANNELS | MANAGE_ROLES)
    owner = sandbox.owner_of(guild)
    settings = running.services.guild_settings
    if moderator_role:
        await settings.set_role(guild.id, owner.id, "moderator_role_id", world.moderator_role.id)
    return owner


async def test_a_fresh_server_gets_a_mentor_role_and_three_channels(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    message = await start(sandbox, owner, world)
    assert "First, your group's time zone" in message.text
    assert component(message, "setup:create")["disabled"]  # the zone comes first

    await sandbox.click(owner, message, "setup:zone", values=["America/Chicago"])
    assert "time zone: **America/Chicago**" in message.text
    for planned in ("@Peer mentor", "#check-ins", "#mentors: private", "#meetings"):
        assert planned in message.text
    assert not component(message, "setup:create").get("disabled")
    assert by_name(guild, "mentors") == []  # nothing made before Create

    await sandbox.click(owner, message, "setup:create")
    assert "Muster is set up" in message.text
    assert "Server Settings > Integrations > Muster" in message.text

    [mentor] = [role for role in guild.roles.values() if role.name == "Peer mentor"]
    assert mentor.mentionable
    assert mentor.permissions == 0
    [checkins], [mentors], [meetings] = (by_name(guild, n) for n in WANTED_CHANNELS)
    bot_id = sandbox.bot_user.id
    posting = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY
    assert overwrite(mentors, guild.everyone.id) == (0, VIEW_CHANNEL)
    assert overwrite(mentors, mentor.id)[0] & (VIEW_CHANNEL | SEND_MESSAGES) == (
        VIEW_CHANNEL | SEND_MESSAGES
    )
    assert overwrite(mentors, world.moderator_role.id)[0] & VIEW_CHANNEL
    assert overwrite(mentors, bot_id) == (posting, 0)
    assert overwrite(checkins, bot_id) == (posting, 0)

    peer = await sandbox.create_member(guild, "Alex", roles=[mentor])
    assert not guild.permissions_in(world.member, mentors) & VIEW_CHANNEL
    assert guild.permissions_in(peer, mentors) & VIEW_CHANNEL
    assert guild.permissions_in(world.moderator, mentors) & VIEW_CHANNEL
    assert guild.permissions_in(world.member, checkins) & VIEW_CHANNEL
    assert guild.permissions_in(world.member, meetings) & VIEW_CHANNEL

    config = await running.services.guild_settings.get(guild.id)
    assert (config.checkin_channel_id, config.mentors_channel_id, config.meetings_channel_id) == (
        checkins.id, mentors.id, meetings.id,
    )  # fmt: skip
    assert config.mentor_role_id == mentor.id
    assert config.timezone == "America/Chicago"
    made = [entry for entry in sandbox.audit_reasons if entry[0] == "POST"]
    assert len(made) == 4
    assert all("/setup start, confirmed by" in reason for _, _, reason in made)
    # What it made passes the named-request checks (R26) as it is.
    turned = await sandbox.slash(owner, world.general, "setup mentor-requests", turn="on")
    assert turned.text.startswith("Named mentor requests are on.")


async def test_existing_channels_are_used_and_checked(running: Runtime, world: World) -> None:
    sandbox, guild = world.sandbox, world.guild
    mentor_role = await sandbox.create_role(guild, "Peer mentor")
    checkins = await sandbox.create_channel(guild, "check-ins")
    meetings = await sandbox.create_channel(guild, "Meetings")
    mentors = await sandbox.create_channel(
        guild, "mentors", private_to=[mentor_role, world.moderator_role]
    )
    await sandbox.deny_bot(meetings, SEND_MESSAGES)
    await sandbox.deny_bot(checkins, READ_MESSAGE_HISTORY)
    settings = running.services.guild_settings
    await settings.set_timezone(guild.id, world.moderator.id, "Eastern")
    before = len(guild.channels), len(guild.roles)

    # Dana moderates with Manage Server only: enough, as nothing needs making.
    message = await start(sandbox, world.moderator, world)
    assert "I'll create" not in message.text
    assert f"{mentors.mention}: your mentors' channel (found by name)" in message.text
    await sandbox.click(world.moderator, message, "setup:create")
    assert "Muster is set up" in message.text
    assert f"Using {mentors.mention}" in message.text
    # Without Send Messages, Discord takes Embed Links away too.
    assert f"In {meetings.mention} I'm missing: Send Messages, Embed Links." in message.text
    # Without Read Message History, why it matters: a post can't be confirmed after an outage.
    assert (
        f"In {checkins.mention} I'm missing: Read Message History. Without Read Message "
        "History there, I can't confirm a post went out after a Discord outage, so I might "
        "miss one (rather than risk posting it twice). Please grant it, so nothing is lost "
        "or doubled."
    ) in message.text
    assert message.text.count("might miss one") == 1  # not said of #meetings, which has it
    assert (len(guild.channels), len(guild.roles)) == before
    assert creates(sandbox, guild, "channels") == creates(sandbox, guild, "roles") == 0
    config = await settings.get(guild.id)
    assert (config.checkin_channel_id, config.mentors_channel_id, config.meetings_channel_id) == (
        checkins.id, mentors.id, meetings.id,
    )  # fmt: skip
    assert config.mentor_role_id == mentor_role.id


async def test_a_mentors_channel_everyone_can_see_is_refused(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    mentors = await sandbox.create_channel(guild, "mentors")  # public
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Pacific")

    message = await start(sandbox, owner, world)
    assert f"{mentors.mention} can be seen by everyone" in message.text
    assert "Edit Channel > Permissions > @everyone, turn off View Channel" in message.text
    assert component(message, "setup:create")["disabled"]
    assert (await running.services.guild_settings.get(guild.id)).mentors_channel_id is None

    # Chosen in the editor, it is refused the same way on Create.
    await sandbox.click(owner, message, "setup:choose")
    await sandbox.click(owner, message, "setup:mentors_channel", values=[mentors])
    shown = await start(sandbox, owner, world)
    assert "can be seen by everyone" in shown.text
    assert creates(sandbox, guild, "channels") == creates(sandbox, guild, "roles") == 0

    # Made private, it is accepted and kept.
    await sandbox.set_overwrite(mentors, guild.everyone, deny=VIEW_CHANNEL)
    await sandbox.click(owner, shown, "setup:recheck")
    assert "can be seen by everyone" not in shown.text
    await sandbox.click(owner, shown, "setup:create")
    assert "Muster is set up" in shown.text
    assert by_name(guild, "mentors") == [mentors]
    assert (await running.services.guild_settings.get(guild.id)).mentors_channel_id == mentors.id


async def test_a_double_confirm_makes_nothing_twice(running: Runtime, world: World) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Eastern")
    message = await start(sandbox, owner, world)
    await asyncio.gather(
        sandbox.click(owner, message, "setup:create"),
        sandbox.click(owner, message, "setup:create"),
    )
    assert "Muster is set up" in message.text
    for name in WANTED_CHANNELS:
        assert len(by_name(guild, name)) == 1, name
    assert [r.name for r in guild.roles.values()].count("Peer mentor") == 1
    assert creates(sandbox, guild, "channels") == 3
    assert creates(sandbox, guild, "roles") == 1


async def test_a_failed_create_reports_what_was_made_and_a_retry_finishes(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    settings = running.services.guild_settings
    await settings.set_timezone(guild.id, owner.id, "Eastern")
    message = await start(sandbox, owner, world)
    # Discord fails the first channel (a 5xx discord.py does not retry itself).
    sandbox.fail_next("POST", rf"^/guilds/{guild.id}/channels$", 503)
    await sandbox.click(owner, message, "setup:create")
    assert "Set-up is partly done" in message.text
    assert "Created <@&" in message.text  # the role was made
    assert "#check-ins, #mentors, #meetings. The check-in channel: Discord couldn't" in message.text
    [mentor] = [role for role in guild.roles.values() if role.name == "Peer mentor"]
    assert (await settings.get(guild.id)).mentor_role_id == mentor.id

    # Renamed meanwhile and pressed again: the role is found by its saved id, not made again.
    await sandbox.edit_role(guild, mentor, name="Mentors")
    await sandbox.click(owner, message, "setup:create")
    assert "Muster is set up" in message.text
    assert [role.name for role in guild.roles.values()].count("Peer mentor") == 0
    assert creates(sandbox, guild, "roles") == 1
    [mentors] = by_name(guild, "mentors")
    assert overwrite(mentors, mentor.id)[0] & VIEW_CHANNEL
    for name in WANTED_CHANNELS:
        assert len(by_name(guild, name)) == 1, name


async def test_a_create_whose_answer_was_lost_is_found_by_name(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Eastern")
    message = await start(sandbox, owner, world)
    # Discord makes #check-ins, but the answer never reaches Muster.
    sandbox.drop_next("POST", rf"^/guilds/{guild.id}/channels$")
    await sandbox.click(owner, message, "setup:create")
    assert "Set-up is partly done" in message.text
    assert len(by_name(guild, "check-ins")) == 1

    await sandbox.click(owner, message, "setup:create")
    assert "Muster is set up" in message.text
    [checkins] = by_name(guild, "check-ins")
    assert (await running.services.guild_settings.get(guild.id)).checkin_channel_id == checkins.id
    assert creates(sandbox, guild, "channels") == 3  # the lost one, then #mentors and #meetings


async def test_the_bot_without_manage_roles_says_what_is_missing(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Eastern")
    message = await start(sandbox, owner, world)
    assert not component(message, "setup:create").get("disabled")

    await sandbox.set_bot_permissions(guild, remove=MANAGE_ROLES)  # taken away meanwhile
    pressed = await sandbox.click(owner, message, "setup:create")
    await sandbox.wait_for(lambda: bool(pressed.messages), what="the private answer")
    assert "I didn't change anything yet" in pressed.text
    assert "I need the **Manage Roles** permission to create the mentor role" in pressed.text
    assert "Server Settings > Roles > Muster" in pressed.text
    assert component(message, "setup:create")["disabled"]
    assert creates(sandbox, guild, "channels") == creates(sandbox, guild, "roles") == 0


async def test_a_moderator_who_cannot_manage_channels_is_told(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    await ready(running, world)
    await running.services.guild_settings.set_timezone(guild.id, world.moderator.id, "Eastern")
    message = await start(sandbox, world.moderator, world)  # Manage Server only
    assert "needs **Manage Channels**, and you don't have it here" in message.text
    assert "needs **Manage Roles**, and you don't have it here" in message.text
    assert component(message, "setup:create")["disabled"]


async def test_the_zone_can_be_typed(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    message = await start(sandbox, world.moderator, world)
    form = await sandbox.click(world.moderator, message, "setup:zone_other")
    refused = await sandbox.submit_modal(world.moderator, form, {"setup:zone_text": "Mars/Base"})
    assert refused.text.startswith("I don't know that time zone")
    await sandbox.submit_modal(world.moderator, form, {"setup:zone_text": "europe/london"})
    assert "time zone: **Europe/London**" in message.text
    assert (await running.services.guild_settings.get(world.guild.id)).timezone == "Europe/London"


async def test_members_cannot_press_the_setup_buttons(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    owner = await ready(running, world)
    message = await start(sandbox, owner, world)
    await sandbox.click(owner, message, "setup:zone", values=["UTC"])
    for custom_id in ("setup:create", "setup:recheck", "setup:choose", "setup:zone_other"):
        refused = await sandbox.click(world.member, message, custom_id)
        assert refused.text.startswith("Only moderators can do that"), custom_id
    assert creates(sandbox, world.guild, "channels") == 0
    await sandbox.click(owner, message, "setup:create")
    refused = await sandbox.click(world.member, message, "setup:choose_after")
    assert refused.text.startswith("Only moderators can do that")


async def test_the_bot_without_embed_links_in_the_server_is_told_before_creating(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Eastern")
    everyone = guild.everyone
    await sandbox.edit_role(guild, everyone, permissions=everyone.permissions & ~EMBED_LINKS)
    await sandbox.set_bot_permissions(guild, remove=EMBED_LINKS)
    message = await start(sandbox, owner, world)
    assert "To post in the channels I make, I need Embed Links in the server" in message.text
    assert component(message, "setup:create")["disabled"]


async def test_a_refusal_from_discord_names_the_permission(running: Runtime, world: World) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world)
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Eastern")
    message = await start(sandbox, owner, world)
    # Discord says no though Muster's copy of its permissions said yes (changed meanwhile).
    sandbox.fail_next("POST", rf"^/guilds/{guild.id}/roles$", 403, code=50013)
    await sandbox.click(owner, message, "setup:create")
    assert "Set-up is partly done" in message.text
    assert "Discord refused, as I'm missing a permission: I need **Manage Roles**" in message.text
    assert "Server Settings > Roles > Muster" in message.text
    assert creates(sandbox, guild, "channels") == 0  # #mentors needs the role: it stopped


async def test_the_moderator_role_chosen_on_the_plan_can_read_mentors(
    running: Runtime, world: World
) -> None:
    sandbox, guild = world.sandbox, world.guild
    owner = await ready(running, world, moderator_role=False)
    await running.services.guild_settings.set_timezone(guild.id, owner.id, "Eastern")
    message = await start(sandbox, owner, world)
    assert "choose your moderator role below first" in message.text
    await sandbox.click(owner, message, "setup:plan_moderator_role", values=[world.moderator_role])
    assert "only the Peer mentor role and the Moderator role (and Muster)" in message.text
    await sandbox.click(owner, message, "setup:create")
    assert "Choose a moderator role" not in message.text
    [mentors] = by_name(guild, "mentors")
    assert guild.permissions_in(world.moderator, mentors) & VIEW_CHANNEL
    assert not guild.permissions_in(world.other_member, mentors) & VIEW_CHANNEL
    config = await running.services.guild_settings.get(guild.id)
    assert config.moderator_role_id == world.moderator_role.id
