"""R23 and R24 as an attacker would test them, each attack with a positive control.

`play_week` runs a realistic fortnight in one server through the sandbox, with message ids
that carry the test's own clock: five members; named, private and anonymous check-ins; a
named and an anonymous sobriety milestone; a daily prompt answered straight away; a
medication entry; a moderator removing a post and blocking its author; a member asking for
a peer mentor right after an anonymous check-in; the weekly summary; anonymous posts in a
second week.

The first attacker holds the database dump (every table, every column), the channel
history and the member list, and runs every join in DUMP_JOINS. The second holds only what
moderators see in Discord (MODERATOR_JOINS). Each must tie no anonymous post to its
author, no two anonymous posts of different weeks to each other, and no private check-in
to its member; and the very same attack, run against a deliberately leaky variant of the
bot, must find the link it exists to find.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

import bot.sandbox.state as sandbox_state
from bot.clock import FakeClock
from bot.db.base import Base
from bot.db.models import AnonymousPost, Checkin, Occurrence
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.sandbox import Member, Message
from bot.sandbox.state import DISCORD_EPOCH_MS
from bot.scheduling import Scheduler
from bot.services.checkins import SummaryService, WeeklySummary, open_checkin
from bot.services.checkins import anonymous as checkins_anonymous
from bot.services.checkins import service as checkins_service
from bot.services.checkins import writes as checkins_writes
from bot.services.ownership import Owners, keyed_digest
from bot.ui.crisis import POST_HELD_BACK, POST_KEPT_PRIVATE
from tests.conftest import World, deliveries_settled
from tests.test_checkins_e2e import Group, ask_a_mentor, checkin_options, configure

NEW_YORK = "America/New_York"
ZONE = ZoneInfo(NEW_YORK)
DUMP_JOINS = (
    "shared values: any identifier-like value (key, hash, sealed blob, long id or string) "
    "found in more than one row",
    "references: *_id columns to the row they name; delivery sources (anon:N, milestone:N, "
    "prompt:N, reminder:N) to their rows; audit targets (#N) to the post they name",
    "message ids in any column to the channel message",
    "member ids anywhere (a column, inside text, inside a delivery's payload) to the member",
    "timestamps to the second: every datetime column, and every id that carries a time "
    "(interaction and message ids), against each other and against every message's time",
    "values: plain mood, sleep, cravings and sober-today (columns or readable JSON) "
    "against the check-ins shown in the channel",
    "row order: a row added right after (or before) a row of a known member, in the same "
    "table (autoincrement ids), for rows a member's check-in adds",
)
MODERATOR_JOINS = (
    "timing: a member-named event (named check-in, mentor request, named milestone) in the "
    "window before an anonymous post in which its check-in must have been made",
    "content: an anonymous post's values or note in a mentor alert or a named post",
    "errors: the answer for another server's post against the answer for no post",
    "summary: every figure against what the channel showed that week; fewer authors than "
    "pseudonyms would join pseudonyms",
    "audit: the audit log's lines against the posts and members",
)


# ----- the week -----


@dataclass
class Week:
    """What happened, and the truth the attacker must not recover."""

    running: Runtime
    world: World
    clock: FakeClock
    group: Group
    members: dict[str, Member]
    authors: dict[str, tuple[int, str]] = field(default_factory=dict)  # pseudonym+week: who
    mentor_alerts: list[Message] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    mentor_reply: str = ""

    @property
    def sandbox(self) -> Any:
        return self.world.sandbox

    async def at(self, day: int, clock_time: str) -> None:
        """Run the bot's deliveries, each at its own moment, up to day `day` (0 is Sunday,
        Nov 22) at `clock_time` in New York."""
        hour, minute, second = (int(part) for part in clock_time.split(":"))
        local = datetime(2026, 11, 22, hour, minute, second, tzinfo=ZONE) + timedelta(days=day)
        end = local.astimezone(UTC)
        scheduler: Scheduler = self.running.services.scheduler
        while True:
            await self._settle()
            due = await scheduler.next_due()
            if due is None or due > end:
                break
            if due > self.clock.now():
                await self.clock.advance(due - self.clock.now())
        if end > self.clock.now():
            await self.clock.advance(end - self.clock.now())
        await self._settle()

    async def _settle(self) -> None:
        await deliveries_settled(self.running, self.clock)

    async def checkin(self, name: str, share: str, note: str | None = None, **options: Any) -> str:
        member = self.members[name]
        chosen = checkin_options(share=share, add_note=note is not None, **options)
        result = await self.sandbox.slash(member, self.world.general, "checkin now", **chosen)
        if note is not None:
            result = await self.sandbox.submit_modal(member, result, {"checkin:note": note})
        if (
            share == "anonymous"
            and "**" in result.text
            and "kept this one private" not in result.text
        ):
            pseudonym = result.text.split("**")[1]
            week = self.clock.now().astimezone(ZONE).isocalendar()[1]
            self.authors[f"{pseudonym}|{week}"] = (self.members[name].id, name)
        return str(result.text)

    def channel(self) -> list[Message]:
        return self.sandbox.channel_messages(self.group.checkins)


async def play_week(running: Runtime, world: World, clock: FakeClock) -> Week:
    sandbox, services = world.sandbox, running.services
    group = await configure(running, world, threshold="3")
    await services.anonymous.book_next(world.guild.id, clock.now())  # as /setup does
    await services.summaries.ensure(world.guild.id, NEW_YORK)
    members = {"Sam": world.member, "Riley": world.other_member}
    for name in ("Alex", "Blair", "Casey"):
        members[name] = await sandbox.create_member(world.guild, name)
    week = Week(running, world, clock, group, members)
    general = world.general
    for who in members.values():  # everyone lives in New York
        await sandbox.slash(who, general, "settings timezone", zone="Eastern")

    # Sunday: counters, a prompt, a medication entry.
    await week.at(0, "16:04:11")
    await sandbox.slash(members["Casey"], general, "sobriety set", since="Nov 18",
                        milestones="named")  # fmt: skip
    await week.at(0, "16:31:40")
    await sandbox.slash(members["Alex"], general, "sobriety set", since="Oct 27",
                        milestones="anonymous")  # fmt: skip
    await week.at(0, "17:12:05")
    await sandbox.slash(members["Blair"], general, "checkin prompt", at="8pm")
    await week.at(0, "17:40:33")
    await sandbox.slash(members["Blair"], general, "meds log", medication="Sertraline",
                        dose="50 mg", date="Nov 20")  # fmt: skip

    # Monday.
    await week.at(1, "10:00:07")
    await week.checkin("Sam", "named", mood=4)
    await week.at(1, "10:13:52")
    await week.checkin("Alex", "anonymous", "Long day at work, but I made it to group.",
                       mood=3, sleep="6")  # fmt: skip
    await week.at(1, "10:31:19")
    await week.checkin("Riley", "private", "Didn't sleep, kept thinking about court.", mood=2,
                       sleep="5", cravings="mild")  # fmt: skip
    await week.at(1, "11:02:44")
    await week.checkin("Casey", "anonymous", mood=5, sleep="8")
    await week.at(1, "14:20:03")
    await week.checkin("Blair", "named", mood=3)
    await week.at(1, "20:03:26")  # her prompt came at 8 pm, and she answers it
    await week.checkin("Blair", "anonymous", "Tough evening. " * 30, mood=2, sleep="4",
                       cravings="strong")  # fmt: skip

    # Tuesday.
    await week.at(2, "09:15:38")
    await week.checkin("Sam", "private", mood=1, sleep="3", cravings="mild")
    await week.at(2, "09:40:12")
    await week.checkin("Riley", "anonymous", mood=4, sleep="7")
    await week.at(2, "13:05:57")
    await week.checkin("Casey", "named", "Good talk with my sponsor.", mood=4, sleep="7")

    # Wednesday: Sam posts anonymously (a hard day, not a worrying check-in: a worrying one
    # would be kept private, not held back), then opens /crisis and asks for a mentor while
    # his post still waits.
    await week.at(3, "09:20:09")
    low = checkin_options(share="anonymous", mood=2, sleep="3")
    answer = await sandbox.slash(members["Sam"], general, "checkin now", **low)
    pseudonym = answer.text.split("**")[1]
    week.authors[f"{pseudonym}|48"] = (members["Sam"].id, "Sam")
    await week.at(3, "09:20:41")
    card = (await sandbox.slash(members["Sam"], general, "crisis")).messages[0]
    assert "crisis:mentor" in card.custom_ids()
    asked = await ask_a_mentor(sandbox, members["Sam"], card)
    week.mentor_reply = asked.text
    week.mentor_alerts += sandbox.channel_messages(group.mentors)
    await week.at(3, "10:05:30")
    await week.checkin("Alex", "named", mood=4)
    await week.at(3, "15:30:18")
    await _moderator_blocks_alexs_post(week)
    await week.at(3, "16:00:02")
    await week.checkin("Riley", "named", mood=3)

    # Thursday: Alex is still paused; Casey posts again.
    await week.at(4, "10:00:45")
    kept = await week.checkin("Alex", "anonymous", mood=2)
    assert "paused your anonymous posting" in kept
    await week.at(4, "18:45:29")
    await week.checkin("Casey", "anonymous", mood=4, sleep="7")

    # Friday.
    await week.at(5, "11:11:11")
    await week.checkin("Riley", "anonymous", mood=3, sleep="6")

    # Sunday evening, still the first pseudonym week.
    await week.at(7, "20:30:14")
    await week.checkin("Blair", "anonymous", mood=3, sleep="6")

    # Monday the 30th: the summary at 9; the next pseudonym week.
    await week.at(8, "10:22:36")
    await week.checkin("Casey", "anonymous", mood=3, sleep="6")
    await week.at(8, "11:40:08")
    await week.checkin("Riley", "anonymous", mood=4, sleep="8")
    await week.at(9, "10:05:50")
    await week.checkin("Sam", "named", mood=3)
    await week.at(9, "15:00:00")
    await _probe_errors(week)
    return week


async def _moderator_blocks_alexs_post(week: Week) -> None:
    alex = next(key for key, (_, name) in week.authors.items() if name == "Alex")
    post = next(m for m in week.channel() if m.embeds and alex.split("|")[0] in m.text)
    options = (await week.sandbox.click(week.world.moderator, post, "anon:options")).messages[0]
    block = next(c for c in options.custom_ids() if c.startswith("anon:block1:"))
    await week.sandbox.click(week.world.moderator, options, block)


async def _probe_errors(week: Week) -> None:
    """What a moderator of another server is told when trying a post id that exists here,
    and one that exists nowhere."""
    services = week.running.services
    async with week.running.sessions() as session:
        real = await session.scalar(select(func.max(AnonymousPost.id)))
    assert real is not None
    for label, post_id in (("elsewhere", real), ("nowhere", real + 1000)):
        try:
            await services.anonymous.remove(424242, week.world.moderator.id, post_id)
        except UserFacingError as error:
            week.errors[label] = str(error)


# ----- the dump attacker -----


Node = tuple[str, ...]


class Graph:
    """Union-find over rows, messages and members, with the join that joined each pair."""

    def __init__(self) -> None:
        self._parent: dict[Node, Node] = {}
        self.joins: dict[str, int] = defaultdict(int)

    def find(self, node: Node) -> Node:
        self._parent.setdefault(node, node)
        while self._parent[node] != node:
            self._parent[node] = self._parent[self._parent[node]]
            node = self._parent[node]
        return node

    def join(self, a: Node, b: Node, how: str) -> None:
        if self.find(a) != self.find(b):
            self.joins[how] += 1
            self._parent[self.find(a)] = self.find(b)

    def members_with(self, node: Node) -> set[int]:
        root = self.find(node)
        return {int(n[1]) for n in list(self._parent) if n[0] == "member" and self.find(n) == root}


@dataclass
class Dump:
    rows: dict[str, list[dict[str, Any]]]

    def cells(self) -> Iterator[tuple[Node, str, Any]]:
        for table, rows in self.rows.items():
            for index, row in enumerate(rows):
                for column, value in row.items():
                    for part in _flatten(value):
                        yield ("row", table, str(index)), column, part


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value


async def take_dump(running: Runtime) -> Dump:
    tables = [*sorted(Base.metadata.tables), "alembic_version"]
    rows: dict[str, list[dict[str, Any]]] = {}
    async with running.engine.connect() as connection:
        for table in tables:
            model = Base.metadata.tables.get(table)
            everything = text(f"SELECT * FROM {table}")  # noqa: S608  # our own table names
            query = select(model) if model is not None else everything
            result = await connection.execute(query)
            rows[table] = [dict(row._mapping) for row in result]
    return Dump(rows)


def _message_time(message_id: int) -> datetime:
    return datetime.fromtimestamp(((message_id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def _public_fields(message: Message) -> tuple[Any, ...] | None:
    """Mood, sleep, cravings and sober-today as a check-in message shows them."""
    if not message.embeds or not message.embeds[0].get("title", "").startswith("Check-in from"):
        return None
    shown = {item["name"]: item["value"] for item in message.embeds[0].get("fields", [])}
    return (int(shown["Mood"].split(" ")[0]), shown["Sleep"], shown["Cravings"],
            shown["Sober today"])  # fmt: skip


def _stored_fields(values: dict[str, Any]) -> tuple[Any, ...] | None:
    from bot.services.checkins import CRAVINGS, SOBER, sleep_words

    try:
        return (int(values["mood"]), sleep_words(values.get("sleep_hours"),
                values.get("sleep_quality")), CRAVINGS[values["cravings"]],
                SOBER[values["sober"]])  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


SOURCE_TABLES = {
    "anon": "anonymous_posts",
    "milestone": "sobriety_streaks",
    "prompt": "checkin_prompts",
    "reminder": "reminders",
    "meeting": "meetings",
}
NOT_AUTHORSHIP = {("audit_log", "actor_id")}  # who acted, kept for accountability
# The same on every row a process touched: which worker delivered it, the schema version.
PROCESS_VALUES = {("occurrences", "claimed_by"), ("alembic_version", "version_num")}


def sealed_lengths(dump: Dump) -> dict[str, set[int]]:
    """The lengths of what is stored encrypted: more than one per column would let a long
    note single out its row."""
    columns = {"checkins": ("owner", "data", "note"), "anonymous_posts": ("owner", "content"),
               "anonymous_blocks": ("owner",),
               "medication_changes": ("owner",), "sobriety_streaks": ("owner",)}  # fmt: skip
    return {
        f"{table}.{column}": {len(row[column]) for row in dump.rows[table]}
        for table, names in columns.items()
        for column in names
    }


def attack_dump(dump: Dump, week: Week) -> tuple[Graph, list[tuple[str, int, int]]]:
    """Every join in DUMP_JOINS; returns the joined graph and the row-order guesses
    (table, row index, member id)."""
    graph = Graph()
    messages = week.channel() + week.mentor_alerts  # removed posts too: they were seen
    members = {member.id: member for member in week.members.values()}
    structure = {week.world.guild.id, week.group.checkins.id, week.group.mentors.id,
                 week.group.mentor_role.id, week.world.general.id,
                 week.world.moderator_role.id}  # fmt: skip
    for member in members.values():
        graph.find(("member", str(member.id)))
    by_value: dict[Any, set[Node]] = defaultdict(set)
    by_second: dict[int, set[Node]] = defaultdict(set)
    anchored: dict[Node, int] = {}
    message_ids = {m.id: m for m in messages}
    for node, column, value in dump.cells():
        table = node[1]
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value in message_ids:
            graph.join(node, ("msg", str(value)), "message ids")
        for member_id in members:
            if (table, column) in NOT_AUTHORSHIP:
                continue
            if value == member_id or (
                isinstance(value, str | bytes) and str(member_id).encode() in _bytes(value)
            ):
                graph.join(node, ("member", str(member_id)), "member ids")
                anchored[node] = member_id
        if isinstance(value, datetime):
            by_second[int(value.timestamp())].add(node)
        elif isinstance(value, int) and 10**17 <= value < 2**63:
            by_second[int(_message_time(value).timestamp())].add(node)
        if (
            _identifier_like(value)
            and (table, column) not in PROCESS_VALUES
            and not any(str(s) in str(value) for s in structure)
        ):
            by_value[value if not isinstance(value, memoryview) else bytes(value)].add(node)
        if isinstance(value, str | bytes):
            readable = _readable_json(value)
            if readable is not None:
                _join_values(graph, node, readable, messages)
        reference = _reference(table, column, value, dump)
        if reference is not None:
            graph.join(node, reference, "references")
    for table, rows in dump.rows.items():
        for index, row in enumerate(rows):
            if {"mood", "cravings", "sober"} <= set(row):
                _join_values(graph, ("row", table, str(index)), row, messages)
    for nodes in by_value.values():
        if len(nodes) >= 2:
            first, *rest = sorted(nodes)
            for other in rest:
                graph.join(first, other, "shared values")
    for message in messages:
        by_second[int(_message_time(message.id).timestamp())].add(("msg", str(message.id)))
        for member_id in _named_in(message, members):
            graph.join(("msg", str(message.id)), ("member", str(member_id)), "member ids")
    for nodes in by_second.values():
        if 2 <= len(nodes) <= 6:  # more in one second (the setup, a batch) picks no one out
            first, *rest = sorted(nodes)
            for other in rest:
                graph.join(first, other, "timestamps")
    return graph, _row_order(dump, anchored, graph)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _identifier_like(value: Any) -> bool:
    if isinstance(value, bytes | memoryview):
        return len(value) >= 12
    if isinstance(value, str):  # a token or key; or a long text, such as a note
        if re.fullmatch(r"[\d\-: .T+]+", value):
            return False  # a time, joined as a time
        return (len(value) >= 12 and not re.search(r"\s", value)) or len(value) >= 40
    return isinstance(value, int) and value >= 10**12


def _readable_json(value: str | bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(_bytes(value))
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _join_values(graph: Graph, node: Node, values: dict[str, Any], messages: list[Message]) -> None:
    stored = _stored_fields(values)
    if stored is None:
        return
    alike = [m for m in messages if _public_fields(m) == stored]
    if len(alike) == 1:
        graph.join(node, ("msg", str(alike[0].id)), "values")


def _reference(table: str, column: str, value: Any, dump: Dump) -> Node | None:
    target: str | None = None
    number: int | None = None
    if column.endswith("_id") and isinstance(value, int) and value < 10**9:
        stem = column.removesuffix("_id")
        target = next((t for t in (stem + "s", stem) if t in dump.rows), None)
        number = value
    elif table == "occurrences" and column == "source" and isinstance(value, str):
        kind, _, rest = value.partition(":")
        head = rest.split(":")[0]
        if kind in SOURCE_TABLES and head.isdigit():
            target, number = SOURCE_TABLES[kind], int(head)
    elif table == "audit_log" and column == "target" and isinstance(value, str):
        found = re.search(r"anonymous post #(\d+)", value)
        if found:
            target, number = "anonymous_posts", int(found[1])
    if target is None or number is None:
        return None
    for index, row in enumerate(dump.rows[target]):
        if row.get("id") == number:
            return ("row", target, str(index))
    return None


def _named_in(message: Message, members: dict[int, Member]) -> set[int]:
    named = {int(found) for found in re.findall(r"<@!?(\d+)>", message.text)} & set(members)
    title = message.embeds[0].get("title", "") if message.embeds else ""
    for member in members.values():
        if title == f"Check-in from {member.name}":
            named.add(member.id)
    return named


def _row_order(dump: Dump, anchored: dict[Node, int], graph: Graph) -> list[tuple[str, int, int]]:
    """Rows a member's check-in adds (check-ins, posts, a delivery naming a post), set next to
    rows known to be a member's in the same table: the guess "same member, same moment"."""
    guesses = []
    member_of: dict[Node, int] = dict(anchored)
    for node, member_id in anchored.items():  # one reference hop: a prompt's delivery row
        for table, rows in dump.rows.items():
            for index, row in enumerate(rows):
                other = ("row", table, str(index))
                if (
                    other not in member_of
                    and _reference(table, "source", row.get("source"), dump) == node
                ):
                    member_of[other] = member_id  # fmt: skip
    for table, rows in dump.rows.items():
        if not rows or "id" not in rows[0]:
            continue
        order = sorted(range(len(rows)), key=lambda i: rows[i]["id"])
        for position, index in enumerate(order):
            row = rows[index]
            added_by_checkin = table in ("checkins", "anonymous_posts") or (
                table == "occurrences" and str(row.get("source", "")).startswith("anon:")
            )
            if not added_by_checkin:
                continue
            for near in (position - 1, position + 1):
                if 0 <= near < len(order):
                    neighbour = ("row", table, str(order[near]))
                    if neighbour in member_of:
                        guesses.append((table, index, member_of[neighbour]))
    return guesses


@dataclass
class Findings:
    authors: list[tuple[str, set[int]]]  # (pseudonym|week, members joined to its post)
    across_weeks: list[tuple[str, str]]
    private: list[tuple[int, set[int]]]  # (check-in row index, members joined to it)
    by_order: list[tuple[str, str, int]]

    def correct(self, week: Week, truth: dict[int, int]) -> dict[str, list[Any]]:
        return {
            "author": [(k, s) for k, s in self.authors if week.authors[k][0] in s],
            "across weeks": [
                (a, b) for a, b in self.across_weeks if week.authors[a][0] == week.authors[b][0]
            ],
            "private": [(i, s) for i, s in self.private if truth[i] in s],
            "row order": [g for g in self.by_order if g[2] == week.authors.get(g[1], (0,))[0]],
        }

    @property
    def anything(self) -> bool:
        return bool(
            any(s for _, s in self.authors) or self.across_weeks
            or any(s for _, s in self.private) or self.by_order
        )  # fmt: skip


def findings(dump: Dump, week: Week, graph: Graph, order: list[tuple[str, int, int]]) -> Findings:
    posts = anonymous_posts(week)
    authors = [(key, graph.members_with(("msg", str(m.id)))) for key, m in posts]
    across = [
        (a, b)
        for (a, ma), (b, mb) in itertools.combinations(posts, 2)
        if a.split("|")[1] != b.split("|")[1]
        and graph.find(("msg", str(ma.id))) == graph.find(("msg", str(mb.id)))
    ]
    private = [
        (index, graph.members_with(("row", "checkins", str(index))))
        for index in week_private_rows(week, dump)
    ]
    by_row = {}
    for key, message in posts:
        for index, row in enumerate(dump.rows["anonymous_posts"]):
            if row["message_id"] == message.id:
                by_row[("anonymous_posts", index)] = key
                for number, delivery in enumerate(dump.rows["occurrences"]):
                    if delivery["source"] == f"anon:{row['id']}":
                        by_row[("occurrences", number)] = key
    by_order = [(t, by_row.get((t, i), f"{t}#{i}"), m) for t, i, m in order]
    return Findings(authors, across, private, by_order)


def anonymous_posts(week: Week) -> list[tuple[str, Message]]:
    """Every anonymous post in the channel, with its pseudonym|week key (the truth's key)."""
    found = []
    for message in week.channel():
        title = message.embeds[0].get("title", "") if message.embeds else ""
        for key in week.authors:
            if title == f"Check-in from {key.split('|')[0]}":
                found.append((key, message))
    return found


def week_private_rows(week: Week, dump: Dump) -> dict[int, int]:
    """The truth, with the keys: which check-in rows are private, and whose."""
    keyring = week.running.services.keyring
    owners = Owners(keyring)
    truth = {}
    for index, row in enumerate(dump.rows["checkins"]):
        stored = open_checkin(keyring, _as_checkin(row))
        identity = owners.identity_of("checkins", row["owner"])
        if stored is not None and stored.share == "private" and identity is not None:
            truth[index] = int(identity.removeprefix("u:"))
    return truth


def _as_checkin(row: dict[str, Any]) -> Checkin:
    return Checkin(**{key: row[key] for key in ("id", "guild_id", "week", "owner",
                                                 "request_digest", "data", "note")})  # fmt: skip


# ----- leaky variants (the positive controls) -----


def shared_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old layout's flaw: one keyed value per member on every row they own."""

    def deterministic(self: Owners, table: str, identity: str) -> bytes:
        return keyed_digest(self._keyring, f"member:{identity}").encode()

    def identity_of(self: Owners, table: str, blob: bytes) -> str | None:
        return getattr(self, "_seen", {}).get(bytes(blob))

    original_seal = Owners.seal

    def remembering(self: Owners, table: str, identity: str) -> bytes:
        original_seal(self, table, identity)
        blob = deterministic(self, table, identity)
        Owners._seen[blob] = identity  # type: ignore[attr-defined]  # the control's memory
        return blob

    Owners._seen = {}  # type: ignore[attr-defined]
    monkeypatch.setattr(Owners, "seal", remembering)
    monkeypatch.setattr(
        Owners,
        "identity_of",
        lambda self, table, blob: Owners._seen.get(bytes(blob)),  # type: ignore[attr-defined]
    )


def delivery_per_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old delivery: a row of its own for each post, added at the moment of the check-in."""
    original = checkins_service.book_release

    async def also_per_post(session: Any, keyring: Any, guild_id: int, due: datetime,
                            post: int | None, **kwargs: Any) -> None:  # fmt: skip
        await original(session, keyring, guild_id, due, post, **kwargs)
        await Scheduler.add(session, source=f"anon:{post}", kind="legacy-anonymous",
                            due_at=due + timedelta(days=3650), payload={})  # fmt: skip

    for module in (checkins_service, checkins_writes):  # where check-ins book releases
        monkeypatch.setattr(module, "book_release", also_per_post)

    original_replace = checkins_anonymous.replace_waiting

    async def renamed_with_its_post(session: Any, keyring: Any, owners: Any, post: Any,
                                    values: Any, **kwargs: Any) -> Any:  # fmt: skip
        # A waiting post sealed anew is a new row; its own delivery row follows it there.
        old_id = post.id
        fresh = await original_replace(session, keyring, owners, post, values, **kwargs)
        if fresh is not None:
            await session.execute(
                update(Occurrence)
                .where(Occurrence.source == f"anon:{old_id}")
                .values(source=f"anon:{fresh.id}")
            )
        return fresh

    monkeypatch.setattr(checkins_anonymous, "replace_waiting", renamed_with_its_post)


def no_hold_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mentor request leaves the member's waiting post where it was."""
    from bot.services.checkins import AnonymousPostService, HeldBack

    async def keep(self: Any, *args: Any) -> HeldBack:
        return HeldBack()

    monkeypatch.setattr(AnonymousPostService, "hold_back", keep)
    monkeypatch.setattr(AnonymousPostService, "hold_back_in", keep)  # in the request's own


def summary_week_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary counts a week other than the pseudonym week: posts from Sunday to
    Sunday, and authors by who wrote them, not by pseudonym."""

    async def week(self: Any, guild_id: int, channel_id: int, end: datetime, threshold: int,
                   zone: str) -> Any:  # fmt: skip
        owners = Owners(self._keyring)
        stop = end - timedelta(hours=15)  # Sunday 6 pm, the old summary's week
        async with self._sessions() as session:
            rows = list(await session.scalars(select(AnonymousPost).where(
                AnonymousPost.guild_id == guild_id, AnonymousPost.state == "posted",
                AnonymousPost.post_after > stop - timedelta(days=7),
                AnonymousPost.post_after <= stop,
            )))  # fmt: skip
        authors = {owners.identity_of("anonymous_posts", row.owner) for row in rows}
        if len(authors) < threshold:
            return None
        return WeeklySummary(channel_id, (end - timedelta(days=1)).date(), len(authors),
                             len(rows), {}, 0)  # fmt: skip

    monkeypatch.setattr(SummaryService, "week", week)


def old_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tells a moderator of another server that the post exists, elsewhere."""
    from bot.services.checkins import AnonymousPostService

    original = AnonymousPostService.remove

    async def remove(self: Any, guild_id: int, moderator_id: int, post_id: int,
                     **options: Any) -> Any:  # fmt: skip
        async with self._sessions() as session:
            post = await session.get(AnonymousPost, post_id)
        if post is not None and post.guild_id != guild_id:
            raise UserFacingError("That post isn't in this server.")
        return await original(self, guild_id, moderator_id, post_id, **options)

    monkeypatch.setattr(AnonymousPostService, "remove", remove)


LEAKS = {"shared_key": shared_key, "delivery_per_post": delivery_per_post,
         "no_hold_back": no_hold_back, "summary_week_apart": summary_week_apart,
         "old_error": old_error}  # fmt: skip


@pytest.fixture
def ids_on_the_test_clock(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_state, "clock_seconds", lambda: clock.now().timestamp())


@pytest.fixture
def leak(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    name = str(getattr(request, "param", "none"))
    if name in LEAKS:
        LEAKS[name](monkeypatch)
    return name


# ----- the tests -----


@pytest.mark.parametrize("leak", ["none", "shared_key", "delivery_per_post"], indirect=True)
async def test_the_dump_the_channel_and_the_member_list_link_nothing(
    ids_on_the_test_clock: None, leak: str, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await play_week(running, world, clock)
    dump = await take_dump(running)
    graph, order = attack_dump(dump, week)
    found = findings(dump, week, graph, order)
    correct = found.correct(week, week_private_rows(week, dump))
    # Ten anonymous posts by five members in two weeks, one removed by a moderator.
    assert len(anonymous_posts(week)) == 9
    assert len(week.authors) == 7  # pseudonyms: one per author and week
    assert len(week_private_rows(week, dump)) == 3  # Riley's, Sam's, and Alex's while paused
    if leak == "none":
        assert not found.anything, (found, dict(graph.joins))
        lengths = sealed_lengths(dump)
        assert all(len(sizes) <= 1 for sizes in lengths.values()), sorted(lengths.items())
    elif leak == "shared_key":
        # Casey's named milestone names the key; every row with it is then Casey's.
        assert {k.split("|")[0] for k, _ in correct["author"]}, found
        assert correct["across weeks"], found
        # The key ties each member's private check-ins to their anonymous posts, and so to
        # their pseudonym. (No private check-in this week is Casey's, the member the key is
        # named for: a private row "found" with a member set was only ever the cluster of
        # all five members, joined through their shared time zone, which names nobody.)
        tied = [
            index for index, member_id in week_private_rows(week, dump).items()
            for key, message in anonymous_posts(week)
            if week.authors[key][0] == member_id
            and graph.find(("row", "checkins", str(index))) == graph.find(("msg", str(message.id)))
        ]  # fmt: skip
        assert tied, found
    else:
        # Blair answered her 8 pm prompt: the post's delivery row lands next to the prompt's.
        assert [g for g in correct["row order"] if g[2] == week.members["Blair"].id], found


def moderator_view(week: Week) -> dict[str, list[Any]]:
    """Only what moderators see in Discord: the check-in channel (posts, milestones, the
    summary), mentor alerts, the audit log and the answers they are given."""
    anonymous = [
        m for m in week.channel()
        if m.embeds and m.embeds[0].get("footer", {}).get("text", "").startswith("Shared anon")
    ]  # fmt: skip
    members = {member.id: member for member in week.members.values()}
    named_events = [
        (_message_time(message.id), member_id)
        for message in week.channel() + week.mentor_alerts
        for member_id in _named_in(message, members)
    ]
    delay = timedelta(minutes=5)  # the server's, as every confirmation tells its members
    found: dict[str, list[Any]] = defaultdict(list)
    for post in anonymous:
        shown = _message_time(post.id)
        # A post appears one to two delays after its check-in, and a mentor request follows
        # a check-in by moments: any named event from the earliest check-in time on.
        window = {who for at, who in named_events if shown - 2 * delay <= at <= shown}
        if len(window) == 1:
            found["timing"].append((post.embeds[0]["title"], window.pop()))
        fields = _public_fields(post)
        note = post.embeds[0].get("description")
        for alert in week.mentor_alerts:  # what the check-in said, in the request
            said = [f"{fields[0]} ·", fields[1]] if fields is not None else []
            if any(part in alert.text for part in said) or (note and note in alert.text):
                found["content"].append((post.embeds[0]["title"], alert.text))
        for named in (m for m in week.channel() if _named_in(m, members)):
            if note and note in named.text:  # the same note under a name
                found["content"].append((post.embeds[0]["title"], named.text))
    if week.errors.get("elsewhere") != week.errors.get("nowhere"):
        found["errors"].append(week.errors)
    for summary in (m for m in week.channel() if "The week in" in m.text):
        figures = re.search(r"(\d+) members? shared (\d+) check-ins?", summary.text)
        assert figures is not None
        ending = re.search(r"to (\w+ \d+)\)", summary.text)
        assert ending is not None
        ended = datetime.strptime(f"{ending[1]} 2026 +0000", "%B %d %Y %z")
        week_number = ended.isocalendar()[1]
        that_week = [
            m for m in anonymous
            if _message_time(m.id).astimezone(ZONE).isocalendar()[1] == week_number
        ]  # fmt: skip
        pseudonyms = {m.embeds[0]["title"] for m in that_week}
        if (int(figures[1]), int(figures[2])) != (len(pseudonyms), len(that_week)):
            found["summary"].append((summary.text, len(pseudonyms), len(that_week)))
    return dict(found)


@pytest.mark.parametrize(
    "leak", ["none", "no_hold_back", "summary_week_apart", "old_error"], indirect=True
)
async def test_nothing_a_moderator_sees_narrows_an_author(
    ids_on_the_test_clock: None, leak: str, running: Runtime, world: World, clock: FakeClock
) -> None:
    week = await play_week(running, world, clock)
    found = moderator_view(week)
    truth = {m.embeds[0]["title"]: week.authors[key][0] for key in week.authors
             for m in week.channel() if m.embeds and
             m.embeds[0]["title"] == f"Check-in from {key.split('|')[0]}"}  # fmt: skip
    correct_timing = [(title, who) for title, who in found.get("timing", []) if truth[title] == who]
    assert [m.text for m in week.mentor_alerts if "asked for a peer mentor" in m.text]
    audit = await week.sandbox.slash(week.world.moderator, week.world.general, "mod audit")
    for member in week.members.values():  # the audit log names posts, never their authors
        assert str(member.id) not in audit.text
        assert member.name not in audit.text
    if leak == "none":
        # Another member's named post or milestone may fall shortly before an anonymous
        # post by chance (release times are random): that guess is wrong, and it must be.
        assert correct_timing == [], found
        assert {kind: seen for kind, seen in found.items() if kind != "timing"} == {}, found
        assert POST_HELD_BACK in week.mentor_reply  # and Sam is told why it comes later
        assert POST_KEPT_PRIVATE not in week.mentor_reply  # his post was not a worrying one
        assert week.errors["elsewhere"] == week.errors["nowhere"]
    elif leak == "no_hold_back":
        assert ("Check-in from " + _sams_pseudonym(week), week.members["Sam"].id) in correct_timing
    elif leak == "summary_week_apart":
        assert found.get("summary"), found
    else:
        assert found.get("errors"), found


def _sams_pseudonym(week: Week) -> str:
    return next(key.split("|")[0] for key, (_, name) in week.authors.items() if name == "Sam")
