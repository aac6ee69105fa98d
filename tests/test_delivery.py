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
    ("error", "status"),
    [
        (http(discord.Forbidden, 403, 50013), "failed_permanent"),
        (http(discord.NotFound, 404, 10003), "failed_permanent"),
        (http(discord.HTTPException, 400, 50035), "failed_permanent"),
        (http(discord.HTTPException, 429), "retry"),
        (http(discord.DiscordServerError, 502), "retry"),
        (aiohttp.ClientConnectionError(), "retry"),
        (TimeoutError(), "retry"),
        (ConnectionResetError(), "retry"),
    ],
)
def test_send_failures_are_classified(error: BaseException, status: str) -> None:
    assert send_failure(error).status == status
