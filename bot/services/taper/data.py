"""The taper plan's share of /mydata (export and delete) and of key rotation."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Occurrence, TaperStep, TaperSymptomCheck
from bot.keys import Keyring
from bot.scheduling import TERMINAL
from bot.services.crypto import UNREADABLE
from bot.services.feature_data import Owner, Rotate, Sections
from bot.services.ownership import Owners, owned_rows
from bot.services.taper.rules import AS_SET, FINISH, SEVERITY
from bot.services.taper.service import (
    CHECKS,
    STEPS,
    TAPER_STEP,
    as_check,
    check_context,
    day_context,
    read_check,
    read_day,
    read_details,
    step_context,
    user_context,
    zone_context,
)


class TaperData:
    """The plan's steps and the symptom checks, found by their sealed owners."""

    tables: tuple[str, ...] = (STEPS, CHECKS)

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        steps = [
            (read_day(self._keyring, row), row)
            for row in await owned_rows(session, self._owners, TaperStep, user_id)
        ]
        steps.sort(key=lambda pair: (pair[0], pair[1].id))
        plan = []
        for on, row in steps:
            details = read_details(self._keyring, row)
            plan.append({
                "date": on.isoformat() if on != date.min else UNREADABLE,
                "dose": UNREADABLE if details["dose"] is None else details["dose"],
                "note": details["note"], "set_by": f"your prescriber ({AS_SET})",
            })  # fmt: skip
        checks: list[dict[str, Any]] = []
        for check_row in await owned_rows(session, self._owners, TaperSymptomCheck, user_id):
            values = read_check(self._keyring, check_row)
            if values is None:
                checks.append({"note": "(could not be decrypted with the keys this server has)"})
                continue
            check = as_check(values)
            checks.append({
                "at": check.at.isoformat(), "after_step_on": check.step_on.isoformat(),
                "step_dose": check.dose,
                "symptoms": "; ".join(FINISH[key] for key in check.symptoms) or "none",
                "how_bad": f"{check.severity} ({SEVERITY[check.severity]})",
            })  # fmt: skip
        checks.sort(key=lambda entry: str(entry.get("at", "")))
        return {"taper_plan": plan, "taper_symptom_checks": checks}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        step_ids = [row.id for row in await owned_rows(session, self._owners, TaperStep, user_id)]
        check_ids = [
            row.id for row in await owned_rows(session, self._owners, TaperSymptomCheck, user_id)
        ]
        if step_ids:  # their reminders go too: nothing is sent for a step that is gone
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_(TAPER_STEP.sources(step_ids)))
            )
            await session.execute(delete(TaperStep).where(TaperStep.id.in_(step_ids)))
        if check_ids:
            await session.execute(
                delete(TaperSymptomCheck).where(TaperSymptomCheck.id.in_(check_ids))
            )
        return {"taper_steps": len(step_ids), "taper_symptom_checks": len(check_ids)}

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        """Every encrypted taper value, and the sealed members of step reminders to come."""
        for step in await session.scalars(select(TaperStep)):
            step.owner = owner(STEPS, step.owner)
            step.details_encrypted = rotate(
                step.details_encrypted, step_context(step.request_digest)
            )
            step.day = rotate(step.day, day_context(step.request_digest))
        for check in await session.scalars(select(TaperSymptomCheck)):
            check.owner = owner(CHECKS, check.owner)
            check.data = rotate(check.data, check_context(check.request_digest))
        for occurrence in await session.scalars(
            select(Occurrence).where(
                Occurrence.kind == TAPER_STEP.name, Occurrence.state.not_in(TERMINAL)
            )
        ):
            sealed = occurrence.payload.get("user")
            if isinstance(sealed, str):
                step_id = TAPER_STEP.parse(occurrence.source)
                fresh = rotate(bytes.fromhex(sealed), user_context(step_id))
                occurrence.payload = {**occurrence.payload, "user": fresh.hex()}
                zone = occurrence.payload.get("zone")
                if isinstance(zone, str) and zone and all(c in "0123456789abcdef" for c in zone):
                    new_zone = rotate(bytes.fromhex(zone), zone_context(step_id))
                    occurrence.payload = {**occurrence.payload, "zone": new_zone.hex()}
