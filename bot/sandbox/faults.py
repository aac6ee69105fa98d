"""Faults a test injects into the sandbox: the next requests failing (an error, a 429, global
or not, or a cut connection) until recover(), requests held before or after they take
effect, answers dropped after acceptance, and gateway sessions dropped or forgotten."""

from __future__ import annotations

import re

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

    def recover(self) -> None:
        """End every injected failure: Discord is back."""
        self._failures.clear()

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

    async def forget_sessions(self) -> None:
        """Drop every session unresumably, as after a long outage: the bot must identify anew."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=4000)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection the way a network blip would; sessions stay resumable."""
        for session in self._sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=code)
            session.ws = None

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
