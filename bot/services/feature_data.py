"""What a feature tells /mydata, the retention job and key rotation about its own tables.

Each feature keeps one or more `FeatureData` hooks beside its code; bot/services/features.py
lists them all, and `PrivacyService`, `RetentionService` and `KeyRotation` loop over that
list. A hook names the tables it answers for (each classified in privacy.TABLES), exports
and deletes a member's rows, and may also expire old rows (`Expiring`), rewrite its
encrypted values under the current key (`Reencrypting`), remove what a departed server left
(`PurgingGuild`) and name the messages it posted about a member (`Posting`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

Sections = dict[str, list[dict[str, Any]]]


class Rotate(Protocol):
    """Rewrites one encrypted value under the current key (`KeyRotation.reencrypt`);
    padded values give `sizes` (an empty tuple: sealed, no padding to keep)."""

    def __call__(
        self, blob: bytes, context: str, sizes: tuple[int, ...] | None = None
    ) -> bytes: ...


Owner = Callable[[str, bytes], bytes]  # (table, sealed owner) -> the owner under the current key


class FeatureData(Protocol):
    """One feature's share of a member's data."""

    tables: tuple[str, ...]

    async def export(self, session: AsyncSession, user_id: int) -> Sections: ...

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]: ...


@runtime_checkable
class Expiring(Protocol):
    """Rows the daily retention job removes; `retention_by_guild` holds the servers' own
    retention periods in days (servers not in it keep the default)."""

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]: ...


@runtime_checkable
class Reencrypting(Protocol):
    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None: ...


@runtime_checkable
class PurgingGuild(Protocol):
    """What a server leaves behind, removed (or detached from it) when it is purged; the
    counts are of its own rows removed, by table."""

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]: ...


@runtime_checkable
class Posting(Protocol):
    """Messages Muster posted that name the member, as (channel, message): /mydata delete
    takes them down with the rows, since a message left with no row would still name them."""

    async def messages_naming(
        self, session: AsyncSession, user_id: int
    ) -> list[tuple[int, int]]: ...


def plain(value: Any) -> Any:
    """A value as JSON shows it: dates and times in ISO form."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def rowcount(result: Any) -> int:
    """Rows a DELETE removed (CursorResult.rowcount, which Result's type doesn't show)."""
    return int(result.rowcount)
