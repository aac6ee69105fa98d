"""Red team, issue #12, third round: what backups taken over time show.

Each test plays a few days in one server through the sandbox (message ids carry the test's
own clock), takes a dump every half hour as an hourly-or-better backup would, and attacks
with the dumps, the channel history and the member list: it must tie no anonymous post and
no private check-in to its member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.clock import FakeClock
from bot.db.base import Base
from bot.runtime import Runtime
from tests.attack.test_anonymity_round2 import (
    _anonymous_posts,
    _author_of,
    _post_authors,
    _week_of,
)
from tests.conftest import World, only_postgres
from tests.test_attacker import Dump, Week, _message_time, take_dump

DELAY = timedelta(minutes=5)  # the server's anonymous delay, as _week_of sets it up


@dataclass
class Backups:
    """A dump every half hour: (taken at, dump)."""

    taken: list[tuple[datetime, Dump]] = field(default_factory=list)

    async def every_half_hour(self, week: Week, day: int, until: str) -> None:
        """Dumps at each hh:15 and hh:45 (New York) from the last one up to `until` on
        `day`."""
        end_hour, end_minute = (int(part) for part in until.split(":"))
        for hour in range(7, 24):
            for minute in (15, 45):
                if (hour, minute) > (end_hour, end_minute):
                    return
                await week.at(day, f"{hour:02}:{minute:02}:00")
                if not self.taken or week.clock.now() > self.taken[-1][0]:
                    self.taken.append((week.clock.now(), await take_dump(week.running)))


def _kept_rows(dump: Dump) -> dict[tuple[str, Any], tuple[Any, ...]]:
    """Every row of every table by its table and primary key (a stable key, as the tag of
    checkin_profiles was), with what it holds."""
    rows = {}
    for table, found in dump.rows.items():
        if table not in Base.metadata.tables:
            continue
        key = [column.name for column in Base.metadata.tables[table].primary_key]
        for row in found:
            rows[(table, tuple(row[name] for name in key))] = tuple(row.values())
    return rows


def _written_rows(before: Dump, after: Dump) -> set[tuple[str, Any]]:
    """The rows the next backup shows added or rewritten, but check-ins (each under a key
    of its own, never written again)."""
    was = _kept_rows(before)
    return {
        key for key, held in _kept_rows(after).items()
        if key[0] != "checkins" and was.get(key) != held
    }  # fmt: skip


# ----- the remembered sharing choice, across backups -----


async def test_backups_over_time_do_not_show_whose_remembered_choice_each_checkin_changed(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    backups = Backups()
    # Monday: everyone checks in named once, an hour apart.
    for hour, name in ((9, "Sam"), (10, "Riley"), (11, "Alex"), (12, "Blair")):
        await backups.every_half_hour(week, 1, f"{hour - 1}:45")
        await week.at(1, f"{hour:02}:00:00")
        await week.checkin(name, "named", mood=4)
    await backups.every_half_hour(week, 1, "13:15")
    # Tuesday: Sam and Alex post anonymously, Riley checks in privately.
    for hour, name, share in ((9, "Sam", "anonymous"), (10, "Riley", "private"),
                              (11, "Alex", "anonymous")):  # fmt: skip
        await backups.every_half_hour(week, 2, f"{hour - 1}:45")
        await week.at(2, f"{hour:02}:00:00")
        await week.checkin(name, share, mood=3)
    await backups.every_half_hour(week, 2, "13:15")
    posts = _anonymous_posts(week)
    assert len(posts) == 2, [m.text for m in week.channel()]

    # The attacker, table by table (as checkin_profiles once showed it): which rows were
    # added or rewritten (by primary key), and which check-ins appeared, between
    # consecutive backups; the channel says what was posted when.
    names = {f"Check-in from {name}": member.id for name, member in week.members.items()}
    written = [
        (start, end, _written_rows(old, new),
         {row["id"] for row in new.rows["checkins"]} - {row["id"] for row in old.rows["checkins"]})
        for (start, old), (end, new) in zip(backups.taken, backups.taken[1:], strict=False)
    ]  # fmt: skip
    messages = week.channel()

    def shown(start: datetime, end: datetime) -> list[Any]:
        return [m for m in messages if start < _message_time(m.id) <= end]

    tag_of: dict[tuple[str, Any], int] = {}
    unmasked = []
    private = []  # check-ins that appeared and were never shown, with the one member
    for table in {key[0] for _, _, keys, _ in written for key in keys}:
        intervals = [(start, end, {key for key in keys if key[0] == table}, new_rows)
                     for start, end, keys, new_rows in written]  # fmt: skip
        for start, end, tags, _ in intervals:
            named = [names[m.embeds[0]["title"]] for m in shown(start, end)
                     if m.embeds and m.embeds[0].get("title") in names]  # fmt: skip
            if len(tags) == 1 and len(named) == 1:
                tag_of[next(iter(tags))] = named[0]
        for post in posts:
            at = _message_time(post.id)
            tags = set().union(*(
                tags for start, end, tags, _ in intervals if end > at - 2 * DELAY and start < at
            ))  # fmt: skip
            if len(tags) == 1 and tag_of.get(next(iter(tags))) == _author_of(week, post):
                unmasked.append(post.embeds[0]["title"])
        for start, end, tags, new_rows in intervals:
            if new_rows and len(tags) == 1 and not shown(start, end + 2 * DELAY):
                private.append(tag_of.get(next(iter(tags))))
    riley = week.members["Riley"].id
    found = unmasked + ["Riley's private check-in" for member in private if member == riley]
    assert not found, (
        f"backups every half hour tie {unmasked} to their authors and a private check-in to "
        f"{private} (Riley is {riley}) through rows written again; known: {tag_of}"
    )


# ----- "Sober today: No" in an anonymous post -----


async def test_an_anonymous_not_sober_today_leaves_the_members_sobriety_record_untouched(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    """A named counter is the member's in every backup (its milestone is posted under their
    name); a post saying "Sober today: No" must not change it, or the backups around the
    post would name its author."""
    week = await _week_of(running, world, clock, "Alex", "Blair")
    sandbox = world.sandbox
    await week.at(0, "17:00:00")
    for name, since in (("Alex", "Nov 18"), ("Blair", "Nov 10")):
        await sandbox.slash(week.members[name], world.general, "sobriety set", since=since,
                            milestones="named")  # fmt: skip
    await week.at(1, "09:45:00")
    before = await take_dump(running)
    await week.at(1, "10:00:00")
    await week.checkin("Alex", "anonymous", mood=2, sober="no")
    await week.at(1, "10:30:00")
    after = await take_dump(running)
    [post] = _anonymous_posts(week)
    assert "No" in str(post.embeds[0]["fields"]), post.embeds[0]  # it says so in public

    def records(dump: Dump) -> list[Any]:
        streaks = [tuple(bytes(v).hex()[:16] if isinstance(v, bytes | memoryview) else v
                         for v in row.values())
                   for row in dump.rows["sobriety_streaks"]]  # fmt: skip
        milestones = [(row["id"], row["state"], row["due_at"], str(row["payload"]))
                      for row in dump.rows["occurrences"]
                      if row["source"].startswith("milestone:")]  # fmt: skip
        return sorted(streaks, key=str) + sorted(milestones, key=str)

    assert records(after) == records(before), (
        "the anonymous post said not sober today, and between the backups around it a "
        f"member's sobriety record changed: {records(before)} -> {records(after)}"
    )


# ----- PostgreSQL: one transaction writes the check-in, its post (and once, the choice) -----


async def _versions(running: Runtime, table: str, key: str) -> dict[Any, int]:
    """Each row's key and the transaction that last wrote it (xmin), as any backup that
    keeps system columns, or anyone with SELECT on the live tables, sees them."""
    query = f"SELECT {key}, xmin::text::bigint FROM {table}"  # noqa: S608  # our own names
    async with running.engine.connect() as connection:
        return dict((await connection.execute(text(query))).all())  # type: ignore[arg-type]


async def _other_versions(running: Runtime) -> dict[tuple[str, Any], int]:
    """Every row of every other table (a stable key, as the tag of checkin_profiles was,
    by table and primary key) and its xmin."""
    versions: dict[tuple[str, Any], int] = {}
    for name, table in Base.metadata.tables.items():
        if name in ("checkins", "anonymous_posts"):
            continue
        key = ", ".join(column.name for column in table.primary_key)
        for row, xmin in (await _versions(running, name, f"({key})")).items():
            versions[(name, row)] = xmin
    return versions


@only_postgres  # xmin is PostgreSQL's
async def test_row_versions_tie_no_waiting_post_or_private_checkin_to_the_choice_it_updated(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await _week_of(running, world, clock, "Alex", "Blair")
    order = ("Sam", "Riley", "Alex", "Blair")
    # Monday: each checks in named once, the group's only check-ins that day.
    for hour, name in zip((9, 10, 11, 12), order, strict=True):
        await week.at(1, f"{hour:02}:00:00")
        await week.checkin(name, "named", mood=4)
    await week.at(1, "23:30:00")
    # The nightly backup: as many check-in rows as named posts, in the channel's order by
    # xmin; a row of another table written with a check-in shares its xmin.
    rows = await _versions(running, "checkins", "id")
    tags = await _other_versions(running)
    named = [m.embeds[0]["title"].removeprefix("Check-in from ") for m in week.channel()]
    assert len(rows) == len(named) == 4, (rows, named)
    by_xmin = dict(zip(sorted(rows.values()), named, strict=True))
    member_of_tag = {tag: week.members[by_xmin[x]].id for tag, x in tags.items() if x in by_xmin}

    # Tuesday: Sam posts anonymously; a backup runs while the post waits its delay. Riley
    # checks in privately; the next backup runs an hour later.
    await week.at(2, "10:00:00")
    await week.checkin("Sam", "anonymous", mood=3)
    await week.clock.advance(timedelta(minutes=3))
    waiting = await _versions(running, "anonymous_posts", "id")
    # The truth now: a decoy wake before noon may seal the waiting post anew under a new id.
    truth = await _post_authors(running)
    tags = await _other_versions(running)
    tag_at = {x: tag for tag, x in tags.items()}
    post_authors = {post: member_of_tag.get(tag_at.get(x, "")) for post, x in waiting.items()}
    await week.at(2, "11:00:00")
    await week.checkin("Riley", "private", mood=2)
    await week.at(2, "12:00:00")
    new_rows = await _versions(running, "checkins", "id")
    posted = set((await _versions(running, "anonymous_posts", "id")).values())
    tags = await _other_versions(running)
    tag_at = {x: tag for tag, x in tags.items()}
    private = {
        row: member_of_tag.get(tag_at.get(x, ""))
        for row, x in new_rows.items() if row not in rows and x not in posted
        and x not in waiting.values()
    }  # fmt: skip

    unmasked = [post for post, member in post_authors.items() if member == truth[post]]
    riley = week.members["Riley"].id
    found = [*unmasked, *(row for row, member in private.items() if member == riley)]
    assert not found, (
        f"xmin ties the waiting posts {post_authors} (authors {truth}) and the new check-in "
        f"rows {private} (Riley is {riley}) to the members whose other rows share it"
    )
