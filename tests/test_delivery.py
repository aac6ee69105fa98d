"""R9/R10: which send failures are permanent and which are retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest

from bot.delivery import send_failure, send_outcome


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


@dataclass
class Dms:
    """The member-settings service's record of closed DMs, as send_outcome sees it."""

    noted: list[tuple[str, int]] = field(default_factory=list)
    broken: bool = False

    async def mark_dms_closed(self, user_id: int) -> None:
        self.noted.append(("closed", user_id))

    async def mark_dms_open(self, user_id: int) -> None:
        if self.broken:
            raise RuntimeError("the database is down")
        self.noted.append(("open", user_id))


def sends(result: BaseException | int) -> Any:
    async def send() -> Any:
        if isinstance(result, BaseException):
            raise result
        return SimpleNamespace(id=result)

    return send


@pytest.mark.parametrize(
    ("result", "outcome", "noted"),
    [
        (7, ("sent", None, 7), [("open", 42)]),
        (http(discord.Forbidden, 403, 50007), ("failed_permanent", "dms_closed", None),
         [("closed", 42)]),
        (http(discord.Forbidden, 403, 50013), ("failed_permanent", "missing_permission", None),
         []),
        (http(discord.DiscordServerError, 503), ("retry", "discord_unavailable", None), []),
    ],
)  # fmt: skip
async def test_send_outcome_says_how_a_dm_went_and_notes_the_members_dms(
    result: BaseException | int, outcome: tuple[str, str | None, int | None], noted: list[Any]
) -> None:
    dms = Dms()
    got = await send_outcome(sends(result), dm_to=42, dms=dms)
    assert (got.status, got.cause, got.message_id) == outcome
    assert dms.noted == noted


async def test_send_outcome_keeps_a_sent_dm_sent_when_the_open_note_fails() -> None:
    dms = Dms(broken=True)
    got = await send_outcome(sends(7), dm_to=42, dms=dms)
    assert (got.status, got.message_id) == ("sent", 7)


async def test_send_outcome_in_a_channel_notes_nothing_and_retries_until_the_deadline() -> None:
    deadline = datetime(2026, 11, 22, 15, tzinfo=UTC)
    got = await send_outcome(sends(TimeoutError()), deadline=deadline)
    assert (got.status, got.cause, got.deadline) == ("retry", "network", deadline)
