"""The crisis path through the sandbox: a shared crisis note is held back until its member
chooses, the card is the same everywhere (database or not), named mentor requests go only
where they are safe and are followed up, and DMs to the bot are answered (R18, R25, R26)."""

from __future__ import annotations

import copy
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.models import AnonymousPost, Checkin, MemberSettings
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import InteractionResult, Message, SandboxError
from bot.services.checkins import open_checkin
from bot.services.crisis import CRISIS_TITLE
from bot.ui.crisis import (
    MENTOR_ALREADY_ASKED,
    MENTOR_ASKED,
    MENTOR_UNCONFIRMED,
    NOT_SET_UP,
    POST_HELD_BACK,
    POST_KEPT_PRIVATE,
)
from cogs.crisis.cog import DM_REPLY
from cogs.crisis.senders import FOLLOW_UP_DM
from tests.conftest import (
    World,
    database_unavailable,
    deliveries_settled,
    gateway_caught_up,
    handlers_finished,
    start_bot,
)
from tests.test_checkins_e2e import (
    Group,
    ask_a_mentor,
    checkin_options,
    configure,
    next_in,
)

CRISIS_NOTE = "I can't go on. I want to die."
CHOICES = ("crisis:share:{}:private", "crisis:share:{}:bare", "crisis:share:{}:full")


async def crisis_checkin(world: World, share: str, note: str = CRISIS_NOTE) -> InteractionResult:
    sandbox = world.sandbox
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share=share, mood=1))  # fmt: skip
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": note})
    await sandbox.wait_for(lambda: len(result.messages) == 2, what="the choice")
    return result


def choice_message(result: InteractionResult) -> Message:
    card, choice = result.messages
    assert card.ephemeral
    assert card.embeds[0]["title"] == CRISIS_TITLE
    assert choice.ephemeral
    assert "nothing has been posted" in choice.text
    [checkin_id] = {custom_id.split(":")[2] for custom_id in choice.custom_ids()}
    assert choice.custom_ids() == [c.format(checkin_id) for c in CHOICES]
    return choice


def pick(choice: Message, which: str) -> str:
    return next(c for c in choice.custom_ids() if c.endswith(f":{which}"))


async def stored_share(running: Runtime) -> tuple[str, str | None, bool | None]:
    async with running.sessions() as session:
        row = await session.scalar(select(Checkin))
    assert row is not None
    stored = open_checkin(running.services.keyring, row)  # it is all sealed
    assert stored is not None
    return stored.share, stored.held_for, stored.note_shared


# ----- never broadcast a crisis (R25) -----


@pytest.mark.parametrize("share", ["named", "anonymous"])
async def test_a_shared_crisis_note_stays_private_if_the_member_does_nothing(
    running: Runtime, world: World, clock: FakeClock, share: str
) -> None:
    group = await configure(running, world)
    result = await crisis_checkin(world, share)
    choice = choice_message(result)
    assert await stored_share(running) == ("private", share, None)
    await clock.advance(timedelta(hours=2))
    await deliveries_settled(running, clock)
    assert world.sandbox.channel_messages(group.checkins) == []
    await clock.advance(timedelta(days=1))
    late = await world.sandbox.click(world.member, choice, pick(choice, "full"))
    assert "stayed private" in late.text
    await clock.advance(timedelta(minutes=11))  # past an anonymous post's longest delay
    await handlers_finished()
    await deliveries_settled(running, clock)
    assert world.sandbox.channel_messages(group.checkins) == []
    assert (await stored_share(running))[0] == "private"


async def test_named_shared_as_written_carries_a_pointer_and_mentors_get_its_link(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    choice = choice_message(await crisis_checkin(world, "named"))
    assert sandbox.channel_messages(group.checkins) == []
    assert sandbox.channel_messages(group.mentors) == []  # no "we don't know who" alert
    assert str(world.member.id) not in " ".join(choice.custom_ids())

    forged = await sandbox.click(world.other_member, choice, pick(choice, "full"))
    assert forged.text == "Only the person who wrote this check-in can choose."
    assert sandbox.channel_messages(group.checkins) == []

    shared = await sandbox.click(world.member, choice, pick(choice, "full"))
    assert shared.text == f"Shared in <#{group.checkins.id}> as **Sam**."
    [post] = sandbox.channel_messages(group.checkins)
    assert post.embeds[0]["title"] == "Check-in from Sam"
    assert post.embeds[0]["description"] == CRISIS_NOTE
    assert "`/crisis` lists lines that answer right now" in post.text
    alert = await next_in(sandbox, group.mentors)
    assert f"/channels/{world.guild.id}/{group.checkins.id}/{post.id}" in alert.text
    assert "Someone in the group" not in alert.text
    assert "call 911" in alert.text
    assert await stored_share(running) == ("named", None, True)

    again = await sandbox.click(world.member, choice, pick(choice, "bare"))
    assert again.text.startswith("You've already chosen")
    assert len(sandbox.channel_messages(group.checkins)) == 1


async def test_named_shared_without_the_note(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    choice = choice_message(await crisis_checkin(world, "named"))
    shared = await sandbox.click(world.member, choice, pick(choice, "bare"))
    assert shared.text == f"Shared without your note in <#{group.checkins.id}> as **Sam**."
    [post] = sandbox.channel_messages(group.checkins)
    assert "description" not in post.embeds[0]
    assert "die" not in post.text
    assert "/crisis" not in post.text
    await handlers_finished()
    assert sandbox.channel_messages(group.mentors) == []  # an alert now would point at Sam


async def test_named_kept_private_alerts_mentors_without_a_name(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    choice = choice_message(await crisis_checkin(world, "named"))
    kept = await sandbox.click(world.member, choice, pick(choice, "private"))
    assert kept.text.startswith("Okay, it stays private.")
    alert = await next_in(sandbox, group.mentors)
    assert "Someone in the group" in alert.text
    assert "If you think someone is in immediate danger, call 911." in alert.text
    assert "Sam" not in alert.text
    await handlers_finished()
    assert sandbox.channel_messages(group.checkins) == []
    assert await stored_share(running) == ("private", None, None)


@pytest.mark.parametrize("which", ["full", "bare", "private"])
async def test_anonymous_is_held_then_follows_the_delayed_path(
    running: Runtime, world: World, clock: FakeClock, which: str
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    choice = choice_message(await crisis_checkin(world, "anonymous"))
    alert = await next_in(sandbox, group.mentors)  # anonymous either way: sent at once
    assert "Someone in the group" in alert.text
    await clock.advance(timedelta(minutes=10))
    await deliveries_settled(running, clock)
    assert sandbox.channel_messages(group.checkins) == []  # nothing before the choice

    chosen = await sandbox.click(world.member, choice, pick(choice, which))
    if which == "private":
        assert chosen.text.startswith("Okay, it stays private.")
    else:
        assert "It will appear" in chosen.text
        assert chosen.messages[0].custom_ids()[0].startswith("anon:withdraw:")
        assert sandbox.channel_messages(group.checkins) == []  # the random delay still applies
    await clock.advance(timedelta(minutes=11))  # the delay: between 5 and 10 minutes
    if which == "private":
        await deliveries_settled(running, clock)
        assert sandbox.channel_messages(group.checkins) == []
        assert (await stored_share(running))[0] == "private"
        return
    post = await next_in(sandbox, group.checkins)
    assert post.interaction_id is None
    assert "Sam" not in post.text
    if which == "full":
        assert post.embeds[0]["description"] == CRISIS_NOTE
        assert "`/crisis` lists lines that answer right now" in post.text
    else:
        assert "description" not in post.embeds[0]
        assert "/crisis" not in post.text


async def test_the_choice_survives_a_restart(
    bot_settings: Settings, world: World, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        group = await configure(running, world)
        choice = choice_message(await crisis_checkin(world, "named"))
    async with start_bot(bot_settings, clock, keyring=keyring):
        shared = await world.sandbox.click(world.member, choice, pick(choice, "bare"))
        assert shared.text.startswith("Shared without your note")
        assert len(world.sandbox.channel_messages(group.checkins)) == 1


# ----- the card (R18) -----


def _links(text: str) -> list[str]:
    return re.findall(r"\S*(?:\.org|\.net|\.gov|\.com)\S*", text)


async def test_the_card_is_the_same_everywhere_with_tappable_links_and_no_database(
    running: Runtime, world: World, clock: FakeClock, bot_settings: Settings
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    in_server = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    card = in_server.embeds[0]
    links = _links(in_server.text)
    assert "https://www.veteranscrisisline.net/get-help-now/chat/" in links
    assert "https://988lifeline.org/chat" in links
    assert all(link.startswith("https://") for link in links), links
    assert "nobody watches this bot around the clock" in card["description"]
    assert "911" in in_server.text
    assert in_server.custom_ids() == ["crisis:mentor"]

    await clock.advance(timedelta(seconds=10))  # past the settings cache: nothing in memory
    async with database_unavailable(bot_settings):
        down = await sandbox.slash(world.member, world.general, "crisis", timeout=3)
        assert down.messages[0].embeds[0] == card
        written = await sandbox.dm_bot(world.member, "i want to kill myself")
        await sandbox.wait_for(lambda: bool(sandbox.replies_in_dm(world.member, written)))
        [reply] = sandbox.replies_in_dm(world.member, written)
        assert reply.embeds[0] == card  # in DMs too
        assert reply.custom_ids() == []  # no server to ask a mentor in

    await sandbox.slash(world.member, world.general, "settings timezone", zone="America/New_York")
    await sandbox.slash(world.member, world.general, "checkin prompt", at="8pm")
    await clock.advance(timedelta(hours=11))
    await sandbox.wait_for(
        lambda: any("How are you" in m.text for m in sandbox.dms_to(world.member))
    )
    prompt = next(m for m in sandbox.dms_to(world.member) if "How are you" in m.text)
    shown = await sandbox.click(world.member, prompt, "crisis:card")
    assert shown.messages[0].embeds[0] == card


# ----- DMs to the bot -----


async def test_a_dm_gets_the_card_or_one_short_pointer_and_is_never_logged(
    running: Runtime, world: World, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = world.sandbox
    caplog.set_level(logging.INFO)  # R17: nothing of a DM at INFO and above
    hello = await sandbox.dm_bot(world.member, "hey canary-7d1f, what's up")
    await sandbox.wait_for(lambda: bool(sandbox.replies_in_dm(world.member, hello)))
    [pointer] = sandbox.replies_in_dm(world.member, hello)
    assert pointer.text == DM_REPLY
    assert "`/help`" in pointer.text
    assert "`/crisis`" in pointer.text

    chatty = await sandbox.dm_bot(world.member, "also canary-7d1f, one more thing")
    await gateway_caught_up(world)
    assert sandbox.replies_in_dm(world.member, chatty) == []  # once an hour, not every message

    crisis = await sandbox.dm_bot(world.member, "canary-7d1f I'm going to end my life tonight")
    await sandbox.wait_for(lambda: bool(sandbox.replies_in_dm(world.member, crisis)))
    [card] = sandbox.replies_in_dm(world.member, crisis)
    assert card.embeds[0]["title"] == CRISIS_TITLE  # the rate limit never holds back the card

    await clock.advance(timedelta(hours=1, minutes=1))
    later = await sandbox.dm_bot(world.member, "thanks")
    await sandbox.wait_for(lambda: bool(sandbox.replies_in_dm(world.member, later)))
    assert "canary-7d1f" not in caplog.text


# ----- every free text is checked (R25) -----


async def test_meds_note_and_reminder_text_get_the_card_alongside_the_answer(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    logged = await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                                 dose="50 mg", note="what's the point, I want to die")  # fmt: skip
    await sandbox.wait_for(lambda: len(logged.messages) == 2, what="both answers")
    assert logged.messages[0].embeds[0]["title"] == CRISIS_TITLE
    assert logged.messages[1].text.startswith("Noted: Sertraline, 50 mg")
    reminded = await sandbox.slash(world.member, world.general, "remind add",
                                   what="say goodbye to everyone", when="tomorrow 9am")  # fmt: skip
    await sandbox.wait_for(lambda: len(reminded.messages) == 2, what="both answers")
    assert reminded.messages[0].embeds[0]["title"] == CRISIS_TITLE
    assert "remind you" in reminded.messages[1].text.casefold()
    calm = await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                               dose="75 mg", note="Dr. Lee raised it")  # fmt: skip
    assert CRISIS_TITLE not in calm.text


# ----- the mentor path (R26) -----


async def mentor_request(world: World, group: Group) -> Message:
    card = (await world.sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await world.sandbox.click(world.member, card, "crisis:mentor")
    assert f"<#{group.mentors.id}>" in who.text
    assert "**Mentor** role" in who.text
    assert "**Sam**" in who.text
    assert world.sandbox.channel_messages(group.mentors) == []  # nothing before the yes
    sent = await world.sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
    assert "let the group's peer mentors know" in sent.text
    request = await next_in(world.sandbox, group.mentors, "asked for a peer mentor")
    assert request.pings() == (set(), {group.mentor_role.id}, False)
    [claim] = request.custom_ids()
    assert re.fullmatch(r"mentor:claim:\d+", claim)
    assert str(world.member.id) not in claim
    return request


async def test_the_first_mentor_to_claim_has_it_and_the_member_is_told(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    request = await mentor_request(world, group)
    [claim] = request.custom_ids()
    with pytest.raises(SandboxError, match="can't see #mentors"):
        await sandbox.click(world.other_member, request, claim)  # the channel is closed to them
    refused = await sandbox.click(world.moderator, request, claim)  # sees the channel, no role
    assert refused.text == "Only peer mentors (the mentor role) can take a request."
    first = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    won = await sandbox.click(first, request, claim)
    assert won.text.startswith("Thank you. It's yours")
    assert f"<@{first.id}> is reaching out" in request.content
    assert request.custom_ids() == []
    [dm] = sandbox.dms_to(world.member)
    assert "**Jordan**, one of the group's peer mentors, has your request" in dm.text

    await clock.advance(timedelta(minutes=20))
    await deliveries_settled(running, clock)
    assert len(sandbox.channel_messages(group.mentors)) == 1  # no second ping
    assert len(sandbox.dms_to(world.member)) == 1


async def test_a_second_press_of_a_stale_button_says_it_is_claimed(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    request = await mentor_request(world, group)
    [claim] = request.custom_ids()
    stale = copy.copy(request)  # a client that still shows the button
    first = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    second = await sandbox.create_member(world.guild, "Casey", roles=[group.mentor_role])
    await sandbox.click(first, request, claim)
    again = await sandbox.click(second, stale, claim)
    assert again.text == f"Thank you. <@{first.id}> already has this one."


async def test_nobody_claims_in_15_minutes_so_the_role_is_pinged_again_and_the_member_gets_lines(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    request = await mentor_request(world, group)
    await clock.advance(timedelta(minutes=14))
    await deliveries_settled(running, clock)
    assert len(sandbox.channel_messages(group.mentors)) == 1
    assert sandbox.dms_to(world.member) == []
    await clock.advance(timedelta(minutes=2))
    ping = await next_in(sandbox, group.mentors, "still open")
    assert ping.pings() == (set(), {group.mentor_role.id}, False)
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the member's DM")
    [dm] = sandbox.dms_to(world.member)
    assert dm.content == FOLLOW_UP_DM
    assert dm.embeds[0]["title"] == CRISIS_TITLE
    await clock.advance(timedelta(hours=1))
    await deliveries_settled(running, clock)
    assert len(sandbox.channel_messages(group.mentors)) == 2  # once more, only once
    assert len(sandbox.dms_to(world.member)) == 1
    assert request.custom_ids()  # still claimable


async def test_a_failing_dm_is_retried_without_pinging_the_mentors_again(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """R30: the follow-up's ping went out but the member's DM hits ten minutes of 503s. The
    DM is retried until it arrives; the ping is never sent again (counted in POSTs per
    nonce: a repeat inside the nonce window would not show as a second message)."""
    sandbox = world.sandbox
    group = await configure(running, world)
    await mentor_request(world, group)
    dm_channel = sandbox.dm_channel(world.member)
    sandbox.fail_next("POST", rf"^/channels/{dm_channel.id}/messages$", 503, times=None)
    await clock.advance(timedelta(minutes=16))
    await next_in(sandbox, group.mentors, "still open")
    for _ in range(20):
        await clock.advance(timedelta(seconds=30))
        await deliveries_settled(running, clock)
    assert sandbox.dms_to(world.member) == []
    assert sandbox.injected_failures > 1  # tried again, and again
    sandbox.recover()
    for _ in range(12):
        if sandbox.dms_to(world.member):
            break
        await clock.advance(timedelta(seconds=30))
        await deliveries_settled(running, clock)
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the member's DM")
    assert len(sandbox.channel_messages(group.mentors)) == 2  # the request, one follow-up
    [ping_nonce] = [nonce for nonce in sandbox.posts_by_nonce if str(nonce).endswith("-ping")]
    assert sandbox.posts_by_nonce[ping_nonce] == 1
    assert len(sandbox.dms_to(world.member)) == 1


async def ask_for_a_mentor(world: World) -> InteractionResult:
    card = (await world.sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await world.sandbox.click(world.member, card, "crisis:mentor")
    return await world.sandbox.click(
        world.member, who.messages[0], "crisis:mentor:send", timeout=15
    )


async def test_a_request_whose_answer_was_lost_is_posted_once(
    running: Runtime, world: World
) -> None:
    """Discord posts the request, then the connection drops before the bot hears back. The
    retry carries the same nonce, so Discord hands back the first message: one request in
    the channel, and the member is told it went out."""
    sandbox = world.sandbox
    group = await configure(running, world)
    sandbox.drop_next("POST", rf"/channels/{group.mentors.id}/messages")
    told = await ask_for_a_mentor(world)
    assert told.text.startswith(MENTOR_ASKED)
    await handlers_finished()
    requests = [m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()]
    assert len(requests) == 1
    assert sandbox.posts_by_nonce[requests[0].nonce or ""] == 2  # sent twice, posted once


async def test_a_request_discord_never_confirmed_is_kept_and_followed_up(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Every try of the request's send is cut: the bot can't know whether the mentors saw
    it. It keeps the request as possibly sent: the member is told so (not that requests
    aren't set up). Asking again sends that same request again (under its nonce, so never
    a second copy) rather than saying the mentors know, and 15 minutes on the role is
    pinged once more and the member gets the lines."""
    sandbox = world.sandbox
    group = await configure(running, world)
    sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", 0, times=3)
    told = await ask_for_a_mentor(world)
    assert told.text.startswith(MENTOR_UNCONFIRMED), told.text
    assert sandbox.channel_messages(group.mentors) == []
    again = await ask_for_a_mentor(world)
    assert again.text.startswith(MENTOR_ASKED), again.text
    assert len([m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()]) == 1
    assert (await ask_for_a_mentor(world)).text == MENTOR_ALREADY_ASKED  # now it's there
    await clock.advance(timedelta(minutes=16))
    ping = await next_in(sandbox, group.mentors, "still open")
    assert ping.pings() == (set(), {group.mentor_role.id}, False)
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the member's DM")
    [dm] = sandbox.dms_to(world.member)
    assert dm.content == FOLLOW_UP_DM


async def test_a_request_discord_never_confirmed_is_posted_by_the_scheduler_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Every try of the press is cut before Discord takes it, and the member does not ask
    again: a minute on, the scheduler posts the request (name, ping, claim button), once."""
    sandbox = world.sandbox
    group = await configure(running, world)
    sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", 0, times=3)
    told = await ask_for_a_mentor(world)
    assert told.text.startswith(MENTOR_UNCONFIRMED), told.text
    assert sandbox.channel_messages(group.mentors) == []
    await clock.advance(timedelta(minutes=2))
    request = await next_in(sandbox, group.mentors, "asked for a peer mentor")
    assert "Sam" in request.text
    assert request.pings() == (set(), {group.mentor_role.id}, False)
    await clock.advance(timedelta(minutes=2))
    await deliveries_settled(running, clock)
    assert [m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()] == [request]
    assert (await ask_for_a_mentor(world)).text == MENTOR_ALREADY_ASKED


async def test_a_request_confirmed_on_the_press_is_not_posted_again_by_the_scheduler(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    told = await ask_for_a_mentor(world)
    assert told.text.startswith(MENTOR_ASKED), told.text
    await clock.advance(timedelta(minutes=5))
    await deliveries_settled(running, clock)
    assert len([m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()]) == 1


async def test_an_unconfirmed_request_is_not_posted_once_requests_go_elsewhere(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The member agreed to #mentors; the press was never confirmed; moderators then move
    requests to another channel. The scheduler posts it in neither."""
    sandbox = world.sandbox
    group = await configure(running, world)
    sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", 0, times=3)
    told = await ask_for_a_mentor(world)
    assert told.text.startswith(MENTOR_UNCONFIRMED), told.text
    support = await sandbox.create_channel(
        world.guild, "support", private_to=[group.mentor_role, world.moderator_role]
    )
    await running.services.guild_settings.set_channel(
        world.guild.id, world.moderator.id, "mentors_channel_id", support.id
    )
    await clock.advance(timedelta(minutes=2))
    await deliveries_settled(running, clock)
    assert sandbox.channel_messages(group.mentors) == []
    assert [m for m in sandbox.channel_messages(support) if "Sam" in m.text] == []
    # Fifteen minutes on: the lines by DM, and no ping about a request nobody can see.
    await clock.advance(timedelta(minutes=14))
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the member's DM")
    assert sandbox.dms_to(world.member)[0].content == FOLLOW_UP_DM
    assert sandbox.channel_messages(group.mentors) == []
    assert sandbox.channel_messages(support) == []


async def test_a_yes_after_requests_moved_asks_again_and_the_new_yes_posts_there(
    running: Runtime, world: World
) -> None:
    """The yes is bound to the channel the offer named: requests moved meanwhile, so Sam is
    told privately, nothing is posted, and Sam is shown where it would go now."""
    sandbox = world.sandbox
    group = await configure(running, world)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    support = await sandbox.create_channel(
        world.guild, "support", private_to=[group.mentor_role, world.moderator_role]
    )
    await running.services.guild_settings.set_channel(
        world.guild.id, world.moderator.id, "mentors_channel_id", support.id
    )
    moved = await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
    assert "haven't posted anything" in moved.text, moved.text
    assert f"<#{support.id}>" in moved.text, moved.text
    await handlers_finished()
    assert sandbox.channel_messages(group.mentors) == []
    assert sandbox.channel_messages(support) == []
    sent = await sandbox.click(world.member, moved.messages[0], "crisis:mentor:send")
    assert sent.text.startswith(MENTOR_ASKED), sent.text
    await next_in(sandbox, support, "asked for a peer mentor")


async def test_a_second_ping_that_keeps_failing_does_not_hold_up_the_members_lines(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The mentors' channel cuts every connection for a while: the member's DM goes out at
    15 minutes all the same, and the ping is retried until it lands, once; the DM is not
    sent again."""
    sandbox = world.sandbox
    group = await configure(running, world)
    await mentor_request(world, group)
    sandbox.fail_next("POST", rf"^/channels/{group.mentors.id}/messages$", 0, times=None)
    await clock.advance(timedelta(minutes=16))
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the member's DM")
    assert len(sandbox.channel_messages(group.mentors)) == 1  # the request alone, so far
    sandbox.recover()
    for _ in range(12):
        if len(sandbox.channel_messages(group.mentors)) == 2:
            break
        await clock.advance(timedelta(seconds=30))
        await deliveries_settled(running, clock)
    await next_in(sandbox, group.mentors, "still open")
    await clock.advance(timedelta(hours=1))
    await deliveries_settled(running, clock)
    assert len(sandbox.channel_messages(group.mentors)) == 2
    assert len(sandbox.dms_to(world.member)) == 1


async def test_the_follow_up_survives_a_restart(
    bot_settings: Settings, world: World, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        group = await configure(running, world)
        await mentor_request(world, group)
    await clock.advance(timedelta(minutes=16))  # while the bot is down
    async with start_bot(bot_settings, clock, keyring=keyring):
        await next_in(world.sandbox, group.mentors, "still open")
        await world.sandbox.wait_for(lambda: bool(world.sandbox.dms_to(world.member)))


async def test_no_named_request_without_a_role_or_with_requests_off(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    settings = running.services.guild_settings
    await settings.set_role(world.guild.id, world.moderator.id, "mentor_role_id", None)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    refused = await sandbox.click(world.member, card, "crisis:mentor")
    assert refused.text == NOT_SET_UP
    await settings.set_role(world.guild.id, world.moderator.id, "mentor_role_id",
                            group.mentor_role.id)  # fmt: skip
    await settings.set_mentor_requests(world.guild.id, world.moderator.id, on=False, problems=[])
    off = await sandbox.click(world.member, card, "crisis:mentor")
    assert off.text == NOT_SET_UP
    assert sandbox.channel_messages(group.mentors) == []


async def test_setup_refuses_named_requests_when_everyone_can_read_the_mentors_channel(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    guild, mod = world.guild, world.moderator
    mentors = await sandbox.create_channel(guild, "mentors")  # readable by @everyone
    settings = running.services.guild_settings
    await settings.set_channel(guild.id, mod.id, "mentors_channel_id", mentors.id)
    refused = await sandbox.slash(mod, world.general, "setup mentor-requests", turn="on")
    assert "I can't turn on named mentor requests yet" in refused.text
    assert "a mentor role" in refused.text
    assert "a mentors' channel that @everyone can't read" in refused.text
    shown = await sandbox.slash(mod, world.general, "setup show")
    assert "off. To turn them on, this server needs a mentor role" in shown.text
    assert "@everyone can't read" in shown.text

    role = await sandbox.create_role(guild, "Mentor")
    await settings.set_role(guild.id, mod.id, "mentor_role_id", role.id)
    await sandbox.set_overwrite(mentors, guild.everyone, deny=1 << 10)
    unread = await sandbox.slash(mod, world.general, "setup mentor-requests", turn="on")
    assert "a mentors' channel the Mentor role can read" in unread.text  # a ping to nobody
    await sandbox.set_overwrite(mentors, role, allow=1 << 10)
    blind = await sandbox.slash(mod, world.general, "setup mentor-requests", turn="on")
    assert "a mentors' channel Muster can post in" in blind.text  # hidden from the bot too
    await sandbox.set_overwrite(mentors, guild.members[sandbox.bot_user.id], allow=1 << 10)
    turned = await sandbox.slash(mod, world.general, "setup mentor-requests", turn="on")
    assert turned.text.startswith("Named mentor requests are on.")
    assert (await settings.get(guild.id)).mentor_requests

    await sandbox.set_overwrite(mentors, guild.everyone, allow=1 << 10)  # opened up again
    shown = await sandbox.slash(mod, world.general, "setup show")
    assert "paused: this server needs a mentors' channel that @everyone can't read" in shown.text
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    refused_at_click = await sandbox.click(world.member, card, "crisis:mentor")
    assert refused_at_click.text == NOT_SET_UP


async def test_a_slow_save_keeps_a_shared_crisis_note_private(
    running: Runtime, world: World
) -> None:
    group = await configure(running, world)
    running.services.checkins.save_wait = 0  # the member is answered before the save ends
    sandbox = world.sandbox
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named", mood=1))  # fmt: skip
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": CRISIS_NOTE})
    await sandbox.wait_for(lambda: len(result.messages) == 2, what="the held notice")
    assert "It will stay private; nothing is posted." in result.messages[1].text
    await handlers_finished()
    assert sandbox.channel_messages(group.checkins) == []
    assert await stored_share(running) == ("private", "named", None)


async def test_a_claim_for_a_member_with_closed_dms_says_so_and_is_remembered(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    pat = await sandbox.create_member(world.guild, "Pat", dms_open=False)
    card = (await sandbox.slash(pat, world.general, "crisis")).messages[0]
    who = await sandbox.click(pat, card, "crisis:mentor")
    await sandbox.click(pat, who.messages[0], "crisis:mentor:send")
    request = await next_in(sandbox, group.mentors, "asked for a peer mentor")
    mentor = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    won = await sandbox.click(mentor, request, request.custom_ids()[0])
    assert "I couldn't DM them to say so" in won.text
    async with running.sessions() as session:
        settings = await session.get(MemberSettings, pat.id)
    assert settings is not None
    assert settings.dms_closed_at is not None  # not tried again (R9)


async def test_a_dm_edit_gets_one_card_for_each_wording_and_none_for_calm_words(
    running: Runtime, world: World
) -> None:
    """Discord sends MESSAGE_UPDATE again for the same words (an embed unfurled): one card
    per wording. An edit into calm words gets nothing more."""
    sandbox = world.sandbox
    written = await sandbox.dm_bot(world.member, "i want to kill myself")
    await sandbox.wait_for(lambda: bool(sandbox.replies_in_dm(world.member, written)))

    async def edit(content: str) -> None:
        await sandbox.edit_dm(written, content)
        await gateway_caught_up(world)

    def cards() -> int:
        replies = sandbox.replies_in_dm(world.member, written)
        return sum(e.get("title") == CRISIS_TITLE for m in replies for e in m.embeds)

    assert cards() == 1
    await edit("i want to kill myself")
    await edit("sorry, never mind, all good")
    assert cards() == 1
    await edit("i'm going to end my life tonight")
    await edit("i'm going to end my life tonight")
    assert cards() == 2
    assert not any(m.content == DM_REPLY for m in sandbox.replies_in_dm(world.member, written))


async def test_a_worrying_anonymous_post_waiting_at_a_mentor_request_stays_private(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam posts anonymously that he is not sober today (what brings the mentor offer), then
    asks for a mentor by name while it waits. Held back, it would still be the one worrying
    post after his request: it is kept private, and he is told. Riley's post goes out."""
    sandbox = world.sandbox
    group = await configure(running, world)
    slip = await sandbox.slash(
        world.member, world.general, "checkin now",
        **checkin_options(share="anonymous", mood=3, sober="no"),
    )  # fmt: skip
    assert "It will appear" in slip.text, slip.text
    await sandbox.slash(world.other_member, world.general, "checkin now",
                        **checkin_options(share="anonymous", mood=2))  # fmt: skip
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    asked = await ask_a_mentor(sandbox, world.member, card)
    assert asked.text == f"{MENTOR_ASKED}\n\n{POST_KEPT_PRIVATE}", asked.text
    assert POST_HELD_BACK not in asked.text
    await clock.advance(timedelta(hours=5))  # past the longest hold-back
    await deliveries_settled(running, clock)
    [post] = sandbox.channel_messages(group.checkins)  # Riley's alone
    assert "2 · Low" in post.text, post.text
    assert "Sober today\nYes" in post.text, post.text
    async with running.sessions() as session:
        rows = list(await session.scalars(select(AnonymousPost)))
    assert [row.state for row in rows] == ["posted"], rows  # nothing of Sam's is left


async def test_a_worrying_post_written_before_the_scheduler_posts_the_request_is_kept_and_told(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The press's request never reached the mentors (every try cut); Sam then checks in
    anonymously, not sober. When the scheduler posts his request a minute on, that waiting
    post is kept private like one waiting at the press, and, since nobody told him on the
    press, he is told by DM."""
    sandbox = world.sandbox
    group = await configure(running, world)
    sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", 0, times=3)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    told = await ask_a_mentor(sandbox, world.member, card)
    assert told.text.startswith(MENTOR_UNCONFIRMED), told.text
    await sandbox.slash(
        world.member, world.general, "checkin now",
        **checkin_options(share="anonymous", mood=3, sober="no"),
    )  # fmt: skip
    await clock.advance(timedelta(minutes=2))
    await next_in(sandbox, group.mentors, "asked for a peer mentor")
    await sandbox.wait_for(
        lambda: any(m.content == POST_KEPT_PRIVATE for m in sandbox.dms_to(world.member)),
        what="the DM saying the post stays private",
    )
    await clock.advance(timedelta(hours=5))
    await deliveries_settled(running, clock)
    assert sandbox.channel_messages(group.checkins) == []
