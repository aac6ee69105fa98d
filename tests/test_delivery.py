"""R9/R10: which send failures are permanent and which are retried."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import discord
import pytest

from bot.delivery import send_failure


@dataclass
class FakeResponse:
    status: int
    reason: str = "test"


def http(kind: type[discord.HTTPException], status: int, code: int = 0) -> discord.HTTPException:
    return kind(FakeResponse(status), {"code": code, "message": "test"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "status", "cause"),
    [
        (http(discord.Forbidden, 403, 50007), "failed_permanent", "dms_closed"),
        (http(discord.Forbidden, 403, 50013), "failed_permanent", "missing_permission"),
        (http(discord.NotFound, 404, 10003), "failed_permanent", "unknown_channel"),
        (http(discord.HTTPException, 400, 50035), "failed_permanent", "invalid_body"),
        (http(discord.HTTPException, 429), "retry", "rate_limited"),
        (discord.RateLimited(120.0), "retry", "rate_limited"),
        (http(discord.DiscordServerError, 502), "retry", "discord_unavailable"),
        (http(discord.DiscordServerError, 503), "retry", "discord_unavailable"),
        (aiohttp.ClientConnectionError(), "retry", "network"),
        (TimeoutError(), "retry", "network"),
        (ConnectionResetError(), "retry", "network"),
    ],
)
def test_send_failures_are_classified_with_their_real_cause(
    error: BaseException, status: str, cause: str
) -> None:
    outcome = send_failure(error)
    assert (outcome.status, outcome.cause) == (status, cause)
