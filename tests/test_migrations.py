"""Migrations: head matches the models (no drift), and the way down works too."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import migrate
from bot.db.base import Base
from bot.db.engine import create_engine, create_session_factory
from bot.keys import Keyring
from bot.scheduling import Due, Scheduler
from bot.services.checkins import (
    AnonymousPostService,
    CheckinDraft,
    CheckinService,
    MedicationService,
    SobrietyService,
)
from bot.services.crypto import decrypt, encrypt
from bot.services.ownership import Owners

GUILD, USER = 7001, 5_000_000_000_000_001
# Blocks that have ended are not moved, and the migration runs on the real clock.
BLOCKED_UNTIL = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)

pytestmark = pytest.mark.empty_database


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_check_downgrade_upgrade(make_settings: Callable[..., Settings]) -> None:
    engine = create_engine(make_settings())
    try:
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.head_revision() == migrate.SCHEMA_HEAD  # bump it with each migration
        assert set(Base.metadata.tables) <= await table_names(engine)
        await migrate.check(engine)  # raises when models and migrations disagree

        await migrate.downgrade(engine, "base")
        assert await table_names(engine) <= {"alembic_version"}

        await migrate.upgrade(engine)
        await migrate.check(engine)
    finally:
        await engine.dispose()


async def test_0012_moves_old_checkins_to_sealed_owners(
    make_settings: Callable[..., Settings],
) -> None:
    """Rows of the old layout (one member key on everything) are re-sealed with the keys and
    stay their member's: history, post authorship, blocks, journal. Nothing links them in
    the clear any more, and the way down refuses, saying why."""
    keyring = Keyring.generate()
    old_key = hmac.new(keyring.pseudonym_key, f"member:{USER}".encode(), hashlib.sha256)
    member_key = old_key.hexdigest()
    at = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0011")
        async with engine.begin() as connection:
            for statement, values in _old_rows(keyring, member_key, at):
                await connection.execute(text(statement), values)
        await migrate.upgrade(engine, keyring=keyring)
        sessions = create_session_factory(engine)
        clock = FakeClock(at + timedelta(days=1))
        checkins = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock))
        [entry] = await checkins.entries(USER, "UTC", 30)
        assert (entry.at, entry.mood, entry.note, entry.share) == (at, 2, "old note", "anonymous")
        posts = AnonymousPostService(sessions, clock, keyring)
        assert (await posts.find(USER, post_id=5)).mine
        assert not (await posts.find(USER + 1, post_id=5)).mine
        assert await posts.blocked_until(GUILD, USER) == BLOCKED_UNTIL
        assert await posts.blocked_until(GUILD, USER + 1) is None
        [change] = await MedicationService(sessions, clock, keyring).history(USER)
        assert change.medication == "Sertraline"
        sobriety = SobrietyService(sessions, clock, keyring, Scheduler(sessions, clock))
        status = await sobriety.status(USER, "UTC")
        assert status is not None
        assert status.started_on == date(2026, 11, 1)
        tables = ("checkins", "anonymous_posts", "anonymous_blocks", "medication_changes",
                  "sobriety_streaks")  # fmt: skip
        async with engine.connect() as connection:
            rows = [
                row
                for table in tables
                for row in await connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608  # fixed names
            ]
        dump = " ".join(str(value) for row in rows for value in row)
        assert member_key not in dump
        assert "old note" not in dump
        new = CheckinDraft(user_id=USER, guild_id=None, request_key=79, mood=4, sleep="7",
                           cravings="none", sober="yes", note=None, share="private")  # fmt: skip
        saved = await checkins.submit(new, None)
        assert saved.checkin_id not in (None, 3)  # saved, beside the old row
        assert len(await checkins.entries(USER, "UTC", 30)) == 2
        with pytest.raises(RuntimeError, match="cannot be undone"):
            await migrate.downgrade(engine, "0011")
        await checkins.close()
    finally:
        await engine.dispose()


def _old_rows(keyring: Keyring, member_key: str, at: datetime) -> list[tuple[str, dict[str, Any]]]:
    note = encrypt(keyring, "old note", context="checkin:77")
    details = encrypt(keyring, json.dumps({"medication": "Sertraline", "dose": "50 mg",
                                           "note": None}), context="med:78")  # fmt: skip
    return [
        ("INSERT INTO guild_settings (guild_id, timezone, anonymous_delay_minutes, updated_at) "
         "VALUES (:g, 'UTC', 0, :at)", {"g": GUILD, "at": at}),
        ("INSERT INTO checkins (id, member_key, guild_id, request_key, mood, sleep_hours, "
         "sleep_quality, cravings, sober, note_encrypted, share, created_at) VALUES "
         "(3, :k, :g, 77, 2, 7.0, NULL, 'none', 'yes', :note, 'anonymous', :at)",
         {"k": member_key, "g": GUILD, "note": note, "at": at}),
        ("INSERT INTO anonymous_posts (id, checkin_id, guild_id, channel_id, pseudonym, state, "
         "post_after, message_id, created_at) VALUES (5, 3, :g, 900, 'Quiet Heron 42', "
         "'posted', :at, 123456789012345678, :at)", {"g": GUILD, "at": at}),
        ("INSERT INTO anonymous_blocks (guild_id, member_key, until, post_id, created_at) "
         "VALUES (:g, :k, :until, 5, :at)",
         {"g": GUILD, "k": member_key, "until": BLOCKED_UNTIL, "at": at}),
        ("INSERT INTO medication_changes (id, member_key, request_key, changed_on, "
         "details_encrypted, created_at) VALUES (1, :k, 78, :day, :details, :at)",
         {"k": member_key, "day": date(2026, 11, 2), "details": details, "at": at}),
        ("INSERT INTO sobriety_streaks (id, member_key, started_on, ended_on, share, guild_id, "
         "created_at) VALUES (1, :k, :day, NULL, 'none', NULL, :at)",
         {"k": member_key, "day": date(2026, 11, 1), "at": at}),
    ]  # fmt: skip


async def test_0013_gives_each_block_a_row_and_pads_remembered_choices(
    make_settings: Callable[..., Settings],
) -> None:
    """A block row and unpadded choices of 0012 move: the block still stops its author, the
    choices read as before and now share one length. A second block adds a row; the way
    down folds the two into one tagged row again (latest end) and unpads the choices."""
    keyring = Keyring.generate()
    owners = Owners(keyring)
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0012", keyring=keyring)
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO anonymous_blocks (guild_id, tag, owner, until) "
                     "VALUES (:g, :t, :o, :u)"),
                {"g": GUILD, "t": owners.tag("block", GUILD, f"u:{USER}"),
                 "o": owners.seal_user("anonymous_blocks", USER), "u": BLOCKED_UNTIL},
            )  # fmt: skip
            for user, share in ((USER, "named"), (USER + 1, "anonymous")):
                await connection.execute(
                    text("INSERT INTO checkin_profiles (tag, guild_id, owner, choice) "
                         "VALUES (:t, :g, :o, :c)"),
                    {"t": owners.tag("share", GUILD, f"u:{user}"), "g": GUILD,
                     "o": owners.seal_user("checkin_profiles", user),
                     "c": encrypt(keyring, share, context=f"share:{GUILD}")},
                )  # fmt: skip
        await migrate.upgrade(engine, "0024", keyring=keyring)  # 0025 drops the choices
        sessions = create_session_factory(engine)
        clock = FakeClock(now)
        posts = AnonymousPostService(sessions, clock, keyring)
        assert await posts.blocked_until(GUILD, USER) == BLOCKED_UNTIL
        async with engine.begin() as connection:
            sealed = [row[0] for row in await connection.execute(
                text("SELECT choice FROM checkin_profiles"))]  # fmt: skip
            assert len({len(choice) for choice in sealed}) == 1
            assert {
                decrypt(keyring, choice, context=f"share:{GUILD}").rstrip(" ") for choice in sealed
            } == {"named", "anonymous"}
            await connection.execute(
                text("INSERT INTO anonymous_blocks (guild_id, owner, until) VALUES (:g, :o, :u)"),
                {"g": GUILD, "o": owners.seal_user("anonymous_blocks", USER),
                 "u": BLOCKED_UNTIL + timedelta(days=3)},
            )  # fmt: skip
        await migrate.downgrade(engine, "0012", keyring=keyring)
        async with engine.connect() as connection:
            blocks = (await connection.execute(
                text("SELECT guild_id, tag FROM anonymous_blocks"))).all()  # fmt: skip
            choices = {
                len(row[0]) for row in await connection.execute(
                    text("SELECT choice FROM checkin_profiles"))
            }  # fmt: skip
        assert blocks == [(GUILD, owners.tag("block", GUILD, f"u:{USER}"))]
        assert len(choices) == 2  # unpadded again: "named" and "anonymous"
    finally:
        await engine.dispose()


async def test_0022_seals_the_owners_of_measure_opt_ins(
    make_settings: Callable[..., Settings],
) -> None:
    """An opt-in of 0021 (user id in the clear) is its member's after 0022 with no user id
    left; the way down puts the user id back."""
    from bot.services.crypto import seal
    from bot.services.measures.service import OPTIN_CONTEXT, OPTIN_SIZES, MeasureService

    keyring = Keyring.generate()
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0021", keyring=keyring)
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO measure_optins (user_id, measure, timezone) "
                     "VALUES (:u, :m, 'UTC')"),
                {"u": USER, "m": seal(keyring, "phq8", context=OPTIN_CONTEXT, sizes=OPTIN_SIZES)},
            )  # fmt: skip
        await migrate.upgrade(engine, keyring=keyring)
        await migrate.check(engine)
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("measure_optins")}
            )
        assert "user_id" not in columns
        sessions = create_session_factory(engine)
        clock = FakeClock(datetime.now(UTC))
        measures = MeasureService(sessions, clock, keyring, Scheduler(sessions, clock))
        assert [o.code for o in await measures.opted_in(USER)] == ["phq8"]
        assert await measures.opted_in(USER + 1) == []
        await migrate.downgrade(engine, "0021", keyring=keyring)
        async with engine.connect() as connection:
            users = (await connection.execute(text("SELECT user_id FROM measure_optins"))).all()
        assert users == [(USER,)]
    finally:
        await engine.dispose()


async def test_0023_seals_the_dates_of_taper_steps(
    make_settings: Callable[..., Settings],
) -> None:
    """A step of 0022 (date in the clear) keeps its date, dose and owner after 0023, with
    no date left in the clear; the way down puts the date back."""
    from bot.services.crypto import seal
    from bot.services.taper import TaperService
    from bot.services.taper.service import DETAIL_SIZES, step_context

    keyring = Keyring.generate()
    owners = Owners(keyring)
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0022", keyring=keyring)
        details = json.dumps({"dose": "20 mg", "note": None})
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO taper_steps (owner, request_digest, step_on, details_encrypted) "
                     "VALUES (:o, 'd1', :s, :e)"),
                {"o": owners.seal_user("taper_steps", USER), "s": date(2026, 10, 5),
                 "e": seal(keyring, details, context=step_context("d1"), sizes=DETAIL_SIZES)},
            )  # fmt: skip
        await migrate.upgrade(engine, keyring=keyring)
        await migrate.check(engine)
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("taper_steps")}
            )
        assert "step_on" not in columns
        sessions = create_session_factory(engine)
        clock = FakeClock(datetime(2026, 10, 10, tzinfo=UTC))
        taper = TaperService(sessions, clock, keyring, Scheduler(sessions, clock))
        [step] = await taper.steps(USER)
        assert (step.on, step.dose) == (date(2026, 10, 5), "20 mg")
        assert await taper.plan_steps(USER, since=date(2026, 10, 6)) == []
        await migrate.downgrade(engine, "0022", keyring=keyring)
        async with engine.connect() as connection:
            days = (await connection.execute(text("SELECT step_on FROM taper_steps"))).all()
        assert [date.fromisoformat(str(day)) for (day,) in days] == [date(2026, 10, 5)]
    finally:
        await engine.dispose()


async def test_0024_seals_the_zones_of_measure_opt_ins(
    make_settings: Callable[..., Settings],
) -> None:
    """An opt-in of 0023 (zone in the clear) keeps its zone, sealed; the way down opens it."""
    from bot.services.crypto import seal
    from bot.services.measures.service import OPTIN_CONTEXT, OPTIN_SIZES, MeasureService

    keyring = Keyring.generate()
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0023", keyring=keyring)
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO measure_optins (owner, measure, timezone) "
                     "VALUES (:o, :m, 'Pacific/Honolulu')"),
                {"o": Owners(keyring).seal_user("measure_optins", USER),
                 "m": seal(keyring, "phq8", context=OPTIN_CONTEXT, sizes=OPTIN_SIZES)},
            )  # fmt: skip
        await migrate.upgrade(engine, keyring=keyring)
        await migrate.check(engine)
        async with engine.connect() as connection:
            [(sealed,)] = (await connection.execute(text("SELECT zone FROM measure_optins"))).all()
        assert b"Honolulu" not in sealed
        sessions = create_session_factory(engine)
        clock = FakeClock(datetime.now(UTC))
        measures = MeasureService(sessions, clock, keyring, Scheduler(sessions, clock))
        async with engine.connect() as connection:
            optin_id = (await connection.execute(text("SELECT id FROM measure_optins"))).scalar()
        # Its prompt due now books the next one at 10:00 in the zone the row was sealed with.
        due = Due(0, f"measure:{optin_id}", "measure", clock.now(), 0, {})
        await measures.prepare(due, clock.now())
        [optin] = await measures.opted_in(USER)
        assert optin.code == "phq8"
        assert optin.next_prompt is not None
        local = optin.next_prompt.astimezone(ZoneInfo("Pacific/Honolulu"))
        assert (local.hour, local.minute) == (10, 0)
        await migrate.downgrade(engine, "0023", keyring=keyring)
        async with engine.connect() as connection:
            zones = (await connection.execute(text("SELECT timezone FROM measure_optins"))).all()
        assert zones == [("Pacific/Honolulu",)]
    finally:
        await engine.dispose()


async def test_0025_drops_the_remembered_choice_rows(
    make_settings: Callable[..., Settings],
) -> None:
    """The one row per member and server goes; the way down brings the table back, empty."""
    keyring = Keyring.generate()
    owners = Owners(keyring)
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0024", keyring=keyring)
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO checkin_profiles (tag, guild_id, owner, choice) "
                     "VALUES (:t, :g, :o, :c)"),
                {"t": owners.tag("share", GUILD, f"u:{USER}"), "g": GUILD,
                 "o": owners.seal_user("checkin_profiles", USER),
                 "c": encrypt(keyring, "named", context=f"share:{GUILD}")},
            )  # fmt: skip
        await migrate.upgrade(engine, keyring=keyring)
        await migrate.check(engine)
        assert "checkin_profiles" not in await table_names(engine)
        await migrate.downgrade(engine, "0024", keyring=keyring)
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT * FROM checkin_profiles"))).all()
        assert rows == []
    finally:
        await engine.dispose()


async def test_0026_lets_a_waiting_post_keep_its_pseudonym_sealed(
    make_settings: Callable[..., Settings],
) -> None:
    """A post of 0025 keeps its name in the clear (the way up converts nothing); one queued
    since keeps it sealed, and the way down puts it back in the clear, dropping a waiting
    post no key opens (it could never go out)."""
    from bot.services.checkins.sealed import seal_content

    keyring = Keyring.generate()
    owners = Owners(keyring)
    engine = create_engine(make_settings())
    insert = text(
        "INSERT INTO anonymous_posts (id, guild_id, channel_id, week, owner, pseudonym, state, "
        "post_after, content) VALUES (:i, :g, 1, '2026-W49', :o, :p, 'pending', :a, :c)"
    )

    def post(post_id: int, pseudonym: str | None, content: bytes) -> dict[str, Any]:
        return {"i": post_id, "g": GUILD, "o": owners.seal_user("anonymous_posts", USER),
                "p": pseudonym, "a": datetime(2026, 12, 2, 9, tzinfo=UTC),
                "c": content}  # fmt: skip

    values = {"mood": 3, "cravings": "none", "sober": "yes"}
    try:
        await migrate.upgrade(engine, "0025", keyring=keyring)
        async with engine.begin() as connection:
            await connection.execute(
                insert, post(1, "Calm Otter 12", seal_content(keyring, values,
                                                              context=f"post:{GUILD}"))
            )  # fmt: skip
        await migrate.upgrade(engine, keyring=keyring)
        await migrate.check(engine)
        sealed = {**values, "pseudonym": "Quiet Heron 42"}
        async with engine.begin() as connection:
            await connection.execute(
                insert, post(2, None, seal_content(keyring, sealed, context=f"post:{GUILD}"))
            )
            other = Keyring.generate()  # no key of this server opens it
            await connection.execute(
                insert, post(3, None, seal_content(other, sealed, context=f"post:{GUILD}"))
            )
        await migrate.downgrade(engine, "0025", keyring=keyring)
        async with engine.connect() as connection:
            rows = (await connection.execute(
                text("SELECT id, pseudonym FROM anonymous_posts ORDER BY id")
            )).all()  # fmt: skip
        assert [tuple(row) for row in rows] == [(1, "Calm Otter 12"), (2, "Quiet Heron 42")]
    finally:
        await engine.dispose()


async def test_0027_seals_the_times_of_waiting_posts_and_the_posts_releases_are_for(
    make_settings: Callable[..., Settings],
) -> None:
    """The way up moves a waiting post's time into its content and empties the column (a
    posted one keeps its time; one no key opens keeps it in the clear, to be given up when
    due), and seals the post a release is booked for; the way down puts both back, dropping
    a post with no time any key opens (withdrawn before it appeared)."""
    import sqlalchemy as sa

    from bot.db.base import UTCDateTime
    from bot.services.checkins.anonymous import due_at, released_post
    from bot.services.checkins.sealed import seal_content

    keyring, other = Keyring.generate(), Keyring.generate()
    owners = Owners(keyring)
    engine = create_engine(make_settings())
    at = datetime(2026, 12, 2, 9, tzinfo=UTC)
    posts = sa.table(
        "anonymous_posts", sa.column("id", sa.Integer), sa.column("guild_id", sa.BigInteger),
        sa.column("channel_id", sa.BigInteger), sa.column("week", sa.String),
        sa.column("owner", sa.LargeBinary), sa.column("pseudonym", sa.String),
        sa.column("state", sa.String), sa.column("post_after", UTCDateTime()),
        sa.column("content", sa.LargeBinary),
    )  # fmt: skip
    releases = sa.table(
        "occurrences", sa.column("id", sa.Integer), sa.column("source", sa.String),
        sa.column("kind", sa.String), sa.column("due_at", UTCDateTime()),
        sa.column("available_at", UTCDateTime()), sa.column("state", sa.String),
        sa.column("attempts", sa.Integer), sa.column("payload", sa.JSON),
    )  # fmt: skip
    values = {"mood": 3, "cravings": "none", "sober": "yes", "pseudonym": "Quiet Heron 42"}

    def post(post_id: int, state: str, when: datetime | None, key: Keyring) -> dict[str, Any]:
        return {"id": post_id, "guild_id": GUILD, "channel_id": 1, "week": "2026-W49",
                "owner": owners.seal_user("anonymous_posts", USER), "pseudonym": None,
                "state": state, "post_after": when,
                "content": seal_content(key, values, context=f"post:{GUILD}")}  # fmt: skip

    async def stored() -> tuple[dict[int, Any], dict[str, Any]]:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            from bot.db.models import AnonymousPost, Occurrence

            rows = {row.id: row for row in await session.scalars(sa.select(AnonymousPost))}
            payload = await session.scalar(sa.select(Occurrence.payload))
        return rows, dict(payload or {})

    try:
        await migrate.upgrade(engine, "0026", keyring=keyring)
        async with engine.begin() as connection:
            await connection.execute(posts.insert(), [
                post(1, "pending", at, keyring), post(2, "posted", at - timedelta(hours=1),
                keyring), post(3, "pending", at, other),
            ])  # fmt: skip
            await connection.execute(releases.insert().values(
                id=1, source=f"anon-release:{GUILD}:0a1b2c3d", kind="anonymous", due_at=at,
                available_at=at, state="pending", attempts=0, payload={"post": 1},
            ))  # fmt: skip
        await migrate.upgrade(engine, keyring=keyring)
        await migrate.check(engine)
        rows, payload = await stored()
        assert rows[1].post_after is None
        assert due_at(keyring, rows[1]) == at  # sealed in its content
        assert rows[2].post_after == at - timedelta(hours=1)  # the channel shows it anyway
        assert rows[3].post_after == at  # no key opens it
        assert "post" not in payload
        assert released_post(keyring, GUILD, payload) == 1
        async with engine.begin() as connection:  # withdrawn before it appeared, since
            await connection.execute(posts.insert(), [post(4, "withdrawn", None, other)])
        await migrate.downgrade(engine, "0026", keyring=keyring)
        rows, payload = await stored()
        assert {row_id: row.post_after for row_id, row in rows.items()} == {
            1: at,
            2: at - timedelta(hours=1),
            3: at,
        }
        assert payload == {"post": 1}
    finally:
        await engine.dispose()
