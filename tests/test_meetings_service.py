"""Meeting reminders' lateness policy and rolling window, on a real engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.scheduling import Delivery, Due, Scheduler
from bot.services.meetings import MEETING, WINDOW, MeetingNotice, MeetingService

START_AT = datetime(2026, 11, 25, 0, tzinfo=UTC)  # Tuesday Nov 24, 7 pm in New York


async def make(sessions: SessionFactory, clock: FakeClock) -> tuple[MeetingService, Scheduler, int]:
    scheduler = Scheduler(sessions, clock, worker_id="test")
    meetings = MeetingService(sessions, clock, scheduler)
    view = await meetings.create(guild_id=1, actor_id=2, title="Group", starts_at=START_AT,
                                 zone="America/New_York", repeat="weekly")  # fmt: skip
    return meetings, scheduler, view.id


async def test_reminders_cover_the_coming_window(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    _, scheduler, meeting_id = await make(sessions, clock)
    sources = []
    moment = START_AT
    while moment <= clock.now() + WINDOW:
        sources.append(MEETING.source(meeting_id, moment))
        moment += timedelta(days=7)
    for source in sources:
        assert len(await scheduler.states(source)) == 2  # a day before and an hour before


async def test_late_but_before_the_meeting_is_marked_delayed(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    meetings, _, meeting_id = await make(sessions, clock)
    due = Due(
        1,
        MEETING.source(meeting_id, START_AT),
        "meeting",
        START_AT - timedelta(days=1),
        1,
        {"lead": 1440},
    )
    on_time = await meetings.prepare(due, due.due_at + timedelta(seconds=30))
    assert isinstance(on_time, MeetingNotice)
    assert not on_time.delayed
    late = await meetings.prepare(due, START_AT - timedelta(hours=3))
    assert isinstance(late, MeetingNotice)
    assert late.delayed
    begun = await meetings.prepare(due, START_AT + timedelta(minutes=1))
    assert begun == Delivery("skipped_late", "the meeting had already begun", "late")


async def test_a_cancelled_series_sends_nothing(sessions: SessionFactory, clock: FakeClock) -> None:
    meetings, scheduler, meeting_id = await make(sessions, clock)
    await meetings.cancel(1, 2, meeting_id)
    due = Due(
        1,
        MEETING.source(meeting_id, START_AT),
        "meeting",
        START_AT - timedelta(hours=1),
        1,
        {"lead": 60},
    )
    assert await meetings.prepare(due, due.due_at) == Delivery(
        "cancelled", "the meeting series was cancelled"
    )
    assert {state for _, state in await scheduler.states(MEETING.source(meeting_id, START_AT))} == {
        "cancelled"
    }


async def test_downtime_over_both_reminders_gives_one_catch_up(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    _, scheduler, meeting_id = await make(sessions, clock)

    class Recorder:
        def __init__(self) -> None:
            self.delivered: list[Due] = []

        async def deliver(self, due: Due, now: datetime) -> Delivery:
            self.delivered.append(due)
            return Delivery("sent")

    recorder = Recorder()
    scheduler.register("meeting", recorder)
    await clock.advance(START_AT - timedelta(minutes=30) - clock.now())  # down through both
    await scheduler.run_due()
    assert [due.payload["lead"] for due in recorder.delivered] == [60]
    states = [state for _, state in await scheduler.states(MEETING.source(meeting_id, START_AT))]
    assert states == ["skipped_late", "sent"]
