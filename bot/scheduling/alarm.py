"""The alarm clock the dispatcher sets: the only module that imports APScheduler.

It holds one job, the next wake-up, never more than MAX_SLEEP ahead (R11), so memory does
not grow with the number of pending deliveries; the database holds every delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock


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
