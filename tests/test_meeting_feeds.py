"""Meeting lists that keep their meetings: each feed has an identity, meetings are keyed by
(server, feed, slug), a re-import replaces that feed's set only, and hostile files are refused
or skipped with a reason, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.models import RecoveryMeeting
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.services.resources import RecoveryMeetingService, feed_identity
from cogs.resources.ui import import_report_text
from tests.conftest import World

GUILD = 4242
MOD = 77


@pytest.fixture
def meetings(sessions: SessionFactory, clock: FakeClock) -> RecoveryMeetingService:
    return RecoveryMeetingService(sessions, clock)


def numbered(*names: str) -> bytes:
    """A feed that numbers its meetings 1, 2, 3..., as many do."""
    return json.dumps([
        {"name": name, "slug": str(number), "day": 1, "time": f"{8 + number:02d}:00"}
        for number, name in enumerate(names, start=1)
    ]).encode()  # fmt: skip


async def names(meetings: RecoveryMeetingService) -> list[str]:
    found, _ = await meetings.find(GUILD, 1, limit=50)
    return sorted(view.name for view in found)


async def test_two_feeds_with_the_same_slugs_keep_each_others_meetings(
    meetings: RecoveryMeetingService,
) -> None:
    first = await meetings.import_feed(
        GUILD, MOD, "meetings.json", numbered("Hall A", "Hall B"), feed="District 5"
    )
    second = await meetings.import_feed(
        GUILD, MOD, "meetings.json", numbered("Online X", "Online Y"), feed="https://ig.example/f"
    )
    assert (second.added, second.updated, second.removed) == (2, 0, 0)
    assert second.other_feeds == ("District 5",)
    assert await names(meetings) == ["Hall A", "Hall B", "Online X", "Online Y"]
    reply = import_report_text(second)
    assert "as the list “https://ig.example/f”: 2 new, 0 updated." in reply
    assert "other lists are kept: “District 5”" in reply

    # Re-importing one feed replaces its set, and only its set.
    again = await meetings.import_feed(
        GUILD, MOD, "district-export.json", numbered("Hall A renamed"), feed="District 5"
    )
    assert (again.added, again.updated, again.removed) == (0, 1, 1)
    assert first.feed == again.feed == "District 5"
    assert await names(meetings) == ["Hall A renamed", "Online X", "Online Y"]
    assert "Removed 1 that the list no longer has." in import_report_text(again)


async def test_a_feed_saved_again_with_a_copy_marker_is_the_same_feed(
    meetings: RecoveryMeetingService,
) -> None:
    await meetings.import_feed(GUILD, MOD, "meetings.json", numbered("One", "Two", "Three"))
    await meetings.import_feed(GUILD, MOD, "other.json", numbered("Elsewhere"))
    again = await meetings.import_feed(GUILD, MOD, "meetings (1).json", numbered("One", "Two"))
    assert again.feed == "meetings.json"
    assert (again.added, again.updated, again.removed) == (0, 2, 1)
    assert await names(meetings) == ["Elsewhere", "One", "Two"]
    assert feed_identity(None, "list (12).v2.json") == "list (12).v2.json"  # only at the end
    assert feed_identity(None, "list (12)") == "list"
    assert feed_identity("  District  5 ", "x.json") == "District 5"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested far too deeply"),
        (b'{"meetings": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested far too deeply"),
    ],
)
async def test_a_deeply_nested_file_is_refused(
    meetings: RecoveryMeetingService, raw: bytes, message: str
) -> None:
    with pytest.raises(UserFacingError, match=message):
        await meetings.import_feed(GUILD, MOD, "deep.json", raw)


async def test_huge_numbers_and_lone_surrogates_skip_only_their_meetings(
    meetings: RecoveryMeetingService,
) -> None:
    good = '{"name": "Kept", "slug": "kept", "day": 1, "time": "09:00"}'
    raw = (
        "["
        + good
        + ', {"name": "Huge day", "slug": "h1", "day": 1' + "0" * 5000 + ', "time": "09:00"}'
        + ', {"name": "Huge float", "slug": "h2", "day": 1e999, "time": "09:00"}'
        + ', {"name": "Not a number", "slug": "h3", "day": NaN, "time": "09:00"}'
        + ', {"name": "Broken \\ud800 name", "slug": "s1", "day": 1, "time": "09:00"}'
        + ', {"name": "Broken notes", "slug": "s2", "notes": "x\\udfffy"}'
        + ', {"name": 1' + "9" * 400 + ', "slug": "big-name"}'
        + "]"
    ).encode()  # fmt: skip
    report = await meetings.import_feed(GUILD, MOD, "hostile \ud800.json", raw)
    assert report.added == 1
    reasons = {item.label: item.reason for item in report.skipped}
    assert len(reasons) == 6
    assert reasons["#2 (Huge day)"] == "a number too large to be real"
    assert reasons["#3 (Huge float)"] == "a number too large to be real"
    assert reasons["#4 (Not a number)"] == "a number too large to be real"
    assert reasons["#5 (Broken ? name)"] == "text with broken characters (lone surrogates)"
    assert reasons["#6 (Broken notes)"] == "text with broken characters (lone surrogates)"
    assert "a number too large to be real" in reasons["#7"]
    reply = import_report_text(report)
    reply.encode("utf-8")  # what is shown can be sent: no lone surrogate left in it
    assert "Skipped 6." in reply
    assert await names(meetings) == ["Kept"]


@pytest.mark.empty_database
async def test_migration_gives_existing_meetings_a_feed_from_their_file_name(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    engine = create_engine(make_settings())
    try:
        await migrate.upgrade(engine, "0009")
        before = sa.table(  # the table as it was at 0009
            "recovery_meetings", sa.column("guild_id", sa.BigInteger()),
            sa.column("source", sa.String()), sa.column("slug", sa.String()),
            sa.column("name", sa.String()), sa.column("days", sa.JSON()),
            sa.column("types", sa.JSON()), sa.column("updated_at", sa.DateTime(timezone=True)),
        )  # fmt: skip
        async with engine.begin() as connection:
            await connection.execute(
                before.insert(),
                [
                    {"guild_id": GUILD, "source": source, "slug": slug, "name": f"Old {slug}",
                     "days": [1], "types": [], "updated_at": datetime(2026, 11, 1, tzinfo=UTC)}
                    for slug, source in (("1", "district (1).json"), ("2", "online.json"))
                ],
            )  # fmt: skip
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            rows = list(await session.scalars(select(RecoveryMeeting)))
        assert {(row.slug, row.feed, row.name) for row in rows} == {
            ("1", "district.json", "Old 1"),
            ("2", "online.json", "Old 2"),
        }
        service = RecoveryMeetingService(sessions, clock)
        report = await service.import_feed(GUILD, MOD, "district.json", numbered("New 1"))
        assert (report.added, report.updated, report.removed) == (0, 1, 0)
        await migrate.downgrade(engine, "0009")  # and back, keeping one meeting per slug
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def test_import_two_feeds_through_discord(running: Runtime, world: World) -> None:
    sandbox = world.sandbox

    async def imported(name: str, raw: bytes, **feed: Any) -> str:
        result = await sandbox.slash(
            world.moderator, world.general, "resource-admin import",
            file=sandbox.make_attachment(name, raw), **feed,
        )  # fmt: skip
        assert result.ephemeral
        return result.text

    assert (await imported("a.json", numbered("Hall A", "Hall B"))).startswith(
        "Imported a.json: 2 new, 0 updated."
    )
    second = await imported("a.json", numbered("Online X"), feed="Online intergroup")
    assert second.startswith("Imported a.json as the list “Online intergroup”: 1 new, 0 updated.")
    assert "other lists are kept: “a.json”" in second
    listed = await sandbox.slash(world.member, world.general, "resource meetings", day=1)
    for name in ("Hall A", "Hall B", "Online X"):
        assert name in listed.text
    deep = await imported("deep.json", b"[" * 100_000 + b"]" * 100_000)
    assert deep.startswith("That file is nested far too deeply to be a Meeting Guide feed")
