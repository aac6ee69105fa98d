"""The moderators' audit trail: who did what, when, on what.

Entries are written inside the same transaction as the action they record, so an action
and its audit line land together or not at all. They name moderators, never the author of
an anonymous post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory
from bot.db.models import AuditEntry

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
