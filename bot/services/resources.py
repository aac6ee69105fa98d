"""The resource directory: national entries shipped as data, plus each server's own.

Searches run against an in-memory index per server, rebuilt only when that server's
directory version changes (every edit bumps it in the same transaction), so several
processes sharing a database stay consistent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources as package_files
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import DirectoryVersion, GuildResource, HiddenNationalResource
from bot.errors import UserFacingError
from bot.services import audit
from bot.services.search import Searchable, SearchIndex
from bot.services.text import clean_text, optional_text, phone_number, web_address

CATEGORIES: dict[str, str] = {
    "crisis": "Crisis lines",
    "va": "VA health and benefits",
    "vet_centers": "Vet Centers and counseling",
    "housing": "Housing and homelessness",
    "legal": "Legal and justice",
    "recovery": "Substance use and recovery",
    "family": "Family and caregivers",
    "local": "Local help",
}

# Words members type, and what they should reach: a #category, or a word entries use.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "suicide": ("#crisis",),
    "suicidal": ("#crisis",),
    "kill": ("#crisis",),
    "die": ("#crisis",),
    "emergency": ("#crisis",),
    "hopeless": ("#crisis",),
    "homeless": ("#housing",),
    "homelessness": ("#housing",),
    "shelter": ("#housing",),
    "evicted": ("#housing",),
    "eviction": ("#housing",),
    "rent": ("#housing",),
    "lawyer": ("#legal",),
    "attorney": ("#legal",),
    "court": ("#legal",),
    "jail": ("#legal",),
    "arrested": ("#legal",),
    "drinking": ("#recovery",),
    "alcohol": ("#recovery",),
    "drunk": ("#recovery",),
    "drugs": ("#recovery",),
    "relapse": ("#recovery",),
    "sober": ("#recovery",),
    "addiction": ("#recovery",),
    "caregiver": ("#family",),
    "wife": ("#family",),
    "husband": ("#family",),
    "spouse": ("#family",),
    "kids": ("#family",),
    "therapy": ("counseling",),
    "therapist": ("counseling",),
    "counselor": ("counseling",),
    "ptsd": ("counseling",),
    "doctor": ("health",),
    "medication": ("health",),
    "disability": ("benefits",),
}
MAX_GUILD_RESOURCES = 500
STRONG_MATCH = 0.45
RELEVANT_FRACTION = 0.5
# How stale another process's edit may look here. This process's own edits show at once.
VERSION_RECHECK = timedelta(seconds=1)
NATIONAL_PREFIX = "national:"
GUILD_PREFIX = "guild:"


@dataclass(frozen=True)
class ResourceEntry:
    key: str
    name: str
    category: str
    phone: str | None = None
    # Replaces "Call <phone>" where calling takes more than dialling ("Dial 988 then press 1").
    call_instruction: str | None = None
    # Shown after the number: a vanity spelling or a TTY line.
    phone_note: str | None = None
    text: str | None = None
    chat: str | None = None
    web: str | None = None
    hours: str | None = None
    audience: str | None = None
    keywords: tuple[str, ...] = ()
    source: str | None = None
    last_checked: str | None = None

    @property
    def national(self) -> bool:
        return self.key.startswith(NATIONAL_PREFIX)

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    def ways_to_reach(self, *, include_web: bool = True) -> list[str]:
        ways = []
        if self.phone:
            note = f" ({self.phone_note})" if self.phone_note else ""
            ways.append((self.call_instruction or f"Call {self.phone}") + note)
        if self.text and self.text != self.phone:
            ways.append(f"Text {self.text}")
        if self.chat:
            # The full https address: Discord makes only a link with its scheme tappable.
            ways.append(f"Chat online: {self.chat}")
        if self.web and include_web:
            ways.append(self.web)
        return ways


@dataclass(frozen=True)
class ResourceDraft:
    """What a moderator typed; validated by `clean()`."""

    name: str
    category: str
    phone: str | None = None
    text_number: str | None = None
    web: str | None = None
    details: str | None = None

    def clean(self) -> ResourceDraft:
        if self.category not in CATEGORIES:
            raise UserFacingError("Please choose one of the listed categories.")
        cleaned = ResourceDraft(
            name=clean_text(self.name, field="Name", max_length=100),
            category=self.category,
            phone=phone_number(self.phone, field="Phone"),
            text_number=phone_number(self.text_number, field="Text number"),
            web=web_address(self.web, field="Website"),
            details=optional_text(self.details, field="Details", max_length=1000, multiline=True),
        )
        if not (cleaned.phone or cleaned.text_number or cleaned.web):
            raise UserFacingError(
                "Please give at least one way to reach it: a phone, a text number or a website."
            )
        return cleaned


@dataclass(frozen=True)
class SearchResult:
    entries: list[ResourceEntry]
    strong: bool
    suggestion: str | None


@dataclass(frozen=True)
class ResourcePage:
    entries: list[ResourceEntry]
    page: int
    pages: int
    total: int


@cache
def national_resources() -> tuple[ResourceEntry, ...]:
    """The shipped national directory; read once, never from the database."""
    raw = json.loads(
        package_files.files("bot.data").joinpath("national_resources.json").read_text("utf-8")
    )
    entries = []
    for item in raw["resources"]:
        entries.append(
            ResourceEntry(
                key=NATIONAL_PREFIX + item["key"],
                name=item["name"],
                category=item["category"],
                phone=item.get("phone"),
                call_instruction=item.get("call_instruction"),
                phone_note=item.get("phone_note"),
                text=item.get("text"),
                chat=item.get("chat"),
                web=item.get("web"),
                hours=item.get("hours"),
                audience=item.get("audience"),
                keywords=tuple(item.get("keywords", ())),
                source=item.get("source"),
                last_checked=item.get("last_checked"),
            )
        )
    return tuple(entries)


def _searchable(entry: ResourceEntry) -> Searchable:
    category_words = f"{entry.category.replace('_', ' ')} {entry.category_label}"
    return Searchable(
        entry.key,
        (
            (entry.name, 3.0),
            (category_words, 2.0),
            (" ".join(entry.keywords), 2.0),
            (entry.audience or "", 1.0),
        ),
        tags=(entry.category,),
    )


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
            index=SearchIndex([_searchable(entry) for entry in national], SYNONYMS),
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
            index=SearchIndex([_searchable(entry) for entry in entries], SYNONYMS),
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
