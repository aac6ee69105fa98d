"""A member's data rights: export everything Muster holds about them, or delete it (R19).

Every table is classified in TABLES. A table classified "member" must be covered by a
handler's export and delete (a test enforces it), so a new feature cannot forget /mydata.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import AuditEntry, MeetingRsvp, MemberSettings, Occurrence, Reminder
from bot.keys import Keyring
from bot.services.crypto import UnreadableError, decrypt

Kind = Literal["member", "moderator", "server", "system"]

# What each table holds. "member": about one member, exported and deleted on request;
# "moderator": moderators' actions, exported but kept for accountability; "server": a
# server's own configuration and content; "system": bookkeeping with no personal data.
TABLES: dict[str, Kind] = {
    "guilds": "server",
    "guild_settings": "server",
    "guild_resources": "server",
    "hidden_national_resources": "server",
    "directory_versions": "system",
    "recovery_meetings": "server",
    "meetings": "server",
    "meeting_rsvps": "member",
    "member_settings": "member",
    "reminders": "member",
    "occurrences": "system",
    "audit_log": "moderator",
    "alembic_version": "system",
}


class MemberData(Protocol):
    """One capability's share of a member's data."""

    tables: tuple[str, ...]

    async def export(
        self, session: AsyncSession, user_id: int
    ) -> dict[str, list[dict[str, Any]]]: ...

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]: ...


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class ReminderData:
    tables: tuple[str, ...] = ("reminders",)

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(
            select(Reminder).where(Reminder.user_id == user_id).order_by(Reminder.id)
        )
        exported = []
        for row in rows:
            try:
                text = decrypt(self._keyring, row.text_encrypted, context=f"reminder:{row.id}")
            except UnreadableError:
                text = "(could not be decrypted with the keys this server has)"
            exported.append({
                "id": row.id, "kind": row.kind, "text": text, "event_at": _plain(row.event_at),
                "timezone": row.timezone, "status": row.status,
                "created_at": _plain(row.created_at),
            })  # fmt: skip
        return {"reminders": exported}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        ids = list(await session.scalars(select(Reminder.id).where(Reminder.user_id == user_id)))
        if ids:
            # Their deliveries go too: the scheduler must not send what no longer exists.
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_([f"reminder:{i}" for i in ids]))
            )
            await session.execute(delete(Reminder).where(Reminder.id.in_(ids)))
        return {"reminders": len(ids)}


class MemberSettingsData:
    tables: tuple[str, ...] = ("member_settings",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        row = await session.get(MemberSettings, user_id)
        if row is None:
            return {"settings": []}
        return {
            "settings": [{"timezone": row.timezone, "dms_closed_at": _plain(row.dms_closed_at)}]
        }

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        result = await session.execute(
            delete(MemberSettings).where(MemberSettings.user_id == user_id)
        )
        return {"settings": int(result.rowcount)}  # type: ignore[attr-defined]  # CursorResult for DML


class MeetingRsvpData:
    tables: tuple[str, ...] = ("meeting_rsvps",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(select(MeetingRsvp).where(MeetingRsvp.user_id == user_id))
        return {"meeting_rsvps": [
            {"meeting_id": row.meeting_id, "starts_at": _plain(row.starts_at), "answer": row.answer}
            for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        result = await session.execute(delete(MeetingRsvp).where(MeetingRsvp.user_id == user_id))
        return {"meeting_rsvps": int(result.rowcount)}  # type: ignore[attr-defined]  # CursorResult for DML


class ModeratorActionData:
    """A moderator's own actions: shown to them, but kept, so the group can hold moderators
    to account. They expire with the audit log."""

    tables: tuple[str, ...] = ("audit_log",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id == user_id).order_by(AuditEntry.created_at)
        )
        return {"moderator_actions": [
            {"server_id": str(row.guild_id), "action": row.action, "target": row.target,
             "detail": row.detail, "at": _plain(row.created_at)}
            for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        return {}


@dataclass(frozen=True)
class Export:
    json_bytes: bytes
    csv_bytes: bytes
    counts: dict[str, int]


class PrivacyService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, handlers: Sequence[MemberData]
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.handlers = tuple(handlers)

    async def export(self, user_id: int) -> Export:
        sections: dict[str, list[dict[str, Any]]] = {}
        async with self._sessions() as session:
            for handler in self.handlers:
                sections.update(await handler.export(session, user_id))
        document = {
            "generated_at": self._clock.now().isoformat(),
            "about": "Everything Muster stores about you. Anonymous posts are not linked to you "
            "in Muster's database, so they cannot be listed here.",
            **sections,
        }
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["section", "field", "value", "row"])
        for name, rows in sections.items():
            for number, row in enumerate(rows, start=1):
                for field, value in row.items():
                    writer.writerow([name, field, value, number])
        return Export(
            json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"),
            table.getvalue().encode("utf-8"),
            {name: len(rows) for name, rows in sections.items()},
        )

    async def delete(self, user_id: int) -> dict[str, int]:
        """Everything about the member, in one transaction: all of it goes, or none of it."""
        removed: dict[str, int] = {}
        async with self._sessions.begin() as session:
            for handler in self.handlers:
                removed.update(await handler.delete(session, user_id))
        return removed


def member_data_handlers(keyring: Keyring) -> list[MemberData]:
    return [ReminderData(keyring), MemberSettingsData(), MeetingRsvpData(), ModeratorActionData()]
