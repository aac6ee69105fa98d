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

import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.cache import WriteThroughCache
from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
from bot.db.models import MemberSettings, Occurrence, Reminder
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
    RowKind,
    Scheduler,
)
from bot.services.crypto import UNREADABLE, decrypt_or_none, encrypt
from bot.services.dates import parse_natural
from bot.services.packet.offers import PACKET
from bot.services.text import clean_text

# "reminder:<reminder id>": every delivery of one reminder (its leads, a snooze).
REMINDER = RowKind("personal", "reminder")


def text_context(reminder_id: int) -> str:
    """What a reminder's text is sealed under (stored: never changed)."""
    return f"reminder:{reminder_id}"


def reminder_sources(reminder_ids: Iterable[int]) -> list[str]:
    """The sources of the reminders' deliveries and of their visit packets."""
    ids = list(reminder_ids)
    return REMINDER.sources(ids) + PACKET.sources(ids)


KINDS: dict[str, str] = {
    "court": "Court date",
    "appointment": "Appointment",
    "va_appointment": "VA appointment",
    "medication": "Medication",
    "other": "Reminder",
    "leave": "Time to leave",
}
# Minutes before the event: 3 days, 1 day and 2 hours for the dates that matter most.
DEFAULT_LEADS: dict[str, tuple[int, ...]] = {
    "court": (3 * 24 * 60, 24 * 60, 120),
    "appointment": (3 * 24 * 60, 24 * 60, 120),
    "va_appointment": (3 * 24 * 60, 24 * 60, 120),
    "medication": (0,),
    "other": (0,),
    "leave": (0,),
}
PLAN_LEAD = 24 * 60  # the day-before reminder asks the member to make a plan
MAX_AHEAD = timedelta(days=2 * 365)
LATE_NOTE_AFTER = timedelta(minutes=1)
LATE_LIMIT = timedelta(hours=12)
MAX_TEXT = 200
SNOOZES = {"10m": timedelta(minutes=10), "1h": timedelta(hours=1), "tomorrow": timedelta(days=1)}
NOTICE_REFRESH = 30.0  # seconds
_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
# "in 2 hours", "in an hour and 30 minutes", "45 min from now": a span of real time, added to
# the instant rather than to the wall clock (which jumps on daylight-saving nights).
_SPAN_UNITS = {"minute": 1, "min": 1, "m": 1, "hour": 60, "hr": 60, "h": 60}
_SPAN_PART = r"(\d+|an?|one)\s*(minutes?|mins?|m|hours?|hrs?|h)"
_RELATIVE_SPAN = re.compile(
    rf"^(?:in\s+)?(?P<parts>{_SPAN_PART}(?:\s*(?:,|and)?\s*{_SPAN_PART})*)"
    r"(?P<from_now>\s+from now)?$"
)


@dataclass(frozen=True)
class ReminderView:
    id: int
    kind: str
    text: str
    event_at: datetime
    timezone: str
    status: str
    next_due: datetime | None
    undelivered: bool
    missed: bool
    cause: str | None = None  # why the latest one that didn't reach the member didn't
    retrying: str | None = None  # a reminder being retried now, and why (a transient cause)
    caught_up: bool = False  # one went out late, with the earlier ones folded into it


@dataclass(frozen=True)
class ReminderMessage:
    """What to send for one due delivery."""

    user_id: int
    reminder_id: int
    kind: str
    text: str | None  # None: stored text that could not be read; the reminder still goes
    event_at: datetime
    lead_minutes: int
    late_since: datetime | None  # when it should have arrived, if it is late
    late_cause: str | None  # why the last try failed (None: Muster was offline), if late
    deadline: datetime  # a failing send is retried until then: the event, or the late limit
    plan_prompt: bool
    timezone: str = "UTC"  # the member's zone when they set it: for the times the DM names
    snoozes: tuple[str, ...] = tuple(SNOOZES)  # the snoozes that still land before the event


def snoozes_before(event_at: datetime, now: datetime) -> tuple[str, ...]:
    """The snoozes worth offering: those that land before an event still ahead (no "tomorrow"
    two hours before a court date); every one once the event's time has come."""
    if event_at <= now:
        return tuple(SNOOZES)
    return tuple(choice for choice, span in SNOOZES.items() if now + span < event_at)


def parse_when(text: str, zone_name: str, now: datetime) -> datetime:
    """A time as a member types it, in their zone, to an aware UTC instant; or a clear error."""
    zone = ZoneInfo(zone_name)
    cleaned = clean_text(text, field="When", max_length=100)
    if re.search(r"\b\d{5,}\b", cleaned):
        raise UserFacingError(
            "That year is too far away. Reminders can be set up to two years ahead."
        )
    span = _relative_span(cleaned)
    if span is not None:
        if span <= timedelta(0):
            raise UserFacingError("Pick a time in the future.")
        if span > MAX_AHEAD:
            raise UserFacingError("Reminders can be set up to two years ahead.")
        return (now + span).astimezone(UTC).replace(microsecond=0)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    parsed = parse_natural(cleaned, {**_DATEPARSER_SETTINGS, "RELATIVE_BASE": local_now})
    if parsed is None:
        raise UserFacingError(
            f"I couldn't understand “{cleaned}” as a date and time. Try “tomorrow 9am”, "
            "“June 17 2:30pm” or “in 2 hours”."
        )
    naive: datetime = parsed.replace(tzinfo=None, microsecond=0)
    moment = naive.replace(tzinfo=zone)
    # A wall time that doesn't survive the round trip falls in the hour the clocks skip.
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise UserFacingError(
            f"{naive:%B %-d at %-I:%M %p} doesn't exist in {zone_name}: the clocks jump "
            "forward that night. Pick a time an hour later or earlier."
        )
    when = moment.astimezone(UTC)
    if when <= now:
        raise UserFacingError(
            f"{naive:%B %-d, %Y at %-I:%M %p} has already passed. Pick a time in the future."
        )
    if when - now > MAX_AHEAD:
        raise UserFacingError("Reminders can be set up to two years ahead.")
    return when


def _relative_span(text: str) -> timedelta | None:
    """Hours and minutes from now, if that is all the text says; None for anything else."""
    match = _RELATIVE_SPAN.match(text.strip().lower())
    if match is None or not (text.lower().lstrip().startswith("in ") or match["from_now"]):
        return None
    minutes = 0
    for amount, unit in re.findall(_SPAN_PART, match["parts"]):
        count = 1 if amount in ("a", "an", "one") else int(amount)
        minutes += count * _SPAN_UNITS[unit.rstrip("s")]
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class _Remembered:
    """The per-member settings read on hot paths (every reminder and DM)."""

    timezone: str | None
    dm_channel_id: int | None


# What a feature does when a member sets their zone, inside that one unit of work: given the
# session, their user id and the new zone, it moves what it booked by the member's old zone
# (a taper step's 09:00, a questionnaire's 10:00...); the moments it booked come back.
ZoneFollower = Callable[[AsyncSession, int, str], Awaitable[Sequence[datetime]]]


class MemberSettingsService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        reads: SessionFactory | None = None,
        scheduler: Scheduler | None = None,
        zone_followers: Sequence[ZoneFollower] = (),
    ) -> None:
        self._sessions = sessions
        self._reads = reads or sessions
        self._clock = clock
        self._scheduler = scheduler
        self._zone_followers = tuple(zone_followers)
        self._remembered: WriteThroughCache[int, _Remembered] = WriteThroughCache()
        # DM channel ids arrive in bursts (a reminder wave to new members): one commit each
        # batch instead of one per DM.
        self._dm_channels: BatchWriter[tuple[int, int], None] = BatchWriter(
            self._save_dm_channels, name="DM channel ids"
        )
        # Who has a closed-DMs notice waiting, so that the check after every command costs no
        # database read. Refreshed from the database at most every NOTICE_REFRESH, so notices
        # marked by another process show up too.
        self._notices: set[int] = set()
        self._notices_loaded_at: float | None = None

    async def timezone(self, user_id: int) -> str | None:
        return (await self._settings(user_id)).timezone

    async def dm_channel(self, user_id: int) -> int | None:
        """The member's DM channel id, if Muster has opened one with them before."""
        return (await self._settings(user_id)).dm_channel_id

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        """Saved with whatever other DM channels opened meanwhile, in one transaction."""
        await self._dm_channels.submit((user_id, channel_id))

    def forget(self, user_id: int) -> None:
        """The member's settings were deleted: drop the copy in memory too."""
        self._remembered.forget_where(lambda cached: cached == user_id)

    async def close(self) -> None:
        await self._dm_channels.close()

    async def set_timezone(self, user_id: int, zone: str) -> None:
        """The member's zone, and with it everything booked by their old one: it moves, in
        the same unit of work, to the same wall-clock time in the new zone."""
        moments: list[datetime] = []
        async with self._sessions.begin() as session:
            row = await self._row(session, user_id)
            row.timezone = zone
            remembered = _Remembered(row.timezone, row.dm_channel_id)
            for follow in self._zone_followers:
                moments.extend(await follow(session, user_id, zone))
        self._remembered.put(user_id, remembered)
        if moments and self._scheduler is not None:
            await self._scheduler.scheduled(min(moments))

    async def _settings(self, user_id: int) -> _Remembered:
        cached = self._remembered.get(user_id)
        if cached is not None:
            return cached
        generation = self._remembered.generation
        async with self._reads() as session:
            found = (
                await session.execute(
                    select(MemberSettings.timezone, MemberSettings.dm_channel_id).where(
                        MemberSettings.user_id == user_id
                    )
                )
            ).first()
        read = _Remembered(None, None) if found is None else _Remembered(found[0], found[1])
        return self._remembered.fill(user_id, read, generation)

    async def _save_dm_channels(self, items: Sequence[tuple[int, int]]) -> list[None]:
        channels = dict(items)  # the same member twice in a batch: one row, the latest id
        # Not the moment: the row would date the DM (a taper step's, a questionnaire's) to
        # its member in a dump. A row the DM first makes carries the day; others keep theirs.
        today = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        async with self._sessions.begin() as session:
            table = MemberSettings.__table__
            upsert = insert_for(session)(table)
            connection = await session.connection()
            saved = await connection.execute(
                upsert.on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={"dm_channel_id": upsert.excluded.dm_channel_id},
                ).returning(table.c.user_id, table.c.timezone, table.c.dm_channel_id),
                [
                    {
                        "user_id": user_id,
                        "dm_channel_id": channel_id,
                        "dm_notice_due": False,
                        "updated_at": today,
                    }
                    for user_id, channel_id in channels.items()
                ],
            )
            rows = saved.all()
        for user_id, zone, channel_id in rows:
            self._remembered.put(int(user_id), _Remembered(zone, channel_id))
        return [None for _ in items]

    async def mark_dms_closed(self, user_id: int) -> None:
        """Discord said 50007: remember it, so nothing retries, and tell them next time (R9)."""
        async with self._sessions.begin() as session:
            row = await self._row(session, user_id, by_the_member=False)
            row.dms_closed_at = self._clock.now()
            row.dm_notice_due = True
        self._notices.add(user_id)

    async def mark_dms_open(self, user_id: int) -> None:
        async with self._reads() as session:  # almost always nothing to clear: read first
            closed = await session.scalar(
                select(MemberSettings.dms_closed_at).where(MemberSettings.user_id == user_id)
            )
            if closed is None:
                return
        async with self._sessions.begin() as session:
            row = await session.get(MemberSettings, user_id)
            if row is not None and row.dms_closed_at is not None:
                row.dms_closed_at = None

    async def take_dm_notice(self, user_id: int) -> bool:
        """True once after their DMs turned out closed; the notice is then cleared."""
        now = time.monotonic()
        if self._notices_loaded_at is None or now - self._notices_loaded_at > NOTICE_REFRESH:
            async with self._sessions() as session:
                self._notices = set(
                    await session.scalars(
                        select(MemberSettings.user_id).where(MemberSettings.dm_notice_due)
                    )
                )
            self._notices_loaded_at = now
        if user_id not in self._notices:
            return False
        self._notices.discard(user_id)
        async with self._sessions.begin() as session:
            row = await session.get(MemberSettings, user_id)
            if row is None or not row.dm_notice_due:
                return False
            row.dm_notice_due = False
            return True

    async def _row(
        self, session: AsyncSession, user_id: int, *, by_the_member: bool = True
    ) -> MemberSettings:
        """The member's row, made if missing. Dated now when the member changed it; what a
        DM's outcome writes (closed, open again) leaves the date, or gives a new row the
        day only: its moment would tie the DM (a taper step's, say) to its member."""
        row = await session.get(MemberSettings, user_id)
        now = self._clock.now()
        if row is None:
            day = now if by_the_member else now.replace(hour=0, minute=0, second=0, microsecond=0)
            row = MemberSettings(user_id=user_id, dm_notice_due=False, updated_at=day)
            session.add(row)
        elif by_the_member:
            row.updated_at = now
        return row


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
    ) -> ReminderView:
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
            return await self._view(session, await self._own(session, user_id, reminder_id))

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

    async def get(self, user_id: int, reminder_id: int) -> ReminderView | None:
        async with self._sessions() as session:
            row = await session.get(Reminder, reminder_id)
            if row is None or row.user_id != user_id:
                return None
            return await self._view(session, row)

    async def list(self, user_id: int) -> list[ReminderView]:
        """Active reminders: still to come, with a DM still booked (a snooze), or missed or
        not delivered lately."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Reminder).where(Reminder.user_id == user_id).order_by(Reminder.event_at)
            )
            views = [await self._view(session, row) for row in rows]
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

    async def cancel(self, user_id: int, reminder_id: int) -> ReminderView:
        return await self._finish(user_id, reminder_id, "cancelled")

    async def done(self, user_id: int, reminder_id: int) -> ReminderView:
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

    async def _finish(self, user_id: int, reminder_id: int, status: str) -> ReminderView:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await self._own(session, user_id, reminder_id)
            row.status = status
            await Scheduler.cancel(session, REMINDER.source(row.id), now)
            await Scheduler.cancel(session, PACKET.source(row.id), now)  # its visit packet
            return await self._view(session, row)

    async def _own(self, session: AsyncSession, user_id: int, reminder_id: int) -> Reminder:
        row = await session.get(Reminder, reminder_id)
        if row is None or row.user_id != user_id:
            raise UserFacingError("I couldn't find that reminder among yours.")
        return row

    async def _by_interaction(self, interaction_id: int) -> ReminderView | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(Reminder).where(Reminder.interaction_id == interaction_id)
            )
            return None if row is None else await self._view(session, row)

    async def _view(self, session: AsyncSession, row: Reminder) -> ReminderView:
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
        return ReminderView(
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
