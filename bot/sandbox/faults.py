"""Faults a test injects into the sandbox: the next requests failing (an error, a 429, global
or not, or a cut connection) until recover(), requests held before or after they take
effect, answers dropped after acceptance, gateway sessions dropped or forgotten (all or one
shard's), and new gateway connections held (a gateway-only incident)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from aiohttp import web

from bot.sandbox.base import UNTIL_RECOVERED, Failure, SandboxBase, Stall
from bot.sandbox.http import error_response as _error
from bot.sandbox.http import json_response as _json


class FaultsMixin(SandboxBase):
    """Faults a test injects: errors, cut connections, held requests, gateway outages."""

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        code: int = 0,
        times: int | None = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """The next `times` matching requests (every one, for None, until `recover()`) get this
        error instead of being served. Status 0 cuts the connection without an answer."""
        self._failures.append(
            Failure(
                method.upper(),
                re.compile(path_pattern),
                status,
                code,
                UNTIL_RECOVERED if times is None else times,
                retry_after,
                is_global,
            )
        )

    def recover(self, method: str | None = None) -> None:
        """End every injected failure (with `method`, only those of that method): Discord is
        back (for sends, say, while its reads still fail)."""
        if method is None:
            self._failures.clear()
            return
        self._failures[:] = [f for f in self._failures if f.method != method.upper()]

    def stall_next(self, method: str, path_pattern: str, *, after_handling: bool) -> Stall:
        """Hold the next matching request unanswered: before it takes effect, or after (the
        message exists but the bot never hears back). Set `release` to let it go."""
        stall = Stall(method.upper(), re.compile(path_pattern), after_handling)
        self._stalls.append(stall)
        return stall

    def drop_next(self, method: str, path_pattern: str) -> Stall:
        """Carry out the next matching request, then close the connection without answering."""
        stall = Stall(method.upper(), re.compile(path_pattern), after_handling=True, drop=True)
        self._stalls.append(stall)
        return stall

    def fail_after_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        then: Callable[[], None] | None = None,
    ) -> Stall:
        """Carry out the next matching request, then answer `status` all the same (a proxy's
        502 after Discord made the message): the client believes it failed. `then` runs as
        it is carried out, before the client can send again (say, to fail the retry)."""
        stall = Stall(
            method.upper(), re.compile(path_pattern), after_handling=True, answer=status, then=then
        )
        self._stalls.append(stall)
        return stall

    async def forget_sessions(self, *, shard_id: int | None = None) -> None:
        """Drop every session unresumably, as after a long outage: the bot must identify anew.
        With `shard_id`, only that shard's sessions (Discord invalidates sessions one by one)."""
        sessions = [
            s for s in self._sessions.values() if shard_id is None or s.shard_id == shard_id
        ]
        for session in sessions:
            del self._sessions[session.id]
        for session in sessions:
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=4000)

    async def drop_gateway(self, code: int = 4000, *, shard_id: int | None = None) -> None:
        """Close every gateway connection the way a network blip would; sessions stay resumable.
        With `shard_id`, only that shard's connections."""
        for session in self._sessions.values():
            if shard_id is not None and session.shard_id != shard_id:
                continue
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=code)
            session.ws = None

    def hold_gateway(self) -> None:
        """Discord's gateway is unreachable (REST still answers, as in a gateway-only
        incident): a new gateway connection waits, unanswered, until `release_gateway()`.
        Connections already open are left alone."""
        if self._gateway_gate is None:
            self._gateway_gate = asyncio.Event()

    def release_gateway(self) -> None:
        """The gateway is reachable again: held connections go on (HELLO, then the client's
        IDENTIFY or RESUME)."""
        if self._gateway_gate is not None:
            self._gateway_gate.set()
            self._gateway_gate = None

    def _take_stall(self, method: str, path: str) -> Stall | None:
        for stall in self._stalls:
            if not stall.used and stall.method == method and stall.pattern.search(path):
                stall.used = True
                return stall
        return None

    async def _hold(self, stall: Stall) -> None:
        stall.arrived.set()
        await self._notify()
        await stall.release.wait()

    def _injected_failure(
        self, request: web.Request, method: str, path: str
    ) -> web.Response | None:
        for failure in self._failures:
            if failure.remaining > 0 and failure.method == method and failure.pattern.search(path):
                failure.remaining -= 1
                self.injected_failures += 1
                if failure.status == 0:
                    if request.transport is not None:
                        request.transport.close()
                    raise ConnectionResetError("the sandbox cut this connection")
                if failure.status == 429:
                    headers = {"Via": "1.1 google", "Retry-After": str(failure.retry_after)}
                    if failure.is_global:
                        headers["X-RateLimit-Global"] = "true"
                    body = {
                        "message": "You are being rate limited.",
                        "retry_after": failure.retry_after,
                        "global": failure.is_global,
                    }
                    return _json(body, 429, headers)
                return _error(failure.status, failure.code, f"Injected error {failure.status}")
        return None
