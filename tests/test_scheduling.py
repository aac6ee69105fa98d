"""The scheduler on a real engine: claim, send, settle; leases, retries, races, the alarm."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock, SystemClock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence
from bot.scheduling import (
    BACKOFF_CAP,
    LEASE,
    MAX_SLEEP,
    APSchedulerAlarm,
    ClockAlarm,
    Delivery,
    Dispatcher,
    Due,
    Scheduler,
    backoff,
)
from tests.conftest import START, eventually, only_postgres


class Recorder:
    """A handler that records what it was asked to deliver and answers as told."""

    def __init__(self, answer: str = "sent", cause: str | None = None) -> None:
        self.delivered: list[Due] = []
        self.answer = answer
        self.cause = cause

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        self.delivered.append(due)
        if self.answer == "raise":
            raise RuntimeError("boom")
        return Delivery(self.answer, None, self.cause)  # type: ignore[arg-type]


async def add(sessions: SessionFactory, source: str, due_at: datetime, kind: str = "test") -> None:
    async with sessions.begin() as session:
        await Scheduler.add(session, source=source, kind=kind, due_at=due_at, payload={"n": 1})


@pytest.fixture
def scheduler(sessions: SessionFactory, clock: FakeClock) -> Scheduler:
    return Scheduler(sessions, clock, worker_id="one")


async def test_claim_send_settle_exactly_once(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    recorder = Recorder()
    scheduler.register("test", recorder)
    await add(sessions, "a", START + timedelta(minutes=5))
    await add(sessions, "a", START + timedelta(minutes=5))  # the same delivery twice: stored once
    assert await scheduler.run_due() == 0
    await clock.advance(timedelta(minutes=5))
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert [due.source for due in recorder.delivered] == ["a"]
    assert await scheduler.states("a") == [(START + timedelta(minutes=5), "sent")]
    assert recorder.delivered[0].nonce == f"muster-{recorder.delivered[0].id}"


async def test_two_workers_never_claim_the_same_row(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    for n in range(200):
        await add(sessions, f"s{n}", START)
    first, second = (
        Scheduler(sessions, clock, worker_id="one"),
        Scheduler(sessions, clock, worker_id="two"),
    )
    batches = await asyncio.gather(
        *(worker.claim(limit=30) for worker in (first, second) for _ in range(4))
    )
    claimed = [due.id for batch in batches for due in batch]
    assert len(claimed) == len(set(claimed)) == 200


async def test_an_expired_lease_is_claimed_again_and_the_old_claim_cannot_settle(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    await add(sessions, "crash", START)
    crashed, survivor = (
        Scheduler(sessions, clock, worker_id="crashed"),
        Scheduler(sessions, clock, worker_id="ok"),
    )
    [lost] = await crashed.claim()  # then the process dies before sending
    assert await survivor.claim() == []
    await clock.advance(LEASE)
    [again] = await survivor.claim()
    assert again.id == lost.id
    assert again.attempts == 2
    assert not await crashed.settle(lost, Delivery("sent"))
    assert await survivor.settle(again, Delivery("sent"))
    assert await survivor.states("crash") == [(START, "sent")]


async def outcome(sessions: SessionFactory, source: str) -> tuple[str, str | None]:
    async with sessions() as session:
        row = await session.scalar(select(Occurrence).where(Occurrence.source == source))
    assert row is not None
    return row.state, row.cause


async def test_transient_failures_are_retried_until_the_deadline_not_by_count(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    """R27: two hours of 503s against a three-hour deadline: still retrying after far more
    than six attempts, then settled as missed with the real cause once the deadline passes."""
    recorder = Recorder("retry", "discord_unavailable")
    scheduler.register("test", recorder, deadline=timedelta(hours=3))
    await add(sessions, "flaky", START)
    while clock.now() < START + timedelta(hours=2):
        await scheduler.run_due()
        await clock.advance(timedelta(seconds=30))
    assert len(recorder.delivered) > 20  # every few minutes at most (BACKOFF_CAP)
    assert await outcome(sessions, "flaky") == ("pending", "discord_unavailable")
    while clock.now() < START + timedelta(hours=3, minutes=1):
        await scheduler.run_due()
        await clock.advance(timedelta(seconds=30))
    assert await outcome(sessions, "flaky") == ("skipped_late", "discord_unavailable")
    gaps = [b.due_at for b in recorder.delivered]  # all the same occurrence
    assert len(set(gaps)) == 1


async def test_the_last_try_is_made_at_the_deadline_itself(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    recorder = Recorder("retry", "network")
    deadline = START + timedelta(seconds=25)
    scheduler.register("test", recorder, deadline=deadline - START)
    await add(sessions, "soon", START)
    await scheduler.run_due()  # back-off 5-10 s
    await clock.advance(timedelta(seconds=10))
    await scheduler.run_due()  # back-off 10-20 s, but no later than the deadline
    async with sessions() as session:
        row = await session.scalar(select(Occurrence).where(Occurrence.source == "soon"))
    assert row is not None
    assert row.available_at <= deadline
    assert await outcome(sessions, "soon") == ("pending", "network")
    await clock.advance(deadline - clock.now())
    await scheduler.run_due()
    assert len(recorder.delivered) == 3  # first try, one back-off, the deadline itself
    assert await outcome(sessions, "soon") == ("skipped_late", "network")


async def test_a_permanent_answer_ends_it_at_once(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    recorder = Recorder("failed_permanent", "dms_closed")
    scheduler.register("test", recorder, deadline=timedelta(hours=3))
    await add(sessions, "closed", START)
    await scheduler.run_due()
    await clock.advance(BACKOFF_CAP)
    await scheduler.run_due()
    assert len(recorder.delivered) == 1
    assert await outcome(sessions, "closed") == ("failed_permanent", "dms_closed")


class Mover:
    """A handler that sends nothing the first time and books itself again, later."""

    def __init__(self, to: datetime) -> None:
        self.delivered: list[Due] = []
        self.to = to

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        self.delivered.append(due)
        if len(self.delivered) > 1:
            return Delivery("sent")
        return Delivery("moved", moved_to=self.to, payload={"n": 2})


async def test_a_moved_delivery_is_booked_again_as_if_never_tried(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    later = START + timedelta(minutes=7)
    mover = Mover(later)
    scheduler.register("test", mover)
    await add(sessions, "held", START)
    assert await scheduler.run_due() == 1
    async with sessions() as session:
        [row] = list(await session.scalars(select(Occurrence).where(Occurrence.source == "held")))
    moved = (row.state, row.due_at, row.available_at, row.attempts, row.payload, row.settled_at,
             row.detail, row.cause, row.uncertain_since, row.claimed_by)  # fmt: skip
    assert moved == ("pending", later, later, 0, {"n": 2}, None, None, None, None, None)
    await clock.advance(timedelta(minutes=6))
    assert await scheduler.run_due() == 0  # not before its new time
    await clock.advance(timedelta(minutes=1))
    assert await scheduler.run_due() == 1
    assert [(due.due_at, due.attempts, due.payload, due.uncertain_since)
            for due in mover.delivered] == [(START, 1, {"n": 1}, None),
                                             (later, 1, {"n": 2}, None)]  # fmt: skip
    assert await scheduler.states("held") == [(later, "sent")]


async def test_late_after_transient_failures_keeps_the_real_cause(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The handler's own lateness check ends it, but the reason is Discord's trouble, not
    that Muster was offline."""
    recorder = Recorder("retry", "rate_limited")
    scheduler.register("test", recorder, deadline=timedelta(hours=3))
    await add(sessions, "late", START)
    await scheduler.run_due()
    recorder.answer, recorder.cause = "skipped_late", "late"
    await clock.advance(BACKOFF_CAP)
    await scheduler.run_due()
    assert await outcome(sessions, "late") == ("skipped_late", "rate_limited")


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    for attempts in (*range(1, 12), 500, 10**6):
        ceiling = min(timedelta(seconds=10) * 2 ** min(attempts - 1, 20), timedelta(minutes=5))
        for _ in range(20):
            delay = backoff(attempts, rng)
            assert ceiling / 2 <= delay <= ceiling


async def test_a_handler_that_raises_is_retried_not_lost(
    scheduler: Scheduler, sessions: SessionFactory
) -> None:
    scheduler.register("test", Recorder("raise"))
    await add(sessions, "boom", START)
    await scheduler.run_due()
    assert await scheduler.states("boom") == [(START, "pending")]


class Sender:
    """A handler whose send always succeeds, as message 4242."""

    def __init__(self) -> None:
        self.sent = 0

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        self.sent += 1
        return Delivery("sent", message_id=4242)


class FlakyRecord:
    """Records message ids, failing the first `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.recorded: list[int] = []

    async def __call__(self, session: AsyncSession, due: Due, message_id: int) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("the record failed")
        self.recorded.append(message_id)


async def test_a_failed_record_after_a_send_is_retried_never_re_sent(
    scheduler: Scheduler, sessions: SessionFactory
) -> None:
    """R30: the settle that records the message id fails twice; it is tried again (the
    message id kept meanwhile) and the message is never sent a second time."""
    sender, record = Sender(), FlakyRecord(failures=2)
    scheduler.register("test", sender, record=record)
    await add(sessions, "post", START)
    assert await scheduler.run_due() == 1
    assert sender.sent == 1
    assert record.recorded == [4242]
    async with sessions() as session:
        row = await session.scalar(select(Occurrence).where(Occurrence.source == "post"))
    assert row is not None
    assert (row.state, row.message_id) == ("sent", 4242)


async def test_a_kept_message_id_is_recorded_by_the_next_claimer_without_sending(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The process stops (or dies) while its record keeps failing: the message id it kept
    tells the next claimer that the message is out, so it records it and sends nothing."""
    first, second = (
        Scheduler(sessions, clock, worker_id="first"),
        Scheduler(sessions, clock, worker_id="second"),
    )
    stopping = asyncio.Event()
    sender, broken = Sender(), FlakyRecord(failures=10**6)

    async def stop_after_the_first_failure(session: AsyncSession, due: Due, mid: int) -> None:
        stopping.set()
        await broken(session, due, mid)

    first.register("test", sender, record=stop_after_the_first_failure)
    await add(sessions, "post", START)
    await first.run_due(stopping=stopping.is_set)
    async with sessions() as session:
        row = await session.scalar(select(Occurrence).where(Occurrence.source == "post"))
    assert row is not None
    assert (row.state, row.message_id) == ("claimed", 4242)

    later, record = Sender(), FlakyRecord(failures=0)
    second.register("test", later, record=record)
    await clock.advance(LEASE)
    assert await second.run_due() == 1
    assert later.sent == 0  # not sent again
    assert record.recorded == [4242]
    assert await second.states("post") == [(START, "sent")]


class SkewedClock:
    """A host whose wall clock is off by `skew`."""

    def __init__(self, skew: timedelta) -> None:
        self.skew = skew

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew

    def elapsed(self) -> float:
        return SystemClock().elapsed()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@only_postgres
async def test_hosts_with_skewed_clocks_keep_to_the_database_clock(
    sessions: SessionFactory,
) -> None:
    """Two hosts 5 minutes either side of the truth, with a 2-minute lease: by their own
    clocks the fast one would take the slow one's fresh claim, and send a delivery due in two
    minutes at once. By the database's clock, neither happens."""
    fast, slow = SkewedClock(timedelta(minutes=5)), SkewedClock(-timedelta(minutes=5))
    ahead = Scheduler(sessions, fast, worker_id="ahead", host_clock=fast)
    behind = Scheduler(sessions, slow, worker_id="behind", host_clock=slow)
    await add(sessions, "due", datetime.now(UTC) - timedelta(seconds=1))
    await add(sessions, "soon", datetime.now(UTC) + timedelta(minutes=2))
    [claimed] = await behind.claim()  # due now: the slow host does not wait five minutes
    assert claimed.source == "due"
    assert await ahead.claim() == []  # neither the fresh claim nor the delivery not yet due
    for scheduler in (ahead, behind):
        assert abs(scheduler.now() - datetime.now(UTC)) < timedelta(seconds=2)
    async with sessions() as session:
        row = await session.scalar(select(Occurrence).where(Occurrence.source == "due"))
    assert row is not None
    assert row.lease_until is not None
    assert abs(row.lease_until - (datetime.now(UTC) + LEASE)) < timedelta(seconds=5)


async def test_missed_runs_collapse_to_one_catch_up(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    recorder = Recorder()
    scheduler.register("test", recorder)
    for hours in (1, 2, 3):
        await add(sessions, "daily", START + timedelta(hours=hours))
    await clock.advance(timedelta(hours=5))  # the bot was down for all three
    assert await scheduler.run_due() == 1
    assert [due.due_at for due in recorder.delivered] == [START + timedelta(hours=3)]
    states = [state for _, state in await scheduler.states("daily")]
    assert states == ["skipped_late", "skipped_late", "sent"]


async def test_cancelled_and_unknown_kinds(
    scheduler: Scheduler,
    sessions: SessionFactory,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.scheduling")
    await add(sessions, "gone", START)
    await add(sessions, "nobody-handles", START, kind="mystery")
    async with sessions.begin() as session:
        assert await Scheduler.cancel(session, "gone", clock.now()) == 1
    await scheduler.run_due()
    assert await scheduler.states("gone") == [(START, "cancelled")]
    assert await scheduler.states("nobody-handles") == [(START, "failed_permanent")]
    # Said in the log, with the kind, not settled in silence.
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "No sender is registered for the kind 'mystery'" in warning.getMessage()


async def test_only_an_untried_delivery_moves_and_a_claimed_or_uncertain_one_goes_as_booked(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    """A member's zone change moves what was booked by their old zone (OccurrenceStore.move);
    a delivery in flight, or retried after an attempt that may have gone out, goes as booked:
    moved, it could be sent a second time."""
    soon, elsewhere = START + timedelta(minutes=5), START + timedelta(hours=3)
    await add(sessions, "claimed", START)
    await add(sessions, "uncertain", START)
    async with sessions.begin() as session:  # an attempt that may have gone out, to retry
        await session.execute(
            Occurrence.__table__.update()
            .where(Occurrence.source == "uncertain")
            .values(uncertain_since=START, attempts=1)
        )
    async with sessions.begin() as session:
        assert await Scheduler.untried(session, "uncertain") == []
        [claimed] = await Scheduler.untried(session, "claimed")
    assert {due.source for due in await scheduler.claim()} == {"claimed", "uncertain"}
    # Claimed (by the dispatcher, say) after it was read: it is not moved.
    async with sessions.begin() as session:
        assert not await Scheduler.move(session, claimed, elsewhere, clock.now())
    assert await scheduler.states("claimed") == [(START, "claimed")]

    # An untried one moves in place (its row, so its nonce, kept; no new row, no timestamp),
    # onto a moment where a row of its source cancelled before any attempt was.
    await add(sessions, "fresh", elsewhere)
    async with sessions.begin() as session:
        await Scheduler.cancel(session, "fresh", clock.now())
    await add(sessions, "fresh", soon)
    async with sessions.begin() as session:
        [fresh] = await Scheduler.untried(session, "fresh")
        assert await Scheduler.move(session, fresh, elsewhere, clock.now(), {"n": 2})
        [moved] = await Scheduler.untried(session, "fresh")
        assert (moved.id, moved.due_at, moved.payload) == (fresh.id, elsewhere, {"n": 2})
        # The same moment: only the payload is written.
        assert await Scheduler.move(session, moved, elsewhere, clock.now(), {"n": 3})
        [again] = await Scheduler.untried(session, "fresh")
        assert (again.id, again.payload) == (fresh.id, {"n": 3})
        assert not await Scheduler.move(session, again, elsewhere, clock.now())
    assert await scheduler.states("fresh") == [(elsewhere, "pending")]
    async with sessions() as session:
        row = await session.get(Occurrence, fresh.id)
        assert row is not None
        assert row.settled_at is None

    # Onto a moment its source has a live (or sent) delivery at: that one is it already.
    await add(sessions, "twice", soon)
    await add(sessions, "twice", elsewhere)
    async with sessions.begin() as session:
        [first, _] = await Scheduler.untried(session, "twice")
        assert not await Scheduler.move(session, first, elsewhere, clock.now())
    assert await scheduler.states("twice") == [(soon, "cancelled"), (elsewhere, "pending")]


async def test_dispatcher_never_sleeps_more_than_30_seconds(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    recorder = Recorder()
    scheduler.register("test", recorder)
    dispatcher = Dispatcher(scheduler, clock, ClockAlarm(clock))
    await dispatcher.start()
    assert dispatcher.armed_for == START + MAX_SLEEP  # nothing due: check again in 30 s
    await add(sessions, "soon", START + timedelta(seconds=10))
    await scheduler.scheduled(START + timedelta(seconds=10))
    assert dispatcher.armed_for == START + timedelta(seconds=10)  # woken earlier
    await add(sessions, "later", START + timedelta(hours=6))
    await clock.advance(timedelta(seconds=10))
    await _settled(dispatcher)
    assert [due.source for due in recorder.delivered] == ["soon"]
    assert dispatcher.armed_for == clock.now() + MAX_SLEEP  # not 6 hours away
    # The wall clock jumps an hour (host suspended): the next ring, at most 30 s on, catches up.
    await add(sessions, "during-the-jump", clock.now() + timedelta(minutes=30))
    await clock.advance(timedelta(hours=1))
    await _settled(dispatcher)
    assert [due.source for due in recorder.delivered] == ["soon", "during-the-jump"]
    await dispatcher.stop()


async def _settled(dispatcher: Dispatcher) -> None:
    """Let the alarm's task run to completion (the fake clock has already moved)."""
    for _ in range(50):
        await asyncio.sleep(0)
    await dispatcher.idle()  # the ring, if any, has finished
    for _ in range(50):
        await asyncio.sleep(0)


async def test_apscheduler_alarm_rings() -> None:
    alarm = APSchedulerAlarm()
    rang = asyncio.Event()

    async def ring() -> None:
        rang.set()

    alarm.set(datetime.now().astimezone() + timedelta(milliseconds=50), ring)
    await asyncio.wait_for(rang.wait(), timeout=5)
    await alarm.stop()


async def test_wall_clock_stepped_back_an_hour_neither_storms_nor_stalls(
    scheduler: Scheduler, sessions: SessionFactory, clock: FakeClock
) -> None:
    """R11 with the clock set back: the wall-clock alarm would wait an extra hour; the
    monotonic watchdog rings anyway, and nothing is sent early or twice."""
    recorder = Recorder()
    scheduler.register("test", recorder)
    dispatcher = Dispatcher(scheduler, clock, ClockAlarm(clock), watchdog_seconds=0.05)
    await add(sessions, "before", START + timedelta(minutes=10))
    await dispatcher.start()
    await clock.advance(timedelta(minutes=10))
    await _settled(dispatcher)
    await clock.advance(timedelta(hours=-1))  # NTP steps the clock back
    # Booked by another process: this one's alarm is not told.
    await add(sessions, "after", clock.now() + timedelta(minutes=10))
    await add(sessions, "much-later", START + timedelta(hours=2))
    await asyncio.sleep(0.2)
    assert [due.source for due in recorder.delivered] == ["before"]  # nothing early
    await clock.advance(timedelta(minutes=10))

    async def delivered_again() -> bool:
        return len(recorder.delivered) >= 2

    await eventually(delivered_again, timeout=2, what="the watchdog's ring")
    assert [due.source for due in recorder.delivered] == ["before", "after"]
    await dispatcher.stop()
