"""Two races of claim, send, settle (issue #13), on a real engine (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set):

- a cancel while a delivery is in flight: the message that went out is recorded as sent with
  its id (R8, R30), and nothing cancelled is claimed, retried or sent again."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence
from bot.runtime import Runtime
from bot.scheduling import LEASE, Booking, Delivery, Due, Scheduler
from tests.conftest import START, World, eventually
from tests.test_delivery_faults import DM_POST, remind


class Sender:
    """Sends every delivery as message 4242 + its id, and notes which it sent."""

    def __init__(self) -> None:
        self.sent: list[Due] = []

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        self.sent.append(due)
        return Delivery("sent", message_id=4242 + due.id)


async def book(sessions: SessionFactory, source: str, *due_ats: datetime) -> None:
    async with sessions.begin() as session:
        await Scheduler.add_many(
            session, [Booking(source, "test", due_at, {}) for due_at in due_ats]
        )


async def rows(sessions: SessionFactory, source: str) -> list[tuple[str, str | None, int | None]]:
    async with sessions() as session:
        found = await session.execute(
            select(Occurrence.state, Occurrence.cause, Occurrence.message_id)
            .where(Occurrence.source == source)
            .order_by(Occurrence.due_at)
        )
        return [(state, cause, message_id) for state, cause, message_id in found]


# ----- a cancel while the delivery is in flight -----


async def test_a_message_that_went_out_as_its_source_was_cancelled_is_recorded_sent(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The first of two reminders is claimed and its DM is on its way when the member
    cancels: the one that went out ends 'sent' with its id, the later one 'cancelled'."""
    worker = Scheduler(sessions, clock, worker_id="one")
    await book(sessions, "r", START, START + timedelta(hours=1))
    [due] = await worker.claim()
    async with sessions.begin() as session:
        assert await Scheduler.cancel(session, "r", clock.now()) == 2
    assert await worker.settle(due, Delivery("sent", message_id=99))
    assert await rows(sessions, "r") == [("sent", None, 99), ("cancelled", None, None)]


async def test_a_cancelled_claim_is_not_retried_nor_claimed_again(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Cancelled while its send was failing: the retry does not bring it back, and once its
    lease would have run out nobody claims it."""
    worker, other = (
        Scheduler(sessions, clock, worker_id="one"),
        Scheduler(sessions, clock, worker_id="two"),
    )
    await book(sessions, "r", START)
    [due] = await worker.claim()
    async with sessions.begin() as session:
        await Scheduler.cancel(session, "r", clock.now())
    assert not await worker.settle(due, Delivery("retry", "Discord answered 503", "x"))
    assert not await worker.settle(due, Delivery("failed_permanent", "refused"))
    await clock.advance(LEASE * 2)
    assert await worker.claim() == []
    assert await other.claim() == []
    assert await rows(sessions, "r") == [("cancelled", None, None)]


async def test_only_the_last_claimant_records_a_cancelled_delivery_as_sent(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A worker whose lease ran out (another claimed the delivery since) cannot write over it
    after a cancel; the last claimant can, and a kept message id survives the cancel."""
    slow, fast = (
        Scheduler(sessions, clock, worker_id="slow"),
        Scheduler(sessions, clock, worker_id="fast"),
    )
    await book(sessions, "r", START)
    [stale] = await slow.claim()
    await clock.advance(LEASE)
    [due] = await fast.claim()
    await fast.keep_message_id(due, 7)  # its settle had failed once
    async with sessions.begin() as session:
        await Scheduler.cancel(session, "r", clock.now())
    assert await rows(sessions, "r") == [("cancelled", None, 7)]
    assert not await slow.settle(stale, Delivery("sent", message_id=6))
    assert await fast.settle(due, Delivery("sent", message_id=7))
    assert await rows(sessions, "r") == [("sent", None, 7)]


async def test_a_court_reminder_cancelled_while_its_first_dm_is_in_flight(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """A court date books three reminders. The member cancels as the first one's DM is in
    flight: that DM is recorded as sent with its id, the other two never go out, and
    /remind list no longer shows the reminder."""
    sandbox = world.sandbox
    source = await remind(running, world, clock, kind="court", ahead=timedelta(days=3, hours=1))
    reminder_id = source.split(":")[1]
    stall = sandbox.stall_next("POST", DM_POST, after_handling=True)
    await clock.advance(timedelta(hours=1))
    await asyncio.wait_for(stall.arrived.wait(), timeout=10)
    [dm] = sandbox.dms_to(world.member)
    cancelled = await sandbox.slash(
        world.member, world.general, "remind cancel", reminder=reminder_id
    )
    assert "Cancelled" in cancelled.text, cancelled.text
    stall.release.set()

    async def recorded() -> bool:
        async with running.services.checkins._sessions() as session:
            states = await session.scalars(
                select(Occurrence.state).where(Occurrence.source == source)
            )
            return "claimed" not in set(states)

    await eventually(recorded, timeout=10, what="the DM in flight to be settled")
    for _ in range(4):  # past the other two reminders' times
        await clock.advance(timedelta(days=1))
        await asyncio.sleep(0.1)
    assert [m.id for m in sandbox.dms_to(world.member)] == [dm.id]
    async with running.services.checkins._sessions() as session:
        outcomes = list(
            await session.execute(
                select(Occurrence.state, Occurrence.message_id)
                .where(Occurrence.source == source)
                .order_by(Occurrence.due_at)
            )
        )
    assert [tuple(row) for row in outcomes] == [
        ("sent", dm.id),
        ("cancelled", None),
        ("cancelled", None),
    ]
    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert listed.text.startswith("You have no reminders"), listed.text
