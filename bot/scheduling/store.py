"""The occurrence store: every delivery is a row, and delivery is claim, send, settle (R8).

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
missed with the real cause.

One clock (R8): on PostgreSQL, claims, leases and lateness use the database's clock (the
host's clock plus its measured offset from the database), so processes on hosts whose
clocks disagree never take each other's deliveries early.

Booking, cancelling and moving rows is bot.scheduling.booking (Bookings, which the store
inherits so that callers book through the Scheduler); the run loop that hands claimed rows to
their senders is bot.scheduling.runner.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, SystemClock
from bot.db.engine import SessionFactory
from bot.db.group_commit import BatchWriter
from bot.db.models import Occurrence
from bot.scheduling.booking import Bookings
from bot.scheduling.states import (
    CANCELLED,
    CAUGHT_UP,
    CLAIMED,
    NOT_SET_UP,
    PENDING,
    SKIPPED_LATE,
    TRANSIENT,
    UNEXPECTED,
)

log = logging.getLogger(__name__)

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
    status: Literal["sent", "skipped_late", "failed_permanent", "cancelled", "retry", "moved"]
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
    # "moved": nothing was sent, and the delivery is booked again for then, with `payload`,
    # as if never tried (it leaves no settled row behind).
    moved_to: datetime | None = None
    payload: dict[str, Any] | None = None


def not_set_up(channel: str, *, unusable: bool = False) -> Delivery:
    """The outcome of a delivery with nowhere to go: no `channel` channel ("check-in",
    "meetings") chosen in /setup, or (`unusable`) the one chosen gone or unable to take
    messages. The one rule for every sender: settled for good with cause NOT_SET_UP, never
    "cancelled" (which reads as if the member or a moderator had called it off)."""
    detail = (
        f"the {channel} channel is gone or can't take messages"
        if unusable
        else f"no {channel} channel is chosen in /setup"
    )
    return Delivery("failed_permanent", detail, NOT_SET_UP)


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


class OccurrenceStore(Bookings):
    """The deliveries table: claiming and settling rows, by one clock; booking, cancelling
    and moving them (in the caller's session) are Bookings'. Scheduler
    (bot.scheduling.runner) adds the senders and the run loop."""

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
        self._deadlines: dict[str, timedelta] = {}
        self._recorders: dict[str, Recorder] = {}
        self._settler: BatchWriter[tuple[Due, dict[str, Any]], bool] = BatchWriter(
            self._settle_batch, name="delivery outcomes"
        )
        self._rng = random.Random()
        # Being delivered here: never claimed again by this process, even past the lease
        # (claims carry the worker's id, so two runs of one worker could both settle it).
        self._in_hand: set[int] = set()
        self.on_scheduled: Callable[[datetime], Awaitable[None]] | None = None

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

    # ----- booked (see Bookings) -----

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
        elif delivery.status == "moved":
            at = delivery.moved_to or now
            values = {
                "state": PENDING, "due_at": at, "available_at": at,
                "payload": due.payload if delivery.payload is None else delivery.payload,
                "attempts": 0, "lease_until": None, "claimed_by": None, "cause": None,
                "detail": None, "uncertain_since": None,
            }  # fmt: skip
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

    async def unclaim(self, due: Due) -> None:
        """Let go of a claim this process never started (a clean stop came first): pending
        again, claimable now, with its doubt as before the claim, since nothing of this
        attempt left. Without it the claim runs out and is taken over as maybe sent."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Occurrence)
                .where(
                    Occurrence.id == due.id,
                    Occurrence.state == CLAIMED,
                    Occurrence.claimed_by == self.worker_id,
                )
                .values(
                    state=PENDING,
                    lease_until=None,
                    claimed_by=None,
                    attempts=Occurrence.attempts - 1,
                    uncertain_since=due.uncertain_since,
                )
            )

    async def keep_message_id(self, due: Due, message_id: int) -> None:
        """Write down that this delivery's message was sent, before anything else: if the full
        settle keeps failing, whoever claims the row next records it instead of re-sending."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Occurrence)
                .where(Occurrence.id == due.id, _sent_by(self.worker_id))
                .values(message_id=message_id)
            )


def _sent_by(worker_id: str) -> ColumnElement[bool]:
    """Rows whose message this worker sent may record it: still its claim, or cancelled while
    in flight (a cancel keeps the claimant, and a cancelled row is never claimed again)."""
    return and_(Occurrence.state.in_((CLAIMED, CANCELLED)), Occurrence.claimed_by == worker_id)


def new_worker_id() -> str:
    return f"worker-{secrets.token_hex(6)}"
