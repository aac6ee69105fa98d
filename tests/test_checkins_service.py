"""Check-in rules on a real engine: crisis language, anonymity (R3), the batch writer, the
journal, retention, export and delete, and key rotation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.db.group_commit import BatchWriter
from bot.db.models import AnonymousPost, Checkin, MedicationChange, Occurrence
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.anonymous import AnonymousPostService
from bot.services.checkins import CheckinDraft, CheckinService, parse_sleep
from bot.services.crisis_language import assess
from bot.services.crypto import key_id_of
from bot.services.guild_settings import GuildConfig
from bot.services.journal import MedicationService, SobrietyService, next_milestone
from bot.services.privacy import PrivacyService, member_data_handlers
from bot.services.pseudonyms import member_key, weekly_pseudonym
from bot.services.retention import RetentionService
from bot.services.rhythm import next_local, parse_clock_time
from tests.conftest import START

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


async def test_anonymity_a_dump_and_the_member_list_cannot_name_an_author(
    engine: AsyncEngine, sessions: SessionFactory, clock: FakeClock
) -> None:
    """R3: no column of the anonymous tables is a user id or an unkeyed function of one."""
    keyring = Keyring.generate()
    checkins = service(sessions, clock, keyring)
    for number, user in enumerate((USER, OTHER), start=1):
        await checkins.submit(
            draft(number, user_id=user, share="anonymous", note=f"note {number}"), CONFIG
        )
    await checkins.close()

    def columns(connection: Any) -> dict[str, list[str]]:
        found = inspect(connection)
        return {t: [c["name"] for c in found.get_columns(t)] for t in found.get_table_names()}

    async with engine.connect() as connection:
        schema = await connection.run_sync(columns)
        anonymous_tables = ("checkins", "anonymous_posts", "anonymous_blocks", "checkin_profiles",
                            "medication_changes", "sobriety_streaks")  # fmt: skip
        for table in anonymous_tables:
            assert not {"user_id", "author_id", "member_id"} & set(schema[table]), table
        dump = []
        for table in anonymous_tables:
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608  # fixed table names
            dump += [str(value) for row in rows for value in row]
    everything = " ".join(dump)
    for user in (USER, OTHER):
        guesses = [
            str(user),
            hashlib.sha256(str(user).encode()).hexdigest(),
            hashlib.sha256(f"member:{user}".encode()).hexdigest(),
            hashlib.md5(str(user).encode()).hexdigest(),  # noqa: S324  # an attacker's guess
            hmac.new(b"", f"member:{user}".encode(), hashlib.sha256).hexdigest(),
            member_key(Keyring.generate(), user),  # the right method with the wrong key
        ]
        for guess in guesses:
            assert guess not in everything
        assert member_key(keyring, user) in everything  # the test can see a link when one exists
    assert "note 1" not in everything  # notes are encrypted


async def test_pseudonyms_are_stable_for_a_week_then_rotate() -> None:
    keyring = Keyring.generate()
    monday = START + timedelta(days=1)  # 2026-11-23 is a Monday
    same_week = {
        weekly_pseudonym(keyring, GUILD, USER, monday + timedelta(days=d)) for d in range(7)
    }
    assert len(same_week) == 1
    weeks = {weekly_pseudonym(keyring, GUILD, USER, monday + timedelta(weeks=w)) for w in range(6)}
    assert len(weeks) >= 5  # it rotates (two weeks may rarely draw the same name)
    others = {weekly_pseudonym(keyring, GUILD, u, monday) for u in range(1, 50)}
    assert len(others) > 40  # distinct members rarely share a name


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
    report = await RetentionService(sessions, clock, rotated).reencrypt()
    assert report.reencrypted == 4  # two notes, one medication entry, one named milestone
    async with sessions() as session:
        assert {
            key_id_of(b) for b in await session.scalars(select(MedicationChange.details_encrypted))
        } == {"k2"}

    privacy = PrivacyService(sessions, clock, member_data_handlers(rotated))
    exported = json.loads((await privacy.export(USER)).json_bytes)
    assert [c["note"] for c in exported["checkins"]] == ["first note"]
    assert [p["state"] for p in exported["anonymous_posts"]] == ["pending"]
    assert exported["medication_changes"][0]["medication"] == "Sertraline"
    assert exported["sobriety"][0]["started"] == "2026-11-01"
    removed = await privacy.delete(USER)
    assert removed["checkins"] == 1
    assert removed["anonymous_posts"] == 1
    assert removed["medication_changes"] == 1
    assert removed["sobriety_records"] == 1
    async with sessions() as session:
        sources = set(await session.scalars(select(Occurrence.source)))
        assert not any(s.startswith(("anon:", "milestone:")) for s in sources)
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 1  # theirs

    await clock.advance(timedelta(days=181))
    await RetentionService(sessions, clock, rotated).run(clock.now())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 0
    await checkins.close()


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
        assert [(row.share, row.guild_id) for row in rows] == [("private", None)]
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
