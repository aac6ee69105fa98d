"""Opt-ins, the prompt on each measure's cadence, questionnaires filled page by page, and
the member's own scores. Everything about a member's measures is private: which measure an
opt-in is for, the answers and the scores are encrypted (R16), and results carry only a
sealed owner (R23)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import MeasureDraft, MeasureOptIn, MeasureResult, Occurrence
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import LATE, PENDING, Delivery, Due, RowKind, Scheduler
from bot.services.checkins import storage_week
from bot.services.crypto import UnreadableError, seal, unseal
from bot.services.measures.instruments import Instrument, band_of, instrument, score
from bot.services.ownership import Owners, one_at_a_time, owned_rows, request_digest
from bot.services.recurrence import to_utc

log = logging.getLogger(__name__)

MEASURE = RowKind("measure", "measure")  # "measure:<opt-in id>": its next questionnaire
PROMPT_AT = time(10, 0)  # local time of the member's prompt
PROMPT_LATE_LIMIT = timedelta(days=1)  # later than this, the next one is soon enough
DRAFT_KEPT = timedelta(days=1)  # a page left this long expires quietly
# A questionnaire filled in this close before its prompt is due makes the prompt unneeded.
RECENT_ENOUGH = timedelta(days=3)
OPTINS = "measure_optins"
OPTIN_CONTEXT = "measure-optin"
DRAFT_CONTEXT = "measure-draft"
RESULT_CONTEXT = "measure-result:{digest}"
OPTIN_SIZES = (16,)
ZONE_CONTEXT = "measure-optin-zone"
ZONE_SIZES = (64,)  # one length for every zone name
DATA_SIZES = (512,)  # one length for every measure: the size says nothing of which
ALREADY_DONE = "You've finished that one already; `/measures` shows your score."
EXPIRED = (
    "That questionnaire was left for over a day, so I let it go. You can start it again "
    "any time with `/measures`."
)


def add_cadence(day: date, measure: Instrument) -> date:
    if measure.cadence == "two_weeks":
        return day + timedelta(days=14)
    month = day.month % 12 + 1
    year = day.year + (day.month == 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def local_prompt(day: date, zone: str) -> datetime:
    return to_utc(datetime.combine(day, PROMPT_AT), ZoneInfo(zone))


def first_prompt(now: datetime, zone: str) -> datetime:
    """The next PROMPT_AT in the member's zone."""
    today = now.astimezone(ZoneInfo(zone)).date()
    for day in (today, today + timedelta(days=1)):
        moment = local_prompt(day, zone)
        if moment > now:
            return moment
    return local_prompt(today + timedelta(days=2), zone)


@dataclass(frozen=True)
class MeasurePrompt:
    user_id: int
    code: str


@dataclass(frozen=True)
class MeasureScore:
    """One finished questionnaire, as the member and the visit packet see it."""

    code: str
    name: str
    taken_at: datetime
    total: int
    max_total: int
    band: str | None
    cut_note: str
    # An answer about harming oneself was high (Instrument.safety_items): show the crisis
    # lines with the score.
    crisis: bool = False


@dataclass(frozen=True)
class Draft:
    id: int
    code: str
    page: int  # the page to fill next, from 0
    pages: int


@dataclass(frozen=True)
class OptIn:
    code: str
    next_prompt: datetime | None


class MeasureService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, scheduler: Scheduler
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)
        self._scheduler = scheduler

    # ----- opting in and out -----

    def _code_of(self, row: MeasureOptIn) -> str | None:
        try:
            return unseal(self._keyring, row.measure, context=OPTIN_CONTEXT)
        except UnreadableError:
            return None

    def _seal_zone(self, zone: str) -> bytes:
        return seal(self._keyring, zone, context=ZONE_CONTEXT, sizes=ZONE_SIZES)

    async def _optins(self, session: AsyncSession, user_id: int) -> dict[str, MeasureOptIn]:
        rows = await owned_rows(session, self._owners, MeasureOptIn, user_id)
        found: dict[str, MeasureOptIn] = {}
        for row in rows:
            code = self._code_of(row)
            if code is not None:
                found.setdefault(code, row)
        return found

    async def opted_in(self, user_id: int) -> list[OptIn]:
        async with self._sessions() as session:
            rows = await self._optins(session, user_id)
            result = []
            for code, row in rows.items():
                due = await session.scalar(
                    select(Occurrence.due_at).where(
                        Occurrence.source == MEASURE.source(row.id), Occurrence.state == PENDING
                    )
                )
                result.append(OptIn(code, due))
        return result

    async def opt_in(self, user_id: int, code: str, zone: str) -> OptIn:
        instrument(code)  # a known measure, or ValueError
        now = self._clock.now()
        async with self._sessions.begin() as session:
            await one_at_a_time(session, self._keyring, OPTINS, user_id)
            rows = await self._optins(session, user_id)
            if code in rows:
                row = rows[code]
                row.zone = self._seal_zone(zone)
            else:
                row = MeasureOptIn(
                    owner=self._owners.seal_user(OPTINS, user_id),
                    measure=seal(self._keyring, code, context=OPTIN_CONTEXT, sizes=OPTIN_SIZES),
                    zone=self._seal_zone(zone),
                )
                session.add(row)
                await session.flush()
            due = first_prompt(now, zone)
            await Scheduler.cancel(session, MEASURE.source(row.id), now)
            await Scheduler.add(
                session, source=MEASURE.source(row.id), kind=MEASURE.name, due_at=due, payload={}
            )
        await self._scheduler.scheduled(due)
        return OptIn(code, due)

    async def follow_zone(self, session: AsyncSession, user_id: int, zone: str) -> list[datetime]:
        """The member set their zone (a ZoneFollower): each opt-in keeps it from now on, and
        its prompt still untried moves to PROMPT_AT on the same day there (the next PROMPT_AT
        if that has passed)."""
        now = self._clock.now()
        moved = []
        for row in await owned_rows(session, self._owners, MeasureOptIn, user_id):
            was = zone_of(self._keyring, row)
            row.zone = self._seal_zone(zone)
            for waiting in await Scheduler.untried(session, MEASURE.source(row.id)):
                due = local_prompt(waiting.due_at.astimezone(ZoneInfo(was)).date(), zone)
                if due <= now:
                    due = first_prompt(now, zone)
                if await Scheduler.move(session, waiting, due, now):
                    moved.append(due)
        return moved

    async def opt_out(self, user_id: int, code: str) -> bool:
        async with self._sessions.begin() as session:
            rows = await self._optins(session, user_id)
            row = rows.get(code)
            if row is None:
                return False
            await session.execute(
                delete(Occurrence).where(Occurrence.source == MEASURE.source(row.id))
            )
            await session.delete(row)
            return True

    async def prepare(self, due: Due, now: datetime) -> MeasurePrompt | Delivery:
        """Who to prompt for which measure; the next prompt is booked in the same step."""
        optin_id = MEASURE.parse(due.source)
        async with self._sessions.begin() as session:
            row = await session.get(MeasureOptIn, optin_id)
            code = None if row is None else self._code_of(row)
            if row is None or code is None:
                return Delivery("cancelled", "the member stopped this measure")
            measure = instrument(code)
            zone = zone_of(self._keyring, row)
            last_day = due.due_at.astimezone(ZoneInfo(zone)).date()
            following = local_prompt(add_cadence(last_day, measure), zone)
            while following <= now:
                following = local_prompt(add_cadence(following.astimezone(ZoneInfo(zone)).date(),
                                                     measure), zone)  # fmt: skip
            await Scheduler.add(
                session, source=due.source, kind=MEASURE.name, due_at=following, payload={}
            )
            user_id = user_of(self._owners, row)
        await self._scheduler.scheduled(following)
        if user_id is None:
            return Delivery("cancelled", "whose opt-in this is could not be read")
        if now - due.due_at > PROMPT_LATE_LIMIT:
            return Delivery("skipped_late", "a prompt this late would only confuse", LATE)
        recent = [s for s in await self.scores(user_id) if s.code == code]
        if recent and due.due_at - recent[-1].taken_at < RECENT_ENOUGH:
            return Delivery("cancelled", "filled in a little before its prompt")
        return MeasurePrompt(user_id, code)

    # ----- filling one in -----

    def _open_draft(self, row: MeasureDraft) -> dict[str, Any] | None:
        return open_draft(self._keyring, row)

    def _seal_draft(self, data: dict[str, Any]) -> bytes:
        return seal(self._keyring, json.dumps(data), context=DRAFT_CONTEXT, sizes=DATA_SIZES)

    async def start(self, user_id: int, code: str) -> Draft:
        measure = instrument(code)
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = MeasureDraft(
                owner=self._owners.seal_user("measure_drafts", user_id),
                expires_at=now + DRAFT_KEPT,
                data=self._seal_draft({"measure": code, "answers": {}}),
            )
            session.add(row)
            await session.flush()
            return Draft(row.id, code, 0, len(measure.pages))

    async def _draft(
        self, session: AsyncSession, user_id: int, draft_id: int
    ) -> tuple[MeasureDraft, dict[str, Any]]:
        # Locked: a second submit of the last page waits, then finds it done.
        row = await session.get(MeasureDraft, draft_id, with_for_update=True)
        if row is None or not self._owners.matcher("measure_drafts", user_id)(row.owner):
            raise UserFacingError(EXPIRED)
        data = self._open_draft(row)
        if data is None or row.expires_at <= self._clock.now():
            await session.delete(row)
            raise UserFacingError(EXPIRED)
        return row, data

    async def resume(self, user_id: int, draft_id: int) -> Draft:
        """The draft and the page it is at, if it is the member's and has not expired."""
        async with self._sessions.begin() as session:
            _, data = await self._draft(session, user_id, draft_id)
        if "done" in data:
            raise UserFacingError(ALREADY_DONE)
        measure = instrument(str(data["measure"]))
        page = _next_page(measure, data["answers"])
        return Draft(draft_id, measure.code, page, len(measure.pages))

    async def answer(
        self, user_id: int, draft_id: int, answers: dict[int, int], request_key: int
    ) -> Draft | MeasureScore:
        """Keep a page's answers; the last page scores and stores the questionnaire."""
        now = self._clock.now()
        digest = request_digest(self._keyring, request_key)
        try:
            async with self._sessions.begin() as session:
                existing = await session.scalar(
                    select(MeasureResult).where(MeasureResult.request_digest == digest)
                )
                if existing is not None:
                    shown = self._result(existing)
                    if shown is not None:
                        return shown
                row, data = await self._draft(session, user_id, draft_id)
                if "done" in data:  # a second submit of the last page: the same score
                    done = await session.scalar(
                        select(MeasureResult).where(MeasureResult.request_digest == data["done"])
                    )
                    shown = None if done is None else self._result(done)
                    if shown is None:
                        raise UserFacingError(ALREADY_DONE)
                    return shown
                measure = instrument(str(data["measure"]))
                kept: dict[str, int] = dict(data["answers"])
                for index, value in answers.items():
                    if not 0 <= index < len(measure.items):
                        raise ValueError(f"no item {index}")
                    kept[str(index)] = value
                page = _next_page(measure, kept)
                if page < len(measure.pages):
                    row.data = self._seal_draft({"measure": measure.code, "answers": kept})
                    row.expires_at = now + DRAFT_KEPT
                    return Draft(draft_id, measure.code, page, len(measure.pages))
                values = [kept[str(i)] for i in range(len(measure.items))]
                result = score(measure, values)
                stored = {"measure": measure.code, "answers": values, "total": result.total,
                          "taken_at": now.isoformat()}  # fmt: skip
                session.add(
                    MeasureResult(
                        owner=self._owners.seal_user("measure_results", user_id),
                        request_digest=digest,
                        week=storage_week(now),
                        data=seal(
                            self._keyring, json.dumps(stored),
                            context=RESULT_CONTEXT.format(digest=digest), sizes=DATA_SIZES,
                        ),
                    )
                )  # fmt: skip
                # Kept, without the answers, until it expires: a second submit of this
                # page finds the score instead of starting over.
                row.data = self._seal_draft({"measure": measure.code, "done": digest})
                return _shown(measure, now, result.total, values)
        except IntegrityError:
            async with self._sessions() as session:
                again = await session.scalar(
                    select(MeasureResult).where(MeasureResult.request_digest == digest)
                )
                shown = None if again is None else self._result(again)
                if shown is None:
                    raise
                return shown

    # ----- the member's scores -----

    def _result(self, row: MeasureResult) -> MeasureScore | None:
        data = open_result(self._keyring, row)
        if data is None:
            return None
        measure = instrument(str(data["measure"]))
        answers = data.get("answers")
        return _shown(
            measure, datetime.fromisoformat(str(data["taken_at"])), int(data["total"]),
            [int(a) for a in answers] if isinstance(answers, list) else [],
        )  # fmt: skip

    async def scores(
        self, user_id: int, first: date | None = None, last: date | None = None
    ) -> list[MeasureScore]:
        """The member's scores, oldest first; between `first` and `last` (UTC dates,
        inclusive) when given. This is what the visit packet calls."""
        where = []
        if first is not None:
            where.append(MeasureResult.week >= first - timedelta(days=7))
        if last is not None:
            where.append(MeasureResult.week <= last)
        async with self._sessions() as session:
            rows = await owned_rows(session, self._owners, MeasureResult, user_id, *where)
        shown = [s for s in (self._result(row) for row in rows) if s is not None]
        shown = [
            s for s in shown
            if (first is None or s.taken_at.date() >= first)
            and (last is None or s.taken_at.date() <= last)
        ]  # fmt: skip
        return sorted(shown, key=lambda s: s.taken_at)


def _next_page(measure: Instrument, answers: dict[str, int]) -> int:
    for number, indexes in enumerate(measure.pages):
        if any(str(i) not in answers for i in indexes):
            return number
    return len(measure.pages)


def _shown(
    measure: Instrument, taken_at: datetime, total: int, answers: Sequence[int]
) -> MeasureScore:
    return MeasureScore(
        measure.code, measure.name, taken_at.astimezone(UTC), total, measure.max_total,
        band_of(measure, total), measure.cut_note, measure.needs_crisis_lines(answers),
    )  # fmt: skip


def zone_of(keyring: Keyring, row: MeasureOptIn) -> str:
    try:
        return unseal(keyring, row.zone, context=ZONE_CONTEXT)
    except UnreadableError:
        log.warning("A measure opt-in's zone could not be read")
        return "UTC"


def user_of(owners: Owners, row: MeasureOptIn) -> int | None:
    """The opt-in's member, from its sealed owner (only "u:" owners: opt-ins came after
    migration 0012)."""
    identity = owners.identity_of(OPTINS, row.owner)
    if identity is None or not identity.startswith("u:"):
        return None
    try:
        return int(identity[2:])
    except ValueError:
        return None


def open_result(keyring: Keyring, row: MeasureResult) -> dict[str, Any] | None:
    try:
        data = json.loads(
            unseal(keyring, row.data, context=RESULT_CONTEXT.format(digest=row.request_digest))
        )
    except (UnreadableError, ValueError):
        log.warning("A stored measure result could not be read")
        return None
    return data if isinstance(data, dict) else None


def open_draft(keyring: Keyring, row: MeasureDraft) -> dict[str, Any] | None:
    try:
        data = json.loads(unseal(keyring, row.data, context=DRAFT_CONTEXT))
    except (UnreadableError, ValueError):
        return None
    return data if isinstance(data, dict) else None
