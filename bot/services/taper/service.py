"""The member's taper plan and the symptom checks after each step, stored like the
medication log: found by a sealed owner (bot/services/ownership.py), everything they wrote
encrypted, never read as a number and never advised on."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence, TaperStep, TaperSymptomCheck
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import LATE, PENDING, SENT, Delivery, Due, RowKind, Scheduler
from bot.services.crypto import UnreadableError, decrypt_or_none, encrypt, seal, unseal
from bot.services.ownership import Owners, keyed_digest, one_at_a_time, owned_rows
from bot.services.reminders import LATE_LIMIT, LATE_NOTE_AFTER
from bot.services.taper.rules import (
    DOSE_MAX,
    FINISH,
    MAX_STEPS,
    NOTE_MAX,
    REMINDER_AT,
    SEVERITY,
    SYMPTOM_WINDOW_DAYS,
    StepText,
    check_step,
    in_symptom_window,
    parse_day,
    parse_steps,
    reminder_moment,
    week_of,
)

log = logging.getLogger(__name__)

TAPER_STEP = RowKind("taper_step", "taper")  # "taper:<step id>": a step's reminder
STEPS, CHECKS = "taper_steps", "taper_symptom_checks"
# Every check-in asks whether its member has a recent step. The answer comes from a copy of
# every step's owner and date, read at most this often: a plan added or moved in another
# process is offered within this; one changed here, at once.
STEP_INDEX_TTL = timedelta(seconds=30)
NOT_FOUND = "I couldn't find that step in your plan. `/meds plan show` lists them."


def step_context(digest: str) -> str:
    return f"taper:{digest}"


def user_context(step_id: int) -> str:
    return f"taper-user:{step_id}"


def zone_context(step_id: int) -> str:
    return f"taper-zone:{step_id}"


def day_context(digest: str) -> str:
    return f"taper-day:{digest}"


# The sealed lengths of a step's dose and note (JSON, non-ASCII escaped): every step written
# in ASCII has the first (dose 100 + note 200 + the JSON around them), any other the second
# (12 characters a code point at most). JSON reads past the padding.
DETAIL_SIZES = (DOSE_MAX + NOTE_MAX + 64, 12 * (DOSE_MAX + NOTE_MAX) + 64)
ZONE_SIZES = (64,)  # one length for every zone name: the sealed zone says nothing of which
DAY_SIZES = (16,)  # an ISO date, padded


def check_context(digest: str) -> str:
    return f"taper-check:{digest}"


@dataclass(frozen=True)
class PlanStep:
    """A step as the prescriber set it; `reminder_at`: its DM still to come, if one is."""

    id: int
    on: date
    dose: str | None  # None: stored with a key this server no longer has (R28)
    note: str | None
    reminder_at: datetime | None = None

    @property
    def readable(self) -> bool:
        return self.dose is not None


@dataclass(frozen=True)
class SymptomCheck:
    at: datetime
    step_on: date
    dose: str | None
    symptoms: tuple[str, ...]  # FINISH keys, in FINISH's order
    severity: int  # 0-3, see SEVERITY


@dataclass(frozen=True)
class SymptomOffer:
    """The step a symptom check today would follow."""

    step_on: date
    dose: str | None


@dataclass(frozen=True)
class StepReminder:
    """What to send for a step's reminder."""

    user_id: int
    step_id: int
    on: date
    dose: str | None
    note: str | None
    late_since: datetime | None
    late_cause: str | None
    deadline: datetime
    timezone: str


def read_details(keyring: Keyring, row: TaperStep) -> dict[str, Any]:
    plain = decrypt_or_none(
        keyring, row.details_encrypted, context=step_context(row.request_digest),
        what="taper step",
    )  # fmt: skip
    try:
        details = None if plain is None else json.loads(plain)
    except ValueError:
        details = None
    if isinstance(details, dict) and isinstance(details.get("dose"), str):
        return {"dose": details["dose"], "note": details.get("note")}
    return {"dose": None, "note": None}


def seal_day(keyring: Keyring, digest: str, on: date) -> bytes:
    return seal(keyring, on.isoformat(), context=day_context(digest), sizes=DAY_SIZES)


def read_day(keyring: Keyring, row: TaperStep) -> date:
    """The step's date; date.min if no key opens it (its owner is sealed under the same key,
    so such a step is not found as anyone's anyway)."""
    return _day_of(keyring, row.day, row.request_digest)


def _day_of(keyring: Keyring, day: bytes, digest: str) -> date:
    try:
        return date.fromisoformat(unseal(keyring, day, context=day_context(digest)))
    except (UnreadableError, ValueError):
        log.warning("A taper step's date could not be read")
        return date.min


def read_check(keyring: Keyring, row: TaperSymptomCheck) -> dict[str, Any] | None:
    plain = decrypt_or_none(
        keyring, row.data, context=check_context(row.request_digest), what="symptom check"
    )
    try:
        values = None if plain is None else json.loads(plain)
    except ValueError:
        values = None
    return values if isinstance(values, dict) else None


def as_check(values: dict[str, Any]) -> SymptomCheck:
    return SymptomCheck(
        at=datetime.fromisoformat(values["at"]),
        step_on=date.fromisoformat(values["step_on"]),
        dose=values.get("dose"),
        symptoms=tuple(key for key in FINISH if key in values.get("symptoms", [])),
        severity=int(values["severity"]),
    )


class TaperService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        keyring: Keyring,
        scheduler: Scheduler,
        *,
        reads: SessionFactory | None = None,
    ) -> None:
        self._sessions = sessions
        self._reads = reads or sessions  # never waits behind writes: asked on every check-in
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)
        self._scheduler = scheduler
        self._step_days: dict[str, list[date]] = {}  # owner identity -> its steps' dates
        self._step_days_read_at: datetime | None = None
        self._step_days_lock = asyncio.Lock()

    # ----- the plan -----

    async def add_steps(
        self, *, user_id: int, text: str, zone: str, request_key: int
    ) -> list[PlanStep]:
        """Several steps at once, one a line; all are added or, on a bad line, none."""
        today = self._today(zone)
        return await self._add(user_id, parse_steps(text, today), zone, request_key)

    async def add_step(
        self, *, user_id: int, when: str, dose: str, note: str | None, zone: str, request_key: int
    ) -> PlanStep:
        on = parse_day(when, zone, self._clock.now())
        step = check_step(on, dose, note, self._today(zone))
        [added] = await self._add(user_id, [step], zone, request_key)
        return added

    async def _add(
        self, user_id: int, steps: Sequence[StepText], zone: str, request_key: int
    ) -> list[PlanStep]:
        digests = [
            keyed_digest(self._keyring, f"taper:{request_key}:{i}") for i in range(len(steps))
        ]
        try:
            async with self._sessions.begin() as session:
                # Two additions at once wait for each other: each counts the other's steps.
                await one_at_a_time(session, self._keyring, STEPS, user_id)
                existing = list(
                    await session.scalars(
                        select(TaperStep).where(TaperStep.request_digest.in_(digests))
                    )
                )
                if existing:  # the same submission again (R15)
                    return sorted(await self._views(session, existing), key=_order)
                have = len(await self._rows(session, user_id))
                if have + len(steps) > MAX_STEPS:
                    raise UserFacingError(
                        f"A plan holds up to {MAX_STEPS} steps; yours has {have}."
                    )
                rows = []
                for digest, step in zip(digests, steps, strict=True):
                    row = TaperStep(
                        owner=self._owners.seal_user(STEPS, user_id),
                        request_digest=digest,
                        day=seal_day(self._keyring, digest, step.on),
                        details_encrypted=self._seal_details(digest, step),
                    )
                    session.add(row)
                    rows.append(row)
                await session.flush()
                booked = [await self._book(session, row, user_id, zone) for row in rows]
                views = await self._views(session, rows)
        except IntegrityError:
            async with self._sessions() as session:
                again = list(
                    await session.scalars(
                        select(TaperStep).where(TaperStep.request_digest.in_(digests))
                    )
                )
                if not again:
                    raise
                return sorted(await self._views(session, again), key=_order)
        self._steps_changed()
        await self._wake(booked)
        return sorted(views, key=_order)

    async def steps(self, user_id: int) -> list[PlanStep]:
        """The whole plan, in date order."""
        return await self.plan_steps(user_id)

    async def plan_steps(
        self, user_id: int, since: date | None = None, until: date | None = None
    ) -> list[PlanStep]:
        """The plan's steps dated within [since, until] (either end open), in date order."""
        async with self._sessions() as session:
            views = await self._views(session, await self._rows(session, user_id))
        start, end = since or date.min, until or date.max
        return sorted((v for v in views if start <= v.on <= end), key=_order)

    async def edit_step(
        self,
        *,
        user_id: int,
        step_id: int,
        when: str | None,
        dose: str | None,
        note: str | None,
        zone: str,
    ) -> PlanStep:
        """Change a step's date, dose or note (what is left out stays). A new date moves its
        reminder; a new dose or note leaves the reminder as booked (it reads the step when it
        is sent), so a reminder in flight or maybe sent already is never booked again."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await self._own(session, user_id, step_id)
            details = read_details(self._keyring, row)
            if details["dose"] is None and dose is None:
                raise UserFacingError(
                    "This step's dose could not be read with the keys I have now; "
                    "write it again in `dose`."
                )
            was_on = read_day(self._keyring, row)
            on = was_on if when is None else parse_day(when, zone, now)
            step = check_step(
                on, dose if dose is not None else details["dose"],
                note if note is not None else details["note"], self._today(zone),
            )  # fmt: skip
            row.day = seal_day(self._keyring, row.request_digest, step.on)
            row.details_encrypted = self._seal_details(row.request_digest, step)
            booked = None
            if step.on != was_on:
                await Scheduler.cancel(session, TAPER_STEP.source(row.id), now)
                booked = await self._book(session, row, user_id, zone)
            [view] = await self._views(session, [row])
        self._steps_changed()
        await self._wake([booked])
        return view

    async def cancel_step(self, user_id: int, step_id: int) -> PlanStep:
        """Take a step out of the plan, with its reminder."""
        async with self._sessions.begin() as session:
            row = await self._own(session, user_id, step_id)
            [view] = await self._views(session, [row])
            await self._remove(session, [row])
        return view

    async def cancel_plan(self, user_id: int) -> int:
        """Take every step out, with their reminders; how many there were."""
        async with self._sessions.begin() as session:
            rows = await self._rows(session, user_id)
            await self._remove(session, rows)
        return len(rows)

    async def follow_zone(self, session: AsyncSession, user_id: int, zone: str) -> list[datetime]:
        """The member set their zone (a ZoneFollower): each step reminder still untried
        moves to REMINDER_AT on its date there (now, if that was earlier today there). One
        whose date is gone by there already comes as it was booked, never lost."""
        now = self._clock.now()
        moved = []
        for row in await self._rows(session, user_id):
            for waiting in await Scheduler.untried(session, TAPER_STEP.source(row.id)):
                due = await self._moment(session, row, zone) or waiting.due_at
                payload = self._payload(row, user_id, zone)  # its late note reads the zone
                if await Scheduler.move(session, waiting, due, now, payload):
                    moved.append(due)
        return moved

    # ----- the symptom check -----

    async def symptom_offer(self, user_id: int, zone: str) -> SymptomOffer | None:
        """The latest step of the last SYMPTOM_WINDOW_DAYS days, if there is one. Most
        members have none, which the copy of the steps' dates says without a read."""
        today = self._today(zone)
        step_days = await self._recent_step_days()
        mine = (
            on
            for identity in self._owners.identities(user_id)
            for on in step_days.get(identity, ())
        )
        if not any(in_symptom_window(on, today) for on in mine):
            return None
        async with self._reads() as session:
            return await self._offer(session, user_id, today)  # the table itself decides

    async def _recent_step_days(self) -> dict[str, list[date]]:
        async with self._step_days_lock:  # a burst of check-ins shares one read
            now = self._clock.now()
            read_at = self._step_days_read_at
            if read_at is not None and timedelta(0) <= now - read_at < STEP_INDEX_TTL:
                return self._step_days
            async with self._reads() as session:
                rows = (
                    await session.execute(
                        select(TaperStep.owner, TaperStep.day, TaperStep.request_digest)
                    )
                ).all()
            step_days: dict[str, list[date]] = {}
            for owner, day, digest in rows:
                identity = self._owners.identity_of(STEPS, owner)
                if identity is not None:
                    step_days.setdefault(identity, []).append(_day_of(self._keyring, day, digest))
            self._step_days, self._step_days_read_at = step_days, now
            return step_days

    def _steps_changed(self) -> None:
        """A step was added or moved here: the next offer reads the dates again."""
        self._step_days_read_at = None

    async def record_symptom_check(
        self,
        *,
        user_id: int,
        symptoms: Sequence[str],
        severity: int,
        zone: str,
        request_key: int,
    ) -> SymptomCheck:
        unknown = set(symptoms) - set(FINISH)
        if unknown or severity not in SEVERITY:
            raise UserFacingError("Pick from the choices in the form, please.")
        now = self._clock.now()
        digest = keyed_digest(self._keyring, f"taper-check:{request_key}")
        async with self._sessions.begin() as session:
            existing = await session.scalar(
                select(TaperSymptomCheck).where(TaperSymptomCheck.request_digest == digest)
            )
            if existing is not None:
                values = read_check(self._keyring, existing)
                if values is not None:
                    return as_check(values)
            offer = await self._offer(session, user_id, self._today(zone))
            if offer is None:
                raise UserFacingError(
                    f"The symptom check is for the {SYMPTOM_WINDOW_DAYS} days after a step "
                    "of your plan, and there's none in that time now."
                )
            values = {
                "at": now.astimezone(UTC).isoformat(),
                "step_on": offer.step_on.isoformat(),
                "dose": offer.dose,
                "symptoms": [key for key in FINISH if key in symptoms],
                "severity": severity,
            }
            session.add(
                TaperSymptomCheck(
                    owner=self._owners.seal_user(CHECKS, user_id),
                    request_digest=digest,
                    week=week_of(now),
                    data=encrypt(self._keyring, json.dumps(values), context=check_context(digest)),
                )
            )
        return as_check(values)

    async def symptom_checks(
        self, user_id: int, since: date | None = None, until: date | None = None, zone: str = "UTC"
    ) -> list[SymptomCheck]:
        """The member's symptom checks made on [since, until] in `zone` (either end open),
        oldest first; any no key opens are left out."""
        where = []
        if since is not None:  # a week early: the week is UTC's, the day the member's
            start = datetime.combine(since, time(), ZoneInfo(zone))
            where.append(TaperSymptomCheck.week >= week_of(start) - timedelta(days=7))
        async with self._sessions() as session:
            rows = await owned_rows(session, self._owners, TaperSymptomCheck, user_id, *where)
        checks = []
        for row in rows:
            values = read_check(self._keyring, row)
            if values is None:
                continue
            check = as_check(values)
            day = check.at.astimezone(ZoneInfo(zone)).date()
            if (since is None or day >= since) and (until is None or day <= until):
                checks.append(check)
        return sorted(checks, key=lambda check: check.at)

    # ----- the step's reminder -----

    async def prepare(self, due: Due, now: datetime) -> StepReminder | Delivery:
        """What to send for a step's reminder, by the lateness policy of reminders."""
        step_id = TAPER_STEP.parse(due.source)
        async with self._sessions() as session:
            row = await session.get(TaperStep, step_id)
            if row is None:
                return Delivery("cancelled", "the step was taken out of the plan")
            details = read_details(self._keyring, row)
        sealed = due.payload.get("user")
        user = None
        if isinstance(sealed, str):
            user = decrypt_or_none(
                self._keyring, _from_hex(sealed), context=user_context(step_id), what="step owner"
            )
        if user is None:
            return Delivery("cancelled", "whose step this is could not be read")
        late_by = now - due.due_at
        if late_by > LATE_LIMIT:
            return Delivery("skipped_late", f"missed by {late_by}", LATE)
        late = late_by > LATE_NOTE_AFTER
        return StepReminder(
            user_id=int(user),
            step_id=step_id,
            on=read_day(self._keyring, row),
            dose=details["dose"],
            note=details["note"],
            late_since=due.due_at if late else None,
            late_cause=due.cause if late else None,
            deadline=due.due_at + LATE_LIMIT,
            timezone=self._zone_of(due.payload.get("zone"), step_id),
        )

    # ----- inside -----

    def _zone_of(self, value: object, step_id: int) -> str:
        """The reminder's zone: sealed, or (booked before zones were sealed) a zone name."""
        if not isinstance(value, str) or not value:
            return "UTC"
        if not all(char in "0123456789abcdef" for char in value):
            return value  # a zone name in the clear, from before
        try:
            return unseal(self._keyring, _from_hex(value), context=zone_context(step_id))
        except (UnreadableError, IndexError, ValueError):
            log.warning("A step reminder's zone could not be read")
            return "UTC"

    def _today(self, zone: str) -> date:
        return self._clock.now().astimezone(ZoneInfo(zone)).date()

    def _seal_details(self, digest: str, step: StepText) -> bytes:
        value = json.dumps({"dose": step.dose, "note": step.note})
        return seal(self._keyring, value, context=step_context(digest), sizes=DETAIL_SIZES)

    async def _rows(self, session: AsyncSession, user_id: int) -> list[TaperStep]:
        return await owned_rows(session, self._owners, TaperStep, user_id)

    async def _own(self, session: AsyncSession, user_id: int, step_id: int) -> TaperStep:
        row = await session.get(TaperStep, step_id)
        if row is None or not self._owners.matcher(STEPS, user_id)(row.owner):
            raise UserFacingError(NOT_FOUND)
        return row

    async def _offer(self, session: AsyncSession, user_id: int, today: date) -> SymptomOffer | None:
        dated = [(read_day(self._keyring, row), row) for row in await self._rows(session, user_id)]
        dated = [(on, row) for on, row in dated if in_symptom_window(on, today)]
        if not dated:
            return None
        on, latest = max(dated, key=lambda pair: (pair[0], pair[1].id))
        return SymptomOffer(on, read_details(self._keyring, latest)["dose"])

    async def _book(
        self, session: AsyncSession, row: TaperStep, user_id: int, zone: str
    ) -> datetime | None:
        """The step's reminder, at REMINDER_AT in the member's zone. Never at their daily
        prompt time: checkin_prompts keeps that beside their user id, so a reminder due then
        would name who has a plan."""
        due = await self._moment(session, row, zone)
        if due is None:
            return None
        await Scheduler.add(
            session, source=TAPER_STEP.source(row.id), kind=TAPER_STEP.name, due_at=due,
            payload=self._payload(row, user_id, zone),
        )  # fmt: skip
        return due

    async def _moment(self, session: AsyncSession, row: TaperStep, zone: str) -> datetime | None:
        """When the step's reminder is due in `zone`; None if there is none to send."""
        now = self._clock.now()
        on = read_day(self._keyring, row)
        due = reminder_moment(on, REMINDER_AT, zone)
        if due <= now:
            if on != now.astimezone(ZoneInfo(zone)).date():
                return None  # a step of a day gone by: nothing to remind of
            sent = await session.scalar(
                select(Occurrence.id).where(
                    Occurrence.source == TAPER_STEP.source(row.id), Occurrence.state == SENT
                )
            )
            if sent is not None:
                return None  # today's reminder went out already (the step was edited)
            due = now  # entered on its own day after its reminder time: it comes now
        return due

    def _payload(self, row: TaperStep, user_id: int, zone: str) -> dict[str, Any]:
        user = encrypt(self._keyring, str(user_id), context=user_context(row.id)).hex()
        # The zone is sealed too: member_settings ties a zone in the clear to a user id.
        sealed_zone = seal(
            self._keyring, zone, context=zone_context(row.id), sizes=ZONE_SIZES
        ).hex()
        return {"user": user, "zone": sealed_zone}

    async def _wake(self, booked: Sequence[datetime | None]) -> None:
        moments = [moment for moment in booked if moment is not None]
        if moments:
            await self._scheduler.scheduled(min(moments))

    async def _views(self, session: AsyncSession, rows: Sequence[TaperStep]) -> list[PlanStep]:
        sources = [TAPER_STEP.source(row.id) for row in rows]
        pending = dict(
            (
                await session.execute(
                    select(Occurrence.source, Occurrence.due_at).where(
                        Occurrence.source.in_(sources), Occurrence.state == PENDING
                    )
                )
            ).all()
        )
        return [
            PlanStep(row.id, read_day(self._keyring, row), **read_details(self._keyring, row),
                     reminder_at=pending.get(TAPER_STEP.source(row.id)))
            for row in rows
        ]  # fmt: skip

    async def _remove(self, session: AsyncSession, rows: Sequence[TaperStep]) -> None:
        now = self._clock.now()
        for row in rows:
            await Scheduler.cancel(session, TAPER_STEP.source(row.id), now)
            await session.delete(row)


def _order(step: PlanStep) -> tuple[date, int]:
    return (step.on, step.id)


def _from_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""
