"""The sandbox holds a message nonce as Discord does: for a few minutes, not for ever, and it
counts every POST it carried out per nonce, so a test sees a double send the nonce hid."""

from __future__ import annotations

import aiohttp

from bot.sandbox import Sandbox
from tests.conftest import World


async def post(sandbox: Sandbox, channel_id: int, nonce: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sandbox.api_base}/channels/{channel_id}/messages",
            json={"content": "Court at 9", "nonce": nonce, "enforce_nonce": True},
            headers={"Authorization": f"Bot {sandbox.token}"},
        ) as response,
    ):
        assert response.status == 200
        return int((await response.json())["id"])


async def test_a_repeated_nonce_is_one_message_only_inside_the_window(world: World) -> None:
    sandbox = world.sandbox
    now = [1000.0]
    sandbox.clock = lambda: now[0]
    first = await post(sandbox, world.general.id, "muster-1")
    now[0] += sandbox.nonce_window - 1
    assert await post(sandbox, world.general.id, "muster-1") == first
    assert len(sandbox.channel_messages(world.general)) == 1
    now[0] += 2  # past the window: Discord makes a second message
    assert await post(sandbox, world.general.id, "muster-1") != first
    assert len(sandbox.channel_messages(world.general)) == 2
    assert sandbox.posts_by_nonce["muster-1"] == 3
    assert sandbox.nonce_window <= 5 * 60  # "a few minutes", not for ever
