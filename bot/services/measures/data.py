"""The measures' share of /mydata (export and delete), retention and key rotation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeasureDraft, MeasureOptIn, MeasureResult, Occurrence
from bot.keys import Keyring
from bot.services.crypto import UnreadableError, unseal
from bot.services.feature_data import Owner, Rotate, Sections, rowcount
from bot.services.measures.instruments import INSTRUMENTS
from bot.services.measures.service import (
    DATA_SIZES,
    DRAFT_CONTEXT,
    MEASURE,
    OPTIN_CONTEXT,
    OPTIN_SIZES,
    RESULT_CONTEXT,
    ZONE_CONTEXT,
    ZONE_SIZES,
    open_draft,
    open_result,
    zone_of,
)
from bot.services.ownership import Owners, owned_rows

# Scores are kept a year, long enough for the visit they are for; then they go.
RESULTS_KEPT = timedelta(days=365)
TABLES = ("measure_optins", "measure_drafts", "measure_results")


class MeasureData:
    """Opt-ins, questionnaires in progress and scores; the scores go after RESULTS_KEPT."""

    tables: tuple[str, ...] = TABLES

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        optins = await owned_rows(session, self._owners, MeasureOptIn, user_id)
        results = await owned_rows(session, self._owners, MeasureResult, user_id)
        drafts = await owned_rows(session, self._owners, MeasureDraft, user_id)
        shown: list[dict[str, Any]] = []
        for row in results:
            data = open_result(self._keyring, row)
            if data is None:
                shown.append({"measure": "(could not be read)"})
                continue
            measure = INSTRUMENTS[str(data["measure"])]
            shown.append(
                {"measure": measure.name, "taken_at": data["taken_at"], "score": data["total"],
                 "out_of": measure.max_total, "answers": " ".join(map(str, data["answers"]))}
            )  # fmt: skip
        return {
            "measures_opted_in": [
                {"measure": INSTRUMENTS[code].name if code in INSTRUMENTS else code,
                 "timezone": zone_of(self._keyring, row)}
                for row in optins
                if (code := _code(self._keyring, row)) is not None
            ],
            "measure_scores": sorted(shown, key=lambda r: str(r.get("taken_at", ""))),
            "measures_in_progress": [
                {"measure": INSTRUMENTS[str(data["measure"])].name,
                 "answered": len(data.get("answers", {})),
                 "expires_at": row.expires_at.isoformat()}
                for row in drafts
                if (data := open_draft(self._keyring, row)) is not None and "done" not in data
                and str(data.get("measure")) in INSTRUMENTS
            ],
        }  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        optin_ids = [r.id for r in await owned_rows(session, self._owners, MeasureOptIn, user_id)]
        result_ids = [r.id for r in await owned_rows(session, self._owners, MeasureResult, user_id)]
        draft_ids = [r.id for r in await owned_rows(session, self._owners, MeasureDraft, user_id)]
        if optin_ids:
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_(MEASURE.sources(optin_ids)))
            )
            await session.execute(delete(MeasureOptIn).where(MeasureOptIn.id.in_(optin_ids)))
        if result_ids:
            await session.execute(delete(MeasureResult).where(MeasureResult.id.in_(result_ids)))
        if draft_ids:
            await session.execute(delete(MeasureDraft).where(MeasureDraft.id.in_(draft_ids)))
        return {"measure_optins": len(optin_ids), "measure_scores": len(result_ids)}

    async def expire(
        self, session: AsyncSession, now: datetime, retention_by_guild: Mapping[int, int]
    ) -> dict[str, int]:
        """Drafts left a day, scores older than RESULTS_KEPT."""
        drafts = await session.execute(delete(MeasureDraft).where(MeasureDraft.expires_at <= now))
        # `week` is the Monday of the result's week: a week past the limit is surely past it.
        results = await session.execute(
            delete(MeasureResult).where(MeasureResult.week < (now - RESULTS_KEPT).date())
        )
        return {"questionnaire drafts": rowcount(drafts), "measure scores": rowcount(results)}

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        for optin in await session.scalars(select(MeasureOptIn)):
            optin.owner = owner("measure_optins", optin.owner)
            optin.measure = rotate(optin.measure, OPTIN_CONTEXT, OPTIN_SIZES)
            optin.zone = rotate(optin.zone, ZONE_CONTEXT, ZONE_SIZES)
        for draft in await session.scalars(select(MeasureDraft)):
            draft.owner = owner("measure_drafts", draft.owner)
            draft.data = rotate(draft.data, DRAFT_CONTEXT, DATA_SIZES)
        for result in await session.scalars(select(MeasureResult)):
            result.owner = owner("measure_results", result.owner)
            result.data = rotate(
                result.data, RESULT_CONTEXT.format(digest=result.request_digest), DATA_SIZES
            )


def _code(keyring: Keyring, row: MeasureOptIn) -> str | None:
    try:
        return unseal(keyring, row.measure, context=OPTIN_CONTEXT)
    except UnreadableError:
        return None
