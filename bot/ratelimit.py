"""One limiter for every request the bot makes with its token (R10, Discord's 50/s).

Discord allows 50 requests per second per bot across all its processes; interaction
responses are exempt. Muster keeps its token's requests at RATE_LIMIT_PER_SECOND (40 by
default) with a leaky bucket of one: requests leave evenly spaced. Discord counts them as
they arrive, and the way there bunches them (two processes at 22.5/s each reached 49 in
one second at the stand-in under load), so the default leaves a fifth of the limit free.
Processes that serve part of the shards split the budget by a rule (see `process_share`),
so the whole bot stays under it without talking to each other.
The limiter sits on the HTTP session itself (an aiohttp trace hook), so every attempt on
the wire is paced, discord.py's own retries of a 5xx or a short 429 included; a wrapper
around `HTTPClient.request` would let those retries out in a burst. Interaction replies
and followups share the session but carry no token, so they are never held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta
from types import SimpleNamespace

import aiohttp
import discord
from aiolimiter import AsyncLimiter

from bot.clock import Clock, SystemClock
from bot.config import Settings

log = logging.getLogger(__name__)


# The status of every answer Discord gave within one send (0 for a connection that
# failed), retries inside discord.py included: set by send_once, filled by the trace hook.
SEND_ANSWERS: ContextVar[list[int] | None] = ContextVar("send_answers", default=None)


class NothingSent(discord.RateLimited):
    """A long 429 that refused every try of a send, or the limiter holding a send back in a
    global 429's wait: nothing reached Discord for it to carry out."""


def process_share(settings: Settings) -> float:
    """This process's requests per second: the bot's budget, in proportion to the shards it
    serves (all of it when it serves them all)."""
    if settings.shard_ids is None or settings.shard_count is None:
        return settings.rate_limit_per_second
    return settings.rate_limit_per_second * len(settings.shard_ids) / settings.shard_count


class OutgoingLimiter:
    def __init__(self, per_second: float, clock: Clock | None = None) -> None:
        self.per_second = per_second
        self._bucket = AsyncLimiter(1, 1 / per_second)
        self._clock = clock or SystemClock()
        # Set by a global 429: until then Discord refuses every request with the token.
        self._paused_until: datetime | None = None
        self.waits = 0
        self.waited_seconds = 0.0
        self.on_wait: Callable[[float], None] | None = None

    def pause(self, seconds: float) -> None:
        """Discord said the whole token is over its limit: no token request goes out until
        `seconds` have passed (by the bot's clock); each is refused here as RateLimited."""
        until = self._clock.now() + timedelta(seconds=seconds)
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
        log.warning("Discord's global rate limit: no requests for %.0f s", seconds)

    async def acquire(self) -> None:
        if self._paused_until is not None:
            left = (self._paused_until - self._clock.now()).total_seconds()
            if left > 0:
                # Not sent at all, and not slept through either: the caller settles it (a
                # delivery is retried after the wait, by the scheduler), holding nothing.
                raise NothingSent(left)
            self._paused_until = None
        if self._bucket.has_capacity():
            await self._bucket.acquire()
            return
        started = time.perf_counter()
        await self._bucket.acquire()
        waited = time.perf_counter() - started
        self.waits += 1
        self.waited_seconds += waited
        if self.on_wait is not None:
            self.on_wait(waited)

    def trace(self) -> aiohttp.TraceConfig:
        """A hook for the client's HTTP session: each token request waits its turn."""

        async def on_request_start(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            if "Authorization" in params.headers:
                await self.acquire()

        async def on_request_end(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            answer = params.response
            if (seen := SEND_ANSWERS.get()) is not None:
                seen.append(answer.status)
            if answer.status == 429 and is_global(answer.headers):
                self.pause(float(answer.headers.get("Retry-After") or 1))

        async def on_request_exception(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestExceptionParams,
        ) -> None:
            if (seen := SEND_ANSWERS.get()) is not None:
                seen.append(0)

        config = aiohttp.TraceConfig()
        config.on_request_start.append(on_request_start)
        config.on_request_end.append(on_request_end)
        config.on_request_exception.append(on_request_exception)
        return config


def is_global(headers: Mapping[str, str]) -> bool:
    """Whether a 429 is about the whole token (Discord's global limit), not one route."""
    return (
        headers.get("X-RateLimit-Global", "").lower() == "true"
        or headers.get("X-RateLimit-Scope") == "global"
    )
