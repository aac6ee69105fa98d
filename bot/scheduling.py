"""The one scheduler every feature uses: the database holds every delivery, an alarm wakes us.

Delivery is claim, send, settle (R8):
- claim: a guarded UPDATE (after SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
  write transactions already begin IMMEDIATE) marks due rows `claimed` with a lease;
- send: the feature's handler delivers through bot.delivery.send_once, with the
  occurrence's nonce so that a retried send after a crash is de-duplicated by Discord, and,
  past Discord's few-minute nonce window, looking in the channel first when an earlier
  attempt may have been sent (`uncertain_since`);
- settle: a guarded UPDATE records exactly one end state: sent, skipped_late,
  failed_permanent or cancelled, with its cause and the id of the message sent. A crash
  between claim and settle leaves the lease to expire, and the row is claimed again.

Transient failures (429, 5xx, timeouts, network) are retried with capped, jittered back-off
until the kind's deadline, never given up by count (R27); then the delivery is settled as
missed with the real cause. A send that succeeded is never repeated (R30): its message id is
kept and the record retried until it is written; a row that already has a message id is
settled without sending again.

One clock (R8): on PostgreSQL, claims, leases and lateness use the database's clock (the
host's clock plus its measured offset from the database), so processes on hosts whose
clocks disagree never take each other's deliveries early.

The alarm (APScheduler in production) holds one job: the next wake-up, never more than
MAX_SLEEP ahead (R11), so memory does not grow with the number of pending deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import ColumnElement, and_, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, SystemClock
from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
from bot.db.models import Occurrence

log = logging.getLogger(__name__)

PENDING, CLAIMED = "pending", "claimed"
SENT, SKIPPED_LATE, FAILED_PERMANENT, CANCELLED = (
    "sent",
    "skipped_late",
    "failed_permanent",
    "cancelled",
)
TERMINAL = frozenset({SENT, SKIPPED_LATE, FAILED_PERMANENT, CANCELLED})
MAX_SLEEP = timedelta(seconds=30)
LEASE = timedelta(minutes=2)
CONCURRENCY = 64  # deliveries in flight; the outgoing rate limiter paces the sends
# Claimed at once. At the 40 requests/s limit 500 DMs take about 25 s, well inside LEASE.
CLAIM_BATCH = 500
BACKOFF_BASE = timedelta(seconds=10)
# Short enough that a delivery goes out within minutes of Discord recovering.
BACKOFF_CAP = timedelta(minutes=5)
# How long after its due time a kind is still worth retrying, unless the handler names its
# own deadline (a reminder: its event or lateness limit; a meeting: its start).
DEFAULT_DEADLINE = timedelta(hours=1)
# Clocks that agree within this are taken to agree: the offset is for skewed hosts, not jitter.
CLOCK_TOLERANCE = timedelta(seconds=1)
CLOCK_CHECK_SECONDS = 60.0
# The wall clock moving this much further than the time that really passed is a step (NTP,
# an operator, a VM restored), not a suspend: it is not counted as lateness.
CLOCK_STEP_TOLERANCE = timedelta(minutes=1)
STEP_MEMORY = timedelta(days=2)  # longer than any kind's deadline
# A failed record of a sent message is retried this often (real seconds), never re-sent.
RECORD_RETRY_FIRST, RECORD_RETRY_CAP = 0.2, 5.0
# Discord drops a repeated message nonce for "a few minutes" (the length is not documented).
# A retry this soon after an attempt that may have been sent trusts the nonce; a later one
# looks in the channel's history first (one more request, so only then).
NONCE_TRUST = timedelta(seconds=60)

# Why a delivery ended (the `cause` column), so members can be told what really happened.
DMS_CLOSED = "dms_closed"  # 403/50007
MISSING_PERMISSION = "missing_permission"  # 403/50013 and other 403s
UNKNOWN_CHANNEL = "unknown_channel"  # 404
INVALID_BODY = "invalid_body"  # 400
RATE_LIMITED = "rate_limited"  # 429
DISCORD_UNAVAILABLE = "discord_unavailable"  # 5xx
NETWORK = "network"  # timeouts, refused or reset connections
UNEXPECTED = "unexpected"  # a bug of ours; retried like a transient failure
LATE = "late"  # Muster was offline when it was due
CAUGHT_UP = "caught_up"  # folded into a later occurrence of the same source, which went out
NOT_SET_UP = "not_set_up"  # no channel chosen, the channel gone from the server
TRANSIENT = frozenset({RATE_LIMITED, DISCORD_UNAVAILABLE, NETWORK, UNEXPECTED})


@dataclass(frozen=True)
class Due:
    """A claimed occurrence, handed to its feature's handler."""

    id: int
    source: str
    kind: str
    due_at: datetime
    attempts: int
    payload: dict[str, Any]
    cause: str | None = None  # why the previous attempt failed, if one did
    message_id: int | None = None  # already sent: record it, never send again
    # Since when an earlier attempt may have been sent without being recorded, if one may.
    uncertain_since: datetime | None = None
    taken_over: bool = False  # claimed from a process that lost it (a crash, a stall)
    claimed_at: datetime | None = None

    @property
    def nonce(self) -> str:
        """Stable per occurrence: Discord drops a second message with the same nonce."""
        return f"muster-{self.id}"

    @property
    def look_first(self) -> bool:
        """Whether the sender must look for an earlier attempt's message before sending: one
        may have gone out unrecorded, and Discord may have forgotten its nonce by now. A claim
        taken over from a lost process is always looked for (rare, and how long Discord has
        held the nonce is not known); a retry only once NONCE_TRUST has passed."""
        if self.uncertain_since is None:
            return False
        if self.taken_over or self.claimed_at is None:
            return True
        return self.claimed_at - self.uncertain_since >= NONCE_TRUST


@dataclass(frozen=True)
class Delivery:
    status: Literal["sent", "skipped_late", "failed_permanent", "cancelled", "retry"]
    detail: str | None = None
    cause: str | None = None
    message_id: int | None = None  # the message that was sent
    deadline: datetime | None = None  # retry until then (default: the kind's own deadline)
    # Not before then: Discord's retry_after on a 429 it will not let us sleep through.
    wait: timedelta | None = None
    # No request of this attempt left the process (the limiter held it back after a global
    # 429). A 429 from Discord does not say so: discord.py may have retried a 5xx before it.
    sent_nothing: bool = False
    # For a retry of a delivery that sends more than one message: what already went out,
    # kept in its payload so the next attempt sends only the rest.
    progress: dict[str, Any] | None = None


# Records what a sent message means to its feature (e.g. an anonymous post's message id),
# inside the transaction that settles the delivery, so both are written or neither.
Recorder = Callable[[AsyncSession, "Due", int], Awaitable[None]]


class Handler(Protocol):
    async def deliver(self, due: Due, now: datetime) -> Delivery:
        """Send (or decide not to, by the kind's lateness policy) and say how it went."""
        ...


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Capped exponential back-off with jitter (R10): 10 s, 20 s, 40 s ... at most 5 min."""
    doublings = min(max(attempts - 1, 0), 20)  # attempts are unbounded; the ceiling is not
    ceiling = min(BACKOFF_BASE * (1 << doublings), BACKOFF_CAP)
    return ceiling * rng.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Booking:
    """One delivery to book: what it is for, its kind's handler, when, and its payload."""

    source: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


class Scheduler:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        worker_id: str | None = None,
        lease: timedelta = LEASE,
        host_clock: Clock | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        # The host's own wall clock, measured against the database's; `clock` may be a
        # test's fake clock, which runs on from the same host.
        self._host_clock = host_clock or SystemClock()
        self.offset = timedelta(0)
        self._offset_checked: float | None = None
        self._clock_seen: tuple[datetime, float] | None = None  # (now, elapsed) last look
        self.steps: list[tuple[datetime, timedelta]] = []  # forward steps: (ended at, size)
        self._lease = lease
        self.worker_id = worker_id or new_worker_id()
        self._handlers: dict[str, Handler] = {}
        self._deadlines: dict[str, timedelta] = {}
        self._recorders: dict[str, Recorder] = {}
        self._stopping: Callable[[], bool] = lambda: False
        self._settler: BatchWriter[tuple[Due, dict[str, Any]], bool] = BatchWriter(
            self._settle_batch, name="delivery outcomes"
        )
        self._rng = random.Random()
        self._gate = asyncio.Semaphore(CONCURRENCY)  # sends in flight, over every run
        self._held = 0  # claimed by the runs in progress and not yet settled
        # Being delivered here: never claimed again by this process, even past the lease
        # (claims carry the worker's id, so two runs of one worker could both settle it).
        self._in_hand: set[int] = set()
        self.on_scheduled: Callable[[datetime], Awaitable[None]] | None = None

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        deadline: timedelta = DEFAULT_DEADLINE,
        record: Recorder | None = None,
    ) -> None:
        """`deadline`: how long after its due time a delivery of this kind is still retried.
        `record`: called in the settling transaction with the id of the message sent."""
        self._handlers[kind] = handler
        self._deadlines[kind] = deadline
        if record is not None:
            self._recorders[kind] = record

    # ----- the clock -----

    def now(self) -> datetime:
        """The time by the database's clock (the same as the host's on SQLite)."""
        return self._clock.now() + self.offset

    def lateness_now(self, due: Due) -> datetime:
        """`now` for judging how late `due` is: a forward step of the clock since it came due
        is not lateness (the time did not really pass), so it never makes a delivery missed.
        After a suspend the time did pass, and the lateness policy applies as it stands."""
        now = self.now()
        excused = timedelta(0)
        for ended_at, size in self.steps:
            if ended_at > due.due_at:
                excused += min(size, ended_at - due.due_at)
        return now - excused

    async def watch_clock(self) -> None:
        """Compare how far the clock moved with how much time really passed since the last
        look (R11, R8). The first look only notes the clock: make it at start, so that a step
        before the first delivery run is seen too."""
        step = self._unexplained_step()
        if step > CLOCK_STEP_TOLERANCE and self._offset_checked is not None:
            # On PostgreSQL the host's clock may be the one that moved: measure again.
            await self.check_clock(force=True)
            step = self._unexplained_step()
        now = self.now()
        if step > CLOCK_STEP_TOLERANCE:
            log.warning(
                "The clock jumped %.0f minutes forward without that time passing; deliveries "
                "it made due go out now and are not counted late for it",
                step.total_seconds() / 60,
            )
            self.steps.append((now, step))
        self.steps = [(at, size) for at, size in self.steps if now - at < STEP_MEMORY]
        self._clock_seen = (now, self._clock.elapsed())

    def _unexplained_step(self) -> timedelta:
        if self._clock_seen is None:
            return timedelta(0)
        seen_now, seen_elapsed = self._clock_seen
        passed = timedelta(seconds=self._clock.elapsed() - seen_elapsed)
        return (self.now() - seen_now) - passed

    async def check_clock(self, *, force: bool = False) -> timedelta:
        """Measure how far the host's clock is from PostgreSQL's (once a minute at most)."""
        moment = time.monotonic()
        if not force and (
            self._offset_checked is not None and moment - self._offset_checked < CLOCK_CHECK_SECONDS
        ):
            return self.offset
        async with self._sessions() as session:
            if session.get_bind().dialect.name != "postgresql":
                self._offset_checked = moment
                return self.offset
            before = self._host_clock.now()
            database_now: datetime = await session.scalar(text("SELECT clock_timestamp()"))
            after = self._host_clock.now()
        offset = database_now - (before + (after - before) / 2)
        if abs(offset) < CLOCK_TOLERANCE:
            offset = timedelta(0)
        elif offset != self.offset:
            log.warning(
                "This host's clock is %.1f s %s the database's; using the database's",
                abs(offset.total_seconds()),
                "behind" if offset > timedelta(0) else "ahead of",
            )
        self.offset = offset
        self._offset_checked = moment
        return offset

    # ----- writing, inside the caller's unit of work -----

    @staticmethod
    async def add(
        session: AsyncSession, *, source: str, kind: str, due_at: datetime, payload: dict[str, Any]
    ) -> None:
        await Scheduler.add_many(session, [Booking(source, kind, due_at, payload)])

    @staticmethod
    async def add_many(session: AsyncSession, bookings: Sequence[Booking]) -> None:
        """Book several deliveries in one statement (a batch of anonymous posts)."""
        if not bookings:
            return
        # Two processes may book the same delivery at once (each ensuring a daily job at
        # start-up): the second insert is a no-op, not an error. A delivery cancelled and
        # booked again for the same moment (the daily prompt set again to its time, a meeting
        # moved and moved back) is booked anew: left cancelled, it would never come.
        table = Occurrence.__table__
        insert = insert_for(session)(table)
        revived = {
            "kind": insert.excluded.kind, "available_at": insert.excluded.available_at,
            "payload": insert.excluded.payload, "state": PENDING, "attempts": 0,
            "lease_until": None, "claimed_by": None, "settled_at": None, "detail": None,
            "cause": None, "message_id": None, "uncertain_since": None,
        }  # fmt: skip
        connection = await session.connection()
        await connection.execute(
            insert.on_conflict_do_update(
                index_elements=["source", "due_at"],
                set_=revived,
                where=table.c.state == CANCELLED,
            ),
            [
                {
                    "source": booking.source, "kind": booking.kind, "due_at": booking.due_at,
                    "available_at": booking.due_at, "state": PENDING, "attempts": 0,
                    "payload": booking.payload,
                }
                for booking in bookings
            ],
        )  # fmt: skip

    @staticmethod
    async def cancel(session: AsyncSession, source: str, now: datetime) -> int:
        """Cancel every delivery of a source that has not been sent yet. One that is claimed
        may be in flight (Discord has the message, its answer is not back): it stays
        cancelled unless its sender comes back with the id of a message that went out, which
        it then records as sent (R8, R30). Nothing cancelled is claimed or sent again."""
        result = await session.execute(
            update(Occurrence)
            .where(Occurrence.source == source, Occurrence.state.in_((PENDING, CLAIMED)))
            .values(state=CANCELLED, settled_at=now, lease_until=None, detail="cancelled")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult for DML

    async def scheduled(self, due_at: datetime) -> None:
        """Call after committing a new delivery, so the alarm can wake earlier for it."""
        if self.on_scheduled is not None:
            await self.on_scheduled(due_at)

    # ----- reading -----

    async def next_due(self) -> datetime | None:
        """When the next delivery (or expiring lease) needs attention."""
        async with self._sessions() as session:
            pending = await session.scalar(
                select(func.min(Occurrence.available_at)).where(Occurrence.state == PENDING)
            )
            lease = await session.scalar(
                select(func.min(Occurrence.lease_until)).where(Occurrence.state == CLAIMED)
            )
        times = [moment for moment in (pending, lease) if moment is not None]
        return min(times) if times else None

    async def states(self, source: str) -> list[tuple[datetime, str]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Occurrence.due_at, Occurrence.state)
                .where(Occurrence.source == source)
                .order_by(Occurrence.due_at)
            )
            return [(due_at, state) for due_at, state in rows]

    # ----- claim, send, settle -----

    async def release_orphans(self, dead: Sequence[str]) -> int:
        """Make the claims of workers known to be dead (their process is gone) claimable now,
        instead of after their lease: a restarted process picks up where the dead one was."""
        if not dead:
            return 0
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Occurrence)
                .where(Occurrence.state == CLAIMED, Occurrence.claimed_by.in_(list(dead)))
                .values(lease_until=self.now())
            )
        released = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult for DML
        if released:
            await self.scheduled(self._clock.now())  # ring now, not at the next regular look
        return released

    async def claimants(self) -> list[str]:
        """Workers other than this one that hold claims."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Occurrence.claimed_by)
                .where(Occurrence.state == CLAIMED, Occurrence.claimed_by != self.worker_id)
                .distinct()
            )
            return [worker for worker in rows if worker is not None]

    async def claim(self, limit: int = CLAIM_BATCH, *, hold: set[int] | None = None) -> list[Due]:
        """Claim up to `limit` due deliveries. With `hold`, they are in this process's hands
        from the moment they are chosen, and their ids are added to `hold`: the caller lets go
        of them (see run_due) once they are settled, or if the claim fails."""
        await self.check_clock()
        await self.watch_clock()
        now = self.now()
        async with self._sessions.begin() as session:
            ready = or_(
                and_(Occurrence.state == PENDING, Occurrence.available_at <= now),
                and_(Occurrence.state == CLAIMED, Occurrence.lease_until <= now),
            )
            if self._in_hand:
                ready = and_(ready, Occurrence.id.not_in(list(self._in_hand)))
            found = list(
                await session.execute(
                    select(Occurrence.id, Occurrence.state, Occurrence.uncertain_since)
                    .where(ready)
                    .order_by(Occurrence.available_at, Occurrence.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            # Looked at again once the rows are read (another run may have taken some while
            # this one waited for its connection), with no await before they are held.
            found = [row for row in found if row.id not in self._in_hand]
            if not found:
                return []
            ids = [row.id for row in found]
            if hold is not None:
                hold.update(ids)
                self._in_hand.update(ids)
            # Before this attempt: a claim still held was lost (its process died or stalled),
            # so that attempt may have been sent; and since when one may have been.
            before = {row.id: (row.state == CLAIMED, row.uncertain_since) for row in found}
            await session.execute(
                update(Occurrence)
                .where(Occurrence.id.in_(ids), ready)
                .values(
                    state=CLAIMED,
                    lease_until=now + self._lease,
                    claimed_by=self.worker_id,
                    attempts=Occurrence.attempts + 1,
                    # Until it is settled, this attempt too may have sent it.
                    uncertain_since=func.coalesce(
                        Occurrence.uncertain_since, literal(now, Occurrence.uncertain_since.type)
                    ),
                )
            )
            rows = await session.scalars(
                select(Occurrence)
                .where(Occurrence.id.in_(ids), Occurrence.claimed_by == self.worker_id)
                .order_by(Occurrence.due_at, Occurrence.id)
            )
            return [
                Due(
                    row.id, row.source, row.kind, row.due_at, row.attempts, dict(row.payload),
                    row.cause, row.message_id, before[row.id][1], before[row.id][0], now,
                )
                for row in rows
            ]  # fmt: skip

    def deadline(self, due: Due, delivery: Delivery) -> datetime:
        """Until when a transient failure of this delivery is retried."""
        if delivery.deadline is not None:
            return delivery.deadline
        return due.due_at + self._deadlines.get(due.kind, DEFAULT_DEADLINE)

    async def settle(self, due: Due, delivery: Delivery) -> bool:
        """Record the outcome, if this worker still holds the claim. False if it lost it."""
        now = self.now()
        values: dict[str, Any]
        if delivery.status == "retry":
            cause: str | None = delivery.cause or UNEXPECTED
            deadline = self.deadline(due, delivery)
            retry_at = min(now + backoff(due.attempts, self._rng), deadline)
            if delivery.wait is not None:
                # Asking again before Discord's retry_after risks the bot's token (R10).
                retry_at = max(retry_at, now + delivery.wait)
            if now < deadline and retry_at <= deadline:
                values = {
                    "state": PENDING,
                    "available_at": retry_at,
                    "lease_until": None,
                    "claimed_by": None,
                    "cause": cause,
                    "detail": (delivery.detail or "will retry")[:200],
                }
                if delivery.sent_nothing:
                    # Refused before any request left: this attempt cannot have landed.
                    values["uncertain_since"] = due.uncertain_since
                if delivery.progress:
                    values["payload"] = {**due.payload, **delivery.progress}
            else:  # missed: say why, in the words of the last failure
                values = {
                    "state": SKIPPED_LATE,
                    "cause": cause,
                    "detail": (
                        f"{'still failing at' if now >= deadline else 'told to wait past'} its "
                        f"deadline after {due.attempts} attempts: {delivery.detail}"
                    )[:200],
                }
        else:
            cause = delivery.cause
            if (
                delivery.status == SKIPPED_LATE
                and delivery.cause != CAUGHT_UP
                and due.cause in TRANSIENT
            ):
                # Late because Discord kept failing, not because Muster was offline.
                cause = due.cause
            values = {
                "state": delivery.status,
                "cause": cause,
                "detail": (delivery.detail or "")[:200] or None,
                "message_id": delivery.message_id,
            }
        # Settles from concurrent deliveries share one transaction (group commit).
        return await self._settler.submit((due, values))

    async def _settle_batch(self, outcomes: Sequence[tuple[Due, dict[str, Any]]]) -> list[bool]:
        """End states that read the same are written with one UPDATE; retries (each with its
        own back-off) and sent messages to record one by one. Only rows this worker still
        holds change; a message that went out is recorded even if the row was cancelled
        meanwhile (its claim is still this worker's: nobody claims a cancelled row)."""
        mine = and_(Occurrence.state == CLAIMED, Occurrence.claimed_by == self.worker_id)
        sent_by_me = _sent_by(self.worker_id)
        alike: dict[tuple[str, str | None, str | None], list[int]] = {}
        one_by_one: list[tuple[Due, dict[str, Any]]] = []
        for due, values in outcomes:
            if values["state"] == PENDING or values.get("message_id") is not None:
                one_by_one.append((due, values))
            else:
                key = (values["state"], values["cause"], values["detail"])
                alike.setdefault(key, []).append(due.id)
        held: set[int] = set()
        now = self.now()
        async with self._sessions.begin() as session:
            for (state, cause, detail), ids in alike.items():
                settled = await session.scalars(
                    update(Occurrence)
                    .where(Occurrence.id.in_(ids), mine)
                    .values(
                        state=state, cause=cause, detail=detail, settled_at=now, lease_until=None
                    )
                    .returning(Occurrence.id)
                )
                held.update(settled)
            for due, values in one_by_one:
                if values["state"] != PENDING:
                    values = {**values, "settled_at": now, "lease_until": None}
                changed = await session.scalars(
                    update(Occurrence)
                    .where(
                        Occurrence.id == due.id,
                        mine if values.get("message_id") is None else sent_by_me,
                    )
                    .values(**values)
                    .returning(Occurrence.id)
                )
                if due.id in set(changed):
                    held.add(due.id)
                    record = self._recorders.get(due.kind)
                    if record is not None and values.get("message_id") is not None:
                        await record(session, due, int(values["message_id"]))
        return [due.id in held for due, _ in outcomes]

    async def keep_message_id(self, due: Due, message_id: int) -> None:
        """Write down that this delivery's message was sent, before anything else: if the full
        settle keeps failing, whoever claims the row next records it instead of re-sending."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Occurrence)
                .where(Occurrence.id == due.id, _sent_by(self.worker_id))
                .values(message_id=message_id)
            )

    @property
    def full(self) -> bool:
        """Whether this process holds as many claimed deliveries as it takes on at once: the
        runs in progress claim more as theirs finish."""
        return self._held >= CLAIM_BATCH

    async def run_due(
        self,
        *,
        stopping: Callable[[], bool] = lambda: False,
        claimed: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Deliver everything due now, CONCURRENCY at a time in this process. A missed run of
        one source collapses to its latest. Runs may overlap (the dispatcher starts one when
        its alarm rings, even while another waits on a slow send): together they hold at most
        CLAIM_BATCH claims, and `claimed` is awaited after each claim (the dispatcher sets its
        next alarm then, not after this run's sends). When `stopping` turns true, no more are
        started; what was claimed but not started is taken up again when its lease runs out."""
        handled = 0
        gate = self._gate
        self._stopping = stopping

        async def one(due: Due) -> None:
            async with gate:
                if not stopping():
                    await self._deliver(due)

        while not stopping() and not self.full:
            room = CLAIM_BATCH - self._held
            self._held += room  # held while claiming, so overlapping runs keep within it
            batch: list[Due] = []
            hold: set[int] = set()
            try:
                try:
                    batch = await self.claim(room, hold=hold)
                finally:
                    self._held -= room - len(batch)
                if batch:
                    handled += await self._run_batch(batch, one, claimed)
            finally:
                self._held -= len(batch)
                self._in_hand -= hold
            if not batch:
                break
        return handled

    async def _run_batch(
        self,
        batch: list[Due],
        one: Callable[[Due], Awaitable[None]],
        claimed: Callable[[], Awaitable[None]] | None,
    ) -> int:
        if claimed is not None:
            await claimed()
        chosen = await self.fold_caught_up(batch)
        await asyncio.gather(*(one(due) for due in chosen))
        return len(chosen)

    async def fold_caught_up(self, batch: Sequence[Due]) -> list[Due]:
        """Settle as caught up each claimed occurrence that has a later one of its source due
        now, and return the rest, to deliver. The later one is looked for in the database, not
        only in this batch: after downtime a source gets one catch-up message (R8) however its
        due occurrences fall into claim batches, or between processes."""
        latest = await self._latest_due(batch)
        # Already sent (its record did not finish): recorded, never folded or sent again.
        folded = [
            due for due in batch if due.due_at < latest[due.source] and due.message_id is None
        ]
        caught_up = Delivery("skipped_late", "collapsed into a later catch-up", CAUGHT_UP)
        await asyncio.gather(*(self.settle(due, caught_up) for due in folded))
        gone = {due.id for due in folded}
        return [due for due in batch if due.id not in gone]

    async def _latest_due(self, batch: Sequence[Due]) -> dict[str, datetime]:
        """For each source in `batch`, the due time of its latest occurrence that is due now,
        wherever it is: this batch, a later one, another process's claim, already sent. A
        cancelled one sends nothing, so nothing is folded into it."""
        latest: dict[str, datetime] = {}
        for due in batch:
            latest[due.source] = max(latest.get(due.source, due.due_at), due.due_at)
        async with self._sessions() as session:
            rows = await session.execute(
                select(Occurrence.source, func.max(Occurrence.due_at))
                .where(
                    Occurrence.source.in_(list(latest)),
                    Occurrence.due_at <= self.now(),
                    Occurrence.state != CANCELLED,
                )
                .group_by(Occurrence.source)
            )
            for source, due_at in rows:
                latest[source] = max(latest[source], due_at)
        return latest

    async def _deliver(self, due: Due) -> None:
        handler = self._handlers.get(due.kind)
        if handler is None:
            await self.settle(due, Delivery("failed_permanent", f"no handler for {due.kind!r}"))
            return
        if due.message_id is not None:
            # Sent by an earlier attempt whose record did not finish: record, never re-send.
            delivery = Delivery("sent", "recorded after a retry", message_id=due.message_id)
        else:
            try:
                delivery = await handler.deliver(due, self.lateness_now(due))
            except Exception:
                log.exception("Delivery of occurrence %s failed unexpectedly", due.id)
                delivery = Delivery("retry", "unexpected error", UNEXPECTED)
        await self._settle_for_sure(due, delivery)

    async def _settle_for_sure(self, due: Due, delivery: Delivery) -> None:
        """Settle; if that fails after a message went out, keep its id and try again (R30)."""
        delay = RECORD_RETRY_FIRST
        while True:
            try:
                if not await self.settle(due, delivery):
                    log.warning("Occurrence %s was reclaimed before it could be settled", due.id)
                return
            except Exception:
                if delivery.message_id is None:
                    raise  # nothing was sent: the lease runs out and the row is tried again
                log.exception("Could not record occurrence %s as sent; trying again", due.id)
                with contextlib.suppress(Exception):
                    await self.keep_message_id(due, delivery.message_id)
                if self._stopping():
                    return  # the kept message id (or the nonce) stops a second send
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_RETRY_CAP)


def _sent_by(worker_id: str) -> ColumnElement[bool]:
    """Rows whose message this worker sent may record it: still its claim, or cancelled while
    in flight (a cancel keeps the claimant, and a cancelled row is never claimed again)."""
    return and_(Occurrence.state.in_((CLAIMED, CANCELLED)), Occurrence.claimed_by == worker_id)


def new_worker_id() -> str:
    return f"worker-{secrets.token_hex(6)}"


class Alarm(Protocol):
    def set(self, when: datetime, callback: Callable[[], Awaitable[None]]) -> None: ...

    async def stop(self) -> None: ...


class APSchedulerAlarm:
    """APScheduler as the alarm clock: one date job, replaced whenever the wake time changes.
    Misfires always run (grace None) and coalesce; the database decides what is late."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def set(self, when: datetime, callback: Callable[[], Awaitable[None]]) -> None:
        if not self._scheduler.running:
            self._scheduler.start()
        self._scheduler.add_job(
            callback, "date", run_date=when, id="muster-dispatch", replace_existing=True
        )

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


class ClockAlarm:
    """An alarm on the injected clock: with a fake clock, it fires when the test advances time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def set(self, when: datetime, callback: Callable[[], Awaitable[None]]) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._ring(when, callback))

    async def _ring(self, when: datetime, callback: Callable[[], Awaitable[None]]) -> None:
        await self._clock.sleep(max((when - self._clock.now()).total_seconds(), 0))
        self._task = None
        await callback()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class Dispatcher:
    """Keeps the alarm set for the next due delivery and runs deliveries when it rings."""

    def __init__(
        self,
        scheduler: Scheduler,
        clock: Clock,
        alarm: Alarm,
        *,
        watchdog_seconds: float = MAX_SLEEP.total_seconds(),
    ) -> None:
        self._scheduler = scheduler
        self._clock = clock
        self._alarm = alarm
        # Runs in progress: each ring starts its own, so a slow send in one holds up no other.
        self._rings: set[asyncio.Task[None]] = set()
        self._active: list[datetime] = []  # when each run in progress began
        self._idle = asyncio.Condition()
        # The alarm runs on the wall clock; if the wall clock is stepped back, it would ring
        # late. This watchdog runs on the monotonic clock and rings if the alarm has not (R11).
        self._watchdog_seconds = watchdog_seconds
        self._watchdog: asyncio.Task[None] | None = None
        self._last_ring = time.monotonic()
        self.armed_for: datetime | None = None
        self.last_run: datetime | None = None
        self._stopped = False
        self._ran = asyncio.Condition()
        scheduler.on_scheduled = self.wake

    async def start(self) -> None:
        self._stopped = False
        # From now on lateness follows the time that really passed, even if the wall clock is
        # set before the first delivery run.
        await self._scheduler.watch_clock()
        await self._arm()
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        """No new rings, and wait for one in progress, so the database can close under it."""
        self._stopped = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        # The deliveries in hand finish (a send gives up after its timeout); no new one starts.
        await self.idle()
        await self._alarm.stop()

    async def idle(self) -> None:
        """Wait until no delivery run is in progress."""
        async with self._idle:
            await self._idle.wait_for(lambda: not self._active)

    async def ran_since(self, moment: datetime) -> None:
        """Wait for a delivery run that ended at or after `moment` (by the injected clock),
        and for every run that began before `moment` to end (runs may overlap)."""

        def done() -> bool:
            return (
                self.last_run is not None
                and self.last_run >= moment
                and all(started >= moment for started in self._active)
            )

        async with self._ran:
            await self._ran.wait_for(done)

    async def wake(self, due_at: datetime) -> None:
        """A sooner delivery was added: ring earlier."""
        if self.armed_for is None or due_at < self.armed_for:
            await self._arm(due_at)

    async def _watch(self) -> None:
        while not self._stopped:
            await asyncio.sleep(self._watchdog_seconds)
            if time.monotonic() - self._last_ring >= self._watchdog_seconds:
                log.debug("The alarm has not rung in time (was the clock set back?); ringing")
                await self._start_ring()

    async def _start_ring(self) -> None:
        """The alarm's callback: the run goes on in a task of its own, so neither the alarm
        (APScheduler runs one instance of its job at a time) nor a later ring waits for it."""
        task = asyncio.get_running_loop().create_task(self.ring())
        self._rings.add(task)
        task.add_done_callback(self._rings.discard)

    async def ring(self) -> None:
        """Claim what is due and deliver it. The next alarm is set as soon as the claim is
        made, so a delivery due while this run waits on a slow send gets a run of its own."""
        self._last_ring = time.monotonic()
        if self._stopped:
            return
        started = self._clock.now()
        self._active.append(started)
        try:
            try:
                await self._scheduler.run_due(stopping=lambda: self._stopped, claimed=self._arm)
                self.last_run = self._clock.now()
                async with self._ran:
                    self._ran.notify_all()
            except Exception:
                log.exception("The dispatcher failed; it will try again shortly")
            await self._arm()
        finally:
            self._active.remove(started)
            async with self._idle:
                self._idle.notify_all()
            async with self._ran:
                self._ran.notify_all()

    async def _arm(self, at: datetime | None = None) -> None:
        if self._stopped:
            return
        now = self._clock.now()
        candidates = [now + MAX_SLEEP]
        if at is not None:
            candidates.append(at)
        try:
            next_due = await self._scheduler.next_due()
        except Exception:
            log.exception("Could not read the next due delivery; checking again shortly")
            next_due = None
        # While this process holds all the claims it takes on, the runs in progress claim the
        # rest as their sends finish: ringing now would only find no room.
        if next_due is not None and not self._scheduler.full:
            candidates.append(next_due - self._scheduler.offset)  # due times are the database's
        self.armed_for = max(min(candidates), now)
        self._alarm.set(self.armed_for, self._start_ring)
