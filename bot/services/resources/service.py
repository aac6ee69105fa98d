"""The resource directory: national entries shipped as data, plus each server's own.

Searches run against an in-memory index per server, rebuilt only when that server's
directory version changes (every edit bumps it in the same transaction), so several
processes sharing a database stay consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import DirectoryVersion, GuildResource, HiddenNationalResource
from bot.errors import UserFacingError
from bot.services import audit
from bot.services.resources.entries import (
    GUILD_PREFIX,
    MAX_GUILD_RESOURCES,
    RELEVANT_FRACTION,
    STRONG_MATCH,
    SYNONYMS,
    VERSION_RECHECK,
    ResourceDraft,
    ResourceEntry,
    ResourcePage,
    SearchResult,
    national_resources,
    searchable,
)
from bot.services.resources.search import SearchIndex


def _guild_entry(row: GuildResource) -> ResourceEntry:
    return ResourceEntry(
        key=f"{GUILD_PREFIX}{row.id}",
        name=row.name,
        category=row.category,
        phone=row.phone,
        text=row.text_number,
        web=row.web,
        audience=row.details,
    )


@dataclass(frozen=True)
class _Directory:
    entries: dict[str, ResourceEntry]
    order: list[str]
    index: SearchIndex


@dataclass
class _Cached:
    version: int
    checked_at: datetime
    directory: _Directory


class ResourceService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._cache: dict[int, _Cached] = {}
        national = national_resources()
        self._national = _Directory(
            entries={entry.key: entry for entry in national},
            order=[entry.key for entry in national],
            index=SearchIndex([searchable(entry) for entry in national], SYNONYMS),
        )

    # ----- reading -----

    async def search(
        self, guild_id: int | None, query: str, *, category: str | None = None, limit: int = 5
    ) -> SearchResult:
        directory = await self._directory(guild_id)
        query = query.strip()
        exact = directory.entries.get(query)
        if exact is not None:  # an autocomplete choice was picked
            return SearchResult([exact], True, None)
        hits = directory.index.search(query, limit=limit * 4)
        if hits:  # keep the results that are at least half as good as the best one
            hits = [hit for hit in hits if hit.score >= hits[0].score * RELEVANT_FRACTION]
        entries = [directory.entries[hit.key] for hit in hits]
        scores = [hit.score for hit in hits]
        if category is not None:
            kept = [
                (entry, score)
                for entry, score in zip(entries, scores, strict=True)
                if entry.category == category
            ]
            entries, scores = [entry for entry, _ in kept], [score for _, score in kept]
        strong = bool(scores) and scores[0] >= STRONG_MATCH
        suggestion = None if strong else directory.index.suggest(query)
        return SearchResult(entries[:limit], strong, suggestion)

    async def autocomplete(
        self, guild_id: int | None, current: str, *, limit: int = 25
    ) -> list[ResourceEntry]:
        directory = await self._directory(guild_id)
        if not current.strip():
            return [directory.entries[key] for key in directory.order[:limit]]
        hits = directory.index.search(current, limit=limit)
        return [directory.entries[hit.key] for hit in hits]

    def peek(self, guild_id: int | None, key: str) -> ResourceEntry | None:
        """An entry from memory only (no database), for handlers that must answer at once.
        Autocomplete has just loaded the directory, so the member's pick is normally here."""
        cached = self._cache.get(guild_id) if guild_id is not None else None
        directory = cached.directory if cached is not None else self._national
        return directory.entries.get(key)

    async def list_page(
        self, guild_id: int | None, category: str | None, page: int, *, per_page: int = 5
    ) -> ResourcePage:
        directory = await self._directory(guild_id)
        matching = [
            directory.entries[key]
            for key in directory.order
            if category is None or directory.entries[key].category == category
        ]
        pages = max(1, -(-len(matching) // per_page))
        page = min(max(page, 0), pages - 1)
        return ResourcePage(
            matching[page * per_page : (page + 1) * per_page], page, pages, len(matching)
        )

    async def hidden_national(self, guild_id: int) -> list[ResourceEntry]:
        async with self._sessions() as session:
            keys = await session.scalars(
                select(HiddenNationalResource.resource_key).where(
                    HiddenNationalResource.guild_id == guild_id
                )
            )
            hidden = set(keys)
        return [entry for entry in national_resources() if entry.key in hidden]

    # ----- moderators' changes -----

    async def add(self, guild_id: int, actor_id: int, draft: ResourceDraft) -> ResourceEntry:
        clean = draft.clean()
        now = self._clock.now()
        async with self._sessions.begin() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(GuildResource)
                .where(GuildResource.guild_id == guild_id)
            )
            if (count or 0) >= MAX_GUILD_RESOURCES:
                raise UserFacingError(
                    f"This server already has {MAX_GUILD_RESOURCES} resources; remove one first."
                )
            row = GuildResource(
                guild_id=guild_id, created_at=now, updated_at=now, **_draft_columns(clean)
            )
            session.add(row)
            await session.flush()
            await _bump_version(session, guild_id)
            added = _guild_entry(row)
            _audit(session, guild_id, actor_id, "resources.add", added.name, now)
        self._forget(guild_id)
        return added

    async def update(
        self, guild_id: int, actor_id: int, key: str, draft: ResourceDraft
    ) -> ResourceEntry:
        clean = draft.clean()
        async with self._sessions.begin() as session:
            row = await _own_row(session, guild_id, key)
            for column, value in _draft_columns(clean).items():
                setattr(row, column, value)
            row.updated_at = self._clock.now()
            await _bump_version(session, guild_id)
            updated = _guild_entry(row)
            _audit(session, guild_id, actor_id, "resources.edit", updated.name, row.updated_at)
        self._forget(guild_id)
        return updated

    async def remove(self, guild_id: int, actor_id: int, key: str) -> ResourceEntry:
        async with self._sessions.begin() as session:
            row = await _own_row(session, guild_id, key)
            removed = _guild_entry(row)
            await session.delete(row)
            await _bump_version(session, guild_id)
            _audit(session, guild_id, actor_id, "resources.remove", removed.name, self._clock.now())
        self._forget(guild_id)
        return removed

    async def hide_national(self, guild_id: int, actor_id: int, key: str) -> ResourceEntry:
        entry = self._national.entries.get(key)
        if entry is None:
            raise UserFacingError("Pick a national resource from the list.")
        async with self._sessions.begin() as session:
            if await session.get(HiddenNationalResource, (guild_id, key)) is None:
                session.add(
                    HiddenNationalResource(
                        guild_id=guild_id, resource_key=key, hidden_at=self._clock.now()
                    )
                )
                await _bump_version(session, guild_id)
                _audit(session, guild_id, actor_id, "resources.hide", entry.name, self._clock.now())
        self._forget(guild_id)
        return entry

    async def unhide_national(self, guild_id: int, actor_id: int, key: str) -> ResourceEntry:
        entry = self._national.entries.get(key)
        if entry is None:
            raise UserFacingError("Pick a hidden national resource from the list.")
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(HiddenNationalResource).where(
                    HiddenNationalResource.guild_id == guild_id,
                    HiddenNationalResource.resource_key == key,
                )
            )
            if result.rowcount:  # type: ignore[attr-defined]  # CursorResult for DML
                await _bump_version(session, guild_id)
                _audit(
                    session, guild_id, actor_id, "resources.unhide", entry.name, self._clock.now()
                )
        self._forget(guild_id)
        return entry

    def _forget(self, guild_id: int) -> None:
        """After a committed change: this process must not show the old directory."""
        self._cache.pop(guild_id, None)

    # ----- the per-server index -----

    async def _directory(self, guild_id: int | None) -> _Directory:
        if guild_id is None:
            return self._national
        now = self._clock.now()
        cached = self._cache.get(guild_id)
        if cached is not None and now - cached.checked_at < VERSION_RECHECK:
            return cached.directory
        async with self._sessions() as session:
            version = (
                await session.scalar(
                    select(DirectoryVersion.version).where(DirectoryVersion.guild_id == guild_id)
                )
                or 0
            )
            if cached is not None and cached.version == version:
                cached.checked_at = now
                return cached.directory
            directory = self._national if version == 0 else await self._load(session, guild_id)
        self._cache[guild_id] = _Cached(version, now, directory)
        return directory

    async def _load(self, session: AsyncSession, guild_id: int) -> _Directory:
        hidden = set(
            await session.scalars(
                select(HiddenNationalResource.resource_key).where(
                    HiddenNationalResource.guild_id == guild_id
                )
            )
        )
        rows = await session.scalars(
            select(GuildResource)
            .where(GuildResource.guild_id == guild_id)
            .order_by(GuildResource.name)
        )
        entries = [entry for entry in national_resources() if entry.key not in hidden]
        entries += [_guild_entry(row) for row in rows]
        return _Directory(
            entries={entry.key: entry for entry in entries},
            order=[entry.key for entry in entries],
            index=SearchIndex([searchable(entry) for entry in entries], SYNONYMS),
        )


def _draft_columns(draft: ResourceDraft) -> dict[str, Any]:
    return {
        "name": draft.name,
        "category": draft.category,
        "phone": draft.phone,
        "text_number": draft.text_number,
        "web": draft.web,
        "details": draft.details,
    }


async def _own_row(session: AsyncSession, guild_id: int, key: str) -> GuildResource:
    row = None
    if key.startswith(GUILD_PREFIX) and key.removeprefix(GUILD_PREFIX).isdigit():
        row = await session.get(GuildResource, int(key.removeprefix(GUILD_PREFIX)))
    if row is None or row.guild_id != guild_id:
        raise UserFacingError(
            "I couldn't find that resource in this server's list. Pick one from the suggestions."
        )
    return row


def _audit(
    session: AsyncSession, guild_id: int, actor_id: int, action: str, name: str, at: datetime
) -> None:
    audit.record(session, guild_id=guild_id, actor_id=actor_id, action=action, target=name, at=at)


async def _bump_version(session: AsyncSession, guild_id: int) -> None:
    """Tell every process, through the database, that this server's directory changed."""
    bumped = await session.execute(
        update(DirectoryVersion)
        .where(DirectoryVersion.guild_id == guild_id)
        .values(version=DirectoryVersion.version + 1)
    )
    if not bumped.rowcount:  # type: ignore[attr-defined]  # CursorResult for DML
        session.add(DirectoryVersion(guild_id=guild_id, version=1))
