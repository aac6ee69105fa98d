"""The sandbox makes channels and roles only as Discord does: Manage Channels for a channel,
Manage Roles for a role, and never a permission the bot lacks (403, code 50013)."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.sandbox import Sandbox
from bot.sandbox.state import ADMINISTRATOR, MANAGE_CHANNELS, MANAGE_ROLES, VIEW_CHANNEL
from tests.conftest import World

BAN_MEMBERS = 1 << 2


async def post(sandbox: Sandbox, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sandbox.api_base}{path}",
            json=body,
            headers={"Authorization": f"Bot {sandbox.token}", "X-Audit-Log-Reason": "why%20not"},
        ) as response,
    ):
        return response.status, await response.json()


async def test_channels_need_manage_channels_and_only_held_permissions(world: World) -> None:
    sandbox, guild = world.sandbox, world.guild
    path = f"/guilds/{guild.id}/channels"
    private = {
        "name": "mentors",
        "permission_overwrites": [
            {"id": str(guild.everyone.id), "type": 0, "allow": 0, "deny": VIEW_CHANNEL}
        ],
    }
    await sandbox.set_bot_permissions(guild, remove=MANAGE_CHANNELS)
    status, body = await post(sandbox, path, private)
    assert (status, body["code"]) == (403, 50013)

    await sandbox.set_bot_permissions(guild, add=MANAGE_CHANNELS)
    status, body = await post(sandbox, path, private)
    assert status == 200
    made = sandbox.channels[int(body["id"])]
    assert made.overwrites == [
        {"id": str(guild.everyone.id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
    ]
    assert not guild.permissions_in(world.member, made) & VIEW_CHANNEL
    assert sandbox.audit_reasons[-1] == ("POST", path, "why not")

    for allow in (BAN_MEMBERS, MANAGE_ROLES):  # one it lacks; one only an admin may set
        refused = {"name": "x", "permission_overwrites": [
            {"id": str(world.moderator_role.id), "type": 0, "allow": allow, "deny": 0}
        ]}  # fmt: skip
        status, body = await post(sandbox, path, refused)
        assert (status, body["code"]) == (403, 50013), allow
    await sandbox.set_bot_permissions(guild, add=ADMINISTRATOR)
    assert (await post(sandbox, path, refused))[0] == 200


async def test_roles_need_manage_roles_and_only_held_permissions(world: World) -> None:
    sandbox, guild = world.sandbox, world.guild
    path = f"/guilds/{guild.id}/roles"
    await sandbox.set_bot_permissions(guild, remove=MANAGE_ROLES)
    status, body = await post(sandbox, path, {"name": "Peer mentor", "permissions": "0"})
    assert (status, body["code"]) == (403, 50013)

    await sandbox.set_bot_permissions(guild, add=MANAGE_ROLES)
    status, body = await post(sandbox, path, {"name": "Too much", "permissions": str(BAN_MEMBERS)})
    assert (status, body["code"]) == (403, 50013)
    status, body = await post(
        sandbox, path, {"name": "Peer mentor", "permissions": "0", "mentionable": True}
    )
    assert status == 200
    role = guild.roles[int(body["id"])]
    assert (role.name, role.permissions, role.mentionable) == ("Peer mentor", 0, True)
    assert body["mentionable"] is True
