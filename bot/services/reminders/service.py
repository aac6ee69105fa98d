"""Personal reminders by DM: court dates, appointments, medication, anything else.

Times are read in the member's own zone ("tomorrow 9am", "June 17 2:30pm"), echoed back,
stored in UTC with the zone, and delivered through the scheduler. The lateness policy for
personal reminders: on time within LATE_NOTE_AFTER (one minute: a reminder is set to the
minute, so one that reaches the member in a later minute says it is late); up to LATE_LIMIT
late they still go out, saying when they should have arrived; later than that they are
skipped and shown as missed in /remind list. A reminder for an event that has already
happened is skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence, Reminder
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import (
    CAUGHT_UP,
    CLAIMED,
    FAILED_PERMANENT,
    LATE,
    PENDING,
    SENT,
    SKIPPED_LATE,
    TRANSIENT,
    Delivery,
    Due,
    Scheduler,
)
from bot.services.crypto import UNREADABLE, decrypt_or_none, encrypt
from bot.services.packet.offers import PACKET
from bot.services.reminders.rules import (
    DEFAULT_LEADS,
    KINDS,
    LATE_LIMIT,
    LATE_NOTE_AFTER,
    MAX_TEXT,
    PLAN_LEAD,
    REMINDER,
    SNOOZES,
    ReminderInfo,
    ReminderMessage,
    leave_at,
    leave_text,
    snoozes_before,
    text_context,
)
from bot.services.text import clean_text


class ReminderService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, scheduler: Scheduler
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._scheduler = scheduler

    async def create(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        kind: str,
        text: str,
        event_at: datetime,
        zone: str,
        interaction_id: int,
    ) -> ReminderInfo:
        """Create once per interaction (R15): the same submission twice gives the same reminder."""
        if kind not in KINDS:
            raise UserFacingError("Pick what kind of reminder this is from the list.")
        what = clean_text(text, field="What", max_length=MAX_TEXT)
        now = self._clock.now()
        existing = await self._by_interaction(interaction_id)
        if existing is not None:
            return existing
        leads = [
            lead for lead in DEFAULT_LEADS[kind] if event_at - timedelta(minutes=lead) > now
        ] or [0]
        try:
            async with self._sessions.begin() as session:
                row = Reminder(
                    user_id=user_id, guild_id=guild_id, kind=kind, text_encrypted=b"",
                    event_at=event_at, timezone=zone, lead_minutes=leads, status="active",
                    created_at=now, interaction_id=interaction_id,
                )  # fmt: skip
                session.add(row)
                await session.flush()
                row.text_encrypted = encrypt(self._keyring, what, context=text_context(row.id))
                for lead in leads:
                    await Scheduler.add(
                        session, source=REMINDER.source(row.id), kind=REMINDER.name,
                        due_at=event_at - timedelta(minutes=lead), payload={"lead": lead},
                    )  # fmt: skip
                reminder_id = row.id
        except IntegrityError:
            again = await self._by_interaction(interaction_id)
            if again is None:
                raise
            return again
        await self._scheduler.scheduled(event_at - timedelta(minutes=max(leads)))
        async with self._sessions() as session:
            return await self._info(session, await self._own(session, user_id, reminder_id))

    async def follow_zone(self, session: AsyncSession, user_id: int, zone: str) -> list[datetime]:
        """The member set their zone (a ZoneFollower): their active reminders are shown and
        snoozed to "tomorrow" in it from now on. Their deliveries stay: each is a time before
        its event, which does not move."""
        await session.execute(
            update(Reminder)
            .where(Reminder.user_id == user_id, Reminder.status == "active")
            .values(timezone=zone)
        )
        return []

    async def get(self, user_id: int, reminder_id: int) -> ReminderInfo | None:
        async with self._sessions() as session:
            row = await session.get(Reminder, reminder_id)
            if row is None or row.user_id != user_id:
                return None
            return await self._info(session, row)

    async def add_leave(
        self, user_id: int, reminder_id: int, when: str, plan: str, *, interaction_id: int
    ) -> ReminderInfo:
        """A time-to-leave reminder for one of the member's reminders (its "make a plan")."""
        reminder = await self.get(user_id, reminder_id)
        if reminder is None:
            raise UserFacingError("I couldn't find that reminder among yours.")
        moment = leave_at(when, reminder.event_at, reminder.timezone, self._clock.now())
        return await self.create(
            user_id=user_id, guild_id=None, kind="leave", text=leave_text(reminder.text, plan),
            event_at=moment, zone=reminder.timezone, interaction_id=interaction_id,
        )  # fmt: skip

    async def pending_leads(self, reminder: ReminderInfo) -> list[int]:
        """The booked DMs still to come, as minutes before the event, soonest DM first."""
        return [
            int((reminder.event_at - due).total_seconds() // 60)
            for due, state in await self._scheduler.states(REMINDER.source(reminder.id))
            if state == PENDING
        ]

    async def list(self, user_id: int) -> list[ReminderInfo]:
        """Active reminders: still to come, with a DM still booked (a snooze), or missed or
        not delivered lately."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Reminder).where(Reminder.user_id == user_id).order_by(Reminder.event_at)
            )
            views = [await self._info(session, row) for row in rows]
        now = self._clock.now()
        recent = now - LATE_LIMIT
        return [
            view
            for view in views
            if view.status == "active"
            and (
                view.event_at > recent
                or view.next_due is not None
                or view.missed
                or view.undelivered
            )
        ]

    async def cancel(self, user_id: int, reminder_id: int) -> ReminderInfo:
        return await self._finish(user_id, reminder_id, "cancelled")

    async def done(self, user_id: int, reminder_id: int) -> ReminderInfo:
        return await self._finish(user_id, reminder_id, "done")

    async def snooze(self, user_id: int, reminder_id: int, choice: str) -> datetime:
        """Remind again in 10 minutes, an hour, or tomorrow at the same time; never after an
        event that is still ahead (a button from an older DM may offer it)."""
        now = self._clock.now()
        if choice not in SNOOZES:
            raise UserFacingError("That snooze option doesn't exist.")
        due_at = (now + SNOOZES[choice]).replace(microsecond=0)
        async with self._sessions.begin() as session:
            row = await self._own(session, user_id, reminder_id)
            if row.status != "active":
                raise UserFacingError("That reminder is already finished.")
            if choice == "tomorrow":  # the same wall time, across a daylight-saving change
                zone = ZoneInfo(row.timezone)
                here = now.astimezone(zone)
                tomorrow = datetime.combine(here.date() + timedelta(days=1), here.time(), zone)
                due_at = tomorrow.astimezone(UTC).replace(microsecond=0)
            if now < row.event_at < due_at:
                raise UserFacingError(
                    "That would remind you after it starts. Pick a shorter snooze, or Done."
                )
            await Scheduler.add(
                session, source=REMINDER.source(row.id), kind=REMINDER.name, due_at=due_at,
                payload={"lead": 0, "snoozed": True},
            )  # fmt: skip
        await self._scheduler.scheduled(due_at)
        return due_at

    async def prepare(self, due: Due, now: datetime) -> ReminderMessage | Delivery:
        """What to send for a due delivery, or the outcome if nothing should be sent."""
        reminder_id = REMINDER.parse(due.source)
        async with self._sessions() as session:
            row = await session.get(Reminder, reminder_id)
            if row is None or row.status != "active":
                return Delivery("cancelled", "the reminder was finished or removed")
            # Unreadable text still reminds: the member hears that something is due (R28).
            text = self._text(row)
        late_by = now - due.due_at
        if late_by > LATE_LIMIT:
            return Delivery("skipped_late", f"missed by {late_by}", LATE)
        lead = int(due.payload.get("lead", 0))
        # `now` excuses a step of the clock from lateness; the event does not move with our
        # clock, so whether it has begun is judged by the real time (never earlier than now).
        if lead > 0 and max(now, self._scheduler.now()) >= row.event_at:
            return Delivery("skipped_late", "the event has already started", LATE)
        return ReminderMessage(
            user_id=row.user_id,
            reminder_id=row.id,
            kind=row.kind,
            text=text,
            event_at=row.event_at,
            lead_minutes=lead,
            late_since=due.due_at if late_by > LATE_NOTE_AFTER else None,
            late_cause=due.cause if late_by > LATE_NOTE_AFTER else None,
            deadline=min(row.event_at, due.due_at + LATE_LIMIT)
            if lead > 0
            else due.due_at + LATE_LIMIT,
            plan_prompt=lead == PLAN_LEAD
            and row.kind in ("court", "appointment", "va_appointment"),
            timezone=row.timezone,
            snoozes=snoozes_before(row.event_at, now),
        )

    def _text(self, row: Reminder) -> str | None:
        return decrypt_or_none(
            self._keyring, row.text_encrypted, context=text_context(row.id), what="reminder text"
        )

    async def _finish(self, user_id: int, reminder_id: int, status: str) -> ReminderInfo:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await self._own(session, user_id, reminder_id)
            row.status = status
            await Scheduler.cancel(session, REMINDER.source(row.id), now)
            await Scheduler.cancel(session, PACKET.source(row.id), now)  # its visit packet
            return await self._info(session, row)

    async def _own(self, session: AsyncSession, user_id: int, reminder_id: int) -> Reminder:
        row = await session.get(Reminder, reminder_id)
        if row is None or row.user_id != user_id:
            raise UserFacingError("I couldn't find that reminder among yours.")
        return row

    async def _by_interaction(self, interaction_id: int) -> ReminderInfo | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(Reminder).where(Reminder.interaction_id == interaction_id)
            )
            return None if row is None else await self._info(session, row)

    async def _info(self, session: AsyncSession, row: Reminder) -> ReminderInfo:
        states = (
            await session.execute(
                select(Occurrence.due_at, Occurrence.state, Occurrence.cause)
                .where(Occurrence.source == REMINDER.source(row.id))
                .order_by(Occurrence.due_at)
            )
        ).all()
        # Older ones folded into a later one that went out did reach the member, late.
        caught_up = [
            index
            for index, (_, state, cause) in enumerate(states)
            if state == SKIPPED_LATE
            and cause == CAUGHT_UP
            and any(later == SENT for _, later, _ in states[index + 1 :])
        ]
        states = [occurrence for index, occurrence in enumerate(states) if index not in caught_up]
        pending = sorted(due for due, state, _ in states if state == PENDING)
        retrying = [
            cause
            for _, state, cause in states
            if state in (PENDING, CLAIMED) and cause in TRANSIENT
        ]
        failed = [cause for _, state, cause in states if state in (FAILED_PERMANENT, SKIPPED_LATE)]
        return ReminderInfo(
            id=row.id,
            kind=row.kind,
            text=UNREADABLE if (text := self._text(row)) is None else text,
            event_at=row.event_at,
            timezone=row.timezone,
            status=row.status,
            next_due=pending[0] if pending else None,
            undelivered=any(state == FAILED_PERMANENT for _, state, _ in states),
            missed=any(state == SKIPPED_LATE for _, state, _ in states) and not pending,
            cause=failed[-1] if failed else None,
            retrying=retrying[0] if retrying else None,
            caught_up=bool(caught_up),
        )
