"""Personal reminders on a real engine: reading times, idempotency, encryption, lateness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.db.models import Reminder
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import Delivery, Due, Scheduler
from bot.services.reminders import (
    LATE_LIMIT,
    MemberSettingsService,
    ReminderMessage,
    ReminderService,
    leave_at,
    leave_text,
    parse_when,
)
from tests.conftest import START

NY = "America/New_York"
USER, OTHER = 1001, 1002


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def scheduler(sessions: SessionFactory, clock: FakeClock) -> Scheduler:
    return Scheduler(sessions, clock, worker_id="test")


@pytest.fixture
def reminders(
    sessions: SessionFactory, clock: FakeClock, keyring: Keyring, scheduler: Scheduler
) -> ReminderService:
    return ReminderService(sessions, clock, keyring, scheduler)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("tomorrow 9am", NY, datetime(2026, 11, 23, 14, tzinfo=UTC)),  # EST, UTC-5
        ("June 17 2:30pm", NY, datetime(2027, 6, 17, 18, 30, tzinfo=UTC)),  # EDT, UTC-4
        ("in 2 hours", NY, START + timedelta(hours=2)),
        ("tomorrow 9am", "Asia/Kolkata", datetime(2026, 11, 23, 3, 30, tzinfo=UTC)),  # UTC+5:30
        # The repeated hour when clocks fall back: the first 1:30 (still EDT) is meant.
        ("2027-11-07 01:30", NY, datetime(2027, 11, 7, 5, 30, tzinfo=UTC)),
    ],
)
def test_times_are_read_in_the_members_zone(text: str, zone: str, expected: datetime) -> None:
    assert parse_when(text, zone, START) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-03-14 02:30", "doesn't exist in America/New_York: the clocks jump forward"),
        ("yesterday 9am", "has already passed"),
        ("Feb 30 2027 9am", "couldn't understand"),
        ("9999-01-01", "two years ahead"),
        ("January 1 99999", "two years ahead"),
        ("in 3 years", "two years ahead"),
        ("   ", "can't be empty"),
        ("'; DROP TABLE reminders", "couldn't understand"),
        ("%s {} \x00", "couldn't understand"),
    ],
)
def test_bad_times_get_a_clear_answer(text: str, message: str) -> None:
    with pytest.raises(UserFacingError, match=message):
        parse_when(text, NY, START)


def test_a_bare_leave_time_is_on_the_day_of_the_event_and_must_come_before_it() -> None:
    event_at = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 9:30am in New York, three days on
    # "8:15am" is that morning, not tomorrow's (what parse_when alone would read).
    assert leave_at("8:15am", event_at, NY, START) == datetime(2026, 11, 25, 13, 15, tzinfo=UTC)
    assert leave_at("Nov 24 6pm", event_at, NY, START) == datetime(2026, 11, 24, 23, tzinfo=UTC)
    with pytest.raises(UserFacingError, match="after the event starts"):
        leave_at("11am", event_at, NY, START)
    assert leave_text("Court hearing", "  Bus 12 ") == "Leave for: Court hearing (Bus 12)"
    assert leave_text("Court hearing", " ") == "Leave for: Court hearing"


async def create(
    reminders: ReminderService,
    *,
    kind: str = "court",
    hours: float = 100,
    interaction: int = 1,
    text: str = "Court hearing",
    user: int = USER,
):
    return await reminders.create(
        user_id=user, guild_id=5, kind=kind, text=text, event_at=START + timedelta(hours=hours),
        zone=NY, interaction_id=interaction,
    )  # fmt: skip


async def test_court_dates_get_three_reminders_and_the_text_is_encrypted(
    reminders: ReminderService, scheduler: Scheduler, sessions: SessionFactory
) -> None:
    view = await create(reminders)
    dues = [
        due for due, state in await scheduler.states(f"reminder:{view.id}") if state == "pending"
    ]
    event = START + timedelta(hours=100)
    assert dues == [
        event - timedelta(days=3),
        event - timedelta(days=1),
        event - timedelta(hours=2),
    ]
    assert await reminders.pending_leads(view) == [3 * 24 * 60, 24 * 60, 120]  # as /remind add says
    async with sessions() as session:
        stored = await session.scalar(select(Reminder.text_encrypted).where(Reminder.id == view.id))
    assert stored is not None
    assert b"Court hearing" not in stored
    assert view.text == "Court hearing"


async def test_leads_already_past_are_dropped(
    reminders: ReminderService, scheduler: Scheduler
) -> None:
    view = await create(reminders, hours=30)  # 3 days before is already gone
    dues = [due for due, _ in await scheduler.states(f"reminder:{view.id}")]
    assert len(dues) == 2


async def test_the_same_submission_twice_makes_one_reminder(reminders: ReminderService) -> None:
    first = await create(reminders, interaction=77)
    again = await create(reminders, interaction=77, text="something else")
    assert again.id == first.id
    assert len(await reminders.list(USER)) == 1


async def test_only_the_owner_can_touch_a_reminder(reminders: ReminderService) -> None:
    view = await create(reminders)
    for action in (reminders.cancel, reminders.done):
        with pytest.raises(UserFacingError, match="among yours"):
            await action(OTHER, view.id)
    with pytest.raises(UserFacingError, match="among yours"):
        await reminders.snooze(OTHER, view.id, "10m")
    assert await reminders.get(OTHER, view.id) is None


async def test_cancel_stops_every_delivery(
    reminders: ReminderService, scheduler: Scheduler
) -> None:
    view = await create(reminders)
    await reminders.cancel(USER, view.id)
    assert {state for _, state in await scheduler.states(f"reminder:{view.id}")} == {"cancelled"}
    assert await reminders.list(USER) == []


async def test_snooze_adds_one_more_delivery(
    reminders: ReminderService, scheduler: Scheduler, clock: FakeClock
) -> None:
    view = await create(reminders, kind="other", hours=1)
    due_at = await reminders.snooze(USER, view.id, "1h")
    assert due_at == (clock.now() + timedelta(hours=1)).replace(microsecond=0)
    with pytest.raises(UserFacingError, match="doesn't exist"):
        await reminders.snooze(USER, view.id, "forever")


async def test_lateness_policy(reminders: ReminderService, clock: FakeClock) -> None:
    view = await create(reminders, kind="medication", hours=1)
    due = Due(1, f"reminder:{view.id}", "personal", START + timedelta(hours=1), 1, {"lead": 0})
    on_time = await reminders.prepare(due, START + timedelta(hours=1, seconds=30))
    assert isinstance(on_time, ReminderMessage)
    assert on_time.late_since is None
    late = await reminders.prepare(due, START + timedelta(hours=3))
    assert isinstance(late, ReminderMessage)
    assert late.late_since == due.due_at
    too_late = await reminders.prepare(due, due.due_at + LATE_LIMIT + timedelta(seconds=1))
    assert isinstance(too_late, Delivery)
    assert too_late.status == "skipped_late"
    assert too_late.detail is not None
    assert too_late.detail.startswith("missed by")
    court = await create(reminders, hours=100, interaction=2)
    lead_after_event = Due(
        2, f"reminder:{court.id}", "personal", START + timedelta(hours=98), 1, {"lead": 120}
    )
    skipped = await reminders.prepare(lead_after_event, START + timedelta(hours=101))
    assert isinstance(skipped, Delivery)
    assert skipped.status == "skipped_late"
    await reminders.cancel(USER, view.id)
    assert await reminders.prepare(due, START + timedelta(hours=1)) == Delivery(
        "cancelled", "the reminder was finished or removed"
    )


async def test_day_before_court_asks_for_a_plan(reminders: ReminderService) -> None:
    view = await create(reminders)
    day_before = Due(1, f"reminder:{view.id}", "personal", START, 1, {"lead": 24 * 60})
    message = await reminders.prepare(day_before, START)
    assert isinstance(message, ReminderMessage)
    assert message.plan_prompt
    two_hours = Due(2, f"reminder:{view.id}", "personal", START, 1, {"lead": 120})
    other = await reminders.prepare(two_hours, START)
    assert isinstance(other, ReminderMessage)
    assert not other.plan_prompt


async def test_closed_dms_notice_is_given_once(sessions: SessionFactory, clock: FakeClock) -> None:
    members = MemberSettingsService(sessions, clock)
    assert not await members.take_dm_notice(USER)
    await members.mark_dms_closed(USER)
    assert await members.take_dm_notice(USER)
    assert not await members.take_dm_notice(USER)


async def test_a_moved_ciphertext_does_not_open(
    reminders: ReminderService, sessions: SessionFactory
) -> None:
    first = await create(reminders, interaction=1, text="first secret")
    second = await create(reminders, interaction=2, text="second secret")
    async with sessions.begin() as session:
        rows = {row.id: row for row in await session.scalars(select(Reminder))}
        rows[second.id].text_encrypted = rows[first.id].text_encrypted
    moved = await reminders.get(USER, second.id)
    assert moved is not None
    assert moved.text == "(text could not be read)"
    assert "first secret" not in moved.text


async def test_a_reminder_no_key_opens_is_still_sent_saying_so(
    sessions: SessionFactory,
    clock: FakeClock,
    scheduler: Scheduler,
    reminders: ReminderService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    view = await create(reminders, kind="other", hours=1, text="Call my lawyer")
    without_the_key = ReminderService(sessions, clock, Keyring.generate(), scheduler)
    due = Due(1, f"reminder:{view.id}", "personal", START + timedelta(hours=1), 1, {"lead": 0})
    outcome = await without_the_key.prepare(due, START + timedelta(hours=1))
    assert isinstance(outcome, ReminderMessage)
    assert outcome.text is None
    assert outcome.event_at == view.event_at
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "key id 'k1'" in logged
    assert "Call my lawyer" not in logged
