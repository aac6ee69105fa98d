"""The check-in form (issue 14, "a check-in in one tap"), driven as a member would: opened by
`/checkin now` without options and by the daily prompt's button, submitted, and saved the
way the slash command with options saves it."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Checkin
from bot.runtime import Runtime
from bot.sandbox import InteractionResult
from bot.services.checkins import Share, StoredCheckin, open_checkin
from bot.services.crisis import CRISIS_TITLE
from bot.ui.crisis import HELD_BACK
from cogs.checkins.form import MOOD_ID, NOTE_ID, SHARE_ID, SLEEP_ID, TODAY_ID
from tests.conftest import World, deliveries_settled
from tests.test_checkins_e2e import VCL, checkin_options, configure, next_in


async def stored(running: Runtime) -> list[StoredCheckin]:
    async with running.sessions() as session:
        rows = (await session.scalars(select(Checkin))).all()
    opened = [open_checkin(running.services.keyring, row) for row in rows]
    assert all(item is not None for item in opened)
    return sorted((item for item in opened if item is not None), key=lambda item: item.at)


def parts(shown: InteractionResult) -> dict[str, dict[str, Any]]:
    """The form's labelled parts by custom id: the label, its description, the component."""
    assert shown.modal is not None
    found = {}
    for row in shown.modal["components"]:
        assert row["type"] == 18, "every part of the form is labelled"
        found[row["component"]["custom_id"]] = row
    return found


def defaults(part: dict[str, Any]) -> list[str]:
    return [o["value"] for o in part["component"].get("options", []) if o.get("default")]


async def test_checkin_now_without_options_opens_one_form_and_shares_by_name(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now")
    assert shown.modal is not None
    assert shown.modal["title"] == "Check in"
    form = parts(shown)
    assert list(form) == [MOOD_ID, SLEEP_ID, TODAY_ID, SHARE_ID, NOTE_ID]  # Discord's 5
    assert form[MOOD_ID]["label"] == "How are you feeling overall?"
    assert form[MOOD_ID]["component"]["options"][0]["label"] == "1 · Very low"
    assert [o["type"] for o in (row["component"] for row in form.values())] == [3, 3, 3, 3, 4]
    answer = await sandbox.submit_modal(world.member, shown, {
        MOOD_ID: "4", SLEEP_ID: "7", TODAY_ID: "mild:yes", SHARE_ID: "named",
        NOTE_ID: "Good day at work",
    })  # fmt: skip
    assert answer.ephemeral
    assert answer.text == f"Saved and shared in <#{group.checkins.id}> as **Sam**."
    [post] = sandbox.channel_messages(group.checkins)
    embed = post.embeds[0]
    assert embed["title"] == "Check-in from Sam"
    assert embed["description"] == "Good day at work"
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "Mood": "4 · Good", "Sleep": "7 hours", "Cravings": "Mild", "Sober today": "Yes",
    }  # fmt: skip
    [saved] = await stored(running)
    assert (saved.share, saved.guild_id) == ("named", world.guild.id)
    content = saved.content
    assert (content.mood, content.sleep_hours, content.cravings, content.sober) == (
        4, 7.0, "mild", "yes",
    )  # fmt: skip
    assert content.note == "Good day at work"


async def test_an_anonymous_checkin_through_the_form_appears_later_like_the_slash_one(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now")
    answer = await sandbox.submit_modal(world.member, shown, {
        MOOD_ID: "3", SLEEP_ID: "poor", TODAY_ID: "none:skip", SHARE_ID: "anonymous",
    })  # fmt: skip
    assert "It will appear in" in answer.text
    assert "in 5 to 10 minutes (this server's delay" in answer.text
    [message] = answer.messages
    assert message.custom_ids()[0].startswith("anon:withdraw:")  # the same answer's button
    assert sandbox.channel_messages(group.checkins) == []
    await clock.advance(timedelta(minutes=11))
    post = await next_in(sandbox, group.checkins)
    assert post.embeds[0]["title"].startswith("Check-in from ")
    assert "Sam" not in str(post.embeds)
    fields = {f["name"]: f["value"] for f in post.embeds[0]["fields"]}
    assert fields["Sleep"] == "Poor"
    assert fields["Sober today"] == "Rather not say"


async def test_optional_parts_left_empty_and_the_last_choice_is_the_default(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now")
    assert defaults(parts(shown)[SHARE_ID]) == ["private"]  # no choice made here yet
    # Sleep and the note left empty, and the share cleared: "as last time".
    answer = await sandbox.submit_modal(
        world.member, shown, {MOOD_ID: "2", TODAY_ID: "none:yes", SHARE_ID: []}
    )
    assert answer.text.startswith("Saved. Only you can see it")
    [saved] = await stored(running)
    assert (saved.share, saved.content.sleep_hours, saved.content.sleep_quality) == (
        "private", None, None,
    )  # fmt: skip
    assert saved.content.note is None

    await clock.advance(timedelta(minutes=11))
    await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="named")
    )
    await clock.advance(timedelta(minutes=11))
    again = await sandbox.slash(world.member, world.general, "checkin now")
    assert defaults(parts(again)[SHARE_ID]) == ["named"]  # the member's last choice
    # Left untouched, the form sends its default: shared by name, as last time.
    answer = await sandbox.submit_modal(world.member, again, {MOOD_ID: "5", TODAY_ID: "none:yes"})
    assert "as **Sam**" in answer.text
    assert len(sandbox.channel_messages(group.checkins)) == 2


async def test_the_daily_prompt_opens_the_form_directly(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    await sandbox.slash(world.member, world.general, "checkin prompt", at="8pm")
    await clock.advance(timedelta(hours=11))  # 8pm in New York
    await sandbox.wait_for(lambda: len(sandbox.dms_to(world.member)) == 1, what="the prompt")
    [dm] = sandbox.dms_to(world.member)
    assert "How are you doing today?" in dm.text
    assert dm.custom_ids()[0] == f"prompt:checkin:{world.guild.id}"
    shown = await sandbox.click(world.member, dm, f"prompt:checkin:{world.guild.id}")
    assert shown.modal is not None  # the form is the first answer: one tap
    assert SHARE_ID in parts(shown)  # shared with the prompt's server, from a DM
    world.member.nick = "Sammy"  # the name the group knows, not the account's
    answer = await sandbox.submit_modal(world.member, shown, {
        MOOD_ID: "4", SLEEP_ID: "8", TODAY_ID: "none:yes", SHARE_ID: "named",
    })  # fmt: skip
    assert answer.text == f"Saved and shared in <#{group.checkins.id}> as **Sammy**."
    [post] = sandbox.channel_messages(group.checkins)
    assert post.embeds[0]["title"] == "Check-in from Sammy"
    [saved] = await stored(running)
    assert saved.guild_id == world.guild.id

    # The button names its server; someone no longer in it keeps the check-in to themselves.
    await clock.advance(timedelta(minutes=11))
    again = await sandbox.click(world.member, dm, f"prompt:checkin:{world.guild.id}")
    del world.guild.members[world.member.id]
    answer = await sandbox.submit_modal(world.member, again, {
        MOOD_ID: "4", TODAY_ID: "none:yes", SHARE_ID: "named",
    })  # fmt: skip
    assert answer.text.startswith("Saved. Only you can see it")
    assert len(sandbox.channel_messages(group.checkins)) == 1
    assert [item.guild_id for item in await stored(running)] == [world.guild.id, None]


async def test_a_crisis_note_in_the_form_shows_the_card_privately_and_posts_nothing(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now")
    answer = await sandbox.submit_modal(world.member, shown, {
        MOOD_ID: "1", TODAY_ID: "strong:no", SHARE_ID: "anonymous",
        NOTE_ID: "I can't go on. I want to die.",
    })  # fmt: skip
    await sandbox.wait_for(lambda: len(answer.messages) == 2, what="the card and the answer")
    card, held = answer.messages
    assert card.ephemeral
    assert held.ephemeral
    assert card.embeds[0]["title"] == CRISIS_TITLE
    assert VCL in card.text
    assert held.text == HELD_BACK  # the member chooses what the group sees
    await clock.advance(timedelta(minutes=30))
    await deliveries_settled(running, clock)
    assert sandbox.channel_messages(group.checkins) == []
    alert = await next_in(sandbox, group.mentors)
    assert "Sam" not in alert.text
    [saved] = await stored(running)
    assert (saved.share, saved.held_for) == ("private", "anonymous")


async def test_the_slash_command_with_options_still_saves_at_once_and_partial_opens_the_form(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    direct = await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="named")
    )
    assert direct.modal is None
    assert direct.text == f"Saved and shared in <#{group.checkins.id}> as **Sam**."
    partial = await sandbox.slash(world.member, world.general, "checkin now", mood=2, sleep="6.5")
    form = parts(partial)
    assert defaults(form[MOOD_ID]) == ["2"]
    assert defaults(form[SLEEP_ID]) == ["6.5"]  # kept as typed
    assert defaults(form[TODAY_ID]) == []
    answer = await sandbox.submit_modal(world.member, partial, {TODAY_ID: "none:yes",
                                                                SHARE_ID: "private"})  # fmt: skip
    assert answer.text.startswith("Saved. Only you can see it")
    saved = await stored(running)
    # Both on the fake clock's same moment, and ids are drawn at random: no order between them.
    assert sorted((s.content.mood, s.content.sleep_hours) for s in saved) == [(2, 6.5), (4, 7.0)]


async def test_the_form_opens_in_time_with_the_database_stalled(
    running: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    checkins = running.services.checkins
    read = checkins.last_choice

    async def stalled(guild_id: int, user_id: int) -> Share:
        await asyncio.sleep(2.5)  # R1: a database stalled 2.5 s
        return await read(guild_id, user_id)

    monkeypatch.setattr(checkins, "last_choice", stalled)
    started = time.monotonic()
    shown = await sandbox.slash(world.member, world.general, "checkin now")
    assert shown.modal is not None  # the sandbox refuses a first answer after 3 s (10062)
    assert time.monotonic() - started < 2
    assert defaults(parts(shown)[SHARE_ID]) == []  # not known in time: "as last time"
    monkeypatch.setattr(checkins, "last_choice", read)
    answer = await sandbox.submit_modal(world.member, shown, {MOOD_ID: "3", TODAY_ID: "none:yes"})
    assert answer.text.startswith("Saved. Only you can see it")


async def test_the_form_submitted_twice_at_once_saves_and_posts_once(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now")
    filled = {MOOD_ID: "4", TODAY_ID: "none:yes", SHARE_ID: "named"}
    answers = await asyncio.gather(*(sandbox.submit_modal(world.member, shown, filled)
                                     for _ in "12"))  # fmt: skip
    assert all("shared in" in answer.text for answer in answers), [a.text for a in answers]
    assert len(await stored(running)) == 1
    assert len(sandbox.channel_messages(group.checkins)) == 1
