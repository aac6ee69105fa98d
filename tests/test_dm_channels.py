"""A DM costs one request once Muster has written to the member: the DM channel id is kept in
the database, so it survives a restart (discord.py keeps only 128, in memory)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import create_session_factory
from bot.db.models import MemberSettings
from bot.keys import Keyring
from tests.conftest import World, start_bot

OPEN_DM = ("POST", "/users/@me/channels")


async def test_a_second_dm_after_a_restart_is_one_request(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as runtime:
        for when in ("in 1 hour", "in 3 hours"):
            await sandbox.slash(member, world.general, "remind add", what="Call Sam", when=when)
        await clock.advance(timedelta(hours=1))
        await sandbox.wait_for(lambda: len(sandbox.dms_to(member)) == 1, what="the first DM")
        [first] = sandbox.dms_to(member)
        async with create_session_factory(runtime.engine)() as session:
            stored = await session.scalar(
                select(MemberSettings.dm_channel_id).where(MemberSettings.user_id == member.id)
            )
        assert stored == first.channel_id
    assert sandbox.requests.count(OPEN_DM) == 1  # the first DM opened the channel
    sends_before = len(sandbox.requests)
    async with start_bot(bot_settings, clock, keyring=keyring):
        await clock.advance(timedelta(hours=2))
        await sandbox.wait_for(lambda: len(sandbox.dms_to(member)) == 2, what="the second DM")
        second = sandbox.dms_to(member)[1]
    assert second.channel_id == first.channel_id
    assert sandbox.requests.count(OPEN_DM) == 1  # not opened again after the restart
    to_dm = ("POST", f"/channels/{first.channel_id}/messages")
    assert sandbox.requests[sends_before:].count(to_dm) == 1


async def test_a_remembered_channel_discord_no_longer_knows_is_opened_afresh(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    async with start_bot(bot_settings, clock) as runtime:
        await runtime.services.member_settings.remember_dm_channel(member.id, 424242)
        await sandbox.slash(member, world.general, "remind add", what="Call Sam", when="in 1 hour")
        await clock.advance(timedelta(hours=1))
        await sandbox.wait_for(lambda: len(sandbox.dms_to(member)) == 1, what="the DM")
        [sent] = sandbox.dms_to(member)
        assert await runtime.services.member_settings.dm_channel(member.id) == sent.channel_id
    assert ("POST", "/channels/424242/messages") in sandbox.requests
    assert sandbox.requests.count(OPEN_DM) == 1
