"""Red team, issue #12, second round: links the first attacker (tests/test_attacker.py) and
the known breaks in this folder do not try.

Each test plays a few days in one server through the sandbox (message ids carry the test's
own clock), then attacks with the dump, the channel history and the member list, or with
only what moderators see, and asserts the promise: the attack ties no anonymous post to its
author and no two posts of different weeks to each other.
"""

from __future__ import annotations

import bisect
import itertools
import re
import sqlite3
import struct
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import sqlite_path
from bot.db.models import AnonymousPost, Checkin, SobrietyStreak
from bot.runtime import Runtime
from bot.sandbox import Member, Message
from bot.services.checkins import HOLD_BACK, MILESTONE_DAYS, milestone_words, open_checkin
from bot.services.ownership import Owners
from bot.ui.crisis import POST_HELD_BACK, POST_KEPT_PRIVATE
from tests.conftest import World, eventually, only_postgres, only_sqlite
from tests.test_attacker import (
    NEW_YORK,
    ZONE,
    Week,
    _message_time,
    _public_fields,
    take_dump,
)
from tests.test_checkins_e2e import ask_a_mentor, checkin_options, configure


async def _week_of(running: Runtime, world: World, clock: FakeClock, *names: str) -> Week:
    """A server set up as /setup leaves it (5-minute delay, k = 3), members in New York."""
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    await running.services.summaries.ensure(world.guild.id, NEW_YORK)
    members: dict[str, Member] = {"Sam": world.member, "Riley": world.other_member}
    for name in names:
        members[name] = await world.sandbox.create_member(world.guild, name)
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await world.sandbox.slash(who, world.general, "settings timezone", zone="Eastern")
    return week


def _anonymous_posts(week: Week) -> list[Message]:
    return [
        m for m in week.channel()
        if m.embeds and m.embeds[0].get("footer", {}).get("text", "").startswith("Shared anon")
    ]  # fmt: skip


def _author_of(week: Week, post: Message) -> int:
    """The truth, from what each member was told: who wrote this post."""
    title = post.embeds[0]["title"]
    shown_week = _message_time(post.id).astimezone(ZONE).isocalendar()[1]
    for key, (member_id, _) in week.authors.items():
        pseudonym, number = key.split("|")
        if title == f"Check-in from {pseudonym}" and abs(int(number) - shown_week) <= 1:
            return member_id
    raise AssertionError(f"no author recorded for {title!r}")


async def _low_day_then_ask(week: Week, name: str, *, mood: int = 2) -> tuple[str, Message]:
    """Low yesterday (a private check-in the day before), a hard day today, posted
    anonymously; the member asks for a mentor while the post waits, and says yes. At mood 1
    the offer comes with the confirmation (and the post is kept private, never posted); at
    mood 2 it is not a worrying check-in, so the member asks from the /crisis card (and the
    post is held back). The post's title and the named alert in the mentors' channel."""
    sandbox, member = week.sandbox, week.members[name]
    answer = await sandbox.slash(member, week.world.general, "checkin now",
                                 **checkin_options(share="anonymous", mood=mood,
                                                   sleep="3"))  # fmt: skip
    pseudonym = answer.text.split("**")[1]
    week.authors[f"{pseudonym}|{week.clock.now().astimezone(ZONE).isocalendar()[1]}"] = (
        member.id, name,
    )  # fmt: skip
    await week.clock.advance(timedelta(seconds=31, milliseconds=208))
    if mood == 1:
        offer = answer.messages[-1]
    else:
        offer = (await sandbox.slash(member, week.world.general, "crisis")).messages[0]
    assert "crisis:mentor" in offer.custom_ids(), [m.text for m in answer.messages]
    week.mentor_reply = (await ask_a_mentor(sandbox, member, offer)).text
    alerts = [m for m in sandbox.channel_messages(week.group.mentors)
              if f"**{name}**" in m.text]  # fmt: skip
    assert alerts, [m.text for m in sandbox.channel_messages(week.group.mentors)]
    return f"Check-in from {pseudonym}", alerts[-1]


# ----- /mydata delete -----


async def test_deleting_my_data_does_not_tie_my_posts_together_or_to_me(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sandbox = world.sandbox

    # Week 48: everyone posts anonymously; Sam, low two days running, asks for a mentor.
    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "09:20:00")
    await _low_day_then_ask(week, "Sam")
    await week.at(1, "10:40:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(1, "13:05:00")
    await week.checkin("Alex", "anonymous", mood=3)
    # Week 49: again.
    await week.at(8, "09:10:00")
    await week.checkin("Sam", "anonymous", mood=3)
    await week.at(8, "11:30:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(8, "14:00:00")
    await week.checkin("Alex", "anonymous", mood=2)
    await week.at(8, "18:00:00")
    posts = _anonymous_posts(week)
    assert len(posts) == 6, [m.text for m in week.channel()]

    def orphans(dump: Any) -> tuple[list[Message], set[int]]:
        """Posts in the channel with no row, and the members named by an alert with no row."""
        recorded = {row["message_id"] for row in dump.rows["anonymous_posts"]}
        requests = {row["message_id"] for row in dump.rows["mentor_requests"]}
        named = {
            member.id for alert in sandbox.channel_messages(week.group.mentors)
            if alert.id not in requests
            for name, member in week.members.items() if f"**{name}**" in alert.text
        }  # fmt: skip
        return [p for p in posts if p.id not in recorded], named

    # Before: every post and every alert has its row, so the join finds nothing.
    assert orphans(await take_dump(running)) == ([], set())

    # Sam erases everything; the posts themselves stay up, as /mydata delete says.
    asked = await sandbox.slash(week.members["Sam"], world.general, "mydata delete")
    await sandbox.click(week.members["Sam"], asked.messages[0], "mydata:confirm")
    assert "Removed" in asked.messages[0].content, asked.messages[0].content

    # The dump attacker, with the channels and the member list.
    left, named = orphans(await take_dump(running))
    weeks = {_message_time(p.id).astimezone(ZONE).isocalendar()[1] for p in left}
    authors = {_author_of(week, p) for p in left}
    unmasked = [p.embeds[0]["title"] for p in left if named == {_author_of(week, p)}]
    assert len(weeks) < 2 or len(authors) > 1, (
        f"posts with no row after a /mydata delete: {[p.embeds[0]['title'] for p in left]} "
        f"(weeks {sorted(weeks)}), all by one member"
    )
    assert not unmasked, (
        f"the mentor alert with no row names {named} (Sam is {week.members['Sam'].id}), the "
        f"author of {unmasked}"
    )


# ----- the held-back post and the mentor alert: the fraction of a second -----


# Fractions of a second at which the others act: a real clock has them too.
OTHERS_AT = {"Riley": timedelta(milliseconds=250), "Alex": timedelta(milliseconds=604)}


async def _sam_asks_while_his_post_waits(week: Week, *, mood: int = 2) -> tuple[str, Message]:
    """Sam posts anonymously on a hard day and asks for a mentor: his post is held back one
    to four hours (at mood 1 it is kept private instead). His post's title and the named
    alert."""
    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "09:20:00")
    await week.clock.advance(timedelta(milliseconds=812))
    return await _low_day_then_ask(week, "Sam", mood=mood)


async def _others_post_around_it(week: Week) -> None:
    for name, at in (("Riley", "09:24:00"), ("Alex", "09:31:00")):
        await week.at(1, at)
        await week.clock.advance(OTHERS_AT[name])
        await week.checkin(name, "anonymous", mood=3)
    await week.at(1, "15:00:00")
    assert len(_anonymous_posts(week)) == 3, [m.text for m in week.channel()]


async def _held_back_day(week: Week) -> tuple[str, Message]:
    """Sam's held-back post, and Riley's and Alex's around it, all out by the afternoon."""
    asked = await _sam_asks_while_his_post_waits(week)
    await _others_post_around_it(week)
    return asked


def _same_fraction(a: datetime, b: datetime, slack: timedelta) -> bool:
    offset = (b - a).total_seconds() % 1
    return min(offset, 1 - offset) <= slack.total_seconds()


async def test_a_held_back_post_does_not_keep_the_mentor_alerts_fraction_of_a_second(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sams, alert = await _held_back_day(week)

    # The moderator: message ids (Copy Message Link) carry their time to the millisecond.
    asked_at = _message_time(alert.id)
    slack = timedelta(milliseconds=20)  # a real scheduler fires a few ms after its moment
    matching = [
        p.embeds[0]["title"] for p in _anonymous_posts(week)
        if _same_fraction(asked_at, _message_time(p.id), slack)
    ]  # fmt: skip
    shown = [(p.embeds[0]["title"], f"{_message_time(p.id):%H:%M:%S.%f}")
             for p in _anonymous_posts(week)]  # fmt: skip
    assert matching != [sams], (
        f"Sam's named request at {asked_at:%H:%M:%S.%f}; posts {shown}: only {matching} "
        "shares its fraction of a second"
    )


async def test_a_held_back_posts_stored_time_does_not_match_the_mentor_request(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sams, _ = await _held_back_day(week)

    dump = await take_dump(running)
    [request] = dump.rows["mentor_requests"]
    slack = timedelta(milliseconds=20)
    by_message = {p.id: p.embeds[0]["title"] for p in _anonymous_posts(week)}
    matching = [
        by_message[row["message_id"]] for row in dump.rows["anonymous_posts"]
        if _same_fraction(request["created_at"], row["post_after"], slack)
    ]  # fmt: skip
    stored = [(by_message[row["message_id"]], f"{row['post_after']:%H:%M:%S.%f}")
              for row in dump.rows["anonymous_posts"]]  # fmt: skip
    assert matching != [sams], (
        f"mentor_requests: user {request['user_id']} at {request['created_at']:%H:%M:%S.%f}; "
        f"anonymous_posts.post_after {stored}: only {matching} shares its fraction"
    )


# ----- stored lengths: a note in another script -----


UKRAINIAN = (
    "Сьогодні важкий день. Знову не спав, думав про службу і про хлопців. "  # noqa: RUF001
    "Ходив на групу, трохи легше, але ввечері знову накрило. "
)


async def test_a_long_note_in_another_script_is_stored_as_long_as_any_other(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    english = ("Couldn't sleep again, kept going over the hearing and what my lawyer said. "
               * 14)[:999] + "."  # fmt: skip
    ukrainian = (UKRAINIAN * 8)[:999] + "."
    assert len(english) == len(ukrainian) == 1000  # both as long as the form allows

    await week.at(1, "09:00:00")
    await week.checkin("Riley", "private", english, mood=2, sleep="5")
    await week.at(1, "10:00:00")
    await week.checkin("Sam", "private", ukrainian, mood=2, sleep="4")  # only Sam writes so
    await week.at(1, "11:00:00")
    await week.checkin("Alex", "anonymous", english, mood=3)
    await week.at(1, "12:00:00")

    dump = await take_dump(running)
    notes = [len(row["note"]) for row in dump.rows["checkins"]]
    posts = [len(row["content"]) for row in dump.rows["anonymous_posts"]]
    assert len(set(notes)) == 1, (
        f"checkins.note lengths {notes} (Riley's English, Sam's Ukrainian, Alex's English): "
        "the private check-in in Ukrainian stands out"
    )
    assert len(set(posts)) <= 1, posts


# ----- PostgreSQL: the order of writes in the row versions -----


@only_postgres  # xmin is PostgreSQL's
async def test_row_versions_do_not_tie_a_held_back_post_to_the_mentor_request(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _sam_asks_while_his_post_waits(week)
    await week.at(1, "09:40:00")
    await week.clock.advance(OTHERS_AT["Riley"])
    await week.checkin("Riley", "anonymous", mood=3)  # a post of someone else's, waiting too

    # A physical backup (or anyone with SELECT) taken while both wait sees each row's
    # writing transaction.
    async with running.engine.connect() as connection:
        requests = (await connection.execute(text(
            "SELECT xmin::text::bigint, user_id FROM mentor_requests"
        ))).all()  # fmt: skip
        post_rows = (await connection.execute(text(
            "SELECT xmin::text::bigint, id FROM anonymous_posts WHERE state = 'pending'"
        ))).all()  # fmt: skip
    [(asked, user_id)] = requests
    assert len(post_rows) == 2, post_rows
    truth = await _post_authors(running)
    # Written by a transaction just before or just after the request's last write. (Its
    # own transaction rewrites every post waiting then, whoever wrote it.)
    next_after = [truth[post_id] for x, post_id in post_rows if 0 < abs(x - asked) <= 3]
    assert next_after != [user_id], (
        f"the mentor request by {user_id} was written by transaction {asked}; the waiting "
        f"posts by {sorted((x, truth[p]) for x, p in post_rows)} (transaction, author)"
    )


async def _post_authors(running: Runtime) -> dict[int, int]:
    """The truth, with the keys: each post row's author."""
    async with running.sessions() as session:
        rows = list(await session.scalars(select(AnonymousPost)))
    return _authors_of(({"id": row.id, "owner": row.owner} for row in rows), running)


def _authors_of(rows: Iterable[dict[str, Any]], running: Runtime) -> dict[int, int]:
    """The truth, with the keys: the author of each of these dumped post rows (rows since
    replaced included)."""
    owners = Owners(running.services.keyring)
    return {
        row["id"]: int((owners.identity_of("anonymous_posts", row["owner"]) or "u:0")[2:])
        for row in rows
    }


# ----- a dump taken while a held-back post waits -----


async def test_a_dump_while_a_held_back_post_waits_does_not_show_it_was_held(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _sam_asks_while_his_post_waits(week)
    await week.at(1, "09:40:00")
    await week.checkin("Riley", "anonymous", mood=3)
    await week.at(1, "09:42:00")

    # The nightly backup happens to run now. A post checked in by now appears by now plus
    # twice the delay, unless it was held back for a mentor request.
    dump = await take_dump(running)
    taken, delay = clock.now(), timedelta(minutes=5)
    waiting = [row for row in dump.rows["anonymous_posts"] if row["state"] == "pending"]
    assert len(waiting) == 2, waiting
    # (A waiting post's time is sealed since migration 0027: its post_after is empty.)
    held = [
        row["id"]
        for row in waiting
        if row["post_after"] is not None and row["post_after"] > taken + 2 * delay
    ]
    asked = {
        row["user_id"] for row in dump.rows["mentor_requests"]
        if taken - row["created_at"] <= 2 * delay + timedelta(minutes=30)
    }  # fmt: skip
    truth = await _post_authors(running)
    named = [post_id for post_id in held if asked == {truth[post_id]}]
    times = [(row["id"], row["post_after"] and f"{row['post_after']:%H:%M}") for row in waiting]
    assert not named, (
        f"the backup at {taken:%H:%M} shows posts {times} waiting: {held} held back; "
        f"mentor_requests names {asked}"
    )


async def test_a_held_back_post_looks_ordinary_in_every_dump_and_appears_once_after_its_hold(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sams, alert = await _sam_asks_while_his_post_waits(week)
    assert POST_HELD_BACK in week.mentor_reply, week.mentor_reply
    asked_at, delay = _message_time(alert.id), timedelta(minutes=5)

    # A dump every three minutes until the afternoon: each shows every waiting post due
    # within twice the delay, as a post checked in then would be.
    start = datetime(2026, 11, 23, 9, 20, tzinfo=ZONE)
    stand_out = []
    for step in range(1, 6 * 20):
        await week.at(1, f"{start + step * timedelta(minutes=3):%H:%M:%S}")
        taken = clock.now()
        stand_out += [
            (f"{taken:%H:%M}", f"{row['post_after']:%H:%M}")
            for row in (await take_dump(running)).rows["anonymous_posts"]
            if row["state"] == "pending" and row["post_after"] is not None
            and row["post_after"] > taken + 2 * delay
        ]  # fmt: skip
    assert not stand_out, f"(dump, post_after) of waiting posts due too far on: {stand_out}"

    # Nothing lost, nothing twice: Sam's post appears once, after its hold.
    shown = [_message_time(p.id) for p in _anonymous_posts(week) if p.embeds[0]["title"] == sams]
    assert len(shown) == 1, [m.text for m in week.channel()]
    [appeared] = shown
    assert HOLD_BACK[0] <= appeared - asked_at <= HOLD_BACK[1] + 2 * delay, (
        f"asked at {asked_at:%H:%M:%S}; the held-back post appeared at {appeared:%H:%M:%S}"
    )


async def test_dumps_before_and_after_a_mentor_request_do_not_show_whose_post_it_held(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await week.at(1, "09:19:00")
    await week.checkin("Riley", "anonymous", mood=3)  # waiting when Sam asks, as his is
    await week.at(1, "09:20:00")
    await week.checkin("Sam", "anonymous", mood=2, sleep="3")
    await week.clock.advance(timedelta(seconds=15))
    before = await take_dump(running)
    await week.clock.advance(timedelta(seconds=16))
    card = (await world.sandbox.slash(week.members["Sam"], world.general, "crisis")).messages[0]
    assert POST_HELD_BACK in (await ask_a_mentor(world.sandbox, week.members["Sam"], card)).text
    after = await take_dump(running)

    # The hold is sealed in the post's content: only the held post's changing would say so.
    # Every waiting post is sealed anew as a new row: none keeps its id, owner or content.
    was = {row["id"]: row for row in before.rows["anonymous_posts"]}
    kept = {
        column: {row[column] for row in after.rows["anonymous_posts"]}
        for column in ("id", "owner", "content")
    }
    changed = [
        post_id for post_id, row in was.items()
        if all(row[column] not in values for column, values in kept.items())
    ]  # fmt: skip
    truth = {**await _post_authors(running), **_authors_of(was.values(), running)}
    assert len(was) == 2, was
    assert sorted(changed) == sorted(was), (
        f"waiting: posts by {[truth[p] for p in was]}; the request replaced the rows of "
        f"{[truth[p] for p in changed]} (Sam is {week.members['Sam'].id})"
    )


async def test_two_dumps_while_a_held_back_post_waits_do_not_show_it_was_held(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _sam_asks_while_his_post_waits(week)
    await week.at(1, "09:40:00")
    await week.checkin("Riley", "anonymous", mood=3)
    await week.at(1, "09:42:00")
    first = await take_dump(running)
    await week.at(1, "09:55:00")
    await week.checkin("Alex", "anonymous", mood=3)
    await week.at(1, "10:05:00")
    second, taken = await take_dump(running), clock.now()

    # A post waiting at the first backup has appeared by the second, twice the delay on,
    # unless it was held back for a mentor request: so any value a waiting row of the
    # second backup shares with one of the first (its id, its pseudonym, its sealed owner
    # or content, its time) says it was held.
    def waiting(dump: Any) -> list[dict[str, Any]]:
        return [row for row in dump.rows["anonymous_posts"] if row["state"] == "pending"]

    joins = ("id", "pseudonym", "owner", "content", "post_after")
    held = {
        column: {
            row["id"] for row in waiting(second)
            if row[column] is not None and row[column] in {old[column] for old in waiting(first)}
        }
        for column in joins
    }  # fmt: skip
    asked = {
        row["user_id"] for row in second.rows["mentor_requests"]
        if taken - row["created_at"] <= timedelta(hours=1)
    }  # fmt: skip
    truth = await _post_authors(running)
    named = {
        column: [truth[post_id] for post_id in posts if asked == {truth[post_id]}]
        for column, posts in held.items()
    }
    assert not any(named.values()), (
        f"a row waiting in both backups, joined by {named}; mentor_requests names {asked}"
    )
    # Stored lengths do not single it out either: every waiting post is sealed to one size.
    lengths = {len(row["content"]) for row in waiting(first) + waiting(second)}
    assert len(lengths) == 1, lengths


@pytest.mark.parametrize("appeared", [False, True], ids=["still-waiting", "appeared"])
async def test_a_held_back_post_sealed_anew_is_still_withdrawn_from_its_confirmation(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock, appeared: bool
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sandbox, sam = world.sandbox, week.members["Sam"]
    await week.at(1, "09:20:00")
    told = await sandbox.slash(sam, world.general, "checkin now",
                               **checkin_options(share="anonymous", mood=2, sleep="3"))  # fmt: skip
    reply = next(m for m in told.messages if any(c.startswith("anon:withdraw:")
                                                 for c in m.custom_ids()))  # fmt: skip
    [withdraw] = [c for c in reply.custom_ids() if c.startswith("anon:withdraw:")]
    card = (await sandbox.slash(sam, world.general, "crisis")).messages[0]
    assert POST_HELD_BACK in (await ask_a_mentor(sandbox, sam, card)).text
    await week.at(1, "15:00:00" if appeared else "10:00:00")  # pushed on, a new row each time
    async with running.sessions() as session:
        ids = list(await session.scalars(select(AnonymousPost.id)))
    assert len(ids) == 1, ids
    assert ids != [int(withdraw.rsplit(":", 1)[1])]  # the row the button named is gone
    assert len(_anonymous_posts(week)) == int(appeared), [m.text for m in week.channel()]

    answer = await sandbox.click(sam, reply, withdraw)
    assert answer.text == ("Your post is gone." if appeared else "Okay, it won't be posted.")
    await week.at(1, "16:00:00")
    assert _anonymous_posts(week) == [], [m.text for m in week.channel()]


# ----- SQLite: the write-ahead log in a copy of the files -----


def _wal_history(database: Path, into: Path, **queries: str) -> list[dict[str, list[Any]]]:
    """What `queries` answer in every committed state a copy of the files still holds, oldest
    first: the database file alone, then with the write-ahead log cut after each commit frame
    (a log cut at a commit is a valid log). A table not made yet answers nothing."""
    base, log = database.read_bytes(), Path(f"{database}-wal").read_bytes()
    page_size = struct.unpack(">I", log[8:12])[0]
    salts = log[16:24]
    ends, offset = [], 32
    while offset + 24 + page_size <= len(log) and log[offset + 8 : offset + 16] == salts:
        commit = struct.unpack(">I", log[offset + 4 : offset + 8])[0]
        offset += 24 + page_size
        if commit:
            ends.append(offset)
    history = []
    for number, end in [("file", 0), *enumerate(ends)]:  # first the database file alone
        copy = into / f"state-{number}.db"
        copy.write_bytes(base)
        if end:
            Path(f"{copy}-wal").write_bytes(log[:end])
        state = sqlite3.connect(copy)
        answers: dict[str, list[Any]] = {}
        for name, query in queries.items():
            try:
                answers[name] = state.execute(query).fetchall()
            except sqlite3.OperationalError:  # before the table was made
                answers[name] = []
        state.close()
        history.append(answers)
    return history


async def _copy_of_the_files(settings: Settings, tmp_path: Path, **queries: str) -> list[Any]:
    """The backup: `cp muster.db* backup/` while the bot runs, as one copies any files."""
    database = sqlite_path(settings.database_url)
    assert database is not None
    copies = tmp_path / "backup"
    copies.mkdir()
    return _wal_history(database, copies, **queries)


@only_sqlite  # the write-ahead log is SQLite's
async def test_a_copy_of_the_database_files_does_not_tie_a_held_back_post_to_the_request(
    ids_on_the_test_clock: None,
    bot_settings: Settings,
    running: Runtime,
    world: World,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _held_back_day(week)

    history = await _copy_of_the_files(
        bot_settings, tmp_path,
        requests="SELECT user_id, message_id FROM mentor_requests",
        posts="SELECT id, post_after FROM anonymous_posts",
    )  # fmt: skip
    asked = next(i for i, state in enumerate(history) if state["requests"])
    [(user_id, _)] = history[asked]["requests"]
    # From the commit before the request's (if the log still has it) to three after it.
    moved = {
        post_id
        for before, after in itertools.pairwise(history[max(asked - 1, 0) : asked + 4])
        for post_id, at in after["posts"]
        if post_id in dict(before["posts"]) and dict(before["posts"])[post_id] != at
    }  # fmt: skip
    truth = await _post_authors(running)
    assert [truth[p] for p in moved] != [user_id], (
        f"{len(history)} commits in the log; from the mentor request's to three after, by "
        f"{user_id}, post(s) {moved} moved: their author is {[truth[p] for p in moved]}"
    )


# ----- the sobriety counter: a reset joins two attempts -----


async def test_an_anonymous_milestone_after_a_reset_is_not_tied_to_the_named_attempt_before(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair", "Casey")
    sandbox, general, members = world.sandbox, world.general, week.members

    # Sunday: Casey celebrates a week by name; Alex and Blair count anonymously.
    await week.at(0, "10:30:00")
    await sandbox.slash(members["Casey"], general, "sobriety set", since="Nov 15",
                        milestones="named")  # fmt: skip
    await sandbox.slash(members["Alex"], general, "sobriety set", since="Oct 24",
                        milestones="anonymous")  # fmt: skip
    await week.at(0, "11:10:00")
    await sandbox.slash(members["Blair"], general, "sobriety set", milestones="anonymous")
    await week.at(0, "13:00:00")
    # Monday morning: Casey slipped. She keeps her name out of her milestones from now on,
    # then starts counting again.
    await week.at(1, "08:15:00")
    await sandbox.slash(members["Casey"], general, "sobriety set", since="Nov 15",
                        milestones="anonymous")  # fmt: skip
    await sandbox.slash(members["Casey"], general, "sobriety reset")
    await week.at(2, "13:00:00")

    days_of = {milestone_words(days): days for days in MILESTONE_DAYS}
    celebrated = []  # (member named or None, the attempt's first day)
    for message in week.channel():
        found = re.search(r"reached \*\*(.+?)\*\* today", message.text)
        if found is None:
            continue
        named = re.search(r"<@(\d+)>", message.text)
        day = _message_time(message.id).astimezone(ZONE).date()
        first = day - timedelta(days=days_of[found[1]])
        celebrated.append((int(named[1]) if named else None, first))
    anonymous = [first for who, first in celebrated if who is None]
    assert len(anonymous) == 3, celebrated  # Alex's 30 days, Blair's and Casey's 24 hours

    # The dump attacker: an attempt ends the day the member's next attempt starts.
    dump = await take_dump(running)
    attempts = dump.rows["sobriety_streaks"]
    member_of: dict[int, int] = {}
    for who, first in celebrated:
        rows = [i for i, row in enumerate(attempts) if row["started_on"] == first]
        if who is not None and len(rows) == 1:
            member_of[rows[0]] = who
    for index, row in enumerate(attempts):
        following = [
            i for i, later in enumerate(attempts)
            if row["ended_on"] is not None and later["started_on"] == row["ended_on"]
            and later["id"] > row["id"]
        ]  # fmt: skip
        if index in member_of and len(following) == 1:
            member_of[following[0]] = member_of[index]
    unmasked = [
        (f"{first:%b %d}", member_of[i]) for first in anonymous
        for i, row in enumerate(attempts)
        if row["started_on"] == first and row["share"] == "anonymous" and i in member_of
    ]  # fmt: skip
    rows = [(r["id"], str(r["started_on"]), str(r["ended_on"]), r["share"]) for r in attempts]
    assert not unmasked, (
        f"attempts {rows}: "
        f"the anonymous milestone counted from {unmasked} is the named member's next attempt "
        f"(Casey is {members['Casey'].id})"
    )


# ----- a held-back post across the pseudonym week's end -----


async def test_a_post_held_back_into_the_next_week_does_not_give_away_its_author(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sandbox = world.sandbox
    # Friday Nov 27, pseudonym week 48: three members post.
    for name, at in (("Sam", "10:00:00"), ("Riley", "11:00:00"), ("Alex", "12:00:00")):
        await week.at(5, at)
        await week.checkin(name, "anonymous", mood=3)
    await week.at(6, "20:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")  # a low Saturday
    # Sunday night, still week 48: low again, anonymously, and he asks for a mentor.
    await week.at(7, "23:20:00")
    await _low_day_then_ask(week, "Sam")
    # Monday Nov 30, week 49: the others go on posting.
    await week.at(8, "00:40:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(8, "01:30:00")
    await week.checkin("Alex", "anonymous", mood=4)
    await week.at(8, "08:00:00")

    # The moderator: which pseudonyms showed in the week before, and when each post showed.
    posts = _anonymous_posts(week)
    monday = datetime(2026, 11, 30, tzinfo=ZONE)
    last_week = {p.embeds[0]["title"] for p in posts if _message_time(p.id) < monday}
    delay = timedelta(minutes=5)
    late = [
        p for p in posts
        if _message_time(p.id) >= monday + 2 * delay and p.embeds[0]["title"] in last_week
    ]  # fmt: skip
    alerts = [
        (_message_time(m.id), name)
        for m in sandbox.channel_messages(week.group.mentors)
        for name in week.members if f"**{name}**" in m.text
    ]  # fmt: skip
    named = {
        p.embeds[0]["title"]: sorted({
            name for at, name in alerts
            if _message_time(p.id) - timedelta(hours=4, minutes=10) <= at < monday
        })
        for p in late
    }  # fmt: skip
    sams = next(k.split("|")[0] for k, (_, n) in week.authors.items() if n == "Sam")
    shown = [(p.embeds[0]["title"], f"{_message_time(p.id).astimezone(ZONE):%a %H:%M}")
             for p in posts]  # fmt: skip
    assert named.get(f"Check-in from {sams}") != ["Sam"], (
        f"posts (New York) {shown}: "
        f"{list(named)} showed in week 49 under a week-48 pseudonym, so it waited past any "
        f"delay (held back); the only mentor request before midnight names {named}"
    )


# ----- the order of writes: a private check-in just before the member's mentor request -----


async def _private_low_then_ask(week: Week) -> None:
    """Sam, low two days running, keeps his check-in private and takes the mentor offer that
    comes with it; the others check in around him, by name, privately and anonymously."""
    sandbox = week.sandbox
    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "09:00:00")
    await week.checkin("Riley", "named", mood=4)
    await week.at(1, "09:10:00")
    await week.checkin("Alex", "private", mood=3)
    await week.at(1, "09:20:00")
    low = await sandbox.slash(week.members["Sam"], week.world.general, "checkin now",
                              **checkin_options(share="private", mood=1, sleep="3"))  # fmt: skip
    reply = low.messages[-1]
    assert "crisis:mentor" in reply.custom_ids(), [m.text for m in low.messages]
    await week.at(1, "09:20:31")
    await ask_a_mentor(sandbox, week.members["Sam"], reply)
    await week.at(1, "09:40:00")
    await week.checkin("Alex", "anonymous", mood=3)
    await week.at(1, "10:00:00")
    await week.checkin("Riley", "private", mood=2)
    await week.at(1, "12:00:00")


async def _checkin_owners(running: Runtime) -> dict[int, int]:
    """The truth, with the keys: each check-in row's member."""
    owners = Owners(running.services.keyring)
    async with running.sessions() as session:
        rows = list(await session.scalars(select(Checkin)))
    return {row.id: int((owners.identity_of("checkins", row.owner) or "u:0")[2:]) for row in rows}


async def _checkin_times(running: Runtime) -> dict[int, datetime]:
    """The truth, with the keys: when each check-in row's member checked in."""
    async with running.sessions() as session:
        rows = list(await session.scalars(select(Checkin)))
    opened = {row.id: open_checkin(running.services.keyring, row) for row in rows}
    return {row_id: item.at for row_id, item in opened.items() if item is not None}


async def _a_busy_sunday(week: Week) -> None:
    """Sunday: the others check in privately, now and then, as an active group does (a
    dozen check-in rows by Monday, so an order the ids keep shows whatever drew them)."""
    for hour in range(11, 19):
        await week.at(0, f"{hour}:00:00")
        await week.checkin("Riley" if hour % 2 else "Alex", "private", mood=4)


def _count_up(ranks: list[int]) -> bool:
    """Whether these ids (or places), in the order their rows were written, count up but for
    at most one (a row rewritten, or taken out and put back): then they tell the order of
    writes. Drawn at random, they do so for a dozen rows about once in four million times."""
    rising: list[int] = []  # the smallest last rank of a rising run of each length
    for rank in ranks:
        place = bisect.bisect_left(rising, rank)
        rising[place : place + 1] = [rank]
    return len(rising) >= len(ranks) - 1


@only_postgres  # xmin is PostgreSQL's
async def test_row_versions_do_not_tie_a_private_checkin_to_the_mentor_request(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _private_low_then_ask(week)

    async with running.engine.connect() as connection:
        [(asked, user_id)] = (await connection.execute(text(
            "SELECT xmin::text::bigint, user_id FROM mentor_requests"
        ))).all()  # fmt: skip
        rows = (await connection.execute(text(
            "SELECT xmin::text::bigint, id FROM checkins"
        ))).all()  # fmt: skip
    before = [checkin_id for x, checkin_id in sorted(rows) if x < asked]
    truth = await _checkin_owners(running)
    assert len(rows) == 6, rows
    # (None may be left before it: the request's transaction rewrites the recent ones.)
    assert not before or truth[before[-1]] != user_id, (
        f"the mentor request by {user_id} was written by transaction {asked}; check-ins by "
        f"{sorted(rows)} (transaction, row): row {before[-1]}, the last before it, is theirs"
    )


@only_postgres  # a row version's place in the table (ctid) is PostgreSQL's
async def test_the_rows_place_in_the_table_does_not_tie_a_private_checkin_to_the_request(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _a_busy_sunday(week)
    await _private_low_then_ask(week)

    # A dump (pg_dump copies each table by a plain scan) lists rows in their places in the
    # table: if those follow the order of writes, the last written before the request's
    # transaction (xmin) is the requester's.
    async with running.engine.connect() as connection:
        [(asked, user_id)] = (await connection.execute(text(
            "SELECT xmin::text::bigint, user_id FROM mentor_requests"
        ))).all()  # fmt: skip
        rows = (await connection.execute(text(
            "SELECT id, xmin::text::bigint FROM checkins"
            " ORDER BY (ctid::text::point)[0], (ctid::text::point)[1]"
        ))).all()  # fmt: skip
    truth, times = await _checkin_owners(running), await _checkin_times(running)
    before = [row_id for row_id, x in rows if x <= asked]
    assert len(before) == 12, rows
    places = {row_id: place for place, row_id in enumerate(before)}
    written = sorted(before, key=times.__getitem__)
    assert not (_count_up([places[i] for i in written]) and truth[before[-1]] == user_id), (
        f"check-ins in the order of their places {before} (written {written}), the request "
        f"by {user_id} written by transaction {asked}: the last before it is theirs"
    )


@only_sqlite  # the write-ahead log is SQLite's
async def test_a_copy_of_the_database_files_does_not_tie_a_private_checkin_to_the_request(
    ids_on_the_test_clock: None,
    bot_settings: Settings,
    running: Runtime,
    world: World,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    await _a_busy_sunday(week)
    await _private_low_then_ask(week)

    history = await _copy_of_the_files(
        bot_settings, tmp_path,
        requests="SELECT user_id FROM mentor_requests", checkins="SELECT id FROM checkins",
    )  # fmt: skip
    asked = next(i for i, state in enumerate(history) if state["requests"])
    [(user_id,)] = history[asked]["requests"]
    added_before = [
        new for before, after in itertools.pairwise(history[: asked + 1])
        for new in sorted(set(after["checkins"]) - set(before["checkins"]))
    ]  # fmt: skip
    truth = await _checkin_owners(running)
    if added_before:  # the log's order is the order of the commits
        (last,) = added_before[-1]
        ordered = True
    else:  # the log holds nothing from before the request: the file, as of it, has the rows,
        # and if their ids count up, the highest is the newest
        (last,) = max(history[asked]["checkins"])
        times = await _checkin_times(running)
        ordered = _count_up(sorted((i for (i,) in history[asked]["checkins"]), key=times.get))
    assert not (ordered and truth[last] == user_id), (
        f"check-ins committed in order {added_before} before the mentor request by {user_id}, "
        f"and {sorted(history[asked]['checkins'])} in the state that first has it: the last, "
        f"row {last}, is theirs"
    )


# ----- row order in the deliveries table: set up in one go -----


async def test_an_anonymous_milestones_delivery_row_is_not_next_to_its_members_prompt(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair", "Casey")
    sandbox, general, members = world.sandbox, world.general, week.members
    # Sunday: each sets up what they want, as new members do.
    await week.at(0, "10:05:00")
    await sandbox.slash(members["Casey"], general, "sobriety set", since="Nov 15",
                        milestones="named")  # fmt: skip
    await week.at(0, "10:20:00")
    await sandbox.slash(members["Riley"], general, "checkin prompt", at="9pm")
    await week.at(0, "10:40:00")
    await sandbox.slash(members["Alex"], general, "sobriety set", since="Nov 22",
                        milestones="anonymous")  # fmt: skip
    await week.at(0, "11:02:00")
    await sandbox.slash(members["Blair"], general, "checkin prompt", at="8pm")
    await week.at(0, "11:02:40")
    await sandbox.slash(members["Blair"], general, "sobriety set", since="Oct 24",
                        milestones="anonymous")  # fmt: skip
    await week.at(1, "13:00:00")
    anonymous = [m for m in week.channel() if "Someone in the group reached" in m.text]
    assert len(anonymous) == 2, [m.text for m in week.channel()]  # Alex's and Blair's

    # The dump attacker: prompt rows name their member; a neighbour was booked with them.
    dump = await take_dump(running)
    prompts = {row["id"]: row["user_id"] for row in dump.rows["checkin_prompts"]}
    deliveries = sorted(dump.rows["occurrences"], key=lambda row: row["id"])
    member_of = {
        index: prompts[int(row["source"].split(":")[1])]
        for index, row in enumerate(deliveries) if row["source"].startswith("prompt:")
    }  # fmt: skip
    guesses = {}
    for message in anonymous:
        [index] = [i for i, row in enumerate(deliveries) if row["message_id"] == message.id]
        near = {member_of[i] for i in (index - 1, index + 1) if i in member_of}
        guesses[deliveries[index]["source"]] = near
    truth = await _streak_owners(running)
    correct = {
        source: near for source, near in guesses.items()
        if near == {truth[int(source.split(":")[1])]}
    }  # fmt: skip
    assert not correct, (
        f"deliveries by id {[row['source'] for row in deliveries]}; the anonymous "
        f"milestones' rows next to prompt rows name {correct} (Blair is {members['Blair'].id})"
    )


async def _streak_owners(running: Runtime) -> dict[int, int]:
    """The truth, with the keys: each sobriety attempt's member."""
    owners = Owners(running.services.keyring)
    async with running.sessions() as session:
        rows = list(await session.scalars(select(SobrietyStreak)))
    return {
        row.id: int((owners.identity_of("sobriety_streaks", row.owner) or "u:0")[2:])
        for row in rows
    }


# ----- two servers, one moderator -----


async def test_a_mentor_request_in_one_server_does_not_name_the_post_waiting_in_another(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sandbox, services = world.sandbox, running.services
    # A second group Sam belongs to, moderated by Dana too (a regional network of groups).
    other = await sandbox.create_guild("Second cohort")

    async def joined() -> bool:
        return running.bot.get_guild(other.id) is not None

    await eventually(joined, what="the bot to see the second server")
    # In production the commands are global; here they were synced to the first server.
    sandbox.guild_commands[other.id] = sandbox.guild_commands[world.guild.id]
    general = await sandbox.create_channel(other, "general")
    posts_there = await sandbox.create_channel(other, "check-ins")
    moderators = await sandbox.create_role(other, "Moderator", permissions=1 << 5)
    for member, roles in ((world.member, []), (world.moderator, [moderators])):
        other.members[member.id] = Member(member.user, other.id, roles)
    sam_there = other.members[world.member.id]
    jo = await sandbox.create_member(other, "Jo")
    dana = world.moderator.id
    await services.guild_settings.set_channel(other.id, dana, "checkin_channel_id",
                                              posts_there.id)  # fmt: skip
    await services.guild_settings.set_limits(
        other.id, dana, timezone=NEW_YORK, anonymous_delay_minutes="5",
        summary_threshold="3", retention_days="180",
    )  # fmt: skip
    await services.anonymous.book_next(other.id, clock.now())
    await sandbox.slash(jo, general, "settings timezone", zone="Eastern")

    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")  # a low Sunday
    await week.at(1, "08:30:00")
    await sandbox.slash(jo, general, "checkin now", **checkin_options(share="anonymous"))
    # Monday 09:20: Sam posts anonymously in the second group...
    await week.at(1, "09:20:00")
    told = await sandbox.slash(sam_there, general, "checkin now",
                               **checkin_options(share="anonymous", mood=3))  # fmt: skip
    assert "**" in told.text, told.text
    # ...and a minute later, low again, asks the first group's mentors by name.
    await week.at(1, "09:21:00")
    low = await sandbox.slash(world.member, world.general, "checkin now",
                              **checkin_options(share="private", mood=1, sleep="3"))  # fmt: skip
    reply = low.messages[-1]
    assert "crisis:mentor" in reply.custom_ids(), [m.text for m in low.messages]
    await week.at(1, "09:21:30")
    await ask_a_mentor(sandbox, world.member, reply)
    await week.at(1, "10:40:00")
    await sandbox.slash(jo, general, "checkin now", **checkin_options(share="anonymous"))
    await week.at(1, "13:40:00")  # a post held back one to four hours from 09:21:30 is out

    # Dana: the named request in one server, the posts in the other, each with its time.
    delay = timedelta(minutes=5)
    alerts = [
        (_message_time(m.id), name)
        for m in sandbox.channel_messages(week.group.mentors)
        for name in week.members if f"**{name}**" in m.text
    ]  # fmt: skip
    posts = [m for m in sandbox.channel_messages(posts_there) if m.embeds]
    assert len(posts) == 3, [m.text for m in sandbox.channel_messages(posts_there)]
    sams = "Check-in from " + told.text.split("**")[1]
    named = {
        p.embeds[0]["title"]: sorted(
            {name for at, name in alerts if _message_time(p.id) - 2 * delay <= at}
            - {name for at, name in alerts if at > _message_time(p.id)}
        )
        for p in posts
    }  # fmt: skip
    assert named[sams] != ["Sam"], (
        f"Sam's request at {alerts}; the second server's posts "
        f"{[(p.embeds[0]['title'], f'{_message_time(p.id):%H:%M:%S}') for p in posts]}: {named}"
    )


# ----- what a held-back post says -----


async def test_a_held_back_post_does_not_stand_out_by_what_it_says(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await _sam_asks_while_his_post_waits(week, mood=1)  # a worrying post: the offer comes
    # An ordinary morning in the group: others post in the hours after.
    for name, at, mood in (("Riley", "09:45:00", 3), ("Alex", "10:30:00", 4),
                           ("Blair", "11:40:00", 4), ("Riley", "13:10:00", 5)):  # fmt: skip
        await week.at(1, at)
        await week.checkin(name, "anonymous", mood=mood)
    await week.at(1, "16:00:00")
    posts = _anonymous_posts(week)
    sams = next(k.split("|")[0] for k, (_, n) in week.authors.items() if n == "Sam")
    # Sam's post said what brought the offer: it is kept private, never posted, and he is
    # told so with the answer to his request. No row of it is left to pair with the request.
    assert POST_KEPT_PRIVATE in week.mentor_reply, week.mentor_reply
    assert POST_HELD_BACK not in week.mentor_reply, week.mentor_reply
    assert len(posts) == 4, [m.text for m in week.channel()]
    assert f"Check-in from {sams}" not in [p.embeds[0]["title"] for p in posts]
    truth = await _post_authors(running)
    assert week.members["Sam"].id not in truth.values(), truth

    # The moderator: a named request means a worrying check-in just before it (that is when
    # the offer comes); its post waits one to four hours. Which post in that span says so?
    delay = timedelta(minutes=5)
    [alert] = [m for m in week.sandbox.channel_messages(week.group.mentors) if "**Sam**" in m.text]
    asked = _message_time(alert.id)
    worrying = [
        p.embeds[0]["title"] for p in posts
        if asked <= _message_time(p.id) <= asked + timedelta(hours=4) + 2 * delay
        and (fields := _public_fields(p)) is not None and (fields[0] == 1 or fields[3] == "No")
    ]  # fmt: skip
    shown = [(p.embeds[0]["title"], f"{_message_time(p.id):%H:%M}", _public_fields(p))
             for p in posts]  # fmt: skip
    assert worrying == [], f"Sam asked at {asked:%H:%M}; posts {shown}: {worrying} worrying"


# ----- fixed release times: the order inside a release -----


async def test_posts_released_together_do_not_go_out_in_the_order_they_were_written(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair", "Casey", "Drew", "Eli", "Fran")
    await running.services.guild_settings.set_limits(
        world.guild.id, world.moderator.id, timezone=NEW_YORK,
        anonymous_delay_minutes="12:00, 21:00", summary_threshold="3", retention_days="180",
    )  # fmt: skip
    await week.at(0, "17:00:00")
    await world.sandbox.slash(week.members["Blair"], world.general, "checkin prompt", at="8pm")
    # Monday: check-ins through the afternoon; Blair answers her 8 pm prompt at once.
    day = (("Riley", "12:30:00"), ("Sam", "14:10:00"), ("Casey", "15:05:00"),
           ("Eli", "15:50:00"), ("Alex", "16:45:00"), ("Fran", "17:30:00"),
           ("Drew", "18:20:00"), ("Blair", "20:03:00"))  # fmt: skip
    for name, at in day:
        await week.at(1, at)
        told = await week.checkin(name, "anonymous", mood=3)
        assert "**" in told, told
    await week.at(1, "21:30:00")

    release = sorted(_anonymous_posts(week), key=lambda m: m.id)
    assert len(release) == 8, [m.text for m in week.channel()]
    assert len({_message_time(m.id).replace(second=0, microsecond=0) for m in release}) == 1
    written = [_author_of(week, m) for m in release]
    order = [week.members[name].id for name, _ in day]
    # The dump: Blair's prompt went at 20:00, after every other check-in of the day; the
    # channel: the 21:00 release, in order.
    dump = await take_dump(running)
    prompted = [row for row in dump.rows["occurrences"] if row["source"].startswith("prompt:")
                and row["state"] == "sent"]  # fmt: skip
    assert prompted, dump.rows["occurrences"]
    # Eight posts: a release in random order matches the writing order once in 40320 runs.
    assert written != order, (
        f"the 21:00 release went out in the order its posts were written {written}; its last "
        f"post is the answer to the prompt sent at {prompted[-1]['settled_at']:%H:%M} UTC to "
        f"{dump.rows['checkin_prompts'][0]['user_id']} (Blair)"
    )


# ----- PostgreSQL: a named check-in held for its crisis note -----


@only_postgres  # xmin is PostgreSQL's
async def test_row_versions_do_not_show_whose_named_checkin_was_held_for_its_note(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sandbox, sam = world.sandbox, week.members["Sam"]
    await _a_busy_sunday(week)
    await week.at(1, "09:00:00")
    await week.checkin("Riley", "anonymous", mood=3)
    # 10:00: Sam checks in by name with a note in crisis words; it is held for his choice.
    await week.at(1, "10:00:00")
    shown = await sandbox.slash(sam, world.general, "checkin now", add_note=True,
                                **checkin_options(share="named", mood=1))  # fmt: skip
    held = await sandbox.submit_modal(sam, shown, {"checkin:note": "I can't go on. I want to die."})
    await sandbox.wait_for(lambda: len(held.messages) == 2, what="the choice")
    await week.at(1, "10:20:00")
    await week.checkin("Alex", "anonymous", mood=4)
    # Later that morning he shares it by name, without the note.
    await week.at(1, "10:45:00")
    choice = held.messages[1]
    await sandbox.click(sam, choice, next(c for c in choice.custom_ids() if c.endswith(":bare")))
    await week.at(1, "11:15:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(1, "12:30:00")
    await week.checkin("Riley", "named", mood=4)
    await week.at(1, "13:00:00")
    named = [(m, _message_time(m.id)) for m in week.channel()
             if m.embeds and "Shared anon" not in m.embeds[0].get("footer", {}).get("text", "")
             and m.embeds[0].get("title", "").startswith("Check-in from")]  # fmt: skip
    assert len(named) == 2, [m.text for m in week.channel()]
    assert all(not m.embeds[0].get("description") for m, _ in named)  # no note shown

    # The attacker: if rows are written in id order (in the order of their transactions, the
    # ids count up, but for a row or so), a row whose transaction is later than a later
    # row's was rewritten; sent deliveries (their transaction and time) date it.
    async with running.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, xmin::text::bigint FROM checkins"))).all()
        anchors = (await connection.execute(text(
            "SELECT xmin::text::bigint, settled_at FROM occurrences WHERE state = 'sent'"
        ))).all()  # fmt: skip
    assert len(rows) == 13, rows
    if not _count_up([i for i, _ in sorted(rows, key=lambda row: row[1])]):
        return  # ids in no order: a row's place among them says nothing of its first write

    def named_between(low: int, high: int | None) -> tuple[set[str], datetime, datetime]:
        """The named posts between the sent deliveries around transactions low..high (with
        no high: in the day after, as long as a held check-in's choice stays open)."""
        after = max(at for x, at in anchors if x < low)
        later = [at for x, at in anchors if high is not None and x > high]
        before = min(later) if later else after + timedelta(days=1)
        return {m.embeds[0]["title"] for m, at in named if after <= at <= before}, after, before

    rewritten = [x for i, x in rows if any(j > i and y < x for j, y in rows)]
    for x in rewritten:
        named_then, after, before = named_between(x, x)
        assert named_then != {"Check-in from Sam"}, (
            f"check-in rows (id, xmin) {sorted(rows)}: one was rewritten between the "
            f"deliveries sent at {after:%H:%M:%S} and {before:%H:%M:%S}, when only "
            f"{named_then} was posted"
        )
    # A row gone from the middle of the ids (a check-in of that time deleted): was it held
    # and then shared? The named posts after it, within the day a choice stays open.
    ordered = sorted(rows)
    for (i, x), (j, _) in itertools.pairwise(ordered):
        if j - i > 1:
            named_then, after, _ = named_between(x, None)
            assert named_then != {"Check-in from Sam"}, (
                f"check-in rows (id, xmin) {ordered}: a row between {i} and {j} is gone, and "
                f"after {after:%H:%M:%S} only {named_then} was posted by name"
            )
