"""The reminders' and the member settings' share of /mydata, retention and key rotation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MemberSettings, Occurrence, Reminder
from bot.keys import Keyring
from bot.services.crypto import UNREADABLE, decrypt_or_none
from bot.services.feature_data import Owner, Rotate, Sections, plain, rowcount
from bot.services.reminders.rules import reminder_sources, text_context

REMINDERS_KEPT_AFTER_DATE = timedelta(days=30)


class ReminderData:
    tables: tuple[str, ...] = ("reminders",)

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        rows = await session.scalars(
            select(Reminder).where(Reminder.user_id == user_id).order_by(Reminder.id)
        )
        exported = []
        for row in rows:
            text = decrypt_or_none(
                self._keyring, row.text_encrypted, context=text_context(row.id), what="reminder"
            )
            exported.append({
                "id": row.id, "kind": row.kind, "text": UNREADABLE if text is None else text,
                "event_at": plain(row.event_at),
                "timezone": row.timezone, "status": row.status,
                "created_at": plain(row.created_at),
            })  # fmt: skip
        return {"reminders": exported}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        ids = list(await session.scalars(select(Reminder.id).where(Reminder.user_id == user_id)))
        await _remove(session, ids)
        return {"reminders": len(ids)}

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        """Reminders REMINDERS_KEPT_AFTER_DATE after their date, with their deliveries."""
        old = await session.scalars(
            select(Reminder.id).where(Reminder.event_at < now - REMINDERS_KEPT_AFTER_DATE)
        )
        ids = list(old)
        await _remove(session, ids)
        return {"reminders": len(ids)}

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        for reminder in await session.scalars(select(Reminder)):
            reminder.text_encrypted = rotate(reminder.text_encrypted, text_context(reminder.id))


async def _remove(session: AsyncSession, ids: list[int]) -> None:
    if ids:
        # Their deliveries go too: the scheduler must not send what no longer exists.
        await session.execute(
            delete(Occurrence).where(Occurrence.source.in_(reminder_sources(ids)))
        )
        await session.execute(delete(Reminder).where(Reminder.id.in_(ids)))


class MemberSettingsData:
    tables: tuple[str, ...] = ("member_settings",)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        row = await session.get(MemberSettings, user_id)
        if row is None:
            return {"settings": []}
        return {
            "settings": [
                {
                    "timezone": row.timezone,
                    "dms_closed_at": plain(row.dms_closed_at),
                    "dm_channel_id": row.dm_channel_id,
                }
            ]
        }

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        result = await session.execute(
            delete(MemberSettings).where(MemberSettings.user_id == user_id)
        )
        return {"settings": rowcount(result)}
