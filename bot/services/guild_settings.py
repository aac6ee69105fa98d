"""What /setup chose for each server: channels, roles, time zone and limits.

Permission checks read these before a handler may defer, so reads come from a short-lived
in-memory copy; this process's own changes replace it at once, another process's show
within CACHE_FOR.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import GuildSettings
from bot.errors import UserFacingError
from bot.services import audit
from bot.services.dates import parse_clock_time
from bot.services.timezones import resolve_timezone

CACHE_FOR = timedelta(seconds=5)
YES_NO = {"yes": True, "y": True, "on": True, "no": False, "n": False, "off": False}
DEFAULT_TIMEZONE = "UTC"
DEFAULT_ANONYMOUS_DELAY_MINUTES = 5
# Below this, a post appearing soon after someone was seen online points at them (R24).
MIN_ANONYMOUS_DELAY_MINUTES = 2
MAX_RELEASE_TIMES = 8
DEFAULT_SUMMARY_THRESHOLD = 5
DEFAULT_RETENTION_DAYS = 180
LIMITS = {
    "anonymous_delay_minutes": (MIN_ANONYMOUS_DELAY_MINUTES, 24 * 60),
    "summary_threshold": (3, 50),
    "retention_days": (30, 3650),
}
Channel = Literal["checkin_channel_id", "meetings_channel_id", "mentors_channel_id"]
Role = Literal["moderator_role_id", "mentor_role_id"]
LABELS = {
    "checkin_channel_id": "check-in channel",
    "meetings_channel_id": "meetings channel",
    "mentors_channel_id": "mentors' channel",
    "moderator_role_id": "moderator role",
    "mentor_role_id": "mentor role",
    "timezone": "time zone",
    "anonymous_delay_minutes": "anonymous post delay (minutes)",
    "summary_threshold": "members needed before a group summary shows",
    "retention_days": "days check-ins are kept",
    "crisis_alerts": "crisis alerts to the mentors' channel, without names",
    "mentor_requests": "named mentor requests",
    "anonymous_release_times": "fixed release times for anonymous posts",
}


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    checkin_channel_id: int | None = None
    meetings_channel_id: int | None = None
    mentors_channel_id: int | None = None
    moderator_role_id: int | None = None
    mentor_role_id: int | None = None
    timezone: str = DEFAULT_TIMEZONE
    timezone_chosen: bool = False
    anonymous_delay_minutes: int = DEFAULT_ANONYMOUS_DELAY_MINUTES
    summary_threshold: int = DEFAULT_SUMMARY_THRESHOLD
    retention_days: int = DEFAULT_RETENTION_DAYS
    crisis_alerts: bool = True
    mentor_requests: bool = False
    # Empty: each anonymous post waits a random delay. Otherwise local "HH:MM" times at which
    # every waiting post appears together.
    anonymous_release_times: tuple[str, ...] = ()

    @property
    def delay_minutes(self) -> int:
        """The anonymous delay as applied: never below the floor, whatever is stored."""
        return max(self.anonymous_delay_minutes, MIN_ANONYMOUS_DELAY_MINUTES)


@dataclass
class _Cached:
    config: GuildConfig
    loaded_at: datetime


class GuildSettingsService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, *, reads: SessionFactory | None = None
    ) -> None:
        self._sessions = sessions
        self._reads = reads or sessions  # never queued behind the writer (see bot/db/engine)
        self._clock = clock
        self._cache: dict[int, _Cached] = {}
        # One read per server when its copy expires, however many commands arrive meanwhile.
        self._loading: dict[int, asyncio.Task[GuildConfig]] = {}
        self._changes = 0  # this process's own writes, so a slower read never undoes one

    async def get(self, guild_id: int) -> GuildConfig:
        now = self._clock.now()
        cached = self._cache.get(guild_id)
        if cached is not None and now - cached.loaded_at < CACHE_FOR:
            return cached.config
        loading = self._loading.get(guild_id)
        if loading is None:
            # Its own task: a caller that stops waiting (a time budget) doesn't stop the read.
            loading = asyncio.get_running_loop().create_task(self._load(guild_id, now))
            self._loading[guild_id] = loading
            loading.add_done_callback(lambda task: self._loaded(guild_id, task))
        return await asyncio.shield(loading)

    def _loaded(self, guild_id: int, task: asyncio.Task[GuildConfig]) -> None:
        del self._loading[guild_id]
        if not task.cancelled():
            task.exception()  # heard by whoever still waits; nobody may, after a time budget

    async def _load(self, guild_id: int, now: datetime) -> GuildConfig:
        changes = self._changes
        async with self._reads() as session:
            row = await session.get(GuildSettings, guild_id)
            config = config_of(guild_id, row)
        if changes == self._changes:
            self._cache[guild_id] = _Cached(config, now)
        return config

    async def within(self, guild_id: int, seconds: float) -> GuildConfig | None:
        """The server's settings if the database answers within `seconds`, else the last copy
        this process saw (None if none): for a path that must go on without them."""
        try:
            async with asyncio.timeout(seconds):
                return await self.get(guild_id)
        except (TimeoutError, DBAPIError, OSError):
            return self.cached(guild_id)

    def cached(self, guild_id: int) -> GuildConfig | None:
        """What is in memory, never the database: for a handler that must answer at once.
        None when nothing is known here yet."""
        cached = self._cache.get(guild_id)
        return cached.config if cached is not None else None

    def forget(self, guild_id: int) -> None:
        """Drop this process's copy of the server's settings, as a restart does: the next
        read goes to the database, and `cached` knows nothing until then."""
        self._cache.pop(guild_id, None)

    async def set_channel(
        self, guild_id: int, actor_id: int, which: Channel, channel_id: int
    ) -> GuildConfig:
        return await self._apply(guild_id, actor_id, {which: channel_id})

    async def set_role(
        self, guild_id: int, actor_id: int, which: Role, role_id: int | None
    ) -> GuildConfig:
        return await self._apply(guild_id, actor_id, {which: role_id})

    async def set_many(
        self, guild_id: int, actor_id: int, chosen: dict[Channel | Role, int]
    ) -> GuildConfig:
        """Several channels and roles at once (what `/setup start` made or found), in one
        write, each change in the audit log."""
        changes: dict[str, Any] = dict(chosen.items())
        return await self._apply(guild_id, actor_id, changes)

    async def set_timezone(self, guild_id: int, actor_id: int, timezone: str) -> GuildConfig:
        """The group's zone, as typed or chosen; a clear error when it isn't one."""
        return await self._apply(guild_id, actor_id, {"timezone": resolve_timezone(timezone)})

    async def set_limits(
        self,
        guild_id: int,
        actor_id: int,
        *,
        timezone: str,
        anonymous_delay_minutes: str,
        summary_threshold: str,
        retention_days: str,
        crisis_alerts: str = "yes",
    ) -> GuildConfig:
        """Values as typed in the setup form; each is checked and explained if wrong."""
        changes: dict[str, Any] = {"timezone": resolve_timezone(timezone)}
        answer = crisis_alerts.strip().casefold() or "yes"
        if answer not in YES_NO:
            raise UserFacingError("For crisis alerts, answer yes or no.")
        changes["crisis_alerts"] = YES_NO[answer]
        delay = anonymous_delay_minutes.strip()
        if re.search(r"[:apm]", delay.casefold()):  # times of day, not minutes
            changes["anonymous_release_times"] = ",".join(release_times(delay))
            delay = ""
        else:
            changes["anonymous_release_times"] = None
        typed = {
            "anonymous_delay_minutes": delay,
            "summary_threshold": summary_threshold,
            "retention_days": retention_days,
        }
        for column, text in typed.items():
            low, high = LIMITS[column]
            value = text.strip()
            if column == "anonymous_delay_minutes" and not value:
                continue  # release times were given instead
            if not value.isdigit() or not low <= int(value) <= high:
                raise UserFacingError(
                    f"The {LABELS[column]} must be a whole number from {low} to {high}."
                )
            changes[column] = int(value)
        return await self._apply(guild_id, actor_id, changes)

    async def set_mentor_requests(
        self, guild_id: int, actor_id: int, *, on: bool, problems: list[str]
    ) -> GuildConfig:
        """Turn named mentor requests on or off. `problems` are what the server still lacks
        (see mentors.named_request_problems); with any, they stay off (R26)."""
        if on and problems:
            raise UserFacingError(
                "I can't turn on named mentor requests yet: a member's name would not be safe. "
                f"This server still needs {' and '.join(problems)}. `/setup show` lists it too."
            )
        return await self._apply(guild_id, actor_id, {"mentor_requests": on})

    async def _apply(self, guild_id: int, actor_id: int, changes: dict[str, Any]) -> GuildConfig:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await _row(session, guild_id, now)
            for column, value in changes.items():
                before = getattr(row, column)
                if before == value:
                    continue
                setattr(row, column, value)
                audit.record(
                    session,
                    guild_id=guild_id,
                    actor_id=actor_id,
                    action=f"setup.{column.removesuffix('_id')}",
                    target=LABELS[column],
                    detail=f"{_shown(column, before)} -> {_shown(column, value)}",
                    at=now,
                )
            row.updated_at = now
            config = config_of(guild_id, row)
        self._cache[guild_id] = _Cached(config, now)
        self._changes += 1
        return config


async def _row(session: AsyncSession, guild_id: int, now: datetime) -> GuildSettings:
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id, updated_at=now)
        session.add(row)
    return row


def _shown(column: str, value: Any) -> str:
    if value is None:
        return "not set"
    if column.endswith("channel_id"):
        return f"<#{value}>"
    if column.endswith("role_id"):
        return f"<@&{value}>"
    return str(value)


def release_times(text: str) -> list[str]:
    """ "9:00, 13:00, 6pm" as sorted "HH:MM" times; a clear error when one doesn't read."""
    times = sorted({parse_clock_time(part) for part in re.split(r"[,;\s]+(?:and\s+)?", text)
                    if part and part != "and"})  # fmt: skip
    if not 1 <= len(times) <= MAX_RELEASE_TIMES:
        raise UserFacingError(
            "For anonymous posts, give the minutes they wait (like 5), or up to "
            f"{MAX_RELEASE_TIMES} times of day they appear together (like 9:00, 13:00, 18:00)."
        )
    return times


def config_of(guild_id: int, row: GuildSettings | None) -> GuildConfig:
    """A server's settings from its row (defaults without one)."""
    if row is None:
        return GuildConfig(guild_id)
    values: dict[str, Any] = {
        item.name: getattr(row, item.name)
        for item in fields(GuildConfig)
        if item.name not in ("guild_id", "timezone_chosen") and getattr(row, item.name) is not None
    }
    if row.anonymous_release_times:
        values["anonymous_release_times"] = tuple(row.anonymous_release_times.split(","))
    return GuildConfig(guild_id, timezone_chosen=row.timezone is not None, **values)
