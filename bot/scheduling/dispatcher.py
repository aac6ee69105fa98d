"""The dispatcher: keeps the alarm set for the next due delivery, and runs them when it rings."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import datetime

from bot.clock import Clock
from bot.scheduling.alarm import Alarm
from bot.scheduling.kinds import Kind
from bot.scheduling.runner import Scheduler
from bot.scheduling.store import MAX_SLEEP

log = logging.getLogger(__name__)


class Dispatcher:
    """Keeps the alarm set for the next due delivery and runs deliveries when it rings."""

    def __init__(
        self,
        scheduler: Scheduler,
        clock: Clock,
        alarm: Alarm,
        *,
        kinds: Iterable[Kind] = (),
        watchdog_seconds: float = MAX_SLEEP.total_seconds(),
    ) -> None:
        """`kinds`: every kind whose deliveries may be in the database; start() refuses to
        run while one of them has no sender registered (NoSenderError names it)."""
        self._scheduler = scheduler
        self.kinds = tuple(kinds)
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
        # Before anything runs: a kind nobody sends would see each delivery of its fail.
        self._scheduler.require_senders(self.kinds)
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
        and for every run that began at or before `moment` to end. Runs may overlap, and a
        run that began at `moment` itself (its claim armed the next ring for the same
        instant) may still hold a send in flight when another ends."""

        def done() -> bool:
            return (
                self.last_run is not None
                and self.last_run >= moment
                and all(started > moment for started in self._active)
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
