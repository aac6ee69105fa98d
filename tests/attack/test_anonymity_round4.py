"""Red team, issue #12, fourth round: side effects (deletion, export, key rotation, a block's
end), one dump read against the channel, backups that date rows, stored lengths in wider
scripts, and what moderators are told when they block an author twice.

Each test plays days in one server through the sandbox (message ids carry the test's own
clock), attacks with dumps taken when the attacker chooses, the channel history and the
member list (or with only what moderators see), and asserts the attacker learns nothing.
The joins are pure functions, each also run on a timeline where the link exists (the
positive control), so a join that finds nothing is a join that would have found it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import select, text

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.base import Base
from bot.db.models import Checkin
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Member, Message
from bot.sandbox.state import DISCORD_EPOCH_MS
from bot.services.checkins import open_checkin
from bot.services.key_rotation import KeyRotation
from tests.attack.test_anonymity_round2 import (
    _anonymous_posts,
    _author_of,
    _authors_of,
    _checkin_owners,
    _copy_of_the_files,
    _post_authors,
    _sam_asks_while_his_post_waits,
    _week_of,
)
from tests.attack.test_anonymity_round3 import Backups
from tests.conftest import ON_POSTGRES, World, eventually
from tests.test_attacker import NEW_YORK, ZONE, Dump, Week, _message_time, take_dump
from tests.test_checkins_e2e import checkin_options

DELAY = timedelta(minutes=5)  # the server's anonymous delay, as _week_of sets it up
Key = tuple[Any, ...]


# ----- dump arithmetic -----


def _keyed(dump: Dump, table: str) -> dict[Key, dict[str, Any]]:
    names = [column.name for column in Base.metadata.tables[table].primary_key]
    return {tuple(row[name] for name in names): row for row in dump.rows[table]}


def _plain(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row.values())


def _changes(before: Dump, after: Dump) -> dict[str, dict[str, set[Key]]]:
    """Per table: the primary keys of rows added, removed and rewritten between two dumps."""
    found: dict[str, dict[str, set[Key]]] = {}
    for table in Base.metadata.tables:
        was, now = _keyed(before, table), _keyed(after, table)
        found[table] = {
            "added": set(now) - set(was),
            "removed": set(was) - set(now),
            "changed": {k for k in set(was) & set(now) if _plain(was[k]) != _plain(now[k])},
        }
    return found


def _members_in(rows: Iterable[dict[str, Any]], member_ids: set[int]) -> set[int]:
    """Member ids held anywhere in these rows (a column, or inside text)."""
    found = set()
    for row in rows:
        for value in row.values():
            if isinstance(value, int) and value in member_ids:
                found.add(value)
            elif isinstance(value, str | dict | list):
                found |= {m for m in member_ids if str(m) in str(value)}
    return found


def _members_touched(before: Dump, after: Dump, member_ids: set[int]) -> set[int]:
    """The members named by a row added, removed or rewritten between the dumps (an audit
    line's actor too: it is written at that moment, by them)."""
    named = set()
    for table, change in _changes(before, after).items():
        was, now = _keyed(before, table), _keyed(after, table)
        rows = [was[k] for k in change["removed"] | change["changed"]]
        rows += [now[k] for k in change["added"] | change["changed"]]
        named |= _members_in(rows, member_ids)
    return named


def _ids(week: Week) -> set[int]:
    return {member.id for member in week.members.values()}


# ----- 1. /mydata delete between two backups -----


def deletion_join(before: Dump, after: Dump, member_ids: set[int]) -> dict[str, Any]:
    """The rows a deletion took or rewrote, tied to the one member whose named rows went
    with them: their anonymous posts (across weeks) and their check-ins."""
    named = _members_touched(before, after, member_ids)
    change = _changes(before, after)
    posts = {
        k[0] for k in change["anonymous_posts"]["changed"] | change["anonymous_posts"]["removed"]
    }
    checkins = {k[0] for k in change["checkins"]["removed"] | change["checkins"]["changed"]}
    member = next(iter(named)) if len(named) == 1 else None
    return {"member": member, "posts": posts, "checkins": checkins}


def _fake_dump(**tables: list[dict[str, Any]]) -> Dump:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in Base.metadata.tables}
    rows.update(tables)
    return Dump(rows)


def test_the_deletion_join_finds_a_link_where_one_exists() -> None:
    """Positive control: a deletion that reseals only the member's posts and removes their
    check-in and settings row is caught."""
    post = {"id": 1, "owner": b"a", "week": "2026-W48"}
    other = {"id": 2, "owner": b"b", "week": "2026-W49"}
    before = _fake_dump(
        anonymous_posts=[post, other], checkins=[{"id": 7, "owner": b"x"}],
        member_settings=[{"user_id": 42, "timezone": "UTC"}],
    )  # fmt: skip
    after = _fake_dump(anonymous_posts=[{**post, "owner": b"nobody"}, other])
    found = deletion_join(before, after, {42, 43})
    assert found == {"member": 42, "posts": {1}, "checkins": {7}}


async def _two_weeks_of_posts(week: Week) -> None:
    """Week 48 and week 49: everyone posts anonymously, some privately, Blair by name."""
    for day, at, name, share in (
        (1, "09:10:00", "Sam", "anonymous"), (1, "10:30:00", "Riley", "anonymous"),
        (1, "11:45:00", "Alex", "anonymous"), (1, "13:00:00", "Blair", "named"),
        (2, "09:00:00", "Sam", "private"), (2, "10:00:00", "Riley", "private"),
        (2, "11:00:00", "Blair", "anonymous"), (3, "19:30:00", "Alex", "private"),
        (8, "09:10:00", "Sam", "anonymous"), (8, "10:20:00", "Alex", "anonymous"),
        (8, "11:30:00", "Riley", "anonymous"), (8, "12:40:00", "Blair", "anonymous"),
    ):  # fmt: skip
        await week.at(day, at)
        await week.checkin(name, share, mood=3)
    await week.at(8, "15:00:00")


async def _private_rows(running: Runtime) -> set[int]:
    async with running.sessions() as session:
        rows = list(await session.scalars(select(Checkin)))
    opened = {row.id: open_checkin(running.services.keyring, row) for row in rows}
    return {i for i, item in opened.items() if item is not None and item.share == "private"}


async def _around_sams_deletion(
    running: Runtime, world: World, clock: FakeClock
) -> tuple[Week, Dump, Dump, dict[int, int], dict[int, int], set[int]]:
    """Two weeks of posts, the nightly backup, Sam's /mydata delete, the next backup; with
    the truth (each post's author, each check-in's owner, the private check-ins)."""
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await _two_weeks_of_posts(week)
    assert len(_anonymous_posts(week)) == 8, [m.text for m in week.channel()]
    authors, owners = await _post_authors(running), await _checkin_owners(running)
    private = await _private_rows(running)

    before = await take_dump(running)  # the nightly backup
    asked = await week.sandbox.slash(week.members["Sam"], world.general, "mydata delete")
    await week.sandbox.click(week.members["Sam"], asked.messages[0], "mydata:confirm")
    assert "Removed" in asked.messages[0].content, asked.messages[0].content
    after = await take_dump(running)  # the next one
    return week, before, after, authors, owners, private


async def test_a_mydata_delete_between_two_backups_ties_no_post_to_the_member(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week, before, after, authors, _, _ = await _around_sams_deletion(running, world, clock)
    sam = week.members["Sam"].id

    found = deletion_join(before, after, _ids(week))
    moved = {t: {kind: len(keys) for kind, keys in c.items() if keys}
             for t, c in _changes(before, after).items() if any(c.values())}  # fmt: skip
    weeks = {row["week"] for row in before.rows["anonymous_posts"] if row["id"] in found["posts"]}
    # Without the member, too: rewritten posts of two weeks, all by one author, are linked.
    linked = len(weeks) >= 2 and len({authors[p] for p in found["posts"]}) == 1
    assert not linked, (
        f"between the backups around a /mydata delete, posts {sorted(found['posts'])} of weeks "
        f"{sorted(weeks)} were rewritten or removed, all by one author (rows moved: {moved})"
    )
    # The member is named by their settings row, which goes (that much is inherent). The
    # posts the deletion rewrote or removed tie to them if they are all theirs.
    singled_out = bool(found["posts"]) and all(
        authors.get(p) == found["member"] for p in found["posts"]
    )
    tied_posts = sorted(found["posts"]) if singled_out else []
    # Short of every post row of the member's servers, the rows left alone narrow the guess.
    servers = {row["guild_id"] for row in before.rows["anonymous_posts"]
               if row["id"] in found["posts"]}  # fmt: skip
    left_alone = sorted(
        row["id"]
        for row in before.rows["anonymous_posts"]
        if row["guild_id"] in servers and row["id"] not in found["posts"]
    )
    assert not left_alone, (
        f"around {found['member']}'s /mydata delete (Sam is {sam}), posts "
        f"{sorted(found['posts'])} were rewritten or removed, but {left_alone} of the same "
        f"server were not"
    )
    assert found["member"] is None or not tied_posts, (
        f"between the backups around {found['member']}'s /mydata delete (Sam is {sam}), "
        f"posts {tied_posts} were rewritten or removed: all theirs (rows moved: {moved})"
    )


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known break, issue #12: /mydata delete removes the member's check-in rows (their "
        "private ones too) with their member_settings row, between two backups"
    ),
)
async def test_a_mydata_delete_between_two_backups_ties_no_private_checkin_to_the_member(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week, before, after, _, owners, private = await _around_sams_deletion(running, world, clock)
    sam = week.members["Sam"].id
    found = deletion_join(before, after, _ids(week))
    tied_private = sorted(c for c in found["checkins"]
                          if c in private and owners.get(c) == found["member"])  # fmt: skip
    assert found["member"] is None or not tied_private, (
        f"between the backups around {found['member']}'s /mydata delete (Sam is {sam}), "
        f"private check-ins {tied_private} were removed: all theirs"
    )


# ----- 2. /mydata export -----


async def _xmins(running: Runtime) -> dict[tuple[str, Any], int]:
    found: dict[tuple[str, Any], int] = {}
    async with running.engine.connect() as connection:
        for name in ("checkins", "anonymous_posts"):
            query = text(f"SELECT id, xmin::text::bigint FROM {name}")  # noqa: S608
            for row_id, xmin in (await connection.execute(query)).all():
                found[(name, row_id)] = xmin
    return found


async def test_a_mydata_export_touches_no_row_of_the_members(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await _two_weeks_of_posts(week)
    authors, owners = await _post_authors(running), await _checkin_owners(running)
    sam = week.members["Sam"].id

    before = await take_dump(running)
    versions = await _xmins(running) if ON_POSTGRES else {}
    await week.sandbox.slash(week.members["Sam"], world.general, "mydata export")
    await week.at(8, "15:01:00")
    after = await take_dump(running)
    rewritten = set()
    if ON_POSTGRES:
        now = await _xmins(running)
        rewritten = {key for key, xmin in now.items() if versions.get(key) != xmin}

    change = _changes(before, after)
    touched = {
        ("anonymous_posts", k[0]) for kind in change["anonymous_posts"].values() for k in kind
    }
    touched |= {("checkins", k[0]) for kind in change["checkins"].values() for k in kind}
    touched |= rewritten
    truth = {("anonymous_posts", p): m for p, m in authors.items()}
    truth |= {("checkins", c): m for c, m in owners.items()}
    theirs = {key for key in touched if truth.get(key) == sam}
    named = _members_touched(before, after, _ids(week))
    assert not (theirs and theirs == touched), (
        f"Sam ({sam}) asked for his data; rows {sorted(theirs)} were rewritten then, all his "
        f"(members named by rows written: {named})"
    )


# ----- 3. a block's end -----


def block_join(
    backups: list[tuple[datetime, Dump]], messages: list[Message], skip_until: datetime
) -> list[Message]:
    """Posts that appeared (or whose rows appeared) around a change in anonymous_blocks after
    `skip_until` (the block itself, which the audit log dates): if the row ends when its
    author next checks in, the post that follows is theirs."""
    found: list[Message] = []
    for (start, old), (end, new) in itertools.pairwise(backups):
        if end <= skip_until:
            continue
        change = _changes(old, new)
        if not any(change["anonymous_blocks"].values()):
            continue
        near = [m for m in messages if start + DELAY <= _message_time(m.id) <= end + 2 * DELAY]
        added = {_keyed(new, "anonymous_posts")[k]["pseudonym"]
                 for k in change["anonymous_posts"]["added"]}  # fmt: skip
        near += [m for m in messages if m.embeds[0]["title"].removeprefix("Check-in from ")
                 in added and m not in near]  # fmt: skip
        if len(near) == 1:
            found += near
    return found


def test_the_block_join_finds_a_link_where_one_exists() -> None:
    """Positive control: a block row that goes between two backups, and the one post that
    shows in the delay after, is found."""
    t0 = datetime(2026, 11, 30, 15, 15).astimezone()
    block = {"id": 1, "owner": b"x", "until": t0}

    post = _post_at(t0 + timedelta(minutes=31), "Oak Heron 3")
    backups = [(t0, _fake_dump(anonymous_blocks=[block])),
               (t0 + timedelta(minutes=30), _fake_dump())]  # fmt: skip
    assert block_join(backups, [post], t0 - timedelta(days=1)) == [post]


def _post_at(at: datetime, pseudonym: str) -> Message:
    """A channel message of a pseudonym at a moment, as the sandbox makes them."""
    snowflake = (int(at.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22
    return cast(Message, SimpleNamespace(id=snowflake, text="",
                embeds=[{"title": f"Check-in from {pseudonym}"}]))  # fmt: skip


async def _block_post(week: Week, pseudonym: str, days: int) -> str:
    post = next(m for m in week.channel() if m.embeds and pseudonym in m.text)
    options = (await week.sandbox.click(week.world.moderator, post, "anon:options")).messages[0]
    block = next(c for c in options.custom_ids() if c.startswith(f"anon:block{days}:"))
    done = await week.sandbox.click(week.world.moderator, options, block)
    return f"{options.text}\n{done.text}\n{options.content}"


async def test_the_end_of_a_block_does_not_tie_the_authors_next_post_to_the_blocked_one(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    # Sunday, the last day of week 48: Alex's post is blocked for a day, to Monday noon (the
    # nightly clean-up, before then, finds the block still running).
    for at, name in (("10:00:00", "Alex"), ("10:30:00", "Riley"), ("11:00:00", "Sam")):
        await week.at(7, at)
        await week.checkin(name, "anonymous", mood=3)
    await week.at(7, "12:00:00")
    alex = next(k.split("|")[0] for k, (_, n) in week.authors.items() if n == "Alex")
    await _block_post(week, alex, 1)
    blocked_at = clock.now()

    backups = Backups()
    await backups.every_half_hour(week, 7, "23:45")
    # Monday, week 49: Alex posts again soon after his pause ends, between the others.
    for at, name in (("09:10:00", "Riley"), ("13:40:00", "Alex"), ("15:05:00", "Sam"),
                     ("16:20:00", "Blair")):  # fmt: skip
        await backups.every_half_hour(week, 8, f"{int(at[:2]) - 1}:45")
        await week.at(8, at)
        await week.checkin(name, "anonymous", mood=3)
    await backups.every_half_hour(week, 8, "17:45")

    posts = _anonymous_posts(week)
    assert len(posts) == 6, [m.text for m in week.channel()]  # Alex's first was removed
    guessed = block_join(backups.taken, posts, blocked_at)
    alex_id = week.members["Alex"].id
    tied = [p.embeds[0]["title"] for p in guessed if _author_of(week, p) == alex_id]
    assert not tied, (
        f"the blocked author's (Alex's, week 48 {alex!r}) block row changed in the backup "
        f"interval before {tied}: his week-49 post"
    )


# ----- 4. one dump, read against the channel: a post that was pushed -----


def _posted_at(messages: list[Message]) -> list[datetime]:
    """When the channel shows a check-in post (message ids carry their time)."""
    return [
        _message_time(m.id) for m in messages
        if m.embeds and m.embeds[0].get("title", "").startswith("Check-in from")
    ]  # fmt: skip


def _silent(at: datetime, shown: list[datetime]) -> bool:
    return not any(abs(moment - at) <= timedelta(seconds=1) for moment in shown)


def pushed_join(dump: Dump, messages: list[Message]) -> set[int]:
    """Waiting posts one dump shows due at a moment the channel then shows no post at: a
    post goes out when it is due, unless it was pushed on (held back for a mentor request).
    A dump shows when a waiting post is due by its post_after, and by the server's pending
    release delivery: its due time, for the post its payload names."""
    shown = _posted_at(messages)
    due = {
        row["id"]: row["post_after"] for row in dump.rows["anonymous_posts"]
        if row["state"] == "pending" and row["post_after"] is not None
    }  # fmt: skip
    for release in dump.rows["occurrences"]:
        if release["kind"] == "anonymous" and release["state"] == "pending":
            post = (release["payload"] or {}).get("post")
            if isinstance(post, int):
                due.setdefault(post, release["due_at"])
    return {post for post, at in due.items() if _silent(at, shown)}


def test_the_pushed_join_finds_a_link_where_one_exists() -> None:
    """Positive control: as stored before migration 0027, a waiting row whose post_after the
    channel never shows is found, and so is the row a release names for a moment the
    channel shows nothing at; with the time sealed in the row and the payload sealed,
    nothing is."""
    at = datetime(2026, 11, 23, 14, 30).astimezone()
    rows = [
        {"id": 1, "state": "pending", "post_after": at},
        {"id": 2, "state": "pending", "post_after": at + DELAY},
        {"id": 3, "state": "pending", "post_after": None},
    ]
    release = {"kind": "anonymous", "state": "pending", "due_at": at + 2 * DELAY}
    seen = [_post_at(at, "Oak Heron 3")]
    dump = _fake_dump(anonymous_posts=rows, occurrences=[{**release, "payload": {"post": 3}}])
    assert pushed_join(dump, seen) == {2, 3}
    sealed_rows = [{**row, "post_after": None} for row in rows]
    dump = _fake_dump(anonymous_posts=sealed_rows,
                      occurrences=[{**release, "payload": {"sealed": "9f" * 60}}])  # fmt: skip
    assert pushed_join(dump, seen) == set()


async def test_one_dump_and_the_channel_do_not_show_which_waiting_post_was_pushed_on(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await _sam_asks_while_his_post_waits(week)  # Sam's post is held back 1 to 4 hours
    dumps = []
    for minute in range(21, 100):  # a dump every minute, 09:21 to 10:39
        if minute in (40, 55, 70):
            await week.at(1, f"{9 + minute // 60:02}:{minute % 60:02}:00")
            await week.checkin({40: "Riley", 55: "Alex", 70: "Blair"}[minute], "anonymous",
                               mood=3)  # fmt: skip
        await week.at(1, f"{9 + minute // 60:02}:{minute % 60:02}:30")
        dumps.append(await take_dump(running))
    await week.at(1, "15:00:00")  # the channel history, later
    assert len(_anonymous_posts(week)) == 4, [m.text for m in week.channel()]
    truth, sam = await _post_authors(running), week.members["Sam"].id
    for dump in dumps:  # rows replaced since (a push, a decoy wake) too
        truth.update(_authors_of(dump.rows["anonymous_posts"], running))

    # Any one of the dumps: the waiting rows due when the channel shows nothing.
    singled = [sorted(ids) for ids in (pushed_join(d, week.channel()) for d in dumps)
               if ids and {truth[i] for i in ids} == {sam}]  # fmt: skip
    assert not singled, (
        f"in {len(singled)} of {len(dumps)} single dumps, the only waiting rows due when the "
        f"channel shows no post are {singled[:3]}: Sam's, who asked for a mentor"
    )


def count_join(taken: datetime, waiting: set[int], messages: list[Message]) -> set[int]:
    """The rows one dump taken at `taken` shows waiting, if the channel shows fewer posts in
    the next twice the delay: one of them waited longer than any delay (held back, or
    withdrawn). With one row waiting, it is that one."""
    shown = [at for at in _posted_at(messages) if taken < at <= taken + 2 * DELAY]
    return waiting if len(shown) < len(waiting) else set()


def test_the_count_join_finds_a_link_where_one_exists() -> None:
    """Positive control: one row waiting, and no post in the next twice the delay."""
    at = datetime(2026, 11, 23, 14, 30).astimezone()
    assert count_join(at, {7}, [_post_at(at + 3 * DELAY, "Oak Heron 3")]) == {7}
    assert count_join(at, {7}, [_post_at(at + DELAY, "Oak Heron 3")]) == set()


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known break, issue #12: one dump shows how many posts wait; fewer appearing in the "
        "next twice the delay says one was held back, and while it waits alone, which"
    ),
)
async def test_one_dump_and_the_channel_do_not_count_a_held_post_among_the_waiting(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await _sam_asks_while_his_post_waits(week)  # Sam's post is held back 1 to 4 hours
    dumps: list[tuple[datetime, set[int]]] = []
    everyone: dict[int, int] = {}  # the truth, with the keys: each row's author
    for minute in range(21, 100):  # a dump every minute, 09:21 to 10:39, as in section 4
        if minute in (40, 55, 70):
            await week.at(1, f"{9 + minute // 60:02}:{minute % 60:02}:00")
            await week.checkin({40: "Riley", 55: "Alex", 70: "Blair"}[minute], "anonymous",
                               mood=3)  # fmt: skip
        await week.at(1, f"{9 + minute // 60:02}:{minute % 60:02}:30")
        rows = (await take_dump(running)).rows["anonymous_posts"]
        everyone.update(_authors_of(rows, running))
        dumps.append((clock.now(), {row["id"] for row in rows if row["state"] == "pending"}))
    await week.at(1, "15:00:00")
    sam = week.members["Sam"].id
    singled = [
        sorted(ids) for ids in (count_join(at, waiting, week.channel()) for at, waiting in dumps)
        if ids and {everyone[i] for i in ids} == {sam}
    ]  # fmt: skip
    assert not singled, (
        f"in {len(singled)} of {len(dumps)} single dumps, fewer posts appear in the next "
        f"twice the delay than wait, and the rows waiting are {singled[:3]}: Sam's"
    )


def empty_wakes(views: list[tuple[int, datetime | None]], messages: list[Message]) -> set[datetime]:
    """The release's due times, read in dumps taken while posts waited (how many, and
    when the release is due), at which the channel shows no post: before decoy wakes, the
    mark of a post pushed on, as every release booked while a post waits was for a post."""
    shown = _posted_at(messages)
    return {at for waiting, at in views if waiting and at is not None and _silent(at, shown)}


def test_the_empty_wake_join_finds_one_where_one_exists() -> None:
    """Positive control: a release due while a post waits, and no post then, is found."""
    at = datetime(2026, 11, 23, 14, 30).astimezone()
    views: list[tuple[int, datetime | None]] = [(1, at), (1, at + DELAY), (0, at + 3 * DELAY)]
    assert empty_wakes(views, [_post_at(at, "Oak Heron 3")]) == {at + DELAY}


async def _release_view(running: Runtime) -> tuple[int, datetime | None]:
    """What a dump shows of the release: how many posts wait, when the release is due."""
    async with running.engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT count(*) FROM anonymous_posts WHERE state = 'pending'")
        )
        due = await connection.scalar(
            select(Base.metadata.tables["occurrences"].c.due_at).where(
                text("kind = 'anonymous' AND state = 'pending'")
            )
        )
    return int(waiting or 0), due


async def test_a_release_due_when_no_post_appears_is_ordinary_without_any_hold(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """No mentor request, nothing held: the release still comes due, now and then, while a
    post waits and sends nothing (a decoy wake), so a dump's release time at which no post
    appears does not say a post was pushed on. Each of twenty posts, alone, draws a decoy
    earlier than itself half the time: all twenty miss it about once in a million runs."""
    week = await _week_of(running, world, clock, "Alex")
    views = []
    for number in range(20):
        hour, start = 9 + number // 3, 20 * (number % 3)
        await week.at(1, f"{hour:02}:{start:02}:00")
        await week.checkin(("Sam", "Riley", "Alex", "Sam")[number % 4], "anonymous", mood=3)
        for minute in range(1, 12):  # a dump every minute while it waits, and after
            await week.at(1, f"{hour:02}:{start + minute:02}:30")
            views.append(await _release_view(running))
    await week.at(1, "16:00:00")
    assert len(_anonymous_posts(week)) == 20, [m.text for m in week.channel()]
    empty = empty_wakes(views, week.channel())
    assert empty, (
        "with twenty posts and no hold, the release never came due while a post waited "
        "without one appearing: a dump's release time with no post then marks a post pushed on"
    )


# ----- 5. stored lengths: wider scripts and fractions of a second -----


CHINESE = "今天很难熬，又没睡好，一直想着法庭的事和以前部队的兄弟们。去了小组，好一点了。"  # noqa: RUF001
EMOJI = "😞🙏💔🇺🇸🪖"


async def test_notes_in_wider_scripts_and_odd_fractions_of_a_second_store_one_length(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    chinese = (CHINESE * 40)[:1000]  # three bytes a character, as long as the form allows
    emoji = (EMOJI * 200)[:400]  # four bytes a character (a flag is two), 800 UTF-16 units
    for at, fraction, name, share, note in (
        ("09:00:00", 0, "Riley", "private", "ok"),
        ("10:00:00", 437, "Sam", "private", chinese),
        ("11:00:00", 999, "Alex", "anonymous", emoji),
        ("12:00:00", 1, "Blair", "anonymous", None),
        ("13:00:00", 500, "Riley", "anonymous", chinese),
    ):  # fmt: skip
        await week.at(1, at)
        await clock.advance(timedelta(milliseconds=fraction))
        await week.checkin(name, share, note, mood=3)
    await week.at(1, "14:00:00")
    assert len(_anonymous_posts(week)) == 3, [m.text for m in week.channel()]

    dump = await take_dump(running)
    lengths = {
        f"{table}.{column}": sorted({len(row[column]) for row in dump.rows[table]})
        for table, columns in (("checkins", ("owner", "request_digest", "data", "note")),
                               ("anonymous_posts", ("owner", "content")))
        for column in columns
    }  # fmt: skip
    assert all(len(sizes) == 1 for sizes in lengths.values()), (
        f"stored lengths {lengths}: Sam's private note in Chinese, Alex's in emoji, at odd "
        "fractions of a second, stand out"
    )


# ----- 6. re-encryption after a new key -----


def write_groups(before: dict[Key, Any], states: list[dict[Key, Any]]) -> list[set[Key]]:
    """The rows each write (a transaction, or a commit in the log) rewrote, in order."""
    groups, last = [], before
    for state in states:
        moved = {key for key, value in state.items() if key in last and last[key] != value}
        if moved:
            groups.append(moved)
        last = state
    return groups


def grouped_by_member(groups: list[set[Key]], truth: dict[Key, int]) -> list[set[Key]]:
    """Writes that rewrote some rows but not all, two or more, all one member's."""
    everything = set().union(*groups) if groups else set()
    return [
        g for g in groups
        if 2 <= len(g) < len(everything) and len({truth.get(k) for k in g}) == 1
        and None not in {truth.get(k) for k in g}
    ]  # fmt: skip


def test_the_write_group_join_finds_a_link_where_one_exists() -> None:
    """Positive control: a re-encryption member by member is caught."""
    truth = {("p", 1): 7, ("p", 2): 7, ("c", 3): 7, ("p", 4): 8, ("c", 5): 8}
    before = {key: b"old" for key in truth}
    first = {**before, ("p", 1): b"n", ("p", 2): b"n", ("c", 3): b"n"}
    second = {key: b"n" for key in truth}
    found = grouped_by_member(write_groups(before, [first, second]), truth)
    assert found == [{("p", 1), ("p", 2), ("c", 3)}, {("p", 4), ("c", 5)}]


async def test_reencrypting_under_a_new_key_does_not_rewrite_rows_member_by_member(
    ids_on_the_test_clock: None,
    bot_settings: Settings,
    running: Runtime,
    world: World,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await _two_weeks_of_posts(week)
    authors, owners = await _post_authors(running), await _checkin_owners(running)
    truth: dict[Key, int] = {("anonymous_posts", p): m for p, m in authors.items()}
    truth |= {("checkins", c): m for c, m in owners.items()}
    before = {(t, row["id"]): bytes(row["owner"]) for t in ("anonymous_posts", "checkins")
              for row in (await take_dump(running)).rows[t]}  # fmt: skip
    versions = await _xmins(running) if ON_POSTGRES else {}

    keyring = running.services.keyring
    rotated = Keyring(
        pseudonym_key=keyring.pseudonym_key,
        encryption_keys={"k9": Keyring.generate("k9").encryption_keys["k9"],
                         **keyring.encryption_keys},
        current_key_id="k9",
    )  # fmt: skip
    await KeyRotation(running.sessions, clock, rotated).reencrypt()

    if ON_POSTGRES:  # rows grouped by the transaction that rewrote them
        now = await _xmins(running)
        by_xmin: dict[int, set[Key]] = {}
        for key, xmin in now.items():
            if versions.get(key) != xmin:
                by_xmin.setdefault(xmin, set()).add(key)
        groups = [by_xmin[x] for x in sorted(by_xmin)]
    else:  # a copy of the files: the commits the log holds, in order
        history = await _copy_of_the_files(
            bot_settings, tmp_path,
            posts="SELECT id, owner FROM anonymous_posts",
            checkins="SELECT id, owner FROM checkins",
        )  # fmt: skip
        states = [{**{("anonymous_posts", i): bytes(o) for i, o in s["posts"]},
                   **{("checkins", i): bytes(o) for i, o in s["checkins"]}}
                  for s in history]  # fmt: skip
        groups = write_groups(before, states)
    assert groups, "the re-encryption rewrote nothing the attacker can see"
    found = grouped_by_member(groups, truth)
    assert not found, (
        f"re-encryption wrote {[len(g) for g in groups]} rows per write; "
        f"{[sorted(g) for g in found]} were each one member's"
    )


# ----- 7. backups date each row they first show -----


def backup_interval_join(
    backups: list[tuple[datetime, Dump]],
    messages: list[Message],
    member_ids: set[int],
    names: dict[str, int],
) -> tuple[dict[str, int], dict[int, int]]:
    """For each interval between backups: the members named in it (by a named post or
    alert shown in it, or a row naming them that appeared or changed), and the new
    anonymous rows (by pseudonym) and new check-in rows no post explains. One member named:
    those rows are theirs."""
    posts: dict[str, int] = {}
    private: dict[int, int] = {}
    for (start, old), (end, new) in itertools.pairwise(backups):
        named = _members_touched(old, new, member_ids)
        for m in messages:
            title = m.embeds[0].get("title", "") if m.embeds else ""
            if start < _message_time(m.id) <= end:
                named |= {names[t] for t in names if t == title}
                named |= {i for i in member_ids if f"<@{i}>" in m.text}
        change = _changes(old, new)
        added_posts = [
            _keyed(new, "anonymous_posts")[k] for k in change["anonymous_posts"]["added"]
        ]
        added_checkins = sorted(k[0] for k in change["checkins"]["added"])
        named_posts = [m for m in messages if start < _message_time(m.id) <= end
                       and m.embeds and m.embeds[0].get("title") in names]  # fmt: skip
        unexplained = added_checkins[len(added_posts) + len(named_posts) :]
        if len(named) != 1:
            continue
        member = next(iter(named))
        for row in added_posts:
            posts[row["pseudonym"]] = member
        for row_id in unexplained:
            private[row_id] = member
    return posts, private


def test_the_backup_interval_join_finds_a_link_where_one_exists() -> None:
    """Positive control: a reminder row naming one member and a check-in row that no post
    explains, in the same half hour."""
    t0 = datetime(2026, 11, 23, 17, 15).astimezone()
    old = _fake_dump()
    new = _fake_dump(reminders=[{"id": 1, "user_id": 42}], checkins=[{"id": 5}])
    assert backup_interval_join([(t0, old), (t0 + DELAY, new)], [], {42, 43}, {}) == ({}, {5: 42})


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known break, issue #12: a new anonymous or check-in row shows in the same backup "
        "interval as its member's named post or reminder row"
    ),
)
async def test_half_hourly_backups_do_not_date_a_members_anonymous_or_private_rows(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    sandbox, general = world.sandbox, world.general
    backups = Backups()
    # Monday. Sam shares by name, and a few minutes later anonymously (he is told it waits).
    # Alex sets a court reminder, then checks in privately. Riley posts anonymously alone.
    await backups.every_half_hour(week, 1, "9:45")
    await week.at(1, "10:00:00")
    await week.checkin("Sam", "named", mood=4)
    await week.at(1, "10:11:00")
    told = await week.checkin("Sam", "anonymous", mood=2)
    assert "**" in told, told
    await backups.every_half_hour(week, 1, "11:15")
    await week.at(1, "11:20:00")
    await week.checkin("Riley", "anonymous", mood=3)
    await backups.every_half_hour(week, 1, "12:15")
    await week.at(1, "12:20:00")
    await sandbox.slash(week.members["Alex"], general, "remind add", what="Court, room 4B",
                        when="in 3 days")  # fmt: skip
    await week.at(1, "12:22:00")
    await week.checkin("Alex", "private", mood=2)
    await backups.every_half_hour(week, 1, "13:45")
    await week.at(1, "14:00:00")
    await week.checkin("Blair", "named", mood=4)
    await backups.every_half_hour(week, 1, "15:45")
    assert len(_anonymous_posts(week)) == 2, [m.text for m in week.channel()]

    names = {f"Check-in from {n}": m.id for n, m in week.members.items()}
    posts, private = backup_interval_join(backups.taken, week.channel(), _ids(week), names)
    owners, kept = await _checkin_owners(running), await _private_rows(running)
    by_pseudonym = {k.split("|")[0]: member for k, (member, _) in week.authors.items()}
    tied = [p for p, m in posts.items() if by_pseudonym.get(p) == m]
    tied += [f"private check-in {c}" for c, m in private.items() if c in kept and owners[c] == m]
    assert not tied, (
        f"backups every half hour put {tied} in the same interval as their member's named "
        f"post or reminder row (guesses: posts {posts}, check-ins {private})"
    )


# ----- 8. moderators: blocking an author who was blocked before -----


def _normalised(said: str, pseudonyms: Iterable[str]) -> str:
    for pseudonym in pseudonyms:
        said = said.replace(pseudonym, "PSEUDONYM")
    said = re.sub(r"<t:\d+(:\w)?>", "<TIME>", said)
    return re.sub(r"\d+", "N", said)


def test_the_answer_comparison_finds_a_difference_where_one_exists() -> None:
    """Positive control: an answer that mentions an earlier block differs once normalised."""
    plain = _normalised("Removed Oak Heron 3's post #1234; paused 7 days.", ["Oak Heron 3"])
    again = _normalised("Removed Elm Wren 9's post #99; paused 7 days (blocked before).",
                        ["Elm Wren 9"])  # fmt: skip
    assert plain != again
    assert plain == _normalised("Removed Elm Wren 9's post #77; paused 7 days.", ["Elm Wren 9"])


async def test_what_moderators_are_told_when_blocking_does_not_say_the_author_was_blocked_before(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await week.at(4, "10:00:00")
    await week.checkin("Alex", "anonymous", mood=3)
    await week.at(4, "12:00:00")
    alex48 = next(k.split("|")[0] for k, (_, n) in week.authors.items() if n == "Alex")
    await _block_post(week, alex48, 1)
    # Week 49: the pause is long over; Alex and Riley each post, and each is blocked.
    for at, name in (("10:00:00", "Alex"), ("10:30:00", "Riley")):
        await week.at(8, at)
        await week.checkin(name, "anonymous", mood=3)
    await week.at(8, "12:00:00")
    pseudonyms = {n: k.split("|")[0] for k, (_, n) in week.authors.items() if k.endswith("|49")}
    assert set(pseudonyms) == {"Alex", "Riley"}, week.authors
    told = {}
    for name in ("Alex", "Riley"):
        told[name] = _normalised(
            await _block_post(week, pseudonyms[name], 7),
            week_pseudonyms := [k.split("|")[0] for k in week.authors],
        )
        await week.at(8, f"12:0{len(told)}:00")
    audit = await week.sandbox.slash(world.moderator, world.general, "mod audit")
    lines = [_normalised(line, week_pseudonyms) for line in audit.text.splitlines()
             if "block" in line.lower()]  # fmt: skip
    assert told["Alex"] == told["Riley"], (
        f"blocking Alex's week-49 post (blocked in week 48 too) was answered\n{told['Alex']}\n"
        f"and Riley's\n{told['Riley']}"
    )
    assert len(set(lines[-2:])) <= 1, lines


# ----- 9. one member in two servers -----


def cross_server_pairs(dump: Dump) -> list[tuple[int, int, str]]:
    """Pairs of anonymous rows of different servers that share a value beyond the server's
    structure: a pseudonym, a sealed value's bytes past the key id (a nonce or a tag), or a
    post_after within the same second."""
    rows = dump.rows["anonymous_posts"]
    found = []
    for a, b in itertools.combinations(rows, 2):
        if a["guild_id"] == b["guild_id"]:
            continue
        for column in ("owner", "content"):
            if bytes(a[column])[3:15] == bytes(b[column])[3:15]:
                found.append((a["id"], b["id"], column))
        if a["pseudonym"] == b["pseudonym"]:
            found.append((a["id"], b["id"], "pseudonym"))
        if int(a["post_after"].timestamp()) == int(b["post_after"].timestamp()):
            found.append((a["id"], b["id"], "post_after"))
    return found


def test_the_cross_server_join_finds_a_link_where_one_exists() -> None:
    """Positive control: two rows of two servers under one pseudonym are paired."""
    at = datetime(2026, 11, 23, 14, 30).astimezone()
    rows = [
        {"id": 1, "guild_id": 1, "owner": b"\x02k1" + b"n" * 20, "content": b"\x02k1" + b"a" * 20,
         "pseudonym": "Oak Heron 3", "post_after": at},
        {"id": 2, "guild_id": 2, "owner": b"\x02k1" + b"m" * 20, "content": b"\x02k1" + b"b" * 20,
         "pseudonym": "Oak Heron 3", "post_after": at + DELAY},
    ]  # fmt: skip
    assert cross_server_pairs(_fake_dump(anonymous_posts=rows)) == [(1, 2, "pseudonym")]


async def test_a_members_anonymous_rows_in_two_servers_share_nothing(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex")
    sandbox, services = world.sandbox, running.services
    other = await sandbox.create_guild("Second cohort")

    async def joined() -> bool:
        return running.bot.get_guild(other.id) is not None

    await eventually(joined, what="the bot to see the second server")
    sandbox.guild_commands[other.id] = sandbox.guild_commands[world.guild.id]
    general = await sandbox.create_channel(other, "general")
    posts_there = await sandbox.create_channel(other, "check-ins")
    for member in (world.member, world.other_member):
        other.members[member.id] = Member(member.user, other.id, [])
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

    # Monday: Sam and Riley post anonymously in both groups, Jo and Alex in theirs.
    there = {"Sam": other.members[world.member.id], "Riley": other.members[world.other_member.id],
             "Jo": jo}  # fmt: skip
    for at, name, where in (("09:00:00", "Sam", 1), ("09:01:00", "Sam", 2),
                            ("10:00:00", "Riley", 2), ("10:30:00", "Alex", 1),
                            ("11:00:00", "Jo", 2), ("11:40:00", "Riley", 1)):  # fmt: skip
        await week.at(1, at)
        if where == 1:
            await week.checkin(name, "anonymous", mood=3)
        else:
            chosen: dict[str, Any] = checkin_options(share="anonymous", mood=3)
            await sandbox.slash(there[name], general, "checkin now", **chosen)
    await week.at(1, "13:00:00")
    assert len(sandbox.channel_messages(posts_there)) == 3, sandbox.channel_messages(posts_there)

    dump = await take_dump(running)
    truth = await _post_authors(running)
    pairs = cross_server_pairs(dump)
    same = [(a, b, how) for a, b, how in pairs if truth[a] == truth[b]]
    assert not same, f"rows of one member in two servers share {same} (all pairs: {pairs})"


# ----- 10. moderators: the summary after an author erased their data -----


def summary_mismatches(channel: list[Message]) -> list[tuple[str, int, int]]:
    """Summaries whose figures differ from what the channel showed in their week: members
    (pseudonyms) and anonymous check-ins."""
    anonymous = [m for m in channel if m.embeds and m.embeds[0].get("footer", {})
                 .get("text", "").startswith("Shared anon")]  # fmt: skip
    found = []
    for summary in (m for m in channel if "The week in" in m.text):
        figures = re.search(r"(\d+) members? shared (\d+) check-ins?", summary.text)
        ending = re.search(r"to (\w+ \d+)\)", summary.text)
        assert figures is not None, summary.text
        assert ending is not None, summary.text
        ended = datetime.strptime(f"{ending[1]} 2026 +0000", "%B %d %Y %z")
        that_week = [m for m in anonymous if _message_time(m.id).astimezone(ZONE)
                     .isocalendar()[1] == ended.isocalendar()[1]]  # fmt: skip
        shown = (len({m.embeds[0]["title"] for m in that_week}), len(that_week))
        if (int(figures[1]), int(figures[2])) != shown:
            found.append((summary.text, *shown))
    return found


def test_the_summary_comparison_finds_a_difference_where_one_exists() -> None:
    """Positive control: a summary counting five members where the channel showed four."""
    at = datetime(2026, 11, 24, 15, 0).astimezone()
    posts = [_post_at(at + i * DELAY, name) for i, name in enumerate("ABCDA")]
    for post in posts:
        post.embeds[0]["footer"] = {"text": "Shared anonymously"}
    summary = cast(Message, SimpleNamespace(
        id=posts[-1].id + (1 << 40), embeds=[],
        text="The week in anonymous check-ins (to November 29)\n5 members shared 5 check-ins",
    ))  # fmt: skip
    assert summary_mismatches([*posts, summary]) == [(summary.text, 4, 5)]


async def test_the_summary_after_an_author_erased_their_data_shows_what_the_channel_did(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    for day, at, name in ((1, "09:10:00", "Sam"), (1, "10:30:00", "Riley"),
                          (2, "11:45:00", "Alex"), (3, "13:00:00", "Sam"),
                          (3, "15:00:00", "Blair")):  # fmt: skip
        await week.at(day, at)
        await week.checkin(name, "anonymous", mood=3)
    await week.at(4, "10:00:00")  # Thursday: Sam erases his data; his posts stay up
    asked = await week.sandbox.slash(week.members["Sam"], world.general, "mydata delete")
    await week.sandbox.click(week.members["Sam"], asked.messages[0], "mydata:confirm")
    await week.at(8, "10:00:00")  # the summary, Monday at 9
    assert [m for m in week.channel() if "The week in" in m.text], [m.text for m in week.channel()]
    found = summary_mismatches(week.channel())
    assert not found, (
        f"the summary {found} differs from the channel (4 pseudonyms, 5 posts): the author "
        "with two posts, who erased his data, shows through"
    )
