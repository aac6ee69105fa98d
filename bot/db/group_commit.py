"""Group commit for check-ins: one writer task saves whatever has queued up in one transaction.

On SQLite every commit goes through one connection, and the async stack manages a few
hundred commits a second; batching many check-ins into one transaction lifts that to
thousands while each member still waits only for the next commit. A check-in is never
dropped: if the database is busy or down, the batch waits and is tried again, and the
member is told it is being held (R18: the crisis reply never depends on this).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 500
RETRY_FIRST = 0.2
RETRY_CAP = 5.0

_heap_settled = False


def settle_heap() -> None:
    """Move what is alive now out of the cyclic collector's way, once per process.

    Writers are made at start-up, when what is alive (imported modules, SQLAlchemy's
    compiled statements, the crisis model) lives as long as the process. Left in the
    collector's oldest generation, every full collection walks all of it: ~100-250 ms on a
    busy 2-core host, during which no batch commits and no member is answered. Frozen, a
    full collection walks only what came later."""
    global _heap_settled  # once per process
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()


class BatchWriter(Generic[Item, Result]):
    """Calls `write(batch)` from one task; `write` runs one transaction and returns one result
    per item. Items whose batch failed on a constraint are retried one by one, so one bad item
    cannot sink the others."""

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[list[Result]]],
        *,
        name: str,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write = write
        self._name = name
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Result]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        settle_heap()

    def submit(self, item: Item) -> asyncio.Future[Result]:
        """Queue an item; the future resolves once it is durably committed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        # No await between queueing and this check, so the writer cannot miss the item.
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return future

    async def close(self, timeout: float = 5.0) -> None:
        """Let queued items commit, waiting up to `timeout`."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.error("Stopped with %d %s not yet saved", self._queue.qsize(), self._name)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        try:
            while not self._queue.empty():
                batch = [self._queue.get_nowait()]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                try:
                    await self._commit(batch)
                finally:
                    for _ in batch:
                        self._queue.task_done()
        finally:
            self._task = None  # idle: the next submit starts a new writer

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                results = await self._write([item for item, _ in batch])
            except IntegrityError:
                await self._one_by_one(batch)
                return
            except (DBAPIError, TimeoutError, OSError) as error:
                # Busy or unreachable: keep the batch and try again; nothing is dropped.
                log.warning(
                    "A batch of %s was not saved yet (%s); retrying",
                    self._name,
                    type(error).__name__,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CAP)
                continue
            except Exception as error:  # a bug: every waiting caller hears about it
                log.exception("A batch of %s failed", self._name)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                return
            self.batches += 1
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
            return

    async def _one_by_one(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        for item, future in batch:
            try:
                [result] = await self._write([item])
            except Exception as error:  # reported to that caller only
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(result)


class BatchReader(Generic[Item, Result]):
    """Calls `read(batch)` from one task for whatever has queued up meanwhile: one session and
    a few statements for many callers instead of a session each, which on one pooled
    connection would queue one behind another. An error reaches every caller of the batch
    (nothing is retried: the caller decides what a failed read means)."""

    def __init__(
        self,
        read: Callable[[Sequence[Item]], Awaitable[list[Result]]],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._read = read
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._task: asyncio.Task[None] | None = None

    def submit(self, item: Item) -> asyncio.Future[Result]:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return future

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                batch = [entry for entry in batch if not entry[1].done()]  # gave up waiting
                if not batch:
                    continue
                try:
                    results = await self._read([item for item, _ in batch])
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(
                                error if isinstance(error, Exception) else TimeoutError()
                            )
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._task = None
