"""How a failed Discord send maps to the scheduler's outcomes (R9, R10): one place for it.

403 and 404 will not change by retrying: permanent. 429 and 5xx (after discord.py's own
retries) and network failures are transient: the scheduler retries with back-off.
"""

from __future__ import annotations

import aiohttp
import discord

from bot.scheduling import Delivery

# Everything a send can raise that says something about the send itself.
SEND_ERRORS = (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError)
CANNOT_DM = 50007


def send_failure(error: BaseException) -> Delivery:
    if isinstance(error, discord.Forbidden | discord.NotFound):
        return Delivery("failed_permanent", f"Discord refused it ({error.status}, {error.code})")
    if isinstance(error, discord.HTTPException):
        if error.status == 429 or error.status >= 500:
            return Delivery("retry", f"Discord answered {error.status}")
        return Delivery("failed_permanent", f"Discord refused it ({error.status}, {error.code})")
    return Delivery("retry", f"network: {type(error).__name__}")
