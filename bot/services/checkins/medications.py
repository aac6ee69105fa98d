"""The medication-change log: what the prescriber decided (name, dose, date, note), kept
privately, found by its sealed owner (bot/services/ownership.py), encrypted as one value
(R16), recorded once per submission (R15), and never read as advice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import MedicationChange
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.services.checkins.rules import parse_day
from bot.services.crypto import UNREADABLE, decrypt_or_none, encrypt
from bot.services.ownership import Owners, owned_rows, request_digest
from bot.services.text import clean_text, optional_text

log = logging.getLogger(__name__)

MED_BACKDATE = timedelta(days=10 * 365)
MED_AHEAD = timedelta(days=365)


def details_context(request_digest: str) -> str:
    """What a medication entry's details are sealed under (stored: never changed)."""
    return f"med:{request_digest}"


@dataclass(frozen=True)
class MedChange:
    id: int
    changed_on: date
    medication: str
    dose: str
    note: str | None
    readable: bool = True  # False: stored with a key this server no longer has (R28)


class MedicationService:
    def __init__(self, sessions: SessionFactory, clock: Clock, keyring: Keyring) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring

    async def log(
        self,
        *,
        user_id: int,
        medication: str,
        dose: str,
        when: str | None,
        note: str | None,
        zone: str,
        request_key: int,
    ) -> MedChange:
        """Record a change once per submission (R15)."""
        details = {
            "medication": clean_text(medication, field="Medication", max_length=100),
            "dose": clean_text(dose, field="Dose", max_length=100),
            "note": optional_text(note, field="Note", max_length=500, multiline=True),
        }
        now = self._clock.now()
        changed_on = parse_day(when, zone, now, field="Date")
        today = now.astimezone(ZoneInfo(zone)).date()
        if changed_on < today - MED_BACKDATE or changed_on > today + MED_AHEAD:
            raise UserFacingError("Pick a date within the last ten years or the coming year.")
        digest = request_digest(self._keyring, request_key)
        try:
            async with self._sessions.begin() as session:
                existing = await session.scalar(
                    select(MedicationChange).where(MedicationChange.request_digest == digest)
                )
                if existing is not None:
                    return self._view(existing)
                row = MedicationChange(
                    owner=Owners(self._keyring).seal_user("medication_changes", user_id),
                    request_digest=digest,
                    changed_on=changed_on,
                    details_encrypted=encrypt(
                        self._keyring, json.dumps(details), context=details_context(digest)
                    ),
                )
                session.add(row)
                await session.flush()
                return self._view(row)
        except IntegrityError:
            async with self._sessions() as session:
                again = await session.scalar(
                    select(MedicationChange).where(MedicationChange.request_digest == digest)
                )
                if again is None:
                    raise
                return self._view(again)

    async def history(self, user_id: int, since: date | None = None) -> list[MedChange]:
        async with self._sessions() as session:
            rows = await owned_rows(
                session,
                Owners(self._keyring),
                MedicationChange,
                user_id,
                MedicationChange.changed_on >= (since or date.min),
            )
        rows.sort(key=lambda row: (row.changed_on, row.id))
        return [self._view(row) for row in rows]

    def _view(self, row: MedicationChange) -> MedChange:
        return MedChange(row.id, row.changed_on, **details_of(self._keyring, row))


def details_of(keyring: Keyring, row: MedicationChange) -> dict[str, Any]:
    """Medication, dose and note; marked unreadable when no configured key opens them."""
    plain = decrypt_or_none(
        keyring,
        row.details_encrypted,
        context=details_context(row.request_digest),
        what="medication entry",
    )
    if plain is not None:
        try:
            details = json.loads(plain)
        except ValueError:
            details = None
        if isinstance(details, dict) and {"medication", "dose"} <= details.keys():
            return {key: details.get(key) for key in ("medication", "dose", "note")}
        log.warning("A stored medication entry is not in the expected form")
    return {"medication": UNREADABLE, "dose": "", "note": None, "readable": False}
