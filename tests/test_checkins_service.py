"""Check-in rules on a real engine: crisis language, anonymity (R3), the batch writer, the
journal, retention, export and delete, and key rotation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.db.group_commit import BatchWriter
from bot.db.models import (
    AnonymousPost,
    Checkin,
    MedicationChange,
    Occurrence,
    SobrietyStreak,
)
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services import crypto
from bot.services.checkins import (
    HOLD_BACK,
    NOTE_MAX,
    AnonymousPostService,
    CheckinDraft,
    CheckinService,
    Content,
    MedicationService,
    Share,
    SobrietyService,
    StoredCheckin,
    next_local,
    next_milestone,
    open_checkin,
    parse_sleep,
    week_label,
    week_names,
    writes,
)
from bot.services.checkins import data as checkin_data
from bot.services.checkins.anonymous import due_at, lock_waiting, replace_waiting
from bot.services.checkins.sealed import read_sealed, seal_content
from bot.services.checkins.service import settled_within
from bot.services.crisis import assess
from bot.services.crypto import encrypt, key_id_of
from bot.services.dates import parse_clock_time
from bot.services.features import feature_hooks
from bot.services.guild_settings import GuildConfig
from bot.services.key_rotation import KeyRotation
from bot.services.ownership import (
    Owners,
    legacy_member_key,
    owned_rows,
    owner_context,
    post_context,
)
from bot.services.privacy import PrivacyService
from bot.services.retention import RetentionService
from tests.conftest import START, only_postgres

GUILD, USER, OTHER = 7001, 5_000_000_000_000_001, 5_000_000_000_000_002
CONFIG = GuildConfig(GUILD, checkin_channel_id=900, mentors_channel_id=901)

# ----- crisis language -----

CANARIES = [
    "I want to die",
    "honestly thinking about suicide again",
    "I don't want to live like this",
    "I can't go on",
    "everyone would be better off without me",
    "I keep wanting to hurt myself",
    "Im going to kill myself",
    "I DON\u2019T WANT TO BE HERE ANYMORE",  # a curly apostrophe
    "i feel suicidal",
    "I wish I was dead",
]
NOT_CRISIS = [
    "I'm not suicidal, just tired",
    "I would never hurt myself",
    "I don't want to die, I want things to get better",
    "no longer want to die, the new meds help",
    "this commute is killing me",
    "went to a suicide prevention training at the VFW",
    "I'd kill for a decent cup of coffee",
    "dying to see the game tonight",
    "",
]


@pytest.mark.parametrize("note", CANARIES)
def test_crisis_phrases_are_caught(note: str) -> None:
    assert assess(note).crisis, note


@pytest.mark.parametrize("note", NOT_CRISIS)
def test_negations_and_false_friends_are_not_crises(note: str) -> None:
    assert not assess(note).crisis, note


def test_zero_width_characters_do_not_hide_a_phrase() -> None:
    assert assess("kill\u200b myself").phrases == ("kill myself",)


def test_the_assessment_names_what_it_found_for_review() -> None:
    found = assess("I'm not suicidal but some days I want to die")
    assert found.phrases == ("want to die",)  # "suicidal" was negated


# ----- small parsers -----


def test_sleep_parsing() -> None:
    assert parse_sleep("7") == (7.0, None)
    assert parse_sleep("6,5h") == (6.5, None)
    assert parse_sleep("Poor") == (None, "poor")
    assert parse_sleep("") == (None, None)
    for bad in ("25", "lots", "-1", "'; DROP TABLE checkins"):
        with pytest.raises(UserFacingError, match="For sleep"):
            parse_sleep(bad)


def test_clock_times_and_the_next_local_prompt() -> None:
    assert parse_clock_time("8pm") == "20:00"
    assert parse_clock_time("12:30 am") == "00:30"
    for bad in ("25:00", "13pm", "noonish"):
        with pytest.raises(UserFacingError):
            parse_clock_time(bad)
    # 2026-03-08 02:30 does not exist in New York: the R12 policy moves it to 03:30 EDT.
    before_gap = START.replace(year=2026, month=3, day=7, hour=12)
    assert next_local("02:30", "America/New_York", before_gap).isoformat() == (
        "2026-03-08T07:30:00+00:00"
    )


def test_milestones() -> None:
    assert [next_milestone(d) for d in (0, 1, 6, 29, 90, 179, 364, 365, 800)] == [
        1, 7, 7, 30, 180, 180, 365, 730, 1095,
    ]  # fmt: skip


# ----- check-ins on a real engine -----


def draft(request_key: int, **overrides: Any) -> CheckinDraft:
    values: dict[str, Any] = {
        "user_id": USER, "guild_id": GUILD, "request_key": request_key, "mood": 3,
        "sleep": "7", "cravings": "none", "sober": "yes", "note": None, "share": "private",
    }  # fmt: skip
    return CheckinDraft(**{**values, **overrides})


def service(sessions: SessionFactory, clock: FakeClock, keyring: Keyring) -> CheckinService:
    return CheckinService(sessions, clock, keyring, Scheduler(sessions, clock))


def test_a_note_of_any_script_as_long_as_the_form_allows_is_stored_as_long_as_none() -> None:
    """Padding is in bytes and notes are limited in characters: a full note in the widest
    characters (4 bytes each) is padded to the length of no note at all, and so is the
    anonymous post that shows it."""
    keyring = Keyring.generate()
    widest = '"\\' + "\U0001f642" * (NOTE_MAX - 2)  # two escaped in JSON, then emoji
    notes = [None, "ok", "Сьогодні важкий день. " * 45, "今天很难" * 250, widest]
    assert all(note is None or len(note) <= NOTE_MAX for note in notes)
    checkins, posts = set(), set()
    for note in notes:
        content = Content(1, 24.0, None, "strong", "skip", note)
        data, sealed_note = StoredCheckin(0, GUILD, START, "anonymous", content, "anonymous",
                                          False).sealed(keyring, "d" * 64)  # fmt: skip
        checkins.add((len(data), len(sealed_note)))
        posts.add(len(content.sealed(keyring, context="post:1", note_shared=False)))
    assert len(checkins) == 1, checkins
    assert len(posts) == 1, posts


async def test_bad_values_are_refused(sessions: SessionFactory, clock: FakeClock) -> None:
    checkins = service(sessions, clock, Keyring.generate())
    with pytest.raises(UserFacingError, match="mood from 1"):
        await checkins.submit(draft(1, mood=9), CONFIG)
    with pytest.raises(UserFacingError, match="cravings"):
        await checkins.submit(draft(1, cravings="lots"), CONFIG)
    with pytest.raises(UserFacingError, match="1000"):
        await checkins.submit(draft(1, note="x" * 1001), CONFIG)
    await checkins.close()


async def test_a_repeated_submission_saves_one_checkin(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    checkins = service(sessions, clock, Keyring.generate())
    results = await asyncio.gather(*(checkins.submit(draft(42), CONFIG) for _ in range(5)))
    assert len({result.checkin_id for result in results}) == 1
    assert sum(not result.duplicate for result in results) == 1  # only one may be posted
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 1
    await checkins.close()


async def test_many_members_at_once_are_batched(sessions: SessionFactory, clock: FakeClock) -> None:
    checkins = service(sessions, clock, Keyring.generate())
    await asyncio.gather(*(checkins.submit(draft(i, user_id=i), CONFIG) for i in range(1, 301)))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 300
    assert checkins.writer.batches < 300  # group commit: fewer transactions than check-ins
    await checkins.close()


async def test_a_checkin_drawn_a_taken_id_is_saved_under_another(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are drawn at random and not looked up before the insert: one already taken is
    skipped by the insert and drawn again (checked), never taken for a repeated submission,
    and a repeated submission is still one check-in (R15)."""
    checkins = service(sessions, clock, Keyring.generate())
    first = await checkins.submit(draft(1), CONFIG)
    assert first.checkin_id is not None
    monkeypatch.setattr(writes, "drawn_ids", lambda count: [first.checkin_id] * count)
    second = await checkins.submit(draft(2), CONFIG)
    assert second.checkin_id not in (None, first.checkin_id)
    assert not second.duplicate
    again = await checkins.submit(draft(2), CONFIG)
    assert (again.checkin_id, again.duplicate) == (second.checkin_id, True)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 2
    await checkins.close()


async def test_the_writer_keeps_a_batch_through_database_errors() -> None:
    calls: list[list[int]] = []

    async def flaky(items: Any) -> list[int]:
        calls.append(list(items))
        if len(calls) < 3:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return [item * 10 for item in items]

    writer: BatchWriter[int, int] = BatchWriter(flaky, name="numbers")
    futures = [writer.submit(n) for n in (1, 2, 3)]
    assert await asyncio.gather(*futures) == [10, 20, 30]
    assert len(calls) == 3  # tried again, nothing dropped
    await writer.close()


async def test_waiting_for_the_save_ends_at_the_commit_or_the_timeout_and_keeps_the_save() -> None:
    loop = asyncio.get_running_loop()
    committed: asyncio.Future[int] = loop.create_future()
    loop.call_later(0.01, committed.set_result, 1)
    started = loop.time()
    await settled_within(committed, 5.0)
    assert committed.done()
    assert loop.time() - started < 1.0  # at the commit, not at the timeout

    slow: asyncio.Future[int] = loop.create_future()
    started = loop.time()
    await settled_within(slow, 0.05)
    assert loop.time() - started >= 0.04
    assert not slow.done()  # still running: the writer keeps the check-in
    waiting = asyncio.ensure_future(settled_within(slow, 5.0))
    await asyncio.sleep(0)
    waiting.cancel()  # the member's request went away
    await asyncio.gather(waiting, return_exceptions=True)
    assert not slow.cancelled()
    slow.set_result(2)  # committed later: still saved, whoever stopped waiting
    await asyncio.sleep(0)
    assert slow.result() == 2


async def test_pseudonyms_are_stable_for_a_week_then_rotate(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Drawn at random, kept for the member's posts of the week, new the next week, and
    never one another member has that week."""
    checkins = service(sessions, clock, Keyring.generate())
    await clock.advance(timedelta(days=1))  # Monday 2026-11-23
    names = []
    for week in range(3):
        for day in (0, 3, 6):
            result = await checkins.submit(draft(week * 10 + day + 1, share="anonymous"), CONFIG)
            names.append((week, result.pseudonym))
            other = await checkins.submit(
                draft(week * 10 + day + 100, user_id=OTHER, share="anonymous"), CONFIG
            )
            assert other.pseudonym != result.pseudonym
            await clock.advance(timedelta(days=3 if day < 6 else 1))
    by_week = [{name for w, name in names if w == week} for week in range(3)]
    assert all(len(week) == 1 for week in by_week)
    assert len(set.union(*by_week)) >= 2  # it rotates (two weeks may rarely draw the same)
    await checkins.close()


@contextmanager
def post_openings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The sealed values of anonymous posts (owners and contents) opened while the block runs."""
    opened: list[str] = []
    real = crypto.decrypt

    def counting(keyring: Keyring, blob: bytes, *, context: str) -> str:
        if context in (post_context(GUILD), owner_context("anonymous_posts")):
            opened.append(context)
        return real(keyring, blob, context=context)

    with monkeypatch.context() as patched:
        patched.setattr(crypto, "decrypt", counting)
        yield opened


async def test_each_post_row_is_opened_once_not_on_every_anonymous_checkin(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #17: the pseudonyms of a server's week are read per post row once per process.
    After a restart the first anonymous check-in opens the week's posts; each later one opens
    only the rows written since, not every post of the week again."""
    keyring = Keyring.generate()
    before = service(sessions, clock, keyring)
    for member in range(1, 31):
        await before.submit(draft(member, user_id=member, share="anonymous"), CONFIG)
    await before.close()
    restarted = service(sessions, clock, keyring)
    with post_openings(monkeypatch) as first:
        await restarted.submit(draft(100, user_id=100, share="anonymous"), CONFIG)
    assert len(first) == 2 * 30  # each post's owner and content, once
    with post_openings(monkeypatch) as later:
        for member in range(101, 111):  # one after another: a batch each
            result = await restarted.submit(
                draft(member, user_id=member, share="anonymous"), CONFIG
            )
            assert result.share == "anonymous"
    assert len(later) == 2 * 10, later  # the one post written before each; 10 * 2 * 30 before
    await restarted.close()


async def test_a_kept_pseudonym_follows_reseals_deletions_and_another_process(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """What one process keeps of the week's pseudonyms stays what the database says: a post
    another process wrote names its author here too; waiting posts sealed anew as new rows
    (a mentor request) keep their author's name; and once another process has deleted a
    member's data (their shown post made nobody's in place, same id), the member is not
    given back the old name, which stays taken."""
    keyring = Keyring.generate()
    here, there = service(sessions, clock, keyring), service(sessions, clock, keyring)
    await clock.advance(timedelta(days=1))  # Monday: the rest stays in one week
    theirs = await there.submit(draft(2, user_id=OTHER, share="anonymous"), CONFIG)
    mine = await here.submit(draft(1, share="anonymous"), CONFIG)  # here reads the week
    assert mine.post_id is not None
    assert mine.pseudonym != theirs.pseudonym
    # Written by the other process, after this one has read the week.
    third = await there.submit(draft(3, user_id=OTHER + 1, share="anonymous"), CONFIG)
    await clock.advance(timedelta(hours=2))  # past the spacing of shares
    again = await here.submit(draft(6, user_id=OTHER + 1, share="anonymous"), CONFIG)
    assert again.pseudonym == third.pseudonym
    await AnonymousPostService(sessions, clock, keyring).hold_back(CONFIG, OTHER)
    await clock.advance(timedelta(hours=2))
    async with sessions() as session:
        assert mine.post_id not in set(await session.scalars(select(AnonymousPost.id)))
    assert (await here.submit(draft(4, share="anonymous"), CONFIG)).pseudonym == mine.pseudonym
    async with sessions.begin() as session:  # the member's first post was shown
        posts = await owned_rows(session, Owners(keyring), AnonymousPost, USER)
        shown = min(posts, key=lambda post: due_at(keyring, post))
        shown.state, shown.message_id, shown.pseudonym = "posted", 77, mine.pseudonym
        shown.post_after = due_at(keyring, shown)  # in the clear once shown, as when posted
        shown_id = shown.id
    # Deleted by another process: this one is not told (no forget here).
    await PrivacyService(sessions, clock, feature_hooks(keyring), forget=(there.forget,)).delete(
        USER
    )
    async with sessions() as session:
        assert shown_id in set(await session.scalars(select(AnonymousPost.id)))  # kept, nobody's
    await clock.advance(timedelta(hours=2))
    again = await here.submit(draft(5, share="anonymous"), CONFIG)
    assert again.share == "anonymous"
    assert again.pseudonym not in (mine.pseudonym, theirs.pseudonym)
    await here.close()
    await there.close()


async def test_forgetting_a_member_lets_their_weeks_go(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a deletion nothing opened of the member's posts stays in memory: the weeks they
    wrote in are opened again when next asked, even with no row changed."""
    keyring = Keyring.generate()
    owners = Owners(keyring)
    checkins = service(sessions, clock, keyring)
    await checkins.submit(draft(1, share="anonymous"), CONFIG)
    await checkins.submit(draft(2, user_id=OTHER, share="anonymous"), CONFIG)
    await checkins.close()
    names = week_names.WeekNames(keyring, owners)
    week = week_label(clock.now(), CONFIG.timezone)
    async with sessions() as session:
        await names.of_week(session, GUILD, week)
        with post_openings(monkeypatch) as kept:
            await names.of_week(session, GUILD, week)
        names.forget(owners.identities(USER))
        with post_openings(monkeypatch) as again:
            authors, _ = await names.of_week(session, GUILD, week)
    assert kept == []
    assert len(again) == 2 * 2
    assert set(authors) == {owners.identity(USER), owners.identity(OTHER)}


async def test_opening_many_rows_lets_the_event_loop_run() -> None:
    """A one-off opening of a whole server's rows goes in chunks: other tasks run between."""
    ticks: list[int] = []

    async def ticking() -> None:
        while True:
            ticks.append(len(ticks))
            await asyncio.sleep(0)

    ticker = asyncio.create_task(ticking())
    await asyncio.sleep(0)
    seen_at = [
        len(ticks) async for _ in week_names.every_so_often(range(3 * week_names.OPEN_CHUNK))
    ]
    chunks = [len(ticks) async for _ in week_names.in_chunks(list(range(1200)), 500)]
    ticker.cancel()
    assert seen_at[0] < seen_at[-1], "the loop never ran while the rows were opened"
    assert len(set(seen_at)) == 3
    assert chunks[0] < chunks[1] < chunks[2]


async def test_a_block_follows_the_author_across_pseudonym_rotation(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    posts = AnonymousPostService(sessions, clock, keyring)
    first = await checkins.submit(draft(1, share="anonymous"), CONFIG)
    assert first.post_id is not None
    _, until = await posts.remove(GUILD, 99, first.post_id, block_days=30)
    assert until is not None
    await clock.advance(timedelta(days=8))  # a new week, a new pseudonym
    again = await checkins.submit(draft(2, share="anonymous"), CONFIG)
    assert again.share == "private"
    assert again.block_until == until
    assert await posts.blocked_until(GUILD, OTHER) is None
    await clock.advance(timedelta(days=23))
    later = await checkins.submit(draft(3, share="anonymous"), CONFIG)
    assert later.share == "anonymous"
    await checkins.close()


async def test_export_delete_retention_and_rotation_cover_checkins(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    old = Keyring.generate("k1")
    checkins = service(sessions, clock, old)
    meds = MedicationService(sessions, clock, old)
    sobriety = SobrietyService(sessions, clock, old, Scheduler(sessions, clock))
    await checkins.submit(draft(1, share="anonymous", note="first note"), CONFIG)
    await checkins.submit(draft(2, user_id=OTHER, note="theirs"), CONFIG)
    await meds.log(user_id=USER, medication="Sertraline", dose="50 mg", when="Nov 1", note=None,
                   zone="UTC", request_key=3)  # fmt: skip
    await sobriety.set(user_id=USER, since="Nov 1", share="named", guild_id=GUILD, zone="UTC")

    rotated = Keyring(old.pseudonym_key, {"k2": Keyring.generate("k2").encryption_keys["k2"],
                                         "k1": old.encryption_keys["k1"]}, "k2")  # fmt: skip
    report = await KeyRotation(sessions, clock, rotated).reencrypt()
    # Check-ins (each holding its sharing choice): owner, data and note, twice; the post:
    # owner and content; the medication entry: owner and details; the streak's owner and
    # end; the named milestone's user; the post the server's release is booked for.
    assert (report.reencrypted, report.unreadable) == (6 + 2 + 2 + 2 + 1 + 1, 0)
    async with sessions() as session:
        assert {
            key_id_of(b) for b in await session.scalars(select(MedicationChange.details_encrypted))
        } == {"k2"}

    privacy = PrivacyService(sessions, clock, feature_hooks(rotated))
    exported = json.loads((await privacy.export(USER)).json_bytes)
    assert [c["note"] for c in exported["checkins"]] == ["first note"]
    assert [p["state"] for p in exported["anonymous_posts"]] == ["pending"]
    assert exported["medication_changes"][0]["medication"] == "Sertraline"
    assert exported["sobriety"][0]["started"] == "2026-11-01"
    assert exported["sharing_choices"] == [{"server_id": str(GUILD), "last_share": "anonymous"}]
    assert "theirs" not in json.dumps(exported)
    removed = await privacy.delete(USER)
    assert removed["checkins"] == 1
    assert removed["anonymous_posts"] == 1
    assert removed["medication_changes"] == 1
    assert removed["sobriety_records"] == 1
    async with sessions() as session:
        sources = set(await session.scalars(select(Occurrence.source)))
        assert not any(s.startswith(("anon:", "milestone:")) for s in sources)
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 1  # theirs
    assert json.loads((await privacy.export(USER)).json_bytes)["sharing_choices"] == []

    later = await checkins.submit(draft(4, user_id=OTHER, share="anonymous"), CONFIG)
    assert later.post_id is not None
    await clock.advance(timedelta(days=181))
    await RetentionService(sessions, clock, rotated).run(clock.now())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 0
        assert await session.scalar(select(func.count()).select_from(AnonymousPost)) == 0
    await checkins.close()


async def test_a_post_withdrawn_before_it_appeared_keeps_no_time_and_retention_still_finds_it(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Its row dates neither the withdrawal nor the check-in (post_after stays empty, the
    time sealed in its content); retention opens it, and removes it once that time is past
    the server's retention period, not before."""
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    submitted = await checkins.submit(draft(1, share="anonymous"), CONFIG)
    assert submitted.post_id is not None
    assert submitted.post_after is not None
    await AnonymousPostService(sessions, clock, keyring).withdraw(USER, submitted.post_id)
    async with sessions() as session:
        row = await session.get(AnonymousPost, submitted.post_id)
    assert row is not None
    assert (row.state, row.post_after) == ("withdrawn", None)
    retention = RetentionService(sessions, clock, keyring)
    kept = submitted.post_after + timedelta(days=180)
    await clock.advance(kept - clock.now() - timedelta(minutes=1))
    await retention.run(clock.now())
    async with sessions() as session:
        assert await session.get(AnonymousPost, submitted.post_id) is not None
    await clock.advance(timedelta(minutes=2))
    await retention.run(clock.now())
    async with sessions() as session:
        assert await session.get(AnonymousPost, submitted.post_id) is None
    await checkins.close()


async def test_a_deletion_reseals_every_post_of_the_members_servers_and_they_still_work(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: between backups around a /mydata delete, every post row of the member's
    servers differs, not only theirs; the others' stay theirs, as they were, and in their
    lengths. A server the member never posted in is left alone."""
    monkeypatch.setattr(checkin_data, "RESEAL_BATCH", 1)  # one batch per row
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    posts = AnonymousPostService(sessions, clock, keyring)
    elsewhere = GuildConfig(GUILD + 1, checkin_channel_id=902, mentors_channel_id=903)
    mine = await checkins.submit(draft(1, share="anonymous"), CONFIG)
    theirs = await checkins.submit(draft(2, user_id=OTHER, share="anonymous"), CONFIG)
    apart = await checkins.submit(
        draft(3, user_id=OTHER, guild_id=GUILD + 1, share="anonymous"), elsewhere
    )
    assert None not in (mine.post_id, theirs.post_id, apart.post_id)
    async with sessions.begin() as session:  # the member's post was shown
        shown = await session.get(AnonymousPost, mine.post_id)
        assert shown is not None
        shown.state, shown.message_id = "posted", 77
    async with sessions() as session:
        was = {row.id: (row.owner, row.content) for row in await session.scalars(
            select(AnonymousPost))}  # fmt: skip

    await PrivacyService(sessions, clock, feature_hooks(keyring)).delete(USER)

    owners = Owners(keyring)
    async with sessions() as session:
        now = {row.id: row for row in await session.scalars(select(AnonymousPost))}
    assert set(now) == set(was)
    for post_id in (mine.post_id, theirs.post_id):
        assert now[post_id].owner != was[post_id][0]
        assert now[post_id].content != was[post_id][1]
        assert len(now[post_id].owner) == len(was[post_id][0])
        assert len(now[post_id].content) == len(was[post_id][1])
    assert (now[apart.post_id].owner, now[apart.post_id].content) == was[apart.post_id]
    assert not owners.matcher("anonymous_posts", USER)(now[mine.post_id].owner)
    assert owners.matcher("anonymous_posts", OTHER)(now[theirs.post_id].owner)
    context = post_context(GUILD)
    assert read_sealed(keyring, now[theirs.post_id].content, context=context) == read_sealed(
        keyring, was[theirs.post_id][1], context=context
    )
    exported = json.loads(
        (await PrivacyService(sessions, clock, feature_hooks(keyring)).export(OTHER)).json_bytes
    )
    assert sorted(p["post"] for p in exported["anonymous_posts"]) == sorted(
        [theirs.post_id, apart.post_id]
    )
    assert (await posts.withdraw(OTHER, theirs.post_id)).post_id == theirs.post_id
    await checkins.close()


@only_postgres
async def test_a_deletion_keeps_what_a_concurrent_write_put_in_another_members_post(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The deletion rewrites every post of the member's servers; a post another transaction
    changed meanwhile (a mentor request holding it back) is re-read, not overwritten with
    the copy read before."""
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    await checkins.submit(draft(1, share="anonymous"), CONFIG)
    theirs = await checkins.submit(draft(2, user_id=OTHER, share="anonymous"), CONFIG)
    context = post_context(GUILD)
    async with sessions.begin() as session:
        post = await session.get(AnonymousPost, theirs.post_id, with_for_update=True)
        assert post is not None
        values = read_sealed(keyring, post.content, context=context)
        assert values is not None
        values["held_until"] = "2026-12-01T00:00:00+00:00"
        post.content = seal_content(keyring, values, context=context)
        await session.flush()
        deleting = asyncio.create_task(
            PrivacyService(sessions, clock, feature_hooks(keyring)).delete(USER)
        )
        await asyncio.sleep(0.5)
        assert not deleting.done()  # it waits for the row
    await deleting
    async with sessions() as session:
        now = await session.get(AnonymousPost, theirs.post_id)
        assert now is not None
        opened = read_sealed(keyring, now.content, context=context)
    assert opened is not None
    assert opened["held_until"] == "2026-12-01T00:00:00+00:00"
    await checkins.close()


@only_postgres
async def test_a_hold_back_waits_for_a_release_wake_that_seals_the_post_anew_and_holds_it(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A release wake (a decoy's, a push's) seals a waiting post anew as a new row; a mentor
    request that comes meanwhile waits for it and holds the new row back, rather than
    missing the post it read before (its author's post would then follow the request)."""
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    mine = await checkins.submit(draft(1, share="anonymous"), CONFIG)
    context = post_context(GUILD)
    async with sessions.begin() as session:
        await lock_waiting(session)  # as every wake does first
        post = await session.get(AnonymousPost, mine.post_id)
        assert post is not None
        values = read_sealed(keyring, post.content, context=context)
        assert values is not None
        assert await replace_waiting(session, keyring, Owners(keyring), post, values) is not None
        holding = asyncio.create_task(
            AnonymousPostService(sessions, clock, keyring).hold_back(CONFIG, USER)
        )
        await asyncio.sleep(0.5)
        assert not holding.done()  # it waits for the wake
    assert (await holding).held == 1
    async with sessions() as session:
        [row] = await session.scalars(select(AnonymousPost))
    opened = read_sealed(keyring, row.content, context=context)
    assert opened is not None
    assert opened.get("held_until") is not None, "the post the wake sealed anew was not held"
    await checkins.close()


async def test_a_held_back_post_keeps_its_time_and_the_export_tells_its_author_the_hold(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    posted = await checkins.submit(draft(1, share="anonymous", mood=3), CONFIG)
    assert posted.post_after is not None
    held = await AnonymousPostService(sessions, clock, keyring).hold_back(CONFIG, USER)
    assert held.held == 1
    assert held.latest is not None
    assert held.latest - clock.now() >= HOLD_BACK[0]
    async with sessions() as session:
        stored = await session.scalar(select(AnonymousPost))
    assert stored is not None
    assert stored.post_after is None  # sealed while it waits (a dump shows no time at all)
    assert due_at(keyring, stored) == posted.post_after  # the time it had, not the hold
    exported = json.loads(
        (await PrivacyService(sessions, clock, feature_hooks(keyring)).export(USER)).json_bytes
    )
    assert [p["appears_at"] for p in exported["anonymous_posts"]] == [held.latest.isoformat()]
    await checkins.close()


async def test_a_reset_keeps_its_end_sealed_and_anonymous_milestones_share_one_delivery(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A reset's end is not in the clear (it is the day the next attempt begins), and an
    anonymous milestone moves its server's one delivery instead of adding a row of its own
    next to whatever its member did just before."""
    keyring = Keyring.generate()
    sobriety = SobrietyService(sessions, clock, keyring, Scheduler(sessions, clock))

    async def milestone_rows() -> list[tuple[str, str]]:
        async with sessions() as session:
            rows = await session.scalars(select(Occurrence).where(Occurrence.kind == "milestone"))
            return [(row.source, row.state) for row in rows]

    await sobriety.set(user_id=USER, since="Nov 1", share="anonymous", guild_id=GUILD, zone="UTC")
    [(first, _)] = await milestone_rows()
    await sobriety.set(user_id=OTHER, since="Nov 20", share="anonymous", guild_id=GUILD,
                       zone="UTC")  # fmt: skip
    await clock.advance(timedelta(days=3))
    reached, status = await sobriety.reset(USER, "UTC")
    assert (reached, status.attempts, status.longest_days, status.days) == (24, 2, 24, 0)
    rows = await milestone_rows()
    assert [state for _, state in rows] == ["pending"], rows  # one row, moved, never added
    assert rows[0][0].split(":")[2:3] == first.split(":")[2:3] == [str(GUILD)]
    async with sessions() as session:
        streaks = list(await session.scalars(select(SobrietyStreak).order_by(SobrietyStreak.id)))
    assert [streak.ended_on for streak in streaks] == [None, None, None]
    assert len({len(streak.ended or b"") for streak in streaks}) == 1  # ended or not, alike
    again = await sobriety.status(USER, "UTC")
    assert again is not None
    assert (again.attempts, again.longest_days) == (2, 24)
    await sobriety.set(user_id=USER, since=None, share="none", guild_id=GUILD, zone="UTC")
    [(source, state)] = await milestone_rows()
    assert (state, source.split(":")[1]) == ("pending", str(streaks[1].id))  # OTHER's next


async def test_purging_a_server_keeps_members_private_checkins(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    await checkins.submit(draft(1, share="private"), CONFIG)
    await checkins.submit(draft(2, user_id=OTHER, share="anonymous"), CONFIG)
    await checkins.close()
    await RetentionService(sessions, clock, keyring).purge_guild(GUILD)
    async with sessions() as session:
        rows = list(await session.scalars(select(Checkin)))
        opened = [open_checkin(keyring, row) for row in rows]
        assert [(item.share, item.guild_id) for item in opened if item] == [("private", None)]
        assert await session.scalar(select(func.count()).select_from(AnonymousPost)) == 0


async def test_medication_dates_are_checked(sessions: SessionFactory, clock: FakeClock) -> None:
    meds = MedicationService(sessions, clock, Keyring.generate())
    for when in ("Feb 30", "year 99999", "2001-01-01"):
        with pytest.raises(UserFacingError):
            await meds.log(user_id=USER, medication="X", dose="1", when=when, note=None,
                           zone="UTC", request_key=1)  # fmt: skip
    logged = await meds.log(user_id=USER, medication="X", dose="1", when="today", note=None,
                            zone="UTC", request_key=1)  # fmt: skip
    assert logged.changed_on == date(2026, 11, 22)
    again = await meds.log(user_id=USER, medication="X", dose="1", when="today", note=None,
                           zone="UTC", request_key=1)  # fmt: skip
    assert again.id == logged.id  # R15


async def test_a_new_pseudonym_key_keeps_blocks_choices_and_old_rows(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """After rotate-pseudonym-key a block still stops its author, the remembered choice still
    applies, and rows keyed by the old member key (migrated) are still the member's."""
    old = Keyring.generate()
    checkins = service(sessions, clock, old)
    first = await checkins.submit(draft(1, share="anonymous"), CONFIG)
    assert first.post_id is not None
    await AnonymousPostService(sessions, clock, old).remove(GUILD, 99, first.post_id,
                                                           block_days=30)  # fmt: skip
    details = json.dumps({"medication": "X", "dose": "1", "note": None})
    async with sessions.begin() as session:  # a row as migration 0012 moves an old one
        session.add(
            MedicationChange(
                owner=Owners(old).seal("medication_changes", f"m:{legacy_member_key(old, USER)}"),
                request_digest="d" * 64,
                changed_on=date(2026, 11, 1),
                details_encrypted=encrypt(old, details, context=f"med:{'d' * 64}"),
            )
        )
    await checkins.close()
    rotation = KeyRotation(sessions, clock, old)
    new = rotation.rotate_pseudonym_key()
    assert new.pseudonym_key != old.pseudonym_key
    assert new.legacy_member_key == old.pseudonym_key
    await rotation.apply_pseudonym_key(new)
    await clock.advance(timedelta(minutes=11))
    rotated = service(sessions, clock, new)
    again = await rotated.submit(draft(2, share=None), CONFIG)  # "as last time": anonymous
    assert (again.requested, again.share) == ("anonymous", "private")
    assert again.kept_private_because == "a moderator paused your anonymous posting here"
    [change] = await MedicationService(sessions, clock, new).history(USER)
    assert change.medication == "X"
    await rotated.close()


async def test_the_delay_has_a_floor_and_fixed_times_release_posts_together(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    checkins = service(sessions, clock, Keyring.generate())
    stored_zero = GuildConfig(GUILD, checkin_channel_id=900, anonymous_delay_minutes=0)
    quick = await checkins.submit(draft(1, share="anonymous"), stored_zero)
    assert quick.post_after is not None
    assert timedelta(minutes=2) <= quick.post_after - clock.now() <= timedelta(minutes=4)
    assert quick.delay_minutes == 2  # what the member is told
    fixed = GuildConfig(GUILD, checkin_channel_id=900, timezone="America/New_York",
                        anonymous_release_times=("09:00", "18:00"))  # fmt: skip
    evening = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 6 pm in New York
    together = [
        await checkins.submit(draft(number, user_id=number, share="anonymous"), fixed)
        for number in (2, 3, 4)
    ]
    assert {result.post_after for result in together} == {evening}
    assert together[0].release_times == ("09:00", "18:00")
    await clock.advance(evening - timedelta(minutes=1) - clock.now())
    late = await checkins.submit(draft(5, user_id=5, share="anonymous"), fixed)
    assert late.post_after == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # never under 2 min
    await checkins.close()


async def test_the_last_share_choice_is_per_server(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    checkins = service(sessions, clock, Keyring.generate())
    elsewhere = GuildConfig(GUILD + 1, checkin_channel_id=902)
    await checkins.submit(draft(1, share="named"), CONFIG)
    await clock.advance(timedelta(minutes=11))
    here = await checkins.submit(draft(2, share=None), CONFIG)
    assert (here.requested, here.share) == ("named", "named")
    there = await checkins.submit(draft(3, share=None, guild_id=GUILD + 1), elsewhere)
    assert (there.requested, there.share) == ("private", "private")
    await checkins.close()


async def test_anonymous_post_ids_carry_no_order(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Moderators see post ids (audit lines, the removal answer) and the release delivery
    names one: ids counted up would give the order posts were submitted in, and so give
    away one held back. Ten posts in submission order would come out sorted once in 3.6
    million runs if the ids are random."""
    checkins = service(sessions, clock, Keyring.generate())
    ids = []
    for member in range(10):
        result = await checkins.submit(draft(member, user_id=USER + member, share="anonymous"),
                                       CONFIG)  # fmt: skip
        assert result.post_id is not None
        ids.append(result.post_id)
    await checkins.close()
    assert ids != sorted(ids)
    assert all(10**9 <= post_id < 2**31 for post_id in ids)  # fits the column everywhere


async def test_shares_are_spaced_by_twice_the_delay_and_a_restart_remembers(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """With a 30-minute delay: an anonymous check-in 11 minutes after a named one waits
    until an hour after it, then the delay; a named one 20 minutes after an anonymous one
    stays private. A new process (a restart) reads the last share back from the stored
    check-ins."""
    slow = GuildConfig(GUILD, checkin_channel_id=900, anonymous_delay_minutes=30)
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    named_at = clock.now()
    assert (await checkins.submit(draft(1, share="named"), slow)).share == "named"
    await clock.advance(timedelta(minutes=11))
    later = await checkins.submit(draft(2, share="anonymous"), slow)
    assert (later.share, later.waits_because) == ("anonymous", "spacing")
    assert later.post_after is not None
    wait = later.post_after - named_at
    assert timedelta(minutes=90) <= wait <= timedelta(minutes=120), wait
    await clock.advance(timedelta(minutes=20))
    again = await checkins.submit(draft(3, share="named"), slow)
    assert again.share == "private"
    assert again.kept_private_because is not None
    assert "spaced out" in again.kept_private_because
    await checkins.close()

    await clock.advance(timedelta(minutes=5))  # 25 minutes after the anonymous share
    restarted = service(sessions, clock, keyring)
    after = await restarted.submit(draft(4, share="named"), slow)
    assert after.share == "private"  # remembered from the sealed check-ins
    await clock.advance(timedelta(minutes=40))  # an hour and five after it: far enough
    far = await restarted.submit(draft(5, share="named"), slow)
    assert far.share == "named"
    await restarted.close()


def counting_reads(sessions: SessionFactory) -> tuple[Any, list[int]]:
    """A read-session factory that counts the sessions it opens."""
    opened = [0]

    def reads() -> Any:
        opened[0] += 1
        return sessions()

    return reads, opened


async def test_the_sharing_checks_of_many_members_at_once_share_one_read(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Blocks, spacing, mentor requests and pseudonyms of check-ins waiting together are
    read in one session, not one each (on SQLite's one read connection a session each
    queues them one behind another); each member still gets a name of their own."""
    reads, opened = counting_reads(sessions)
    keyring = Keyring.generate()
    checkins = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), reads=reads)
    members = range(1, 101)
    results = await asyncio.gather(
        *(checkins.submit(draft(m, user_id=m, share="anonymous"), CONFIG) for m in members)
    )
    assert {result.share for result in results} == {"anonymous"}
    assert len({result.pseudonym for result in results}) == len(members)
    assert opened[0] <= 5, opened  # one per batch; 100 before
    await checkins.close()


async def test_two_shares_of_one_member_in_one_batch_are_spaced(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Two shared check-ins of a member submitted together: the first is shared, the second
    kept private as any share within the cooldown is."""
    checkins = service(sessions, clock, Keyring.generate())
    first, second = await asyncio.gather(
        checkins.submit(draft(1, share="anonymous"), CONFIG),
        checkins.submit(draft(2, share="named"), CONFIG),
    )
    assert (first.share, second.share) == ("anonymous", "private")
    assert second.kept_private_because is not None
    assert "spaced out" in second.kept_private_because
    await checkins.close()


@contextmanager
def checkin_scans(sessions: SessionFactory) -> Iterator[list[str]]:
    """The statements that read check-ins, while the block runs."""
    scans: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # (A new row's id drawn, looked up among the taken ones, reads no check-in.)
        drawn_id = statement.startswith("SELECT checkins.id \nFROM checkins \nWHERE checkins.id IN")
        if statement.startswith("SELECT") and "FROM checkins" in statement and not drawn_id:
            scans.append(statement)

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield scans
    finally:
        event.remove(engine, "before_cursor_execute", seen)


async def test_after_a_restart_the_choices_come_from_each_members_latest_checkin(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """ "As last time" asks for the share the member's latest check-in in the server asked
    for, even one kept private (here for spacing); none there, private. After a restart
    they are read back from the sealed check-ins once for the server and all its members."""
    keyring = Keyring.generate()
    before = service(sessions, clock, keyring)
    shares: list[Share] = ["named" if member % 2 else "anonymous" for member in range(1, 21)]
    for member, share in enumerate(shares, start=1):
        await before.submit(draft(member, user_id=member, share=share), CONFIG)
    await clock.advance(timedelta(minutes=1))
    kept = await before.submit(draft(50, user_id=1, share=None), CONFIG)
    assert (kept.requested, kept.share) == ("named", "private")
    await before.close()
    restarted = service(sessions, clock, keyring)
    with checkin_scans(sessions) as scans:
        remembered = [await restarted.last_choice(GUILD, member) for member in range(1, 22)]
    assert remembered == [*shares, "private"]  # member 21 never checked in here
    assert len(scans) == 1, scans
    await restarted.close()


async def test_after_a_restart_a_servers_checkins_are_opened_once(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """In the window after a start, the last shares are read back from the sealed
    check-ins once per server, not once per check-in."""
    keyring = Keyring.generate()
    before = service(sessions, clock, keyring)
    for member in range(1, 21):
        await before.submit(draft(member, user_id=member, share="named"), CONFIG)
    await before.close()
    await clock.advance(timedelta(minutes=5))  # within the 10-minute cooldown
    restarted = service(sessions, clock, keyring)
    with checkin_scans(sessions) as scans:
        for member in range(1, 21):  # one after another: a batch each
            again = await restarted.submit(
                draft(100 + member, user_id=member, share="named"), CONFIG
            )
            assert again.share == "private", member  # remembered from the sealed check-ins
    assert len(scans) == 1, scans  # 20 before: the server's check-ins for each
    await clock.advance(timedelta(minutes=6))
    assert (await restarted.submit(draft(200, user_id=1, share="named"), CONFIG)).share == "named"
    await restarted.close()
