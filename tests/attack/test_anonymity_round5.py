"""Red team, issue #12, fifth round: one dump (no key file), the channel history and the member
list, against the sealed waiting posts and release of migration 0027.

Each attack plays a day in one server through the sandbox (message ids carry the test's own
clock), takes dumps when the attacker chooses, and asserts the attacker learns nothing from
any single one. The joins are pure functions, each also run on a made-up dump where the link
exists (the positive control), so a join that finds nothing is a join that would have found it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import sqlite_path
from bot.runtime import Runtime
from bot.sandbox import Message
from bot.services.checkins import HOLD_BACK, NOTE_MAX
from bot.services.checkins.anonymous import IDLE
from bot.services.checkins.kinds import RELEASE
from bot.services.checkins.pseudonyms import week_label, week_start
from bot.ui.crisis import POST_HELD_BACK, POST_KEPT_PRIVATE
from tests.attack.test_anonymity_round2 import (
    _anonymous_posts,
    _authors_of,
    _held_back_day,
    _low_day_then_ask,
    _week_of,
)
from tests.attack.test_anonymity_round4 import _fake_dump, _post_at
from tests.conftest import World, only_sqlite
from tests.test_attacker import NEW_YORK, ZONE, Dump, Week, _message_time, take_dump
from tests.test_checkins_e2e import ask_a_mentor

DELAY = timedelta(minutes=5)  # the server's anonymous delay, as _week_of sets it up


# ----- 1. the week label of a waiting row, read just after Monday 00:00 -----


def stale_week_join(dump: Dump, taken: datetime, zone: str) -> dict[str, Any]:
    """Waiting rows still labelled with last week, in a dump taken more than twice the delay
    into a new week: an ordinary post waits at most twice the delay, so such a row waited
    longer (it was held back), and the mentor requests made in the hold window before it
    name who asked. (`taken`: when the dump was taken; a dump dates itself by its newest
    settled delivery or posted row, and a nightly backup's time is no secret.)"""
    now_week = week_label(taken, zone)
    started = week_start(now_week, zone)
    if taken - started <= 2 * DELAY:
        return {"held": set(), "askers": set()}
    held = {
        row["id"] for row in dump.rows["anonymous_posts"]
        if row["state"] == "pending" and row["week"] != now_week
    }  # fmt: skip
    askers = {
        row["user_id"] for row in dump.rows["mentor_requests"]
        if held and taken - HOLD_BACK[1] <= row["created_at"] <= started
    }  # fmt: skip
    return {"held": held, "askers": askers}


def test_the_stale_week_join_finds_a_link_where_one_exists() -> None:
    """Positive control: at 00:40 on Monday a row of last week still waits among this week's;
    one member asked for a mentor late on Sunday."""
    monday = week_start("2026-W49", NEW_YORK)
    rows = [
        {"id": 11, "state": "pending", "week": "2026-W48"},
        {"id": 12, "state": "pending", "week": "2026-W49"},
        {"id": 13, "state": "posted", "week": "2026-W48"},
    ]
    asked = {"user_id": 42, "created_at": monday - timedelta(minutes=20)}
    dump = _fake_dump(anonymous_posts=rows, mentor_requests=[asked])
    taken = monday + timedelta(minutes=40)
    assert stale_week_join(dump, taken, NEW_YORK) == {"held": {11}, "askers": {42}}
    # Nothing in a dump taken within twice the delay of midnight: ordinary posts still wait.
    assert stale_week_join(dump, monday + DELAY, NEW_YORK)["held"] == set()
    relabelled = [{**row, "week": "2026-W49"} for row in rows]
    assert stale_week_join(_fake_dump(anonymous_posts=relabelled), taken, NEW_YORK)["held"] == set()


async def test_a_waiting_rows_week_label_does_not_show_it_was_held_past_midnight_on_sunday(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam asks for a mentor at 23:40 on Sunday while his post waits: it is held one to four
    hours, into the next pseudonym week. Riley, Alex and Blair post after midnight. Any one
    dump taken in the small hours, read with its own time and the member list."""
    week = await _week_of(running, world, clock, "Alex", "Blair")
    await week.at(6, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(7, "23:40:00")
    await week.clock.advance(timedelta(milliseconds=812))
    await _low_day_then_ask(week, "Sam")  # Sam's post is held back 1 to 4 hours
    others = {21: "Riley", 45: "Alex", 69: "Blair"}
    dumps: list[tuple[datetime, Dump]] = []
    for minute in range(15, 120, 3):  # a dump every three minutes, 00:15 to 01:57
        if minute in others:
            await week.at(8, f"{minute // 60:02}:{minute % 60:02}:00")
            await week.checkin(others[minute], "anonymous", mood=3)
        await week.at(8, f"{minute // 60:02}:{minute % 60:02}:30")
        dumps.append((clock.now(), await take_dump(running)))
    await week.at(8, "06:00:00")  # the channel history, later
    assert len(_anonymous_posts(week)) == 4, [m.text for m in week.channel()]
    sam = week.members["Sam"].id
    truth: dict[int, int] = {}
    for _, dump in dumps:  # each dumped row's author, with the keys (rows replaced since too)
        truth.update(_authors_of(dump.rows["anonymous_posts"], running))

    found = [stale_week_join(dump, at, NEW_YORK) for at, dump in dumps]
    singled = [
        (f"{at.astimezone(ZONE):%H:%M}", sorted(f["held"]), sorted(f["askers"]))
        for (at, _), f in zip(dumps, found, strict=True)
        if f["held"] and {truth[i] for i in f["held"]} == {sam} and f["askers"] == {sam}
    ]  # fmt: skip
    crowded = sum(
        1 for _, dump in dumps
        if sum(row["state"] == "pending" for row in dump.rows["anonymous_posts"]) > 1
    )  # fmt: skip
    assert not singled, (
        f"in {len(singled)} of {len(dumps)} single dumps ({crowded} with other posts waiting "
        "too), the only waiting row still labelled "
        f"with last week, well into the new one, is Sam's, and mentor_requests names him "
        f"(Sam is {sam}): {singled[:3]}"
    )


# ----- 2. an SQLite file's leftovers: past release times in free space and the log -----


TIME_TEXT = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{6})?")


def _as_text(at: datetime) -> set[bytes]:
    naive = at.astimezone(UTC).replace(tzinfo=None)
    return {str(naive).encode(), f"{naive:%Y-%m-%d %H:%M:%S.%f}".encode()}


def leftover_times(raw: bytes, dump: Dump) -> set[datetime]:
    """Times written in the files' bytes (SQLite stores them as text) that no live row holds:
    earlier versions of rows, left in freed cells or in the write-ahead log's older frames
    (a release's past wakes, a waiting post's past times)."""
    live = {
        text for rows in dump.rows.values() for row in rows for value in row.values()
        if isinstance(value, datetime) for text in _as_text(value)
    }  # fmt: skip
    found = {match.group() for match in TIME_TEXT.finditer(raw)} - live
    return {datetime.fromisoformat(text.decode()).replace(tzinfo=UTC) for text in found}


def held_wake_join(times: set[datetime], messages: list[Message]) -> str | None:
    """Past wakes at which no post appeared, nor any in the next twice the delay: a decoy is
    drawn earlier than a waiting post's time, which is at most twice the delay away, so such
    a wake is a held post's push. The post the channel shows next, within four times the
    delay of the last of them (its last push, and the wake after), is the held one (and the
    mentor request before them names who)."""
    shown = sorted(
        (_message_time(m.id), m.embeds[0]["title"]) for m in messages
        if m.embeds and m.embeds[0].get("footer", {}).get("text", "").startswith("Shared anon")
    )  # fmt: skip
    pushes = [
        at for at in times
        if not any(at - timedelta(seconds=1) <= moment <= at + 2 * DELAY for moment, _ in shown)
    ]  # fmt: skip
    if not pushes:
        return None
    last = max(pushes)
    after = [title for moment, title in shown if last < moment <= last + 4 * DELAY]
    return after[0] if after else None


def _post_message(at: datetime, title: str) -> Message:
    post = _post_at(at, title.removeprefix("Check-in from "))
    post.embeds[0]["footer"] = {"text": "Shared anonymously · Monday, November 23"}
    return post


def test_the_held_wake_join_finds_a_link_where_one_exists() -> None:
    """Positive control: a file holding a release's past wakes every seven minutes for an
    hour with nothing shown, then a post; and one whose only leftover is a post's moment."""
    start = datetime(2026, 11, 23, 14, 20, tzinfo=UTC)
    wakes = [start + timedelta(minutes=7 * n) for n in range(9)]
    posts = [_post_message(start + timedelta(minutes=3), "Check-in from Oak Heron 3"),
             _post_message(wakes[-1] + DELAY, "Check-in from Clear Badger 35")]  # fmt: skip
    raw = b"\x00".join(str(at.replace(tzinfo=None)).encode() for at in wakes)
    times = leftover_times(raw + b"2026-11-23 13:00:00.000000", _fake_dump())
    assert set(wakes) <= times
    assert held_wake_join(times, posts) == "Check-in from Clear Badger 35"
    assert held_wake_join({start + timedelta(minutes=2)}, posts) is None


def _file_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


@only_sqlite  # the files are SQLite's
async def test_a_copy_of_the_sqlite_files_after_the_day_keeps_no_past_wake_of_a_held_post(
    ids_on_the_test_clock: None,
    bot_settings: Settings,
    running: Runtime,
    world: World,
    clock: FakeClock,
) -> None:
    """Sam's post held back one to four hours from 09:21, Riley's and Alex's around it; a copy
    of the database files (`cp muster.db*`) at 15:00, once everything has gone out."""
    week = await _week_of(running, world, clock, "Alex")
    sams, _ = await _held_back_day(week)
    database = sqlite_path(bot_settings.database_url)
    assert database is not None
    raw = _file_bytes(database) + _file_bytes(Path(f"{database}-wal"))
    dump = await take_dump(running)

    times = leftover_times(raw, dump)
    found = held_wake_join(times, week.channel())
    assert found != sams, (
        f"the files keep {len(times)} past times no row holds "
        f"({sorted(f'{t:%H:%M:%S}' for t in times)[:12]}): wakes with nothing shown for over "
        f"twice the delay, then {found}, Sam's held-back post"
    )


# ----- 3. the release rebooked at the request: a day from its very moment -----


def idle_rebook_join(dump: Dump) -> set[int]:
    """Members whose named request rebooked the release: due exactly IDLE after the request,
    to the microsecond. Only a request whose member had a waiting post kept private (a
    worrying check-in: mood 1, or not sober) rebooks it there, and with nothing else waiting
    it is booked IDLE from that moment (any other booking counts from a send, whose moment
    the channel shows, or lands on a whole second)."""
    due = [
        row["due_at"] for row in dump.rows["occurrences"]
        if row["kind"] == RELEASE.name and row["state"] == "pending"
    ]  # fmt: skip
    return {
        row["user_id"] for row in dump.rows["mentor_requests"]
        if any(abs(at - IDLE - row["created_at"]) < timedelta(milliseconds=1) for at in due)
    }  # fmt: skip


def test_the_idle_rebook_join_finds_a_link_where_one_exists() -> None:
    """Positive control: a release due a day after a request, to the microsecond; and one
    due a day after a post that went out (no request then)."""
    asked = datetime(2026, 11, 23, 14, 20, 31, 812_345, tzinfo=UTC)
    request = {"user_id": 42, "created_at": asked}
    release = {"kind": RELEASE.name, "state": "pending", "due_at": asked + IDLE}
    dump = _fake_dump(occurrences=[release], mentor_requests=[request])
    assert idle_rebook_join(dump) == {42}
    later = {**release, "due_at": asked + timedelta(minutes=7, milliseconds=3) + IDLE}
    assert idle_rebook_join(_fake_dump(occurrences=[later], mentor_requests=[request])) == set()


async def test_the_release_in_a_dump_does_not_show_a_requesters_waiting_post_was_kept_private(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam, low two days running, posts anonymously at mood 1 and asks for a mentor from the
    offer: his waiting post is kept private (never posted). Nothing else waits. The nightly
    backup, hours later, before anyone posts anonymously again."""
    week = await _week_of(running, world, clock, "Alex")
    await week.at(0, "19:00:00")
    await week.checkin("Riley", "anonymous", mood=4)  # out by 19:10, as any post
    await _kept_private_request(week)
    await week.at(1, "23:30:00")  # the nightly backup
    dump = await take_dump(running)
    sam = week.members["Sam"].id

    found = idle_rebook_join(dump)
    [release] = [row for row in dump.rows["occurrences"]
                 if row["kind"] == RELEASE.name and row["state"] == "pending"]  # fmt: skip
    [request] = dump.rows["mentor_requests"]
    assert found != {sam}, (
        f"the release is due {release['due_at']:%Y-%m-%d %H:%M:%S.%f}, exactly a day after "
        f"Sam's named request ({request['created_at']:%H:%M:%S.%f}): rebooked by it, so his "
        f"waiting anonymous post was kept private (mood 1 or not sober); Sam is {sam}"
    )


async def _kept_private_request(week: Week) -> None:
    """Sam's low day before, then his mood-1 anonymous post and the request: kept private."""
    await week.at(0, "19:30:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "09:20:00")
    await week.clock.advance(timedelta(milliseconds=812))
    await _low_day_then_ask(week, "Sam", mood=1)
    assert POST_KEPT_PRIVATE in week.mentor_reply, week.mentor_reply


# ----- 4. a held post's stored length: the longest note, and the hold sealed with it -----


def lengths_join(dump: Dump) -> set[int]:
    """Waiting rows whose sealed content is longer than the other rows': a post carrying
    more sealed (its hold, its time, its first id) past the padding."""
    rows = dump.rows["anonymous_posts"]
    usual = min((len(row["content"]) for row in rows), default=0)
    return {row["id"] for row in rows if row["state"] == "pending" and len(row["content"]) > usual}


def test_the_lengths_join_finds_a_link_where_one_exists() -> None:
    """Positive control: one waiting row past the padding."""
    rows = [{"id": 1, "state": "pending", "content": b"x" * 4636},
            {"id": 2, "state": "pending", "content": b"x" * 4700},
            {"id": 3, "state": "posted", "content": b"x" * 4636}]  # fmt: skip
    assert lengths_join(_fake_dump(anonymous_posts=rows)) == {2}
    assert lengths_join(_fake_dump(anonymous_posts=rows[::2])) == set()


async def test_a_held_post_with_the_longest_note_stores_the_length_of_any_post(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam's anonymous post has a note of NOTE_MAX emoji (four bytes each, the widest), and
    he asks for a mentor while it waits: its hold is sealed in it too. Riley and Alex post
    short ones around it. A dump while it waits, and one after every push."""
    week = await _week_of(running, world, clock, "Alex")
    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "09:20:00")
    sam = week.members["Sam"]
    await week.checkin("Sam", "anonymous", "🪖" * NOTE_MAX, mood=2, sleep="3",
                       cravings="strong")  # fmt: skip
    card = (await week.sandbox.slash(sam, world.general, "crisis")).messages[0]
    asked = await ask_a_mentor(week.sandbox, sam, card)
    assert POST_HELD_BACK in asked.text, asked.text
    suspects: set[int] = set()
    truth: dict[int, int] = {}
    for minute, name in ((24, "Riley"), (31, "Alex"), (45, None), (70, None), (100, None)):
        await week.at(1, f"{9 + minute // 60:02}:{minute % 60:02}:00")
        if name is not None:
            await week.checkin(name, "anonymous", mood=3)
        dump = await take_dump(running)
        suspects |= lengths_join(dump)
        truth.update(_authors_of(dump.rows["anonymous_posts"], running))
    assert suspects == set() or {truth[i] for i in suspects} != {sam.id}, (
        f"rows {sorted(suspects)}, longer than any other post, are Sam's held-back post"
    )
