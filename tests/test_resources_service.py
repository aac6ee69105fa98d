"""The resource directory and recovery meetings, tested without Discord on a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.errors import UserFacingError
from bot.services.crisis import crisis_lines
from bot.services.resources import (
    CATEGORIES,
    RecoveryMeetingService,
    ResourceDraft,
    ResourceService,
    national_resources,
    next_start,
    parse_feed,
    parse_time_filter,
)
from bot.services.text import phone_number, web_address

SHARED_EXAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "meeting-guide-spec" / "example.json"
)
GUILD = 4242
MOD = 77

# A member's words, and the national entry that must come first.
QUERIES = [
    ("homless", "homeless-veterans-call-center"),
    ("homeless", "homeless-veterans-call-center"),
    ("shelter", "homeless-veterans-call-center"),
    ("evicted", "homeless-veterans-call-center"),
    ("crysis", "veterans-crisis-line"),
    ("crisis", "veterans-crisis-line"),
    ("i want to kill myself", "veterans-crisis-line"),
    ("i feel hopeless", "veterans-crisis-line"),
    ("suicde", "988-lifeline"),
    ("lawyer", "veterans-justice-outreach"),
    ("court date", "veterans-justice-outreach"),
    ("legal help", "stateside-legal"),
    ("drinking", "samhsa-helpline"),
    ("aa", "alcoholics-anonymous"),
    ("caregiver", "va-caregiver-support-line"),
    ("my wife", "va-caregiver-support-line"),
    ("benefts", "va-benefits"),
    ("need a doctor", "va-health-care"),
    ("ptsd", "vet-center-call-center"),
    ("counseling", "vet-center-call-center"),
]


@pytest.fixture
def resources(sessions: SessionFactory, clock: FakeClock) -> ResourceService:
    return ResourceService(sessions, clock)


@pytest.fixture
def meetings(sessions: SessionFactory, clock: FakeClock) -> RecoveryMeetingService:
    return RecoveryMeetingService(sessions, clock)


def test_national_data_is_complete_and_well_formed() -> None:
    entries = national_resources()
    assert {"crisis", "va", "vet_centers", "housing", "legal", "recovery", "family"} <= {
        entry.category for entry in entries
    }
    for entry in entries:
        assert entry.category in CATEGORIES, entry.key
        assert entry.ways_to_reach(), entry.key
        assert entry.source is not None
        assert entry.source.startswith("https://"), entry.key
        assert entry.last_checked == "2026-11-22"
        for number in (entry.phone, entry.text):
            if number is not None:
                assert phone_number(number) == number, f"{entry.key}: {number} is not normalised"
        for address in (entry.web, entry.chat):
            if address is not None:
                assert web_address(address) == address, entry.key
    numbers = {entry.key.split(":")[1]: entry.phone for entry in entries}
    assert numbers["samhsa-helpline"] == "1-800-662-4357"
    assert numbers["homeless-veterans-call-center"] == "1-877-424-3838"
    assert numbers["vet-center-call-center"] == "1-877-927-8387"
    assert numbers["va-benefits"] == "1-800-827-1000"


def test_crisis_lines_come_from_the_directory() -> None:
    lines = {line.name: line.how_to_reach for line in crisis_lines()}
    assert lines["Veterans Crisis Line"] == (
        "Dial 988 then press 1",
        "Text 838255",
        "Chat online: https://www.veteranscrisisline.net/get-help-now/chat/",
    )
    assert lines["988 Suicide & Crisis Lifeline"] == (
        "Call or text 988",
        "Chat online: https://988lifeline.org/chat",
    )
    assert lines["Emergency"] == ("Call 911 if you are in immediate danger",)


@pytest.mark.parametrize(("query", "expected"), QUERIES)
async def test_search_quality(resources: ResourceService, query: str, expected: str) -> None:
    result = await resources.search(None, query)
    assert result.strong, query
    assert result.entries[0].key == f"national:{expected}", [e.key for e in result.entries]


async def test_nonsense_finds_nothing_and_a_typo_gets_a_suggestion(
    resources: ResourceService,
) -> None:
    nonsense = await resources.search(None, "xyzzy")
    assert nonsense.entries == []
    assert not nonsense.strong
    typo = await resources.search(None, "hepl")
    assert not typo.strong
    assert typo.suggestion == "helpline"


async def test_category_filter(resources: ResourceService) -> None:
    result = await resources.search(None, "veterans", category="legal")
    assert result.entries
    assert {entry.category for entry in result.entries} == {"legal"}


async def test_autocomplete_fits_discord(resources: ResourceService) -> None:
    for current in ("", "v", "vet", "crisis", "x" * 100):
        entries = await resources.autocomplete(None, current)
        assert len(entries) <= 25
        assert all(1 <= len(entry.name) <= 100 and len(entry.key) <= 100 for entry in entries)
    assert (await resources.autocomplete(None, "cris"))[0].key == "national:veterans-crisis-line"


async def test_guild_entries_are_searchable_and_editable(resources: ResourceService) -> None:
    added = await resources.add(
        GUILD,
        MOD,
        ResourceDraft(
            name="Riverside Food Pantry",
            category="local",
            phone="(555) 010-0142",
            web="riverside-pantry.example.org",
            details="Tuesdays 4-7pm. No ID needed.",
        ),
    )
    assert added.phone == "1-555-010-0142"
    assert added.web == "https://riverside-pantry.example.org"
    found = await resources.search(GUILD, "pantry")
    assert found.entries[0] == added
    assert (await resources.search(None, "pantry")).entries == []  # other servers never see it

    updated = await resources.update(
        GUILD,
        MOD,
        added.key,
        ResourceDraft(name="Riverside Pantry", category="local", phone="555-010-0143"),
    )
    assert updated.key == added.key
    assert (await resources.search(GUILD, "pantry")).entries[0].phone == "1-555-010-0143"

    removed = await resources.remove(GUILD, MOD, added.key)
    assert removed.name == "Riverside Pantry"
    assert (await resources.search(GUILD, "pantry")).entries == []
    with pytest.raises(UserFacingError, match="couldn't find that resource"):
        await resources.remove(GUILD, MOD, added.key)


async def test_another_process_sees_changes_within_a_second(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    first, second = ResourceService(sessions, clock), ResourceService(sessions, clock)
    assert (await second.search(GUILD, "pantry")).entries == []  # warm the second cache
    await first.add(
        GUILD, MOD, ResourceDraft(name="Pantry", category="local", phone="555-010-0100")
    )
    assert (await first.search(GUILD, "pantry")).entries[0].name == "Pantry"  # at once here
    await clock.advance(timedelta(seconds=1))
    assert (await second.search(GUILD, "pantry")).entries[0].name == "Pantry"


async def test_a_server_cannot_touch_another_servers_entries(resources: ResourceService) -> None:
    added = await resources.add(
        GUILD, MOD, ResourceDraft(name="Ours", category="local", phone="555-010-0100")
    )
    with pytest.raises(UserFacingError):
        await resources.update(
            GUILD + 1,
            MOD,
            added.key,
            ResourceDraft(name="Theirs", category="local", phone="555-010-0100"),
        )
    with pytest.raises(UserFacingError):
        await resources.remove(GUILD + 1, MOD, added.key)
    for forged in (
        "guild:abc",
        "national:veterans-crisis-line",
        "guild:999999",
        "'; DROP TABLE guild_resources",
    ):
        with pytest.raises(UserFacingError):
            await resources.remove(GUILD, MOD, forged)


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (ResourceDraft(name="", category="local", phone="555-010-0100"), "Name can't be empty"),
        (
            ResourceDraft(name="   \u200b ", category="local", phone="555-010-0100"),
            "Name can't be empty",
        ),
        (ResourceDraft(name="x" * 101, category="local", phone="555-010-0100"), "keep it to 100"),
        (ResourceDraft(name="A", category="nonsense", phone="555-010-0100"), "listed categories"),
        (ResourceDraft(name="A", category="local"), "at least one way to reach"),
        (
            ResourceDraft(name="A", category="local", web="javascript:alert(1)"),
            "starts with https://",
        ),
        (ResourceDraft(name="A", category="local", web="http://evil"), "full web address"),
        (ResourceDraft(name="A", category="local", phone="call me maybe"), "couldn't read that"),
        (ResourceDraft(name="A", category="local", phone="12"), "incomplete"),
        (
            ResourceDraft(name="A", category="local", phone="555-010-0100", details="d" * 1001),
            "keep it to 1000",
        ),
    ],
)
async def test_bad_drafts_are_refused_clearly(
    resources: ResourceService, draft: ResourceDraft, message: str
) -> None:
    with pytest.raises(UserFacingError, match=message):
        await resources.add(GUILD, MOD, draft)


async def test_names_are_stored_clean(resources: ResourceService) -> None:
    added = await resources.add(
        GUILD,
        MOD,
        ResourceDraft(name="Bad\u202e\x00 name\u200b  here", category="local", phone="988"),
    )
    assert added.name == "Bad name here"
    assert added.phone == "988"


async def test_hiding_a_national_entry(resources: ResourceService) -> None:
    await resources.hide_national(GUILD, MOD, "national:stateside-legal")
    keys = [entry.key for entry in (await resources.search(GUILD, "legal")).entries]
    assert "national:stateside-legal" not in keys
    assert [entry.key for entry in await resources.hidden_national(GUILD)] == [
        "national:stateside-legal"
    ]
    assert "national:stateside-legal" in [
        e.key for e in (await resources.search(GUILD + 1, "legal")).entries
    ]
    await resources.unhide_national(GUILD, MOD, "national:stateside-legal")
    assert "national:stateside-legal" in [
        e.key for e in (await resources.search(GUILD, "legal")).entries
    ]
    with pytest.raises(UserFacingError):
        await resources.hide_national(GUILD, MOD, "guild:1")


async def test_list_pages(resources: ResourceService) -> None:
    first = await resources.list_page(GUILD, None, 0, per_page=5)
    assert first.total == len(national_resources())
    assert first.pages == -(-first.total // 5)
    last = await resources.list_page(GUILD, None, 999, per_page=5)
    assert last.page == first.pages - 1
    crisis = await resources.list_page(GUILD, "crisis", 0)
    assert [entry.category for entry in crisis.entries] == ["crisis", "crisis"]


# ----- recovery meetings -----


def example_feed() -> bytes:
    if SHARED_EXAMPLE.exists():
        return SHARED_EXAMPLE.read_bytes()
    return (
        Path(__file__).resolve().parents[1].joinpath("bot/data/demo_meeting_feed.json").read_bytes()
    )


async def test_import_the_spec_example(meetings: RecoveryMeetingService) -> None:
    report = await meetings.import_feed(GUILD, MOD, "example.json", example_feed())
    assert report.added >= 1
    assert report.skipped == []
    found, total = await meetings.find(GUILD, 0)
    assert total >= 1
    serenity = next(view for view in found if view.name == "Sunday Serenity")
    assert serenity.start_time == "18:00"
    assert serenity.type_names == ("Open", "Transgender", "LGBTQ")
    assert serenity.address == "123 Main Street, Anytown, CA, 98765"


async def test_reimport_updates_and_removes_instead_of_duplicating(
    meetings: RecoveryMeetingService,
) -> None:
    feed = [
        {"name": "Morning", "slug": "m", "day": 1, "time": "08:00", "timezone": "America/New_York"},
        {"name": "Evening", "slug": "e", "day": 1, "time": "19:00", "timezone": "America/New_York"},
    ]
    first = await meetings.import_feed(GUILD, MOD, "area.json", json.dumps(feed).encode())
    assert (first.added, first.updated, first.removed) == (2, 0, 0)
    feed[0]["name"] = "Morning Light"
    second = await meetings.import_feed(GUILD, MOD, "area.json", json.dumps(feed[:1]).encode())
    assert (second.added, second.updated, second.removed) == (0, 1, 1)
    assert await meetings.count(GUILD) == 1
    found, _ = await meetings.find(GUILD, 1)
    assert [view.name for view in found] == ["Morning Light"]


async def test_messy_feed_keeps_what_it_can_and_says_why(meetings: RecoveryMeetingService) -> None:
    feed = [
        {"name": 12, "slug": 34, "day": "2", "time": "7:05"},  # numbers where strings belong
        {"name": "Multi", "slug": "multi", "day": [1, 3], "time": "12:00:00"},
        {"name": "No slug"},
        {"slug": "no-name"},
        {"name": "Bad day", "slug": "bad-day", "day": 7, "time": "10:00"},
        {"name": "Bad time", "slug": "bad-time", "day": 1, "time": "24:30"},
        {"name": "Bad zone", "slug": "bad-zone", "timezone": "Mars/Olympus"},
        {"name": "Evil link", "slug": "evil", "conference_url": "javascript:alert(1)"},
        {"name": "Dup", "slug": "multi"},
        "not an object",
        {"name": "Unknown types", "slug": "types", "types": ["O", "NOT-A-TYPE", 5]},
    ]
    report = await meetings.import_feed(GUILD, MOD, "messy.json", json.dumps(feed).encode())
    assert report.added == 3
    reasons = " | ".join(f"{item.label}: {item.reason}" for item in report.skipped)
    for expected in ("no usable slug", "no name", "not 0 (Sunday) to 6", "not HH:MM",
                     "unknown time zone", "not an http(s) address", "appears twice",
                     "not a meeting object"):  # fmt: skip
        assert expected in reasons
    tuesday, _ = await meetings.find(GUILD, 2)
    assert [(view.name, view.start_time) for view in tuesday] == [("12", "07:05")]
    wednesday, _ = await meetings.find(GUILD, 3)
    assert [view.name for view in wednesday] == ["Multi"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x89PNG not json", "isn't valid JSON"),
        (b'{"hello": "world"}', "expected a list of meetings"),
        (b"[]", "couldn't read any meetings"),
        (b'[{"name": "only a name"}]', "couldn't read any meetings"),
        (
            b"[" + b'{"name":"a","slug":"a"},' * 10_001 + b'{"name":"b","slug":"b"}]',
            "the limit is 10000",
        ),
    ],
)
async def test_unusable_files_change_nothing(
    meetings: RecoveryMeetingService, raw: bytes, message: str
) -> None:
    await meetings.import_feed(
        GUILD, MOD, "good.json", b'[{"name": "Kept", "slug": "kept", "day": 1, "time": "09:00"}]'
    )
    with pytest.raises(UserFacingError, match=message):
        await meetings.import_feed(GUILD, MOD, "good.json", raw)
    assert await meetings.count(GUILD) == 1


async def test_find_filters(meetings: RecoveryMeetingService) -> None:
    feed = [
        {"name": "Online early", "slug": "a", "day": 4, "time": "07:00", "types": ["O"],
         "conference_url": "https://meet.example.org/a", "timezone": "America/Chicago"},
        {"name": "Hall evening", "slug": "b", "day": 4, "time": "19:30", "types": ["C", "W"],
         "location": "Hall", "timezone": "America/Chicago"},
    ]  # fmt: skip
    await meetings.import_feed(GUILD, MOD, "f.json", json.dumps(feed).encode())
    assert [v.name for v in (await meetings.find(GUILD, 4, online=True))[0]] == ["Online early"]
    assert [v.name for v in (await meetings.find(GUILD, 4, online=False))[0]] == ["Hall evening"]
    assert [v.name for v in (await meetings.find(GUILD, 4, type_code="W"))[0]] == ["Hall evening"]
    evening = parse_time_filter("evening")
    assert [v.name for v in (await meetings.find(GUILD, 4, window=evening))[0]] == ["Hall evening"]
    assert [
        v.name for v in (await meetings.find(GUILD, 4, window=parse_time_filter("7am")))[0]
    ] == [
        "Online early",
        "Hall evening",
    ]
    with pytest.raises(UserFacingError, match="meeting type"):
        await meetings.find(GUILD, 4, type_code="NOPE")
    with pytest.raises(UserFacingError, match="day of the week"):
        await meetings.find(GUILD, 9)


@pytest.mark.parametrize(
    ("text", "window"),
    [("7pm", (time(19), time(23, 59, 59))), ("19:30", (time(19, 30), time(23, 59, 59))),
     ("7:30 am", (time(7, 30), time(23, 59, 59))), ("Morning", (time(0), time(12))),
     ("12am", (time(0), time(23, 59, 59)))],
)  # fmt: skip
def test_time_filters(text: str, window: tuple[time, time]) -> None:
    assert parse_time_filter(text) == window


@pytest.mark.parametrize("text", ["25:00", "13pm", "noonish", "7:75", "%s", "'; DROP TABLE"])
def test_bad_time_filters(text: str) -> None:
    with pytest.raises(UserFacingError):
        parse_time_filter(text)


def test_next_start_follows_local_time_across_dst() -> None:
    zone = "America/New_York"
    # Saturday 2026-10-31, before the fall-back Sunday: next Sunday 18:00 is EST (UTC-5).
    assert next_start(0, "18:00", zone, datetime(2026, 10, 31, 12, tzinfo=UTC)) == datetime(
        2026, 11, 1, 23, tzinfo=UTC
    )
    # Before spring-forward: Sunday 2026-03-08 18:00 is EDT (UTC-4).
    assert next_start(0, "18:00", zone, datetime(2026, 3, 7, 12, tzinfo=UTC)) == datetime(
        2026, 3, 8, 22, tzinfo=UTC
    )
    # 02:30 does not exist that night; the meeting starts at the first real instant after.
    assert next_start(0, "02:30", zone, datetime(2026, 3, 7, 12, tzinfo=UTC)) == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )
    # India is UTC+5:30 all year.
    assert next_start(
        1, "09:00", "Asia/Kolkata", datetime(2026, 11, 22, 12, tzinfo=UTC)
    ) == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    # Later the same day it is still today; past it, next week.
    assert next_start(0, "18:00", zone, datetime(2026, 11, 22, 15, tzinfo=UTC)).day == 22
    assert next_start(0, "18:00", zone, datetime(2026, 11, 22, 23, 30, tzinfo=UTC)).day == 29


def test_the_feed_parser_never_sees_a_file_twice_the_limit() -> None:
    with pytest.raises(UserFacingError, match="over 5 MB"):
        parse_feed(b" " * (5 * 1024 * 1024 + 1))
