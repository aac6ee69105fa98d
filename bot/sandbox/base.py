"""What every part of the sandbox shares: its constants, the records it keeps, and
the state of the Discord it stands in for (`SandboxBase`)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from bot.sandbox.spec import SpecValidator, load_default_validator
from bot.sandbox.state import Attachment, Channel, Guild, Message, User, snowflake

GLOBAL_LIMIT_PER_SECOND = 50

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SEND_MESSAGES = 1 << 11
INTERACTION_TOKEN_LIFETIME = 15 * 60
# Discord de-duplicates a repeated message nonce (enforce_nonce) for "a few minutes"; the
# sandbox holds to the short end of that.
NONCE_WINDOW = 120.0
UNTIL_RECOVERED = 2**62
# What Discord reports an app may do where it answers only through interactions (a user
# install in a DM or group DM between users): send, embed, attach, and use commands.
PRIVATE_CHANNEL_APP_PERMISSIONS = (1 << 11) | (1 << 14) | (1 << 15) | (1 << 31)
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12
PAYLOAD: web.RequestKey[Any] = web.RequestKey("payload", object)
FILES: web.RequestKey[list[Attachment]] = web.RequestKey("files", list)
# Discord's own client refuses longer text in a string option.
MAX_STRING_OPTION = 6000


class SandboxError(AssertionError):
    """The test asked for something Discord would not allow, or waited in vain."""


@dataclass
class InteractionResult:
    """One interaction and everything the bot answered to it, as the member saw it."""

    id: int
    token: str
    type: int
    user: User
    guild_id: int | None
    channel_id: int
    created: float
    source_message: Message | None = None
    response_type: int | None = None
    acknowledged_at: float | None = None  # time.monotonic() of the first response
    deferred_ephemeral: bool = False
    messages: list[Message] = field(default_factory=list)
    original: Message | None = None
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    updated_message: Message | None = None
    rejected_callbacks: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def done(self) -> bool:
        if self.response_type in (4, 7, 8, 9):
            return True
        return self.response_type in (5, 6) and bool(self.messages or self.updated_message)

    @property
    def text(self) -> str:
        return "\n".join(message.text for message in self.messages)

    @property
    def ephemeral(self) -> bool:
        return bool(self.messages) and all(message.ephemeral for message in self.messages)


@dataclass
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    code: int
    remaining: int
    retry_after: float
    is_global: bool


@dataclass
class Stall:
    """A request the sandbox holds without answering, to stop the bot at an exact point."""

    method: str
    pattern: re.Pattern[str]
    after_handling: bool
    drop: bool = False  # after handling: cut the connection instead of answering
    answer: int | None = None  # after handling: answer this error status instead
    then: Callable[[], None] | None = None  # with `answer`: run before answering
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    used: bool = False


@dataclass
class Session:
    id: str
    shard_id: int
    shard_count: int
    intents: int
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)

    def serves(self, guild_id: int | None) -> bool:
        shard = 0 if guild_id is None else (guild_id >> 22) % self.shard_count
        return shard == self.shard_id


class SandboxBase:
    """The sandbox's state: guilds, users, channels, messages, interactions, commands,
    and what tests inspect (violations, requests, counts). The parts of `Sandbox` build on it."""

    def __init__(
        self,
        *,
        spec: SpecValidator | Literal["auto"] | None = "auto",
        response_deadline: float = 3.0,
        nonce_window: float = NONCE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = load_default_validator() if spec == "auto" else spec
        self.response_deadline = response_deadline
        # Discord returns the earlier message for a repeated nonce only for a few minutes;
        # after that the same nonce makes a second message. `clock` (seconds) says when.
        self.nonce_window = nonce_window
        self.clock = clock
        self._nonces: dict[tuple[int, str | int], tuple[int, float]] = {}
        # Every message POST that Discord carried out, by nonce: a repeat that was
        # de-duplicated still counts, so tests see double sends the nonce hid.
        self.posts_by_nonce: Counter[str | int] = Counter()
        # Off to imitate a Discord client whose cached command list is out of date.
        self.enforce_contexts = True
        self.application_id = snowflake()
        self.bot_user = User(snowflake(), "Muster", bot=True)
        self.owner = User(snowflake(), "Sandbox Operator")
        self.token = f"sandbox-{secrets.token_urlsafe(24)}"
        self.guilds: dict[int, Guild] = {}
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, InteractionResult] = {}
        # The same records by token: a followup finds its interaction without a scan of all.
        self.interactions_by_token: dict[str, InteractionResult] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.attachments: dict[int, Attachment] = {}
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        # The X-Audit-Log-Reason of each request that carried one: (method, path, reason).
        self.audit_reasons: list[tuple[str, str, str]] = []
        self._token_requests: deque[float] = deque()
        self.token_request_times: list[float] = []  # every token request, for tests
        self.global_429s = 0
        self.injected_failures = 0
        self.identify_count = 0
        self.resume_count = 0
        self._failures: list[Failure] = []
        self._stalls: list[Stall] = []
        self._sessions: dict[str, Session] = {}
        self._dm_channels: dict[int, Channel] = {}
        # Members who added Muster to their own account (a user install).
        self.user_installs: set[int] = set()
        # Channel ids of posts refused because the bot is not in the conversation.
        self.refused_posts: list[int] = []
        self._gateway_gate: asyncio.Event | None = None
        self.gateway_connects = 0  # gateway connections opened (or attempted while held)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def wait_for(
        self, predicate: Callable[[], bool], *, timeout: float = 5.0, what: str = "it"
    ) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                raise SandboxError(f"timed out after {timeout}s waiting for {what}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    if TYPE_CHECKING:
        # What one part of the sandbox calls in another, declared for the type checker only
        # (nothing here exists at run time): `Sandbox` brings the parts together. Defined in
        # server.py (_add_routes), faults.py (_injected_failure, _take_stall, _hold,
        # release_gateway),
        # gateway.py (_dispatch), http.py (_violation), rest_channels.py (_store_message)
        # and world.py (_bot_absent, bot_permissions_in, _dm_channel, delete_message).

        def _add_routes(self, app: web.Application) -> None: ...

        def _injected_failure(
            self, request: web.Request, method: str, path: str
        ) -> web.Response | None: ...

        def _take_stall(self, method: str, path: str) -> Stall | None: ...

        async def _hold(self, stall: Stall) -> None: ...

        def release_gateway(self) -> None: ...

        async def _dispatch(
            self, event: str, data: dict[str, Any], guild_id: int | None
        ) -> bool: ...

        def _violation(self, problem: str) -> web.Response: ...

        def _store_message(
            self,
            channel_id: int,
            data: dict[str, Any],
            files: list[Attachment],
            record: InteractionResult | None = None,
        ) -> Message: ...

        def _bot_absent(self, channel: Channel) -> bool: ...

        def bot_permissions_in(self, channel: Channel) -> int: ...

        def _dm_channel(self, user: User) -> Channel: ...

        async def delete_message(self, message: Message) -> None: ...


def apply_edit(message: Message, data: dict[str, Any], files: list[Attachment]) -> None:
    defaults: dict[str, Any] = {
        "content": "",
        "embeds": [],
        "components": [],
        "flags": 0,
        "allowed_mentions": None,
    }
    for key, default in defaults.items():
        if key in data:
            setattr(message, key, default if data[key] is None else data[key])
    if files:
        message.attachments = list(files)
    message.edits += 1


def overwrite(target_id: int, kind: int, *, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    return {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
