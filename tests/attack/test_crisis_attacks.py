"""Red-team attacks on the crisis-safety promise (R18, R25, R26, issue 11). Each test fails
while the promise is broken and passes once it is kept."""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.models import Checkin, Occurrence
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.services.crisis import CRISIS_TITLE
from cogs.crisis.senders import FOLLOW_UP_DM
from tests.conftest import World, database_unavailable, eventually, start_bot
from tests.test_checkins_e2e import checkin_options, configure, next_in
from tests.test_crisis_flow_e2e import mentor_request

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11


async def checkin_count(running: Runtime) -> int:
    async with running.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)


# ----- crisis words in the sleep field (every free text is checked, R25) -----


async def test_crisis_words_in_the_sleep_field_get_the_card(running: Runtime, world: World) -> None:
    """/checkin now's sleep option is free text (up to 20 characters). A member who types
    crisis language there should see the crisis card; today they get only a format error."""
    await configure(running, world)
    result = await world.sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(sleep="i want to die")
    )
    await asyncio.sleep(0.3)
    titles = [embed.get("title") for m in result.messages for embed in m.embeds]
    assert CRISIS_TITLE in titles, [m.text for m in result.messages]


# ----- a Discord error on the card's send loses the check-in -----


@pytest.mark.parametrize("status", [503, 0])
async def test_a_failed_card_send_does_not_lose_the_crisis_checkin(
    running: Runtime, world: World, status: int
) -> None:
    """The card's follow-up meets a Discord error: a 503, or the connection cut (0).
    The check-in the member wrote must still be saved, and they must hear back."""
    sandbox = world.sandbox
    await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named", mood=1))  # fmt: skip
    sandbox.fail_next("POST", r"/webhooks/", status, times=1)
    result = await sandbox.submit_modal(
        world.member, shown, {"checkin:note": "I can't go on. I want to die."}
    )
    await asyncio.sleep(1.0)

    async def saved() -> bool:
        return await checkin_count(running) == 1

    await eventually(saved, timeout=3, what="the crisis check-in to be saved")
    assert result.messages, "the member heard nothing back"


# ----- the mentors' channel readable by every member through a role overwrite (R26) -----


async def test_setup_refuses_a_mentors_channel_every_member_reads_through_a_role(
    running: Runtime, world: World
) -> None:
    """@everyone's own overwrite denies the channel, but a role that every member holds
    (as many servers have: 'Members', 'Verified') is allowed to view it. Setup should refuse
    named requests; today it turns them on and posts a member's name where peers read it."""
    sandbox, guild, mod = world.sandbox, world.guild, world.moderator
    everyone_role = await sandbox.create_role(guild, "Members")
    for person in (world.member, world.other_member, world.moderator):
        person.roles.append(everyone_role)
    mentor_role = await sandbox.create_role(guild, "Mentor")
    mentors = await sandbox.create_channel(guild, "mentors", private_to=[mentor_role])
    await sandbox.set_overwrite(mentors, everyone_role, allow=VIEW_CHANNEL)
    assert guild.permissions_in(world.other_member, mentors) & VIEW_CHANNEL  # Riley reads it
    settings = running.services.guild_settings
    await settings.set_channel(guild.id, mod.id, "mentors_channel_id", mentors.id)
    await settings.set_role(guild.id, mod.id, "mentor_role_id", mentor_role.id)
    turned = await sandbox.slash(mod, world.general, "setup mentor-requests", turn="on")
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    if who.messages and who.messages[0].custom_ids() == ["crisis:mentor:send"]:
        await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
        await asyncio.sleep(0.3)
    named = [m for m in sandbox.channel_messages(mentors) if "Sam" in m.text]
    assert named == [], "Sam's name was posted in a channel every member can read"
    assert "I can't turn on named mentor requests yet" in turned.text


# ----- other free text a member writes to the bot (R25: every free text is checked) -----


async def test_a_resource_search_in_crisis_language_gets_the_card_with_the_database_down(
    running: Runtime, world: World, bot_settings: Settings
) -> None:
    """A member searches the resource directory with 'I want to kill myself' while the
    database is locked. With the database up the results happen to list the crisis lines;
    with it down they should still see the card (R18), at once."""
    async with database_unavailable(bot_settings):
        result = await world.sandbox.slash(
            world.member, world.general, "resource find", query="I want to kill myself",
            wait=False,
        )  # fmt: skip
        await asyncio.sleep(3.0)
        titles = [embed.get("title") for m in result.messages for embed in m.embeds]
        assert CRISIS_TITLE in titles, [m.text[:100] for m in result.messages]


async def test_crisis_words_in_a_reminders_when_field_get_the_card(
    running: Runtime, world: World
) -> None:
    """The reminder's text is checked, its `when` (free text, 100 characters) is not."""
    result = await world.sandbox.slash(
        world.member, world.general, "remind add", what="call mom",
        when="tomorrow 9am before I kill myself",
    )  # fmt: skip
    await asyncio.sleep(0.3)
    titles = [embed.get("title") for m in result.messages for embed in m.embeds]
    assert CRISIS_TITLE in titles, [m.text for m in result.messages]


async def test_a_cut_card_send_does_not_lose_a_medication_entry(
    running: Runtime, world: World
) -> None:
    """Same fault as for the check-in, on /meds log with a crisis note: the entry must be
    recorded and the member answered."""
    sandbox = world.sandbox
    sandbox.fail_next("POST", r"/webhooks/", 0, times=1)
    logged = await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                                 dose="50 mg", note="what's the point, I want to die")  # fmt: skip
    await asyncio.sleep(1.0)
    texts = [m.text for m in logged.messages]
    assert any(t.startswith("Noted: Sertraline, 50 mg") for t in texts), texts


# ----- the 15-minute follow-up (R26) -----


async def test_the_member_gets_the_lines_by_dm_even_if_the_mentors_channel_ping_fails(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """After the request is posted, the bot loses Send Messages in the mentors' channel (a
    moderator tidies permissions). Unclaimed after 15 minutes, the re-ping cannot go out;
    the member must still get the crisis lines by DM."""
    sandbox = world.sandbox
    group = await configure(running, world)
    await mentor_request(world, group)
    await sandbox.deny_bot(group.mentors, SEND_MESSAGES)
    await clock.advance(timedelta(minutes=16))
    await asyncio.sleep(1.0)
    await clock.advance(timedelta(hours=1))  # any retries have long had their chance
    await asyncio.sleep(1.0)
    await clock.advance(timedelta(hours=1))

    async def got_dm() -> bool:
        return bool(sandbox.dms_to(world.member))

    try:
        await eventually(got_dm, timeout=4, what="the member's crisis-lines DM")
    finally:
        # The refused re-ping is the fault under test, not a bot misbehaviour.
        sandbox.violations.clear()
        async with running.sessions() as session:
            rows = (await session.execute(select(Occurrence.kind, Occurrence.state,
                                                 Occurrence.cause))).all()  # fmt: skip
        assert rows, "no occurrences stored"
    [dm] = sandbox.dms_to(world.member)
    assert dm.content == FOLLOW_UP_DM
    assert dm.embeds[0]["title"] == CRISIS_TITLE


# ----- the mentor role changed after setup -----


async def test_a_non_mentor_cannot_claim_when_the_mentor_role_is_set_to_everyone(
    running: Runtime, world: World
) -> None:
    """A moderator picks @everyone in the 'Peer mentor role' select (the setup accepts any
    role of the server). Then any member can claim a named request: the member is told a
    'peer mentor' has it and the follow-up is cancelled."""
    sandbox = world.sandbox
    group = await configure(running, world)
    await running.services.guild_settings.set_role(
        world.guild.id, world.moderator.id, "mentor_role_id", world.guild.everyone.id
    )
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    if who.messages and who.messages[0].custom_ids() == ["crisis:mentor:send"]:
        await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
    await asyncio.sleep(0.3)
    requests = [m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()]
    if not requests:
        return  # refused: the promise holds
    [request] = requests
    [claim] = request.custom_ids()
    # Dana moderates and can read the mentors' channel, but is no peer mentor.
    grabbed = await sandbox.click(world.moderator, request, claim)
    assert grabbed.text == "Only peer mentors (the mentor role) can take a request.", grabbed.text


# ----- the database locked while a member writes crisis language -----


async def test_a_crisis_checkin_with_the_database_locked_gets_the_card_at_once_and_is_kept(
    running: Runtime, world: World, bot_settings: Settings
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named", mood=1))  # fmt: skip
    async with database_unavailable(bot_settings):
        result = await sandbox.submit_modal(
            world.member, shown, {"checkin:note": "I can't go on. I want to die."}, wait=False
        )
        await asyncio.sleep(1.0)
        titles = [embed.get("title") for m in result.messages for embed in m.embeds]
        assert CRISIS_TITLE in titles
        await sandbox.wait_for(lambda: len(result.messages) >= 2, timeout=8, what="an answer")
    await asyncio.sleep(1.0)

    async def saved() -> bool:
        return await checkin_count(running) == 1

    await eventually(saved, timeout=8, what="the held check-in to be saved")
    assert sandbox.channel_messages(group.checkins) == []


async def test_a_crisis_reminder_with_the_database_locked_gets_the_card_at_once(
    running: Runtime, world: World, bot_settings: Settings
) -> None:
    sandbox = world.sandbox
    async with database_unavailable(bot_settings):
        result = await sandbox.slash(world.member, world.general, "remind add",
                                     what="say goodbye to everyone", when="tomorrow 9am",
                                     wait=False)  # fmt: skip
        await asyncio.sleep(1.0)
        titles = [embed.get("title") for m in result.messages for embed in m.embeds]
        assert CRISIS_TITLE in titles


async def test_a_crisis_dm_gets_the_card_even_if_the_first_send_is_cut(
    running: Runtime, world: World
) -> None:
    """The card's DM send meets a cut connection once; the member should still see it."""
    sandbox = world.sandbox
    sandbox.fail_next("POST", r"/channels/\d+/messages", 0, times=1)
    written = await sandbox.dm_bot(world.member, "i want to kill myself")
    await asyncio.sleep(2.0)
    replies = sandbox.replies_in_dm(world.member, written)
    assert replies
    assert replies[0].embeds[0]["title"] == CRISIS_TITLE


# ----- exactly one mentor has a request -----


async def test_two_mentors_pressing_claim_at_the_same_moment_give_one_owner(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    request = await mentor_request(world, group)
    [claim] = request.custom_ids()
    stale = copy.copy(request)
    first = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    second = await sandbox.create_member(world.guild, "Casey", roles=[group.mentor_role])
    a, b = await asyncio.gather(
        sandbox.click(first, request, claim), sandbox.click(second, stale, claim)
    )
    won = [r for r in (a, b) if r.text.startswith("Thank you. It's yours")]
    assert len(won) == 1, (a.text, b.text)
    await asyncio.sleep(0.3)
    assert len(sandbox.dms_to(world.member)) == 1


async def test_setup_refuses_a_mentors_channel_when_a_verified_role_not_everyone_grants_view(
    bot_settings: Settings, world: World, clock: FakeClock
) -> None:
    """A verification-gated server: @everyone has no View Channels at the server level and a
    'Verified' role every member holds grants it. A plain channel with no overwrites is then
    readable by every member, yet @everyone (by its own permissions) cannot read it."""
    sandbox, guild, mod = world.sandbox, world.guild, world.moderator
    verified = await sandbox.create_role(guild, "Verified", permissions=guild.everyone.permissions)
    for person in (world.member, world.other_member, world.moderator):
        person.roles.append(verified)
    guild.everyone.permissions &= ~VIEW_CHANNEL
    mentor_role = await sandbox.create_role(guild, "Mentor")
    mentors = await sandbox.create_channel(guild, "mentors")  # no overwrites at all
    assert guild.permissions_in(world.other_member, mentors) & VIEW_CHANNEL  # Riley reads it
    async with start_bot(bot_settings, clock) as running:
        settings = running.services.guild_settings
        await settings.set_channel(guild.id, mod.id, "mentors_channel_id", mentors.id)
        await settings.set_role(guild.id, mod.id, "mentor_role_id", mentor_role.id)
        turned = await sandbox.slash(mod, world.general, "setup mentor-requests", turn="on")
        assert "I can't turn on named mentor requests yet" in turned.text, turned.text


# ----- restarts and repeats -----


async def test_a_claim_button_and_the_send_button_work_after_a_restart(
    bot_settings: Settings, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        group = await configure(running, world)
        card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
        who = await sandbox.click(world.member, card, "crisis:mentor")
    async with start_bot(bot_settings, clock, keyring=keyring):
        await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
        request = await next_in(sandbox, group.mentors, "asked for a peer mentor")
    async with start_bot(bot_settings, clock, keyring=keyring):
        [claim] = request.custom_ids()
        mentor = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
        won = await sandbox.click(mentor, request, claim)
        assert won.text.startswith("Thank you. It's yours"), won.text


async def test_submitting_the_crisis_form_twice_posts_nothing_and_keeps_one(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named", mood=1))  # fmt: skip
    note = {"checkin:note": "I can't go on. I want to die."}
    first, second = await asyncio.gather(
        sandbox.submit_modal(world.member, shown, note),
        sandbox.submit_modal(world.member, shown, note),
    )
    await asyncio.sleep(0.5)
    for result in (first, second):
        titles = [embed.get("title") for m in result.messages for embed in m.embeds]
        assert CRISIS_TITLE in titles
    assert await checkin_count(running) == 1
    await clock.advance(timedelta(hours=1))
    await asyncio.sleep(0.3)
    assert sandbox.channel_messages(group.checkins) == []


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("meds log", {"medication": "Sertraline", "dose": "50 mg", "date": "before i kill myself"}),
        ("sobriety set", {"since": "i will kill myself"}),
        ("checkin prompt", {"at": "i will kill myself"}),
    ],
)
async def test_crisis_words_in_other_free_text_options_get_the_card(
    running: Runtime, world: World, command: str, options: dict[str, str]
) -> None:
    """Date and time options are free text too (R25: every free text is checked)."""
    result = await world.sandbox.slash(world.member, world.general, command, **options)
    await asyncio.sleep(0.3)
    titles = [embed.get("title") for m in result.messages for embed in m.embeds]
    assert CRISIS_TITLE in titles, [m.text[:120] for m in result.messages]


async def test_a_double_press_of_yes_ask_a_mentor_posts_one_request(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The member double-taps 'Yes, ask a mentor' (two interactions at once)."""
    sandbox = world.sandbox
    group = await configure(running, world)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    await asyncio.gather(
        sandbox.click(world.member, who.messages[0], "crisis:mentor:send"),
        sandbox.click(world.member, who.messages[0], "crisis:mentor:send"),
    )
    await asyncio.sleep(0.5)
    requests = [m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()]
    assert len(requests) == 1, len(requests)
    await clock.advance(timedelta(minutes=16))
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the follow-up DM")
    await asyncio.sleep(0.5)
    assert len(sandbox.dms_to(world.member)) == 1


async def test_a_request_posted_but_unacknowledged_can_still_be_claimed_and_is_followed_up(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Discord posts the named request (name, ping, claim button) in the mentors' channel but
    the connection drops before the bot hears back. The request is in front of the mentors:
    a mentor who presses 'I'm reaching out' must get it (not 'another mentor already has
    this one'), or, if nobody claims, the 15-minute follow-up must still happen."""
    sandbox = world.sandbox
    group = await configure(running, world)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    sandbox.drop_next("POST", rf"/channels/{group.mentors.id}/messages")
    told = await sandbox.click(world.member, who.messages[0], "crisis:mentor:send", timeout=15)
    request = await next_in(sandbox, group.mentors, "asked for a peer mentor")
    [claim] = request.custom_ids()
    mentor = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    won = await sandbox.click(mentor, request, claim)
    assert won.text.startswith("Thank you. It's yours"), (told.text, won.text)


@pytest.mark.parametrize("cut", [False, True], ids=["control", "cut"])
async def test_the_nameless_mentor_alert_survives_one_cut_connection(
    running: Runtime, world: World, cut: bool
) -> None:
    """A private check-in with a crisis note alerts the mentors without a name. One cut
    connection on that send should not mean the mentors never hear of it."""
    sandbox = world.sandbox
    group = await configure(running, world)
    if cut:
        sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", 0, times=1)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private", mood=1))  # fmt: skip
    await sandbox.submit_modal(world.member, shown, {"checkin:note": "I want to die."})
    alert = await next_in(sandbox, group.mentors, "Someone in the group")
    assert "Sam" not in alert.text


async def test_a_cut_follow_up_dm_is_retried_without_pinging_the_role_twice(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    await mentor_request(world, group)
    dm_channel = sandbox.dm_channel(world.member)
    sandbox.fail_next("POST", rf"/channels/{dm_channel.id}/messages", 0, times=1)
    await clock.advance(timedelta(minutes=16))
    for _ in range(6):
        await asyncio.sleep(0.5)
        await clock.advance(timedelta(minutes=1))
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the follow-up DM")
    await asyncio.sleep(0.5)
    assert len(sandbox.dms_to(world.member)) == 1
    pings = [m for m in sandbox.channel_messages(group.mentors) if "still open" in m.text]
    assert len(pings) == 1, len(pings)


async def test_a_mentor_pinged_by_the_request_can_claim_it_after_the_role_is_switched(
    running: Runtime, world: World
) -> None:
    """The request pinged the Mentor role; a moderator then sets a new 'Peer mentor' role.
    A member of the role that was pinged (and still reads the channel) presses the button:
    the request's own role should count, or nobody the request pinged can take it."""
    sandbox = world.sandbox
    group = await configure(running, world)
    request = await mentor_request(world, group)
    new_role = await sandbox.create_role(world.guild, "Peer mentor")
    await running.services.guild_settings.set_role(
        world.guild.id, world.moderator.id, "mentor_role_id", new_role.id
    )
    [claim] = request.custom_ids()
    pinged = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    won = await sandbox.click(pinged, request, claim)
    assert won.text.startswith("Thank you. It's yours"), won.text
