"""Muster added to a member's own account (a user install): /crisis and the private tools in
any DM or group DM, where the bot is not a member and can only answer the interaction; the
group picked when there are several; shares only ever in a server channel."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Checkin, CheckinPrompt
from bot.runtime import Runtime
from bot.sandbox import Channel, SandboxError
from bot.services.checkins import open_checkin
from tests.conftest import World, deliveries_settled
from tests.test_checkins_e2e import checkin_options, configure, next_in

VCL = "Dial 988 then press 1"
# Every top-level command: where it may be installed and used, as published to Discord.
ANYWHERE = ([0, 1], [0, 1, 2])
SERVERS_ONLY = ([0], [0])
EXPECTED = {
    "about": ANYWHERE,
    "help": ANYWHERE,
    "crisis": ANYWHERE,
    "privacy": ANYWHERE,
    "mydata": ANYWHERE,
    "checkin": ANYWHERE,
    "meds": ANYWHERE,
    "sobriety": ANYWHERE,
    "remind": ANYWHERE,
    "settings": ANYWHERE,
    "resource": ANYWHERE,
    "measures": ANYWHERE,
    "meeting": SERVERS_ONLY,
    "meeting-admin": SERVERS_ONLY,
    "resource-admin": SERVERS_ONLY,
    "setup": SERVERS_ONLY,
    "mod": SERVERS_ONLY,
}


async def publish(running: Runtime) -> None:
    """`sync-commands`: the global commands, the only ones a user install reaches."""
    await running.bot.tree.sync()


def posts_to(world: World, channel: Channel) -> list[tuple[str, str]]:
    """Every message the bot tried to send to the channel itself (not through an interaction)."""
    wanted = ("POST", f"/channels/{channel.id}/messages")
    return [request for request in world.sandbox.requests if request == wanted]


def assert_never_posted(world: World, channel: Channel) -> None:
    """The bot answered only through interactions: it never tried the channel itself."""
    assert posts_to(world, channel) == []
    assert world.sandbox.refused_posts == []


async def friends_dm(running: Runtime, world: World) -> Channel:
    """Sam has installed Muster and is in a DM with a friend who shares no server with it."""
    await publish(running)
    world.sandbox.install_for(world.member)
    friend = world.sandbox.create_user("Alex")
    return world.sandbox.private_channel(world.member, friend)


async def stored_checkins(running: Runtime) -> list[tuple[int | None, str]]:
    async with running.services.checkins._sessions() as session:
        rows = (await session.scalars(select(Checkin))).all()
    opened = [open_checkin(running.services.checkins._keyring, row) for row in rows]
    return [(row.guild_id, item.share) for row, item in zip(rows, opened, strict=True) if item]


async def test_crisis_from_a_group_dm_shows_the_card_there_and_never_posts(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await publish(running)
    friend, cousin = sandbox.create_user("Alex"), sandbox.create_user("Jo")
    chat = sandbox.private_channel(world.member, friend, cousin, name="Saturday")
    with pytest.raises(SandboxError, match="hasn't installed Muster"):
        await sandbox.slash(world.member, chat, "crisis")  # not installed: not offered there
    sandbox.install_for(world.member)
    shown = await sandbox.slash(world.member, chat, "crisis")
    assert shown.response_type == 4  # the card at once, as the interaction's answer
    assert not shown.ephemeral  # Sam pulled it up to show it: everyone in the chat sees it
    [card] = sandbox.channel_messages(chat)
    assert VCL in card.text
    assert "nobody watches this bot around the clock" in card.text
    assert card.components == []  # no mentor offer: that belongs to a server
    assert_never_posted(world, chat)
    in_server = await sandbox.slash(world.member, world.general, "crisis")
    assert in_server.ephemeral  # in a server it stays as it was: private, with the offer


async def test_the_bot_cannot_post_in_a_conversation_it_is_not_in(
    running: Runtime, world: World
) -> None:
    chat = await friends_dm(running, world)
    with pytest.raises(discord.Forbidden) as refused:
        await running.bot.get_partial_messageable(chat.id).send("hello")
    assert refused.value.code == 50001
    gaming = await world.sandbox.create_guild("Gaming night", with_bot=False)
    lobby = await world.sandbox.create_channel(gaming, "lobby")
    with pytest.raises(discord.Forbidden) as refused:  # a server it was never added to
        await running.bot.get_partial_messageable(lobby.id).send("hello")
    assert refused.value.code == 50001
    assert world.sandbox.refused_posts == [chat.id, lobby.id]
    world.sandbox.refused_posts.clear()


async def test_a_private_checkin_from_a_friends_dm_is_stored_for_the_group(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    chat = await friends_dm(running, world)
    answer = await sandbox.slash(
        world.member, chat, "checkin now", **checkin_options(share="private")
    )
    assert answer.ephemeral
    assert "Saved. Only you can see it" in answer.text
    assert await stored_checkins(running) == [(world.guild.id, "private")]
    meds = await sandbox.slash(world.member, chat, "meds log", medication="Sertraline", dose="50mg")
    assert meds.ephemeral
    assert "Only you can see this" in meds.text
    # The first chart starts the drawing process: slow on a busy machine.
    history = await sandbox.slash(world.member, chat, "checkin history", timeout=30)
    assert history.ephemeral
    assert history.messages[-1].attachments
    assert sandbox.channel_messages(chat) == []  # Alex saw none of it
    assert_never_posted(world, chat)


async def test_a_member_in_two_groups_picks_one(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    evening = await sandbox.create_guild("Evening circle")
    await sandbox.join(evening, world.member, nick="Sammy")
    chat = await friends_dm(running, world)
    asked = await sandbox.slash(
        world.member, chat, "checkin now", **checkin_options(share="private")
    )
    assert asked.ephemeral
    assert "Which group is this check-in for?" in asked.text
    [question] = asked.messages
    [row] = question.components
    options = row["components"][0]["options"]
    assert sorted(option["label"] for option in options) == ["Evening circle", "Test cohort"]
    assert await stored_checkins(running) == []  # nothing saved until Sam picks
    with pytest.raises(SandboxError):  # Riley isn't in the chat: the choice is Sam's alone
        await sandbox.click(world.other_member, question, "group:pick", values=[evening.id])
    picked = await sandbox.click(world.member, question, "group:pick", values=[evening.id])
    await sandbox.wait_for(lambda: bool(picked.messages), what="the check-in's confirmation")
    assert picked.ephemeral
    assert "Saved. Only you can see it" in picked.text
    assert picked.updated_message is not None
    assert "Evening circle" in picked.updated_message.text
    assert await stored_checkins(running) == [(evening.id, "private")]
    assert sandbox.channel_messages(chat) == []


async def test_a_named_share_from_a_dm_goes_to_the_server_channel_only(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    chat = await friends_dm(running, world)
    answer = await sandbox.slash(
        world.member, chat, "checkin now", **checkin_options(share="named")
    )
    assert answer.ephemeral
    assert f"shared in <#{group.checkins.id}> as **Sam**" in answer.text
    [post] = sandbox.channel_messages(group.checkins)
    assert post.embeds[0]["title"] == "Check-in from Sam"
    assert sandbox.channel_messages(chat) == []  # nothing shared where Alex can see it
    assert_never_posted(world, chat)
    assert await stored_checkins(running) == [(world.guild.id, "named")]


async def test_group_commands_are_not_offered_outside_servers(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    chat = await friends_dm(running, world)
    for where in (chat, None):  # a friend's DM, and Muster's own DM
        for command in ("setup show", "mod audit", "meeting list", "meeting-admin skip"):
            with pytest.raises(SandboxError, match="not offered"):
                await sandbox.slash(world.member, where, command)
    sandbox.enforce_contexts = False  # a client whose command list is out of date
    refused = await sandbox.slash(world.member, chat, "setup show")
    assert refused.ephemeral
    assert refused.text == "That command works inside a server, not in DMs."
    assert posts_to(world, chat) == []


async def test_published_commands_say_where_they_install_and_work(
    running: Runtime, world: World
) -> None:
    await publish(running)
    published = {
        command["name"]: (command["integration_types"], command["contexts"])
        for command in world.sandbox.global_commands
    }
    assert published == EXPECTED


async def test_a_crisis_note_from_a_dm_shows_the_card_before_the_group_question(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    evening = await sandbox.create_guild("Evening circle")
    await sandbox.join(evening, world.member)
    chat = await friends_dm(running, world)
    shown = await sandbox.slash(
        world.member, chat, "checkin now", add_note=True, **checkin_options(share="private")
    )
    assert shown.modal is not None  # the form first, before anything is looked up
    note = {"checkin:note": "I can't go on. I want to die."}
    asked = await sandbox.submit_modal(world.member, shown, note)
    await sandbox.wait_for(lambda: len(asked.messages) == 2, what="the card, then the question")
    card, question = asked.messages
    assert VCL in card.text
    assert "Which group is this check-in for?" in question.text
    assert asked.ephemeral
    picked = await sandbox.click(world.member, question, "group:pick", values=[world.guild.id])
    await sandbox.wait_for(lambda: bool(picked.messages), what="the check-in's confirmation")
    assert VCL not in picked.text  # the card once, not again after the pick
    alert = await sandbox.wait_for_message(
        lambda m: m.channel_id == group.mentors.id, what="the mentors' nameless alert"
    )
    assert "Sam" not in alert.text
    assert await stored_checkins(running) == [(world.guild.id, "private")]
    assert sandbox.channel_messages(chat) == []
    assert_never_posted(world, chat)


async def test_daily_prompts_from_a_dm_are_for_the_picked_group(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    evening = await sandbox.create_guild("Evening circle")
    await sandbox.join(evening, world.member)
    await publish(running)
    alex = sandbox.create_user("Alex")
    sandbox.install_for(alex)
    alone = await sandbox.slash(alex, None, "checkin prompt", at="8pm")
    assert "couldn't find a server of yours" in alone.text  # shares no server with Muster
    asked = await sandbox.slash(world.member, None, "checkin prompt", at="8pm")
    [question] = asked.messages
    picked = await sandbox.click(world.member, question, "group:pick", values=[evening.id])
    await sandbox.wait_for(lambda: bool(picked.messages), what="the prompt's confirmation")
    assert "I'll DM you every day at" in picked.text
    assert picked.ephemeral
    async with running.services.checkins._sessions() as session:
        stored = (
            await session.execute(select(CheckinPrompt.user_id, CheckinPrompt.guild_id))
        ).all()
    assert [tuple(row) for row in stored] == [(world.member.id, evening.id)]


async def test_in_a_server_without_muster_a_share_still_goes_to_the_group(
    running: Runtime, world: World
) -> None:
    """A user install reaches servers Muster was never added to: there the group is found as
    in a DM, the share goes to the group's own channel, and /crisis makes no mentor offer."""
    sandbox = world.sandbox
    group = await configure(running, world)
    await publish(running)
    gaming = await sandbox.create_guild("Gaming night", with_bot=False)
    lobby = await sandbox.create_channel(gaming, "lobby")
    await sandbox.join(gaming, world.member)
    with pytest.raises(SandboxError, match="hasn't installed Muster"):
        await sandbox.slash(world.member, lobby, "crisis")
    sandbox.install_for(world.member)
    with pytest.raises(SandboxError, match="not offered"):
        await sandbox.slash(world.member, lobby, "setup show")
    card = await sandbox.slash(world.member, lobby, "crisis")
    assert card.ephemeral  # in a server, private as ever
    assert VCL in card.text
    assert card.messages[0].components == []  # no mentors to offer in a server Muster isn't in
    answer = await sandbox.slash(
        world.member, lobby, "checkin now", **checkin_options(share="named")
    )
    assert f"shared in <#{group.checkins.id}>" in answer.text
    [post] = sandbox.channel_messages(group.checkins)
    assert post.embeds[0]["title"] == "Check-in from Sam"
    assert sandbox.channel_messages(lobby) == []
    assert_never_posted(world, lobby)
    assert await stored_checkins(running) == [(world.guild.id, "named")]


async def test_a_held_named_checkin_from_a_dm_is_shared_in_its_group_when_chosen(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    chat = await friends_dm(running, world)
    shown = await sandbox.slash(
        world.member, chat, "checkin now", add_note=True, **checkin_options(share="named")
    )
    held = await sandbox.submit_modal(world.member, shown, {"checkin:note": "I want to die."})
    await sandbox.wait_for(lambda: len(held.messages) == 2, what="the card, then the choice")
    choice = held.messages[1]
    assert sandbox.channel_messages(group.checkins) == []  # held back, not posted
    [bare] = [custom_id for custom_id in choice.custom_ids() if custom_id.endswith(":bare")]
    shared = await sandbox.click(world.member, choice, bare)
    assert f"Shared without your note in <#{group.checkins.id}> as **Sam**" in shared.text
    [post] = sandbox.channel_messages(group.checkins)
    assert post.embeds[0]["title"] == "Check-in from Sam"
    assert "want to die" not in str(post.embeds)
    assert sandbox.channel_messages(chat) == []
    assert_never_posted(world, chat)


async def test_an_anonymous_share_from_a_group_dm_appears_in_the_group_channel(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    chat = await friends_dm(running, world)
    answer = await sandbox.slash(
        world.member, chat, "checkin now", **checkin_options(share="anonymous")
    )
    assert answer.ephemeral
    assert f"It will appear in <#{group.checkins.id}>" in answer.text
    await clock.advance(timedelta(minutes=11))
    post = await next_in(sandbox, group.checkins)
    assert post.embeds[0]["title"].startswith("Check-in from ")
    assert "Sam" not in str(post.embeds)
    await deliveries_settled(running, clock)
    assert sandbox.channel_messages(chat) == []
    assert_never_posted(world, chat)
