"""The sandbox's HTTP plumbing: the aiohttp app and its lifecycle, and what wraps every REST
route (the audit log, the global rate limit, injected faults, auth, request bodies checked
against Discord's description) and records violations."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.base import FILES, GLOBAL_LIMIT_PER_SECOND, PAYLOAD, Handler, SandboxBase
from bot.sandbox.state import Attachment, snowflake

log = logging.getLogger(__name__)


class HttpMixin(SandboxBase):
    """The aiohttp app on loopback, and the wrapper every REST route goes through."""

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1])

    async def stop(self) -> None:
        self.release_gateway()
        for stall in self._stalls:
            stall.release.set()
        for session in self._sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _wrap(self, method: str, template: str, handler: Handler, needs_auth: bool) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            path = request.path.removeprefix("/api/v10")
            self.requests.append((method, path))
            reason = request.headers.get("X-Audit-Log-Reason")
            if reason is not None:
                self.audit_reasons.append((method, path, urllib.parse.unquote(reason)))
            if needs_auth and self._over_global_limit():
                return json_response(
                    {"message": "You are being rate limited.", "retry_after": 1.0, "global": True},
                    429,
                    {"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Global": "true"},
                )
            injected = self._injected_failure(request, method, path)
            if injected is not None:
                return injected
            stall = self._take_stall(method, path)
            if stall is not None and not stall.after_handling:
                await self._hold(stall)
            if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                return error_response(401, 0, "401: Unauthorized")
            if request.can_read_body:
                problem = await self._read_body(request)
                if problem is None and self.spec is not None:
                    problem = self.spec.validate(method, template, request[PAYLOAD])
                if problem is not None:
                    return self._violation(problem)
            else:
                request[PAYLOAD] = None
                request[FILES] = []
            response = await handler(request)
            await self._notify()
            if stall is not None and stall.drop:
                # The request was carried out, but the answer never arrives (a timeout after
                # acceptance): the client sees the connection close.
                stall.arrived.set()
                if request.transport is not None:
                    request.transport.close()
                raise ConnectionResetError("the sandbox dropped this connection")
            if stall is not None and stall.answer is not None:
                stall.arrived.set()  # carried out; the error is all the client hears
                if stall.then is not None:
                    stall.then()
                return error_response(stall.answer, 0, f"{stall.answer}: carried out")
            if stall is not None and stall.after_handling:
                await self._hold(stall)
            return response

        return wrapped

    async def _read_body(self, request: web.Request) -> str | None:
        request[FILES] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename:
                    data = await part.read()
                    request[FILES].append(
                        Attachment(
                            snowflake(),
                            part.filename,
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
            request[PAYLOAD] = payload
            return None
        raw = await request.read()
        if not raw:
            request[PAYLOAD] = None
            return None
        if request.content_type != "application/json":
            return f"{request.method} {request.path}: body sent as {request.content_type}, not JSON"
        try:
            request[PAYLOAD] = json.loads(raw)
        except ValueError:
            return f"{request.method} {request.path}: body is not valid JSON"
        return None

    def _over_global_limit(self) -> bool:
        """Discord's global limit: 50 token requests in any second (interaction replies are
        exempt). Every refusal is counted in `global_429s`."""
        now = time.monotonic()
        window = self._token_requests
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= GLOBAL_LIMIT_PER_SECOND:
            self.global_429s += 1
            return True
        window.append(now)
        self.token_request_times.append(now)
        return False

    def _violation(self, problem: str) -> web.Response:
        self.violations.append(problem)
        log.warning("Sandbox rejected a request: %s", problem)
        return error_response(
            400, 50035, "Invalid Form Body", {"_errors": [{"code": "INVALID", "message": problem}]}
        )

    async def _unknown_route(self, request: web.Request) -> web.Response:
        problem = f"{request.method} {request.path} is not implemented by the sandbox"
        self.violations.append(problem)
        return error_response(404, 0, problem)

    async def _get_attachment(self, request: web.Request) -> web.Response:
        attachment = self.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404)
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly application/json: discord.py treats a charset suffix as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return json_response(body, status)
