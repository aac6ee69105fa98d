"""The sandbox finds an interaction's webhook by its token, as Discord does, for 15 minutes."""

from __future__ import annotations

import aiohttp

from bot.runtime import Runtime
from bot.sandbox import InteractionResult, Sandbox
from bot.sandbox.base import INTERACTION_TOKEN_LIFETIME
from tests.conftest import World


async def followup(sandbox: Sandbox, token: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sandbox.api_base}/webhooks/{sandbox.application_id}/{token}",
            json={"content": "One more thing", "flags": 64},
        ) as response,
    ):
        return response.status


async def test_a_followup_reaches_its_interaction_while_its_token_lives(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    answered: InteractionResult = await sandbox.slash(world.member, world.general, "about")
    others = [await sandbox.slash(world.member, world.general, "about") for _ in range(3)]
    seen = len(answered.messages)
    assert await followup(sandbox, answered.token) == 200
    assert len(answered.messages) == seen + 1
    assert all(len(other.messages) == 1 for other in others)  # nobody else's
    assert await followup(sandbox, "itok-never-issued") == 404
    answered.created -= INTERACTION_TOKEN_LIFETIME + 1  # its token has expired
    assert await followup(sandbox, answered.token) == 404
    assert len(answered.messages) == seen + 1
