"""Check-ins through the sandbox: what the member, the channel and the mentors see, and what
is stored."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.models import AnonymousPost, AuditEntry, Checkin, MemberSettings, Occurrence
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Channel, InteractionResult, Member, Message, Role, Sandbox
from bot.services.charts import CHART_SIZE, CSV_HEADER
from bot.services.checkins import AnonymousPostService, open_checkin
from bot.services.crisis import CRISIS_TITLE
from tests.conftest import (
    World,
    database_unavailable,
    deliveries_settled,
    eventually,
    start_bot,
)

VCL = "Dial 988 then press 1"


@dataclass
class Group:
    checkins: Channel
    mentors: Channel
    mentor_role: Role


async def configure(running: Runtime, world: World, *, threshold: str = "5") -> Group:
    sandbox, guild, mod = world.sandbox, world.guild, world.moderator.id
    checkins = await sandbox.create_channel(guild, "check-ins")
    mentor_role = await sandbox.create_role(guild, "Mentor")
    mentors = await sandbox.create_channel(
        guild, "mentors", private_to=[mentor_role, world.moderator_role]
    )
    settings = running.services.guild_settings
    await settings.set_channel(guild.id, mod, "checkin_channel_id", checkins.id)
    await settings.set_channel(guild.id, mod, "mentors_channel_id", mentors.id)
    await settings.set_role(guild.id, mod, "mentor_role_id", mentor_role.id)
    await settings.set_mentor_requests(guild.id, mod, on=True, problems=[])
    await settings.set_limits(
        guild.id, mod, timezone="America/New_York", anonymous_delay_minutes="5",
        summary_threshold=threshold, retention_days="180",
    )  # fmt: skip
    return Group(checkins, mentors, mentor_role)


def checkin_options(**overrides: object) -> dict[str, object]:
    return {"mood": 4, "sleep": "7", "cravings": "none", "sober": "yes", **overrides}


async def next_in(sandbox: Sandbox, channel: Channel, text: str = "") -> Message:
    return await sandbox.wait_for_message(
        lambda m: m.channel_id == channel.id and text in m.text,
        what=f"a message in #{channel.name}",
    )


async def post_anonymously(
    running: Runtime, world: World, clock: FakeClock, group: Group
) -> Message:
    """The member checks in anonymously; the post, once its message id is recorded."""
    await world.sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="anonymous")
    )
    await clock.advance(timedelta(minutes=11))
    message = await next_in(world.sandbox, group.checkins)

    async def recorded() -> bool:
        async with running.sessions() as session:
            found = select(AnonymousPost.id).where(AnonymousPost.message_id == message.id)
            return await session.scalar(found) is not None

    await eventually(recorded, what="the post's message id to be recorded")
    return message


async def ask_a_mentor(sandbox: Sandbox, member: Member, card: Message) -> InteractionResult:
    """Press "Ask a peer mentor", read who would see the name, and say yes."""
    who = await sandbox.click(member, card, "crisis:mentor")
    return await sandbox.click(member, who.messages[0], "crisis:mentor:send")


async def count_checkins(running: Runtime) -> int:
    async with running.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)


async def test_private_checkin_stays_private(running: Runtime, world: World) -> None:
    group = await configure(running, world)
    result = await world.sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="private")
    )
    assert result.ephemeral
    assert result.text.startswith("Saved. Only you can see it")
    assert world.sandbox.channel_messages(group.checkins) == []
    assert await count_checkins(running) == 1


async def test_anonymous_post_arrives_later_from_the_bot_with_no_trace_of_the_author(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    note = "Rough week. @everyone <@1> [VA](http://evil.example) \u202etxt.exe"
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="anonymous", mood=2))  # fmt: skip
    assert shown.modal is not None
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": note})
    assert result.ephemeral
    assert "It will appear in" in result.text
    assert "in 5 to 10 minutes (this server's delay" in result.text  # the delay, told (R24)
    assert "Nobody, moderators included, can see that it was you." in result.text
    pseudonym = result.text.split("**")[1]
    [cancel_id] = result.messages[0].custom_ids()
    assert cancel_id.startswith("anon:withdraw:")
    assert sandbox.channel_messages(group.checkins) == []  # not yet: a random delay (R4)

    await clock.advance(timedelta(minutes=11))
    post = await next_in(sandbox, group.checkins)
    assert post.author.bot
    assert post.interaction_id is None
    assert post.interaction_user is None
    assert post.custom_ids() == ["anon:options"]  # no ids at all
    assert post.pings() == (set(), set(), False)
    embed = post.embeds[0]
    assert embed["title"] == f"Check-in from {pseudonym}"
    assert "Sunday, November 22" in embed["footer"]["text"]
    assert ":" not in embed["footer"]["text"]  # the day, never the time
    assert "@\u200beveryone" in embed["description"]
    assert "\\[VA](http://evil.example)" in embed["description"]  # shown as text, not a link
    assert "\u202e" not in embed["description"]
    assert "Sam" not in post.text
    assert str(world.member.id) not in post.text


async def test_named_post_goes_out_at_once_with_the_display_name(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named"))  # fmt: skip
    result = await sandbox.submit_modal(world.member, shown, {"checkin:note": "Good\u202e day"})
    assert "shared in" in result.text
    assert "as **Sam**" in result.text
    [post] = sandbox.channel_messages(group.checkins)
    assert post.embeds[0]["title"] == "Check-in from Sam"
    assert post.embeds[0]["description"] == "Good day"  # cleaned as stored
    assert post.pings() == (set(), set(), False)


async def test_a_named_checkin_submitted_twice_at_once_is_posted_once(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named"))  # fmt: skip
    # A double click on Submit: the second arrives while the first is still being posted.
    answers = await asyncio.gather(
        *(sandbox.submit_modal(world.member, shown, {"checkin:note": "Good day"}) for _ in "12")
    )
    assert all("shared in" in answer.text for answer in answers), [a.text for a in answers]
    assert len(sandbox.channel_messages(group.checkins)) == 1


async def test_last_choice_is_remembered_and_shared_posts_are_spaced_out(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="named")
    )
    again = await sandbox.slash(world.member, world.general, "checkin now", **checkin_options())
    assert again.text.startswith("Saved. Only you can see it")
    assert "shared posts are spaced out" in again.text
    await clock.advance(timedelta(minutes=11))
    later = await sandbox.slash(world.member, world.general, "checkin now", **checkin_options())
    assert "as **Sam**" in later.text  # the remembered choice


async def test_after_a_restart_a_checkin_without_a_choice_asks_for_the_latest_one(
    bot_settings: Settings, world: World, clock: FakeClock
) -> None:
    """Sam shares by name, then checks in privately; Riley shares by name. After a restart,
    each checks in without choosing: Sam's stays private (never the older named), and
    Riley's is named, as last time."""
    keyring = Keyring.generate()
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        await configure(running, world)
        for member in (sam, riley):
            await sandbox.slash(member, world.general, "checkin now",
                                **checkin_options(share="named"))  # fmt: skip
        await clock.advance(timedelta(minutes=11))
        await sandbox.slash(sam, world.general, "checkin now", **checkin_options(share="private"))
    await clock.advance(timedelta(minutes=11))
    async with start_bot(bot_settings, clock, keyring=keyring):
        sams = await sandbox.slash(sam, world.general, "checkin now", **checkin_options())
        rileys = await sandbox.slash(riley, world.general, "checkin now", **checkin_options())
    assert sams.text.startswith("Saved. Only you can see it"), sams.text
    assert "as **Riley**" in rileys.text, rileys.text


async def test_crisis_note_shows_the_lines_at_once_and_alerts_mentors_without_a_name(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private", mood=1))  # fmt: skip
    result = await sandbox.submit_modal(
        world.member, shown, {"checkin:note": "I can't go on. I want to die."}
    )
    await sandbox.wait_for(lambda: len(result.messages) == 2, what="the confirmation")
    crisis, confirmation = result.messages
    assert crisis.ephemeral
    assert crisis.embeds[0]["title"] == CRISIS_TITLE
    assert VCL in crisis.text
    assert "838255" in crisis.text
    assert "911" in crisis.text
    assert "nobody watches this bot around the clock" in crisis.text
    assert crisis.custom_ids() == ["crisis:mentor"]
    assert confirmation.text.startswith("Saved.")  # the check-in is never dropped (R18)
    alert = await next_in(sandbox, group.mentors)
    assert "Someone in the group" in alert.text
    assert "Sam" not in alert.text
    assert str(world.member.id) not in alert.text

    asked = await ask_a_mentor(sandbox, world.member, crisis)
    assert "let the group's peer mentors know" in asked.text
    named = sandbox.channel_messages(group.mentors)[-1]
    assert "**Sam**" in named.text
    assert named.pings() == (set(), {group.mentor_role.id}, False)
    again = await ask_a_mentor(sandbox, world.member, crisis)
    assert again.text.startswith("The mentors already know")
    assert len(sandbox.channel_messages(group.mentors)) == 2  # the anonymous alert and one ask


async def test_negations_and_false_friends_get_no_crisis_reply(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    for note in ("I'm not suicidal, just worn out.", "This commute is killing me."):
        shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                    **checkin_options(share="private"))  # fmt: skip
        result = await sandbox.submit_modal(world.member, shown, {"checkin:note": note})
        assert CRISIS_TITLE not in result.text
        assert result.text.startswith("Saved.")
    assert sandbox.channel_messages(group.mentors) == []


async def test_crisis_reply_works_with_the_database_down_and_the_checkin_is_kept(
    running: Runtime, world: World, bot_settings: Settings
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    running.services.checkins.save_wait = 1.0
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="anonymous", mood=1))  # fmt: skip
    async with database_unavailable(bot_settings):
        result = await sandbox.submit_modal(
            world.member, shown, {"checkin:note": "thinking about suicide"}, timeout=3
        )
        crisis = result.messages[0]
        assert crisis.embeds[0]["title"] == CRISIS_TITLE  # while the database is locked
        assert VCL in crisis.text
        await sandbox.wait_for(lambda: "holding on to it" in result.text, timeout=10,
                               what="the held notice")  # fmt: skip
    await eventually(lambda: _has_checkins(running, 1), timeout=15, what="the held check-in")
    async with running.sessions() as session:
        stored = await session.scalar(select(Checkin))
    assert stored is not None
    opened = open_checkin(running.services.keyring, stored)
    assert opened is not None
    assert opened.share == "private"
    # SQLite's reads have their own connection and never wait for the write lock, so the
    # sharing checks ran and it is held back for its note; PostgreSQL's lock blocked the
    # checks too, so it simply stayed private.
    assert opened.held_for == ("anonymous" if bot_settings.is_sqlite else None)


async def _has_checkins(running: Runtime, count: int) -> bool:
    return await count_checkins(running) == count


async def test_the_same_form_submitted_twice_saves_one_checkin(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private"))  # fmt: skip
    # A double click on Submit: the second arrives while the first is still being saved.
    first, again = await asyncio.gather(
        sandbox.submit_modal(world.member, shown, {"checkin:note": "steady day"}),
        sandbox.submit_modal(world.member, shown, {"checkin:note": "steady day"}),
    )
    assert await count_checkins(running) == 1
    assert first.text.startswith("Saved.")
    assert again.text.startswith("Saved.")


async def test_moderator_removes_a_post_and_pauses_its_author_without_learning_who(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    post = await post_anonymously(running, world, clock, group)

    bystander = await sandbox.click(world.other_member, post, "anon:options")
    assert bystander.text.startswith("Only the person who wrote this post, or a moderator")
    author = await sandbox.click(world.member, post, "anon:options")
    assert [c.split(":")[1] for c in author.messages[0].custom_ids()] == ["withdraw"]
    mod = await sandbox.click(world.moderator, post, "anon:options")
    options = mod.messages[0]
    block_id = next(c for c in options.custom_ids() if c.startswith("anon:block7:"))
    assert [c.split(":")[1] for c in options.custom_ids()] == [
        "remove",
        "block1",
        "block7",
        "block30",
    ]

    for moderator_only in options.custom_ids():  # a member who got hold of these buttons
        forged = await sandbox.click(world.other_member, options, moderator_only)
        assert forged.text.startswith("Only moderators can do that"), moderator_only
    assert not post.deleted

    done = await sandbox.click(world.moderator, options, block_id)
    assert "can't post anonymously here until" in done.text
    assert "Sam" not in done.text
    assert post.deleted
    async with running.sessions() as session:
        lines = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action.like("posts.%")))
        )
    assert {line.action for line in lines} == {"posts.remove", "posts.block"}
    for line in lines:
        assert str(world.member.id) not in f"{line.target} {line.detail}"

    await clock.advance(timedelta(hours=1))
    paused = await sandbox.slash(world.member, world.general, "checkin now",
                                 **checkin_options(share="anonymous"))  # fmt: skip
    assert "a moderator paused your anonymous posting here" in paused.text
    assert "You can post anonymously here again <t:" in paused.text
    named = await sandbox.slash(world.member, world.general, "checkin now",
                                **checkin_options(share="named"))  # fmt: skip
    assert "as **Sam**" in named.text  # only anonymous posting is paused


async def test_author_deletes_their_own_post(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    post = await post_anonymously(running, world, clock, group)
    options = (await sandbox.click(world.member, post, "anon:options")).messages[0]
    [withdraw] = options.custom_ids()
    stranger = await sandbox.click(world.other_member, options, withdraw)
    # The same words as for a post that doesn't exist: nothing to learn from trying (R24).
    assert stranger.text == "I couldn't find that anonymous post. It may have been removed."
    gone = await sandbox.click(world.member, options, withdraw)
    assert gone.text == "Your post is gone."
    assert post.deleted


async def test_a_post_whose_record_failed_is_recorded_later_and_never_posted_twice(
    bot_settings: Settings, world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R30: recording the post's message id fails twice after the send; the record is tried
    again (not the send), and the author's and moderators' Options find the post."""
    sandbox = world.sandbox
    record = AnonymousPostService.record_posted
    failures = [RuntimeError("the database said no"), RuntimeError("and again")]

    async def failing_at_first(
        self: AnonymousPostService, session: Any, due: Any, message_id: int
    ) -> None:
        if failures:
            raise failures.pop()
        await record(self, session, due, message_id)

    # Before the bot starts: the scheduler takes the recorder when the check-ins cog loads.
    monkeypatch.setattr(AnonymousPostService, "record_posted", failing_at_first)
    async with start_bot(bot_settings, clock) as running:
        group = await configure(running, world)
        post = await post_anonymously(running, world, clock, group)

        async def record_retried() -> bool:  # the post itself is recorded as soon as it is sent
            async with running.sessions() as session:
                sent = select(Occurrence.id).where(
                    Occurrence.source.startswith("anon-release:"), Occurrence.state == "sent"
                )
                return failures == [] and await session.scalar(sent) is not None

        await eventually(record_retried, timeout=15, what="the settle's record to be retried")
        assert len(sandbox.channel_messages(group.checkins)) == 1
        async with running.sessions() as session:
            occurrence = await session.scalar(  # the server's release delivery that sent it
                select(Occurrence).where(
                    Occurrence.source.startswith("anon-release:"),
                    Occurrence.message_id.is_not(None),
                )
            )
        assert occurrence is not None
        assert (occurrence.state, occurrence.message_id) == ("sent", post.id)
        posts = {
            nonce: n for nonce, n in sandbox.posts_by_nonce.items() if nonce.startswith("anon-")
        }
        assert list(posts.values()) == [1]  # one POST of the one post: the record was retried
        author = await sandbox.click(world.member, post, "anon:options")
        assert [c.split(":")[1] for c in author.messages[0].custom_ids()] == ["withdraw"]
        moderator = await sandbox.click(world.moderator, post, "anon:options")
        assert "remove" in [c.split(":")[1] for c in moderator.messages[0].custom_ids()]


async def test_a_queued_post_can_be_stopped_before_it_appears(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    result = await sandbox.slash(world.member, world.general, "checkin now",
                                 **checkin_options(share="anonymous"))  # fmt: skip
    [withdraw] = result.messages[0].custom_ids()
    stopped = await sandbox.click(world.member, result.messages[0], withdraw)
    assert stopped.text == "Okay, it won't be posted."
    await clock.advance(timedelta(minutes=10))
    await deliveries_settled(running, clock)
    assert sandbox.channel_messages(group.checkins) == []


async def test_history_chart_and_report_by_dm(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(world.member, world.general, "settings timezone", zone="America/New_York")
    await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                        dose="50 mg", date="yesterday", note="Step down, with Dr. Lee")  # fmt: skip
    moods = [3, 4, 2, 5]
    for mood in moods:
        await sandbox.slash(world.member, world.general, "checkin now",
                            **checkin_options(mood=mood, share="private", sleep="6.5"))  # fmt: skip
        await clock.advance(timedelta(days=1))

    history = await sandbox.slash(world.member, world.general, "checkin history", timeout=30.0)
    message = history.messages[-1]
    assert message.ephemeral
    assert "4 check-ins on 4 days." in message.text
    [chart] = message.attachments
    assert Image.open(io.BytesIO(chart.data)).size == CHART_SIZE

    report = await sandbox.slash(
        world.member, world.general, "checkin report", days=14, timeout=30.0
    )
    assert report.text == (
        "I've sent your report (a one-page PDF for your provider, a chart and a table of "
        "every check-in) to your DMs."
    )
    [dm] = sandbox.dms_to(world.member)
    assert "Sertraline 50 mg" in dm.text
    assert "gives no medical advice" in dm.text
    files = {a.filename: a.data for a in dm.attachments}
    image = Image.open(io.BytesIO(files["checkins.png"]))
    assert image.format == "PNG"
    assert image.size == CHART_SIZE
    assert files["visit-packet.pdf"].startswith(b"%PDF")
    table = list(csv.DictReader(io.StringIO(files["checkins.csv"].decode())))
    assert tuple(table[0]) == CSV_HEADER
    rows = [row for row in table if row["record"] == "check-in"]
    [change] = [row for row in table if row["record"] == "medication change"]
    assert (change["medication"], change["dose"]) == ("Sertraline", "50 mg")
    assert change["note"] == "Step down, with Dr. Lee"
    assert [int(row["mood"]) for row in rows] == moods
    assert {row["sleep_hours"] for row in rows} == {"6.5"}
    assert {row["sober_today"] for row in rows} == {"yes"}


async def test_low_mood_two_days_running_offers_a_mentor_gently(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    first = await sandbox.slash(world.member, world.general, "checkin now",
                                **checkin_options(mood=1, share="private"))  # fmt: skip
    assert "a peer mentor can reach out" not in first.text
    await clock.advance(timedelta(days=1))
    second = await sandbox.slash(world.member, world.general, "checkin now",
                                 **checkin_options(mood=1, share="private"))  # fmt: skip
    offer = second.messages[-1]
    assert "a peer mentor can reach out" in offer.text
    assert offer.custom_ids() == ["crisis:mentor"]
    assert CRISIS_TITLE not in second.text  # support, not an alarm


async def test_bad_input_gets_clear_private_errors(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    sleep = await sandbox.slash(world.member, world.general, "checkin now",
                                **checkin_options(sleep="lots"))  # fmt: skip
    assert sleep.ephemeral
    assert "For sleep, give the hours" in sleep.text
    report = await sandbox.slash(world.member, world.general, "checkin report", days=0)
    assert report.text == "Pick a number of days from 1 to 365."
    blank = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                **checkin_options(share="private"))  # fmt: skip
    spaces = await sandbox.submit_modal(world.member, blank, {"checkin:note": "   "})
    assert spaces.text.startswith("Saved.")  # a blank note is no note
    assert await count_checkins(running) == 1


async def test_meds_and_sobriety(running: Runtime, world: World, clock: FakeClock) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    logged = await sandbox.slash(world.member, world.general, "meds log",
                                 medication="Sertraline", dose="25 mg", date="Nov 1")  # fmt: skip
    assert "Noted: Sertraline, 25 mg, from November 1, 2026." in logged.text
    assert "doesn't give medical advice" in logged.text
    history = await sandbox.slash(world.member, world.general, "meds history")
    assert "Sertraline, 25 mg" in history.text
    assert (
        "Sertraline"
        not in (await sandbox.slash(world.other_member, world.general, "meds history")).text
    )

    started = await sandbox.slash(world.member, world.general, "sobriety set", since="Nov 15",
                                  milestones="anonymous")  # fmt: skip
    assert "Counting from November 15, 2026: **7 days**" in started.text
    assert "Next milestone: 30 days on December 15" in started.text
    reset = await sandbox.slash(world.member, world.general, "sobriety reset")
    assert "The 7 days you had still happened" in reset.text
    status = await sandbox.slash(world.member, world.general, "sobriety status")
    assert "**0 days**" in status.text
    assert "Fresh starts: 1" in status.text
    assert "Longest run: 7 days" in status.text

    await clock.advance(timedelta(days=1, hours=2))  # the 24-hour milestone, at local noon
    cheer = await next_in(sandbox, group.checkins)
    assert (
        cheer.text
        == "🎉 Someone in the group reached **24 hours** today. Well done, whoever you are!"
    )
    assert cheer.pings() == (set(), set(), False)


async def test_daily_prompt_by_dm_and_stop(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(world.member, world.general, "settings timezone", zone="America/New_York")
    on = await sandbox.slash(world.member, world.general, "checkin prompt", at="8pm")
    assert "I'll DM you every day at 20:00 (America/New_York)" in on.text
    await clock.advance(timedelta(hours=11))  # 15:00 UTC is 10am in New York; 8pm is 01:00 UTC
    [dm] = await _dms(world, 1)
    assert "How are you doing today?" in dm.text
    stopped = await sandbox.click(world.member, dm, "prompt:stop")
    assert stopped.text.startswith("Okay, no more daily prompts.")
    await clock.advance(timedelta(days=1))
    await deliveries_settled(running, clock)
    assert len(sandbox.dms_to(world.member)) == 1


@pytest.mark.parametrize("sender", ["prompt", "reminder"])
async def test_a_dm_sender_notes_closed_dms_and_notes_them_open_again(
    running: Runtime, world: World, clock: FakeClock, sender: str
) -> None:
    """A member whose DMs are closed asks for a daily prompt (or a reminder, which has always
    done this): the refused DM is noted, so they are told at their next command. They open
    their DMs; the next DM reaches them, and the note is cleared, so /remind list and the
    notice stop saying their DMs are closed."""
    sandbox = world.sandbox
    await configure(running, world)
    quiet = await sandbox.create_member(world.guild, "Quiet", dms_open=False)
    await sandbox.slash(quiet, world.general, "settings timezone", zone="America/New_York")

    async def ask() -> None:
        if sender == "prompt":
            await sandbox.slash(quiet, world.general, "checkin prompt", at="8pm")
        else:
            await sandbox.slash(quiet, world.general, "remind add", what="Call", when="in 1 hour")

    async def closed_since() -> object:
        async with running.sessions() as session:
            settings = await session.get(MemberSettings, quiet.id)
            return None if settings is None else settings.dms_closed_at

    async def noted_closed() -> bool:
        return await closed_since() is not None

    async def noted_open() -> bool:
        return await closed_since() is None

    await ask()
    await clock.advance(timedelta(hours=11))
    await eventually(noted_closed, what="the closed DMs to be noted")
    nudged = await sandbox.slash(quiet, world.general, "help")
    await sandbox.wait_for(lambda: len(nudged.messages) == 2, what="the private notice")
    assert "your DMs are closed to me" in nudged.messages[1].text
    quiet.user.dms_open = True
    if sender == "reminder":
        await ask()
    await clock.advance(timedelta(days=1) if sender == "prompt" else timedelta(hours=1))
    await sandbox.wait_for(lambda: len(sandbox.dms_to(quiet)) == 1, what="the DM, once open")
    await eventually(noted_open, what="the open DMs to be noted")


async def _dms(world: World, count: int) -> list[Message]:
    await world.sandbox.wait_for(lambda: len(world.sandbox.dms_to(world.member)) >= count,
                                 what=f"{count} DM(s)")  # fmt: skip
    return world.sandbox.dms_to(world.member)


async def test_weekly_summary_only_when_enough_members_took_part(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world, threshold="3")
    await running.services.summaries.ensure(world.guild.id, "America/New_York")
    third = await sandbox.create_member(world.guild, "Alex")
    everyone = (world.member, world.other_member, third)
    # This week three members share by name and two of them anonymously: named check-ins
    # never count, so two anonymous authors are too few, and Monday's summary shows nothing.
    for who in everyone:
        await sandbox.slash(who, world.general, "checkin now", **checkin_options(share="named"))
    await clock.advance(timedelta(minutes=11))  # shared posts are spaced 10 minutes apart
    for who in everyone[:2]:
        await sandbox.slash(who, world.general, "checkin now", **checkin_options(share="anonymous"))
    await clock.advance(timedelta(minutes=11))
    await _anonymous_posts_shown(sandbox, group, 2)
    await clock.advance(timedelta(days=1))  # past 9 am on Monday the 23rd, New York time
    await deliveries_settled(running, clock)
    assert not any("The week in" in m.text for m in sandbox.channel_messages(group.checkins))

    for who in everyone:
        await sandbox.slash(who, world.general, "checkin now", **checkin_options(share="anonymous"))
    await clock.advance(timedelta(minutes=11))
    await _anonymous_posts_shown(sandbox, group, 5)
    await clock.advance(timedelta(days=7))
    summary = await next_in(sandbox, group.checkins, "The week in anonymous check-ins")
    assert "3 members shared 3 check-ins anonymously" in summary.text
    assert "Alex" not in summary.text
    assert "Sober that day: 3 check-ins" in summary.text.replace("\n", ": ")


async def test_a_weekly_summary_with_no_checkin_channel_is_settled_not_set_up(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A server's weekly summary comes due before its moderators have chosen a check-in
    channel: it is settled for good with its real cause (not_set_up), as a milestone or a
    meeting reminder with nowhere to go is, never "cancelled" as if someone called it off."""
    await running.services.summaries.ensure(world.guild.id, "America/New_York")
    await clock.advance(timedelta(days=2))  # past 9 am on Monday the 23rd, New York time
    await deliveries_settled(running, clock)
    async with running.sessions() as session:
        rows = (
            await session.execute(
                select(Occurrence.state, Occurrence.cause).where(Occurrence.kind == "summary")
            )
        ).all()
    assert [tuple(row) for row in rows] == [("failed_permanent", "not_set_up")]


async def _anonymous_posts_shown(sandbox: Sandbox, group: Group, count: int) -> None:
    def shown() -> bool:
        posts = [
            m for m in sandbox.channel_messages(group.checkins) if "anon:options" in m.custom_ids()
        ]
        return len(posts) == count

    await sandbox.wait_for(shown, what=f"{count} anonymous posts")


async def test_an_anonymous_posts_row_holds_nothing_that_leads_to_its_author(
    running: Runtime, world: World
) -> None:
    """Read raw, without the keys: no column of the post's row holds Sam's id in any form
    (the number, its digits, its bytes either way round, its hex, an unkeyed hash of it),
    and its owner is not the one on Sam's own check-in row, so nothing joins the two."""
    await configure(running, world)
    answer = await world.sandbox.slash(world.member, world.general, "checkin now",
                                       **checkin_options(share="anonymous"))  # fmt: skip
    assert "It will appear in" in answer.text
    async with running.sessions() as session:
        [post] = (await session.execute(text("SELECT * FROM anonymous_posts"))).mappings().all()
        [checkin_owner] = (await session.scalars(text("SELECT owner FROM checkins"))).all()
    user_id = world.member.id
    digits = str(user_id).encode()
    forms = {digits, f"{user_id:x}".encode(), user_id.to_bytes(8, "big"),
             user_id.to_bytes(8, "little"), hashlib.sha256(digits).digest(),
             hashlib.sha256(digits).hexdigest().encode()}  # fmt: skip
    assert post["state"] == "pending"  # the row of this post, waiting for its time
    for column, value in post.items():
        assert value != user_id, column
        raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        assert not any(form in raw for form in forms), column
    assert bytes(post["owner"]) != bytes(checkin_owner)


async def test_chart_commands_have_a_cooldown(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="private")
    )
    for _ in range(3):
        shown = await sandbox.slash(world.member, world.general, "checkin history", timeout=30.0)
        assert shown.messages[-1].attachments
    slowed = await sandbox.slash(world.member, world.general, "checkin history", timeout=30.0)
    assert slowed.ephemeral
    assert slowed.text.startswith("Slow down a little: try again in")
    other = await sandbox.slash(world.other_member, world.general, "checkin history", timeout=30.0)
    assert other.text.startswith("No check-ins in the last 30 days")  # per member, not global
