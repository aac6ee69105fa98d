"""Two races of claim, send, settle (issue #13), on a real engine (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set):

- a cancel while a delivery is in flight: the message that went out is recorded as sent with
  its id (R8, R30), and nothing cancelled is claimed, retried or sent again;
- after downtime, the due occurrences of one source fold into their latest, one catch-up
  message (R8), however they fall into claim batches or between processes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence, Reminder
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.scheduling import CAUGHT_UP, CLAIM_BATCH, LEASE, Booking, Delivery, Due, Scheduler
from tests.conftest import START, World, deliveries_settled, eventually, start_bot
from tests.test_delivery_faults import DM_POST, _set, remind


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
        async with running.sessions() as session:
            states = await session.scalars(
                select(Occurrence.state).where(Occurrence.source == source)
            )
            return "claimed" not in set(states)

    await eventually(recorded, timeout=10, what="the DM in flight to be settled")
    for _ in range(4):  # past the other two reminders' times
        await clock.advance(timedelta(days=1))
        await deliveries_settled(running, clock)
    assert [m.id for m in sandbox.dms_to(world.member)] == [dm.id]
    async with running.sessions() as session:
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


# ----- one catch-up per source after downtime -----


async def test_occurrences_of_one_source_claimed_by_two_workers_fold_to_the_latest(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """After downtime a source's day-before and hour-before are both due; one process claims
    the first (with other work), another the second. Whichever folds first, only the latest
    is delivered: one catch-up message."""
    for first_to_fold in ("one", "two"):
        source = f"meeting-{first_to_fold}"
        one, two = (
            Scheduler(sessions, clock, worker_id=f"one-{source}"),
            Scheduler(sessions, clock, worker_id=f"two-{source}"),
        )
        early, late = clock.now() - timedelta(hours=24), clock.now() - timedelta(minutes=5)
        await book(sessions, source, early, late)
        await book(sessions, f"other-{first_to_fold}", early + timedelta(minutes=1))
        batch_one = await one.claim(limit=2)
        batch_two = await two.claim()
        assert [due.due_at for due in batch_one if due.source == source] == [early]
        assert [due.due_at for due in batch_two] == [late]
        order = [(one, batch_one), (two, batch_two)]
        if first_to_fold == "two":
            order.reverse()
        chosen = {worker.worker_id: await worker.fold_caught_up(batch) for worker, batch in order}
        assert [due.source for due in chosen[one.worker_id]] == [f"other-{first_to_fold}"]
        assert [due.due_at for due in chosen[two.worker_id]] == [late]
        assert (await rows(sessions, source))[0] == ("skipped_late", CAUGHT_UP, None)


async def test_a_missed_source_gets_one_catch_up_however_many_claim_batches_it_spans(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A court date's three reminders all fell due while Muster was down, with a full claim
    batch of other deliveries due between the first and the others: one is delivered, the
    latest, and the two older ones are folded into it."""
    worker = Scheduler(sessions, clock, worker_id="one")
    sender = Sender()
    worker.register("test", sender)
    base = clock.now()
    leads = [
        base + timedelta(hours=1),
        base + timedelta(days=2),
        base + timedelta(days=2, hours=22),
    ]
    await book(sessions, "court", *leads)
    async with sessions.begin() as session:
        await Scheduler.add_many(
            session,
            [
                Booking(f"other-{n}", "test", base + timedelta(hours=2), {})
                for n in range(CLAIM_BATCH)
            ],
        )
    await clock.advance(timedelta(days=3))
    await worker.run_due()
    assert [due.due_at for due in sender.sent if due.source == "court"] == [leads[-1]]
    states = await rows(sessions, "court")
    assert [state[:2] for state in states] == [
        ("skipped_late", CAUGHT_UP),
        ("skipped_late", CAUGHT_UP),
        ("sent", None),
    ]
    assert len(sender.sent) == CLAIM_BATCH + 1


async def test_an_older_one_retried_after_a_newer_one_went_out_is_folded_into_it(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The day-before reminder is in back-off after a 503 when the hour-before one comes due
    and goes out: the day-before one is not sent after it."""
    worker = Scheduler(sessions, clock, worker_id="one")
    await book(sessions, "r", START, START + timedelta(seconds=5))
    [due] = await worker.claim()
    assert due.due_at == START
    assert await worker.settle(
        due, Delivery("retry", "Discord answered 503", "discord_unavailable")
    )
    sender = Sender()
    worker.register("test", sender)
    await clock.advance(timedelta(seconds=5))
    await worker.run_due()  # the hour-before: the day-before is not available yet
    await clock.advance(timedelta(minutes=10))
    await worker.run_due()  # the day-before's retry
    assert [sent.due_at for sent in sender.sent] == [START + timedelta(seconds=5)]
    assert [state[:2] for state in await rows(sessions, "r")] == [
        ("skipped_late", CAUGHT_UP),
        ("sent", None),
    ]


async def test_an_older_one_already_sent_is_recorded_not_folded(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A worker sent the older one and kept its message id, then died before settling; when
    the next worker claims it with a newer one of the same source, the older one is recorded
    as sent with its id (R30), not folded over it."""
    dead, alive = (
        Scheduler(sessions, clock, worker_id="dead"),
        Scheduler(sessions, clock, worker_id="alive"),
    )
    sender = Sender()
    alive.register("test", sender)
    await book(sessions, "r", START, START + timedelta(minutes=1))
    [due] = await dead.claim()
    await dead.keep_message_id(due, 31)
    await clock.advance(LEASE)
    await alive.run_due()
    assert [sent.due_at for sent in sender.sent] == [START + timedelta(minutes=1)]
    assert [state[0::2] for state in await rows(sessions, "r")] == [
        ("sent", 31),
        ("sent", 4242 + due.id + 1),
    ]


async def test_after_downtime_two_snoozes_of_a_reminder_make_one_catch_up_dm(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    """A medication reminder reaches the member, who presses "10 minutes" and then "1 hour".
    Muster goes down for two hours, through both snoozes, while 499 other deliveries fall
    due between them (a busy deployment; here reminders marked done meanwhile, which are
    claimed but send nothing, to keep the test quick). Promise (R8): one catch-up DM, the
    latest snooze, however the due ones fall into claim batches; /remind list says it
    reached them late with the earlier one folded in."""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as first:
        source = await remind(first, world, clock, kind="medication", ahead=timedelta(minutes=5))
        reminder_id = int(source.split(":")[1])
        await clock.advance(timedelta(minutes=5))
        await eventually(
            lambda: _set(len(sandbox.dms_to(world.member)) == 1), timeout=10, what="the DM"
        )
        for choice in ("10m", "1h"):
            await first.services.reminders.snooze(world.member.id, reminder_id, choice)
        due_between = clock.now() + timedelta(minutes=20)  # after the 10-minute snooze
        async with first.sessions.begin() as session:
            for number in range(499):
                row = Reminder(
                    user_id=world.other_member.id, guild_id=world.guild.id, kind="other",
                    text_encrypted=b"", event_at=due_between, timezone="UTC", lead_minutes=[0],
                    status="done", created_at=clock.now(), interaction_id=1000 + number,
                )  # fmt: skip
                session.add(row)
                await session.flush()
                await Scheduler.add(
                    session, source=f"reminder:{row.id}", kind="personal", due_at=due_between,
                    payload={"lead": 0},
                )  # fmt: skip
    await clock.advance(timedelta(hours=2))
    async with start_bot(bot_settings, clock, keyring=keyring) as second:

        async def settled() -> bool:
            async with second.sessions() as session:
                states = await session.scalars(
                    select(Occurrence.state).where(Occurrence.source == source)
                )
                return all(state not in ("pending", "claimed") for state in states)

        await eventually(settled, timeout=30, what="the snoozes to settle")
        async with second.sessions() as session:
            outcomes = list(
                await session.execute(
                    select(Occurrence.payload, Occurrence.state, Occurrence.cause)
                    .where(Occurrence.source == source)
                    .order_by(Occurrence.due_at)
                )
            )
        dms = sandbox.dms_to(world.member)
        assert len(dms) == 2, f"{len(dms) - 1} catch-up DMs for one reminder: {outcomes}"
        assert [tuple(row)[1:] for row in outcomes] == [
            ("sent", None),
            ("skipped_late", CAUGHT_UP),
            ("sent", None),
        ]
        listed = await sandbox.slash(world.member, world.general, "remind list")
        assert "Reached you late" in listed.text, listed.text
        assert "Didn't reach you" not in listed.text, listed.text
