"""The moderators' audit trail: who did what, when, on what.

Entries are written inside the same transaction as the action they record, so an action
and its audit line land together or not at all. They name moderators, never the author of
an anonymous post.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory
from bot.db.models import AuditEntry
from bot.services.feature_data import Sections, plain, rowcount

AUDIT_KEPT = timedelta(days=365)

AREAS: dict[str, str] = {
    "setup": "Setup",
    "resources": "Resources",
    "meetings": "Meetings",
    "posts": "Posts and blocks",
    "data": "Data",
}


@dataclass(frozen=True)
class AuditRecord:
    actor_id: int
    action: str
    target: str
    detail: str | None
    created_at: datetime


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRecord]
    page: int
    pages: int
    total: int


def record(
    session: AsyncSession,
    *,
    guild_id: int,
    actor_id: int,
    action: str,
    target: str,
    at: datetime,
    detail: str | None = None,
) -> None:
    """Add an audit line to the caller's unit of work."""
    area = action.split(".", 1)[0]
    if area not in AREAS:
        raise ValueError(f"unknown audit area in {action!r}")
    session.add(
        AuditEntry(
            guild_id=guild_id,
            actor_id=actor_id,
            action=action[:40],
            target=target[:200],
            detail=detail[:500] if detail else None,
            created_at=at,
        )
    )


class AuditService:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def page(
        self, guild_id: int, area: str | None, page: int, *, per_page: int = 10
    ) -> AuditPage:
        """Newest first; `area` narrows to one kind of action."""
        conditions = [AuditEntry.guild_id == guild_id]
        if area is not None:
            conditions.append(AuditEntry.action.startswith(f"{area}."))
        async with self._sessions() as session:
            total = (
                await session.scalar(
                    select(func.count()).select_from(AuditEntry).where(*conditions)
                )
                or 0
            )
            pages = max(1, -(-total // per_page))
            page = min(max(page, 0), pages - 1)
            rows = await session.scalars(
                select(AuditEntry)
                .where(*conditions)
                .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                .offset(page * per_page)
                .limit(per_page)
            )
            entries = [
                AuditRecord(row.actor_id, row.action, row.target, row.detail, row.created_at)
                for row in rows
            ]
        return AuditPage(entries, page, pages, total)


class AuditData:
    """A moderator's own actions: shown to them, but kept, so the group can hold moderators
    to account. They expire with the audit log, after AUDIT_KEPT."""

    tables: tuple[str, ...] = ("audit_log",)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id == user_id).order_by(AuditEntry.created_at)
        )
        return {"moderator_actions": [
            {"server_id": str(row.guild_id), "action": row.action, "target": row.target,
             "detail": row.detail, "at": plain(row.created_at)}
            for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        return {}

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        gone = await session.execute(
            delete(AuditEntry).where(AuditEntry.created_at < now - AUDIT_KEPT)
        )
        return {"audit entries": rowcount(gone)}

    async def purge_guild(self, session: AsyncSession, guild_id: int) -> dict[str, int]:
        result = await session.execute(delete(AuditEntry).where(AuditEntry.guild_id == guild_id))
        return {"audit_log": rowcount(result)}
