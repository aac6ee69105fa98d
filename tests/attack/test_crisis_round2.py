"""Red-team attacks on the crisis-safety promise, second round (R18, R25, R26, issue 11).

Each test asserts the promise as the member (or a mentor) would see it, so it fails while
the promise is broken; the ones that hold stay as regression tests.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import InteractionResult
from bot.services.crisis import CRISIS_TITLE
from bot.ui.crisis import NOT_SET_UP
from tests.conftest import World, database_unavailable, start_bot
from tests.test_attacker import _message_time
from tests.test_checkins_e2e import checkin_options, configure, next_in
from tests.test_crash_recovery import bot_process
from tests.test_crisis_flow_e2e import (
    CRISIS_NOTE,
    choice_message,
    crisis_checkin,
    mentor_request,
    pick,
)

VIEW_CHANNEL = 1 << 10
# Invisible characters Discord keeps in a message: INVISIBLE SEPARATOR, INVISIBLE TIMES,
# ARABIC LETTER MARK (typed by Arabic keyboards), and a bidirectional isolate.
INVISIBLE = {"u2063": "\u2063", "u2062": "\u2062", "u061c": "\u061c", "u2066": "\u2066"}


def titles(result: InteractionResult) -> list[str | None]:
    return [embed.get("title") for m in result.messages for embed in m.embeds]


# ----- invisible characters inside the crisis words (R25: the card, at once) -----


@pytest.mark.parametrize("share", ["named", "anonymous"])
async def test_a_shared_crisis_note_with_an_invisible_character_shows_the_card_before_the_choice(
    running: Runtime, world: World, share: str
) -> None:
    """The note reads "I want to kill myself" on screen, with an invisible separator inside
    "kill". The check-in service cleans the note and holds it back as a crisis note ("some
    words in your note..."), but the card is decided on the raw text: the member is offered
    "Share it as written" without ever being shown the crisis lines (and, anonymous, the
    mentors get no alert either)."""
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share=share, mood=1))  # fmt: skip
    note = "Rough night. I want to k\u2063ill my\u2063self."
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": note})
    await sandbox.wait_for(
        lambda: any("nothing has been posted" in m.text for m in result.messages),
        what="the held-back notice",
    )
    await asyncio.sleep(0.3)
    assert sandbox.channel_messages(group.checkins) == []
    assert CRISIS_TITLE in titles(result), [m.text[:80] for m in result.messages]


@pytest.mark.parametrize("invisible", list(INVISIBLE.values()), ids=list(INVISIBLE))
async def test_a_crisis_dm_with_an_invisible_character_gets_the_card(
    running: Runtime, world: World, invisible: str
) -> None:
    """The lexicon says it drops zero-width characters, and the check-in service does drop
    these; the DM path reads them as word breaks, so "k<invisible>ill" is no word at all."""
    sandbox = world.sandbox
    written = await sandbox.dm_bot(world.member, f"i want to k{invisible}ill myself tonight")
    await sandbox.wait_for(
        lambda: bool(sandbox.replies_in_dm(world.member, written)), what="a reply"
    )
    await asyncio.sleep(0.3)
    replies = sandbox.replies_in_dm(world.member, written)
    assert any(e.get("title") == CRISIS_TITLE for m in replies for e in m.embeds), [
        m.text for m in replies
    ]


# ----- crisis words split over fields -----


async def test_crisis_words_split_over_the_meds_fields_get_the_card(
    running: Runtime, world: World
) -> None:
    """/meds log medication: Zoloft, dose: the whole bottle, note: all at once. Each field
    alone is harmless; together they are an overdose plan. Each is checked on its own."""
    logged = await world.sandbox.slash(world.member, world.general, "meds log",
                                       medication="Zoloft", dose="the whole bottle",
                                       note="all at once")  # fmt: skip
    await asyncio.sleep(0.5)
    assert CRISIS_TITLE in titles(logged), [m.text[:80] for m in logged.messages]


async def test_a_crisis_note_at_the_end_of_a_full_length_note_is_held_back_with_the_card(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Regression: 1,000 characters (the form's limit) of everyday news, the crisis words
    last. The card comes, and nothing is posted."""
    sandbox = world.sandbox
    group = await configure(running, world)
    ending = " I want to kill myself."
    note = ("Long day at the shop, then the VA called about my claim. " * 20)[
        : 1000 - len(ending)
    ] + ending
    assert len(note) == 1000
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named", mood=2))  # fmt: skip
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": note})
    await sandbox.wait_for(lambda: len(result.messages) >= 2, what="the answers")
    assert CRISIS_TITLE in titles(result)
    await clock.advance(timedelta(hours=1))
    await asyncio.sleep(0.3)
    assert sandbox.channel_messages(group.checkins) == []


# ----- Discord flaky on the mentor request (R26, R27) -----


@pytest.mark.parametrize("status", [503, 0], ids=["503", "cut"])
async def test_a_mentor_request_that_meets_one_discord_error_still_reaches_the_mentors(
    running: Runtime, world: World, status: int
) -> None:
    """The member says "Yes, ask a mentor"; the post to the mentors' channel meets one 503
    (discord.py does not retry a 503) or one cut connection, before anything is posted. The
    request is dropped and the member is told the server hasn't set up mentor requests, a
    wrong reason that tells them not to try again; nobody is ever pinged or follows up."""
    sandbox = world.sandbox
    group = await configure(running, world)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", status, times=1)
    told = await sandbox.click(world.member, who.messages[0], "crisis:mentor:send", timeout=15)
    await asyncio.sleep(2.0)
    requests = [m for m in sandbox.channel_messages(group.mentors) if m.custom_ids()]
    assert told.text != NOT_SET_UP, "the member was told the server has no mentor requests"
    assert len(requests) == 1, told.text


# ----- the member deletes their data while the request is open -----


async def test_a_mentor_pressing_after_the_member_deleted_their_data_is_not_told_someone_has_it(
    running: Runtime, world: World
) -> None:
    """Sam asks for a mentor, then (worried about what is kept) runs /mydata delete. The
    request with Sam's name and its live "I'm reaching out" button is still in front of the
    mentors. The first mentor to press it is told "another mentor already has this one", so
    they stand down, although nobody has it."""
    sandbox = world.sandbox
    group = await configure(running, world)
    request = await mentor_request(world, group)
    asked = await sandbox.slash(world.member, world.general, "mydata delete")
    [question] = asked.messages
    await sandbox.click(world.member, question, "mydata:confirm")
    assert "1 mentor request" in question.content, question.content
    mentor = await sandbox.create_member(world.guild, "Jordan", roles=[group.mentor_role])
    if request.deleted or not request.custom_ids():
        return  # the request was taken down with the data: nobody is misled
    [claim] = request.custom_ids()
    pressed = await sandbox.click(mentor, request, claim)
    assert "already has this one" not in pressed.text, pressed.text


# ----- a mentor request from the card, then the held anonymous check-in shared -----

# A moderator who sees a named request and, within this, the only anonymous post around,
# ties the two (the delay is 5 to 10 minutes; the hold-back after a request, an hour or more).
LINKABLE = timedelta(minutes=30)


@pytest.mark.parametrize("which", ["bare", "full"])
async def test_a_mentor_request_from_the_card_of_a_held_anonymous_checkin_cannot_be_timed(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock, which: str
) -> None:
    """An anonymous check-in with a crisis note is held; the card above the choice offers a
    peer mentor. Sam presses it and says yes (a named request in the mentors' channel),
    then shares the check-in anonymously. The hold-back for posts made around a mentor
    request only moves posts already waiting, and this one did not exist yet: it appears
    within minutes of Sam's named request, the only anonymous post around."""
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="anonymous", mood=1))  # fmt: skip
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": CRISIS_NOTE})
    await sandbox.wait_for(lambda: len(result.messages) == 2, what="the choice")
    card, choice = result.messages
    await clock.advance(timedelta(seconds=20))
    who = await sandbox.click(world.member, card, "crisis:mentor")
    await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
    request = await next_in(sandbox, group.mentors, "asked for a peer mentor")
    await clock.advance(timedelta(seconds=20))
    chosen = await sandbox.click(world.member, choice, pick(choice, which))
    assert "It will appear" in chosen.text, chosen.text
    # Minute by minute for the first hour, so the post's time is the time it was due.
    for step in [timedelta(minutes=1)] * 60 + [timedelta(minutes=10)] * 24:
        await clock.advance(step)
        await asyncio.sleep(0.05)
        if sandbox.channel_messages(group.checkins):
            break
    post = await next_in(sandbox, group.checkins)
    gap = _message_time(post.id) - _message_time(request.id)
    assert gap > LINKABLE, f"Sam's anonymous post appeared {gap} after Sam's named mentor request"


# ----- a DM edited into crisis words -----


async def test_a_dm_edited_into_crisis_words_gets_the_card(running: Runtime, world: World) -> None:
    """A member DMs the bot, gets the short pointer, then edits that DM (as Discord lets
    anyone do) to say what they really meant. Discord sends the edit as MESSAGE_UPDATE; the
    bot reads only new messages, so the crisis words get no answer at all."""
    sandbox = world.sandbox
    written = await sandbox.dm_bot(world.member, "hey, quick question")
    await sandbox.wait_for(lambda: bool(sandbox.replies_in_dm(world.member, written)))
    [pointer] = sandbox.replies_in_dm(world.member, written)
    await sandbox.edit_dm(written, "i'm going to kill myself tonight")
    await asyncio.sleep(1.0)
    cards = [
        m for m in sandbox.replies_in_dm(world.member, pointer)
        if any(e.get("title") == CRISIS_TITLE for e in m.embeds)
    ]  # fmt: skip
    assert cards, [m.text for m in sandbox.replies_in_dm(world.member, written)]


# ----- the card is the same everywhere, the database down or not (R18) -----


async def test_the_daily_prompts_card_button_works_with_the_database_locked(
    running: Runtime, world: World, clock: FakeClock, bot_settings: Settings
) -> None:
    """Regression: the prompt's "Talk to someone now" pressed while the database is locked."""
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(world.member, world.general, "settings timezone", zone="America/New_York")
    await sandbox.slash(world.member, world.general, "checkin prompt", at="8pm")
    await clock.advance(timedelta(hours=11))
    await sandbox.wait_for(
        lambda: any("How are you" in m.text for m in sandbox.dms_to(world.member)),
        what="the daily prompt",
    )
    prompt = next(m for m in sandbox.dms_to(world.member) if "How are you" in m.text)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0].embeds[0]
    async with database_unavailable(bot_settings):
        shown = await sandbox.click(world.member, prompt, "crisis:card", timeout=3)
        assert shown.messages[0].embeds[0] == card


async def test_the_card_is_the_same_in_every_path_that_shows_it(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Regression: the card on a check-in, a medication note, a reminder and the 15-minute
    follow-up DM is the very card /crisis shows."""
    sandbox = world.sandbox
    group = await configure(running, world)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0].embeds[0]
    await mentor_request(world, group)  # first: it wants a quiet mentors' channel
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private", mood=1))  # fmt: skip
    checkin = await sandbox.submit_modal(world.member, shown, {"checkin:note": CRISIS_NOTE})
    meds = await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                               dose="50 mg", note="I want to die")  # fmt: skip
    reminder = await sandbox.slash(world.member, world.general, "remind add",
                                   what="say goodbye to everyone", when="tomorrow 9am")  # fmt: skip
    for result in (checkin, meds, reminder):
        await sandbox.wait_for(lambda r=result: len(r.messages) >= 2, what="both answers")
        assert result.messages[0].embeds == [card]
    await clock.advance(timedelta(minutes=16))
    await sandbox.wait_for(lambda: bool(sandbox.dms_to(world.member)), what="the follow-up DM")
    assert sandbox.dms_to(world.member)[0].embeds == [card]


# ----- the mentors' channel opened to one member after setup (R26) -----


async def test_a_named_request_is_not_posted_where_a_plain_member_was_let_in(
    running: Runtime, world: World
) -> None:
    """Named requests are on. A moderator then lets Riley, a plain member (no mentor role,
    no moderator), into the mentors' channel with a member overwrite. Sam asks for a mentor
    and is told "the rest of the group can't read that channel"; Sam's name is posted where
    Riley reads it."""
    sandbox = world.sandbox
    group = await configure(running, world)
    await sandbox.set_overwrite(group.mentors, world.other_member, allow=VIEW_CHANNEL)
    assert world.guild.permissions_in(world.other_member, group.mentors) & VIEW_CHANNEL
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    if who.messages and who.messages[0].custom_ids() == ["crisis:mentor:send"]:
        await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
        await asyncio.sleep(0.3)
    named = [m for m in sandbox.channel_messages(group.mentors) if "Sam" in m.text]
    assert named == [], (who.text, "Sam's name was posted in a channel Riley reads")


# ----- a 503 (which discord.py does not retry) on the crisis sends -----


async def test_a_crisis_dm_gets_the_card_even_if_the_first_send_meets_a_503(
    running: Runtime, world: World
) -> None:
    """The known break is a cut connection (an OSError the DM handler does not catch); a
    503 takes another path: the handler catches it as 'their DMs closed' and gives up."""
    sandbox = world.sandbox
    sandbox.fail_next("POST", r"/channels/\d+/messages", 503, times=1)
    written = await sandbox.dm_bot(world.member, "i want to kill myself")
    await asyncio.sleep(2.0)
    replies = sandbox.replies_in_dm(world.member, written)
    assert any(e.get("title") == CRISIS_TITLE for m in replies for e in m.embeds), [
        m.text for m in replies
    ]


async def test_the_nameless_mentor_alert_survives_one_503(running: Runtime, world: World) -> None:
    """The known break is a cut connection; a 503 is caught and only logged, the alert lost."""
    sandbox = world.sandbox
    group = await configure(running, world)
    sandbox.fail_next("POST", rf"/channels/{group.mentors.id}/messages", 503, times=1)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private", mood=1))  # fmt: skip
    await sandbox.submit_modal(world.member, shown, {"checkin:note": "I want to die."})
    alert = await next_in(sandbox, group.mentors, "Someone in the group")
    assert "Sam" not in alert.text


# ----- a crash while the named request is on its way -----


async def test_a_mentor_request_cut_short_by_a_crash_reaches_the_mentors_after_the_restart(
    bot_settings: Settings,
    world: World,
    clock: FakeClock,
    database: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The bot process dies (SIGKILL) while its post of Sam's named request to the mentors'
    channel is on the wire, before Discord took it. After the restart Sam presses "Yes, ask
    a mentor" again: they are told the mentors already know, and nothing is in the channel.
    Fifteen minutes later the role is pinged about "this request", which nobody can see."""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    keyring.write(tmp_path / "muster.keys.json")  # the file bot_process runs with
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        group = await configure(running, world)
    async with bot_process(tmp_path, world, database) as first:
        card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
        who = await sandbox.click(world.member, card, "crisis:mentor", timeout=10)
        stall = sandbox.stall_next(
            "POST", rf"/channels/{group.mentors.id}/messages", after_handling=False
        )
        await sandbox.click(world.member, who.messages[0], "crisis:mentor:send", wait=False)
        await asyncio.wait_for(stall.arrived.wait(), timeout=20)
        first.kill()
        await first.wait()
    assert sandbox.channel_messages(group.mentors) == []
    async with bot_process(tmp_path, world, database):
        again = await sandbox.click(world.member, who.messages[0], "crisis:mentor:send", timeout=15)
        await asyncio.sleep(2.0)
        requests = [
            m
            for m in sandbox.channel_messages(group.mentors)
            if "asked for a peer mentor" in m.text
        ]
        assert len(requests) == 1, again.text


# ----- the held-back choice pressed several times at once -----


@pytest.mark.parametrize(("share", "which"), [("named", "full"), ("anonymous", "bare")])
async def test_quick_presses_of_a_held_choice_share_the_checkin_once(
    running: Runtime, world: World, clock: FakeClock, share: str, which: str
) -> None:
    """The member taps "Share it as written" (or "Share without my note") repeatedly on a
    slow connection: three interactions at once. Each reads the check-in as still held,
    and each shares it."""
    sandbox = world.sandbox
    group = await configure(running, world)
    choice = choice_message(await crisis_checkin(world, share))
    presses = await asyncio.gather(
        *(sandbox.click(world.member, choice, pick(choice, which)) for _ in range(3))
    )
    for _ in range(3):  # past the anonymous delay (5 to 10 minutes)
        await clock.advance(timedelta(minutes=6))
        await asyncio.sleep(0.5)
    posts = sandbox.channel_messages(group.checkins)
    assert len(posts) == 1, [press.text for press in presses]


# ----- who will see the name (issue 11: "the button tells the member exactly who") -----


async def test_the_mentor_offer_names_everyone_who_will_read_the_members_name(
    running: Runtime, world: World
) -> None:
    """The mentors' channel is open to the Mentor role and to the Moderator role (as in
    every setup here). Sam is told "I'll post your name ... and ping the Mentor role there.
    The rest of the group can't read that channel", but Dana, a moderator without the
    mentor role, reads it: Sam is not told who will really see the name."""
    sandbox = world.sandbox
    group = await configure(running, world)
    assert world.guild.permissions_in(world.moderator, group.mentors) & VIEW_CHANNEL
    assert group.mentor_role not in world.moderator.roles
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    assert "moderator" in who.text.casefold(), who.text


# ----- the nameless alert tied to the member's own request by timing -----


async def test_a_mentor_request_right_after_a_private_crisis_checkin_does_not_name_the_alert(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam's private check-in has a crisis note: the mentors get the nameless alert at
    once. Sam then presses the card's "Ask a peer mentor" and is told "I won't pass on
    anything from your check-ins". Twenty seconds after the alert, Sam's named request
    lands under it: the mentors now know whose private check-in it was, and what it said
    in outline. Either the two must not be tied by timing, or Sam must not be told that
    nothing from the check-ins is passed on."""
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private", mood=1))  # fmt: skip
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": CRISIS_NOTE})
    await sandbox.wait_for(lambda: len(result.messages) >= 2, what="the answers")
    alert = await next_in(sandbox, group.mentors, "Someone in the group")
    await clock.advance(timedelta(seconds=20))
    card = result.messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
    request = await next_in(sandbox, group.mentors, "asked for a peer mentor")
    gap = _message_time(request.id) - _message_time(alert.id)
    promised = "won't pass on anything from your check-ins" in who.text
    assert not (promised and gap < LINKABLE), (
        f"Sam's named request came {gap} after the nameless alert about a check-in note, "
        f"and Sam was told: {who.text}"
    )


# ----- consent to one channel, the name posted in another -----


async def test_yes_to_a_mentor_request_posts_only_where_the_member_was_told(
    running: Runtime, world: World
) -> None:
    """Sam reads "I'll post your name in #mentors and ping the Mentor role there", and
    waits (the button never expires). Meanwhile moderators move requests to #support, a
    channel of a bigger "Volunteers" role. Sam presses "Yes, ask a mentor": the name goes
    to #support and the Volunteers, where Sam never agreed to it."""
    sandbox = world.sandbox
    group = await configure(running, world)
    card = (await sandbox.slash(world.member, world.general, "crisis")).messages[0]
    who = await sandbox.click(world.member, card, "crisis:mentor")
    assert f"<#{group.mentors.id}>" in who.text
    volunteers = await sandbox.create_role(world.guild, "Volunteers")
    support = await sandbox.create_channel(
        world.guild, "support", private_to=[volunteers, world.moderator_role]
    )
    settings = running.services.guild_settings
    mod = world.moderator.id
    await settings.set_channel(world.guild.id, mod, "mentors_channel_id", support.id)
    await settings.set_role(world.guild.id, mod, "mentor_role_id", volunteers.id)
    sent = await sandbox.click(world.member, who.messages[0], "crisis:mentor:send")
    await asyncio.sleep(0.3)
    named = [m for m in sandbox.channel_messages(support) if "Sam" in m.text]
    assert named == [], (sent.text, "Sam's name went to #support, not the #mentors Sam agreed to")
