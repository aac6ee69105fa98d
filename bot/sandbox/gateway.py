"""The sandbox's gateway: the websocket the bot connects to, its sessions (identify, resume,
shards, intents), and the events dispatched to those sessions that want them."""

from __future__ import annotations

import contextlib
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.base import DIRECT_MESSAGES_INTENT, GUILD_MESSAGES_INTENT, SandboxBase, Session


class GatewayMixin(SandboxBase):
    """The gateway: sessions, identify and resume, and events dispatched to the bot."""

    def live_sessions(self) -> int:
        """Gateway sessions connected right now."""
        return sum(1 for s in self._sessions.values() if s.ws is not None)

    def sessions_serving(self, guild_id: int) -> int:
        """Gateway sessions (connected or resumable) that receive this guild's events."""
        return sum(1 for s in self._sessions.values() if s.serves(guild_id))

    async def wait_until_connected(self, *, sessions: int = 1, timeout: float = 10.0) -> None:
        await self.wait_for(
            lambda: self.live_sessions() >= sessions,
            timeout=timeout,
            what=f"{sessions} gateway session(s)",
        )

    async def _dispatch(self, event: str, data: dict[str, Any], guild_id: int | None) -> bool:
        delivered = False
        for session in self._sessions.values():
            if not session.serves(guild_id) or not _wants(session, event, guild_id):
                continue
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.buffer = [*session.buffer[-999:], frame]
            if session.ws is not None and not session.ws.closed:
                with contextlib.suppress(ConnectionError):
                    await session.ws.send_str(json.dumps(frame))
                    delivered = True
        return delivered

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        self.gateway_connects += 1
        await self._notify()
        gate = self._gateway_gate
        if gate is not None:
            await gate.wait()
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        session: Session | None = None
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            op = payload.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                session = await self._identify(ws, payload["d"])
            elif op == 6:
                session = await self._resume(ws, payload["d"])
        if session is not None and session.ws is ws:
            session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        session = Session(
            secrets.token_hex(16), shard_id, shard_count, int(data.get("intents", 0)), ws
        )
        self._sessions[session.id] = session
        self.identify_count += 1
        served = [guild for guild in self.guilds.values() if session.serves(guild.id)]
        ready = {
            "v": 10,
            "user": self.bot_user.to_json(),
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in served],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "geo_ordered_rtc_regions": [],
        }
        await self._send_to(session, "READY", ready)
        for guild in served:
            await self._send_to(
                session, "GUILD_CREATE", guild.to_json(guild.members[self.bot_user.id])
            )
        await self._notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self._sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return None
        session.ws = ws
        self.resume_count += 1
        last_seen = data.get("seq") or 0
        for frame in session.buffer:
            if frame["s"] > last_seen:
                await ws.send_str(json.dumps(frame))
        await self._send_to(session, "RESUMED", {})
        await self._notify()
        return session

    async def _send_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        if session.ws is not None:
            await session.ws.send_str(json.dumps(frame))


def _wants(session: Session, event: str, guild_id: int | None) -> bool:
    if event in ("MESSAGE_CREATE", "MESSAGE_DELETE"):
        needed = GUILD_MESSAGES_INTENT if guild_id is not None else DIRECT_MESSAGES_INTENT
        return bool(session.intents & needed)
    return True
