"""How a failed Discord send maps to the scheduler's outcomes (R9, R10, R27): one place for it.

Only an answer that retrying cannot change ends a delivery early: 403 (50007 DMs closed,
50013 missing permission), 404 (unknown channel) and other 4xx such as 400 (invalid body).
429, 5xx, timeouts and network failures are transient: the scheduler retries them with
back-off until the kind's deadline, and records the real cause if that passes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

import aiohttp
import discord

from bot.scheduling import (
    DISCORD_UNAVAILABLE,
    DMS_CLOSED,
    INVALID_BODY,
    MISSING_PERMISSION,
    NETWORK,
    RATE_LIMITED,
    UNKNOWN_CHANNEL,
    Delivery,
)

# Everything a send can raise that says something about the send itself. (RateLimited: a
# 429 asking for a longer wait than the client sleeps through, MAX_RATELIMIT_SLEEP.)
SEND_ERRORS = (
    discord.HTTPException,
    discord.RateLimited,
    aiohttp.ClientError,
    TimeoutError,
    OSError,
)
CANNOT_DM = 50007
# The longest 429 wait discord.py may sleep through inside a send (its minimum is 30 s):
# a longer one is raised as RateLimited and settled by the scheduler, which knows the
# delivery's deadline and never holds a claim that long.
MAX_RATELIMIT_SLEEP = 30.0
# A send someone is waiting on right now (the crisis card, a mentor request) is tried this
# many times, a moment apart, when the connection is cut or Discord has a hiccup.
QUICK_ATTEMPTS = 3
QUICK_PAUSE = 0.5

log = logging.getLogger(__name__)
T = TypeVar("T")


def send_failure(error: BaseException, *, deadline: datetime | None = None) -> Delivery:
    """The outcome of a send that raised `error`; transient ones retry until `deadline`."""
    if isinstance(error, discord.RateLimited):
        wait = timedelta(seconds=error.retry_after)
        answer = f"Discord asked to wait {error.retry_after:.0f} s"
        return Delivery("retry", answer, RATE_LIMITED, deadline=deadline, wait=wait)
    if isinstance(error, discord.HTTPException):
        answer = f"Discord answered {error.status} ({error.code})"
        if error.status == 429:
            return Delivery("retry", answer, RATE_LIMITED, deadline=deadline)
        if error.status >= 500:
            return Delivery("retry", answer, DISCORD_UNAVAILABLE, deadline=deadline)
        if isinstance(error, discord.Forbidden):
            cause = DMS_CLOSED if error.code == CANNOT_DM else MISSING_PERMISSION
        elif isinstance(error, discord.NotFound):
            cause = UNKNOWN_CHANNEL
        else:
            cause = INVALID_BODY
        return Delivery("failed_permanent", f"Discord refused it: {answer}", cause)
    return Delivery("retry", f"network: {type(error).__name__}", NETWORK, deadline=deadline)


def is_transient(error: BaseException) -> bool:
    """Whether trying the same send again could work: a cut or timed-out connection, a 5xx.
    A refusal (4xx) is final; so is a 429 that asked for a long wait (RateLimited)."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500
    return isinstance(error, SEND_ERRORS) and not isinstance(error, discord.RateLimited)


async def send_soon(send: Callable[[], Awaitable[T]]) -> T:
    """`send()`, tried again a moment later if it fails in a way that may pass; the last
    error is raised. A send Discord carried out before the connection dropped lands twice
    unless it carries a nonce, so give one wherever a second copy would hurt."""
    for attempt in range(1, QUICK_ATTEMPTS):
        try:
            return await send()
        except SEND_ERRORS as error:
            if not is_transient(error):
                raise
            log.info("A send failed (%s); trying again", type(error).__name__)
            await asyncio.sleep(QUICK_PAUSE * attempt)
    return await send()
