"""Operators' /healthz and /metrics, against the real bot and database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.runtime import Runtime
from tests.conftest import World, database_unavailable, start_bot


@pytest.fixture
async def watched(
    world: World, make_settings: Callable[..., Settings], clock: FakeClock
) -> AsyncIterator[tuple[Runtime, str]]:
    settings = make_settings(
        discord_token=world.sandbox.token, dev_guild_id=world.guild.id,
        discord_api_base=world.sandbox.api_base, discord_gateway_url=world.sandbox.gateway_url,
        health_port=0,
    )  # fmt: skip
    async with start_bot(settings, clock) as runtime:
        assert runtime.bot.health is not None
        yield runtime, f"http://127.0.0.1:{runtime.bot.health.port}"


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        body = await (
            response.json() if response.content_type == "application/json" else response.text()
        )
        return response.status, body


async def test_healthy_when_connected_with_database_and_scheduler(
    watched: tuple[Runtime, str],
) -> None:
    _, base = watched
    status, report = await get(f"{base}/healthz")
    assert status == 200
    assert report["gateway"] is True
    assert report["database"] is True
    assert report["scheduler"] is True


async def test_unhealthy_when_the_database_stalls(
    watched: tuple[Runtime, str], make_settings: Callable[..., Settings]
) -> None:
    runtime, base = watched
    async with database_unavailable(runtime.settings):
        status, report = await get(f"{base}/healthz")
    assert status == 503
    assert report["database"] is False
    assert report["gateway"] is True


async def test_metrics_count_interactions_and_deliveries(
    watched: tuple[Runtime, str], world: World
) -> None:
    _, base = watched
    await world.sandbox.slash(world.member, world.general, "help")
    await world.sandbox.slash(
        world.member, world.general, "remind add", what="Call", when="in 1 hour"
    )
    status, text = await get(f"{base}/metrics")
    assert status == 200
    assert 'muster_interactions_total{type="application_command"} 2.0' in text
    assert "muster_interaction_latency_seconds_count 2.0" in text
    assert 'muster_deliveries{state="pending"}' in text
    assert "muster_queue_depth 0.0" in text
