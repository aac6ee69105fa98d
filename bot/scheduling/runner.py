"""The run loop: claimed deliveries go to their kind's sender, CONCURRENCY at a time.

A send that succeeded is never repeated (R30): its message id is kept and the record retried
until it is written; a row that already has a message id is settled without sending again.
A delivery of a kind with no sender is settled failed_permanent, with a warning in the log;
the dispatcher refuses to start while a kind it was given has none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence
from bot.scheduling.kinds import Kind
from bot.scheduling.states import CANCELLED, CAUGHT_UP, UNEXPECTED
from bot.scheduling.store import (
    CLAIM_BATCH,
    CONCURRENCY,
    DEFAULT_DEADLINE,
    LEASE,
    RECORD_RETRY_CAP,
    RECORD_RETRY_FIRST,
    Delivery,
    Due,
    Handler,
    OccurrenceStore,
    Recorder,
)

log = logging.getLogger(__name__)


class NoSenderError(RuntimeError):
    """Kinds that would be delivered by nobody: every delivery of theirs would fail."""

    def __init__(self, kinds: Sequence[Kind]) -> None:
        self.kinds = tuple(kinds)
        named = ", ".join(kind.describe() for kind in self.kinds)
        super().__init__(
            f"No sender is registered for the delivery kind {named}: each of its deliveries "
            "would be settled failed_permanent. Register one (Scheduler.register, in the "
            "feature's cog) before the dispatcher starts."
        )


class Scheduler(OccurrenceStore):
    """The occurrence store with the senders of each kind, and the loop that runs them."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        worker_id: str | None = None,
        lease: timedelta = LEASE,
        host_clock: Clock | None = None,
    ) -> None:
        super().__init__(sessions, clock, worker_id=worker_id, lease=lease, host_clock=host_clock)
        self._handlers: dict[str, Handler] = {}
        self._stopping: Callable[[], bool] = lambda: False
        self._gate = asyncio.Semaphore(CONCURRENCY)  # sends in flight, over every run
        self._held = 0  # claimed by the runs in progress and not yet settled

    def register(
        self,
        kind: Kind | str,
        handler: Handler,
        *,
        deadline: timedelta = DEFAULT_DEADLINE,
        record: Recorder | None = None,
    ) -> None:
        """`handler` sends the deliveries of `kind` (a Kind, or its name).
        `deadline`: how long after its due time a delivery of this kind is still retried.
        `record`: called in the settling transaction with the id of the message sent."""
        name = kind if isinstance(kind, str) else kind.name
        self._handlers[name] = handler
        self._deadlines[name] = deadline
        if record is not None:
            self._recorders[name] = record

    def without_sender(self, kinds: Iterable[Kind]) -> list[Kind]:
        """Those of `kinds` that no sender is registered for."""
        return [kind for kind in kinds if kind.name not in self._handlers]

    def require_senders(self, kinds: Iterable[Kind]) -> None:
        """NoSenderError if any of `kinds` has no sender."""
        missing = self.without_sender(kinds)
        if missing:
            raise NoSenderError(missing)

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
        started; what was claimed but not started is let go (unclaim), pending again."""
        handled = 0
        gate = self._gate
        self._stopping = stopping

        async def one(due: Due) -> None:
            async with gate:
                if not stopping():
                    await self._deliver(due)
                    return
            # Never started: let go now, so it is not taken over as maybe sent.
            try:
                await self.unclaim(due)
            except Exception:
                log.warning("Could not let go of occurrence %s; its lease will run out", due.id)

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
            log.warning(
                "No sender is registered for the kind %r of occurrence %s; settling it "
                "failed_permanent",
                due.kind,
                due.id,
            )
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
