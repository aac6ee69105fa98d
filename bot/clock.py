"""An injectable clock, so that tests never sleep and never patch datetime."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

# Keeps counting while the host is suspended (Linux), unlike CLOCK_MONOTONIC; neither jumps
# when the wall clock is set.
_ELAPSED_CLOCK = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware and in UTC."""
        ...

    def elapsed(self) -> float:
        """Seconds that really passed (suspends included) since an arbitrary start. Unlike
        now(), it never jumps when someone or something sets the wall clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait; a fake clock returns as soon as its time is advanced far enough."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def elapsed(self) -> float:
        return time.clock_gettime(_ELAPSED_CLOCK)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class CorrectedClock:
    """Another clock, put right by an offset measured elsewhere (the scheduler's, to the
    database's clock on PostgreSQL): every time Muster books or compares is on one clock."""

    def __init__(self, clock: Clock, offset: Callable[[], timedelta]) -> None:
        self._clock = clock
        self._offset = offset

    def now(self) -> datetime:
        return self._clock.now() + self._offset()

    def elapsed(self) -> float:
        return self._clock.elapsed()

    async def sleep(self, seconds: float) -> None:
        await self._clock.sleep(seconds)


class FakeClock:
    """A clock that moves only when told to. Sleepers wake when their time has come."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._elapsed = 0.0
        self._changed = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    def elapsed(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        wake_at = self._now + timedelta(seconds=seconds)
        async with self._changed:
            await self._changed.wait_for(lambda: self._now >= wake_at)

    async def advance(self, delta: timedelta) -> None:
        """Time passes (a suspended host too). A negative delta sets the wall clock back."""
        if delta < timedelta(0):
            await self.step(delta)
            return
        self._elapsed += delta.total_seconds()
        await self.step(delta)

    async def step(self, delta: timedelta) -> None:
        """The wall clock is set forward or back, and no time passes (NTP, an operator)."""
        async with self._changed:
            self._now += delta
            self._changed.notify_all()
        # Let woken tasks run before the caller looks at the outcome.
        await asyncio.sleep(0)
