"""The sandbox's REST routes for the application: the bot's own user, the application, where
the gateway is, and the global and per-server application command lists (checked against
Discord's limits when put)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox import limits
from bot.sandbox.base import PAYLOAD, SandboxBase
from bot.sandbox.http import json_response as _json
from bot.sandbox.state import snowflake


class CommandRoutes(SandboxBase):
    """REST: the bot's user, the application, the gateway's address and the command lists."""

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user.to_json())

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.application_id),
                "name": "Muster",
                "icon": None,
                "description": "Muster (sandbox)",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.to_json(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "interactions_endpoint_url": None,
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 16,
                },
            }
        )

    def _command_scope(self, request: web.Request) -> list[dict[str, Any]]:
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(int(guild_id), [])

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self._command_scope(request))

    async def _put_commands(self, request: web.Request) -> web.Response:
        submitted = request[PAYLOAD] or []
        guild_id = request.match_info.get("guild_id")
        problems = limits.check_commands(submitted, global_scope=guild_id is None)
        if problems:
            return self._violation("; ".join(problems))
        existing = {command["name"]: command["id"] for command in self._command_scope(request)}
        stored = []
        for command in submitted:
            item = {
                "type": 1,
                "default_member_permissions": None,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                **command,
                "id": existing.get(command["name"], str(snowflake())),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
            }
            if guild_id is not None:
                item["guild_id"] = guild_id
            stored.append(item)
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[int(guild_id)] = stored
        return _json(stored)
