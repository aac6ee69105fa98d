"""Sending the visit packet before an appointment: when a member creates an appointment
reminder, they may ask for the packet by DM three days before and on the morning of the
visit. The two deliveries go through the scheduler like every other; declining books none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence, Reminder
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import LATE, TERMINAL, Booking, Delivery, Due, RowKind, Scheduler
from bot.services.crypto import decrypt_or_none, encrypt

APPOINTMENT_KINDS = ("appointment", "va_appointment")
PACKET = RowKind("packet", "packet")  # "packet:<reminder id>": the appointment's packet
PACKET_DAYS = 30  # the period a sent packet covers
MORNING = time(8, 0)  # the visit's morning, in the member's zone
PACKET_LATE_LIMIT = timedelta(hours=12)
NameChoice = Literal["initials", "name"]
UNNAMED = "Member"  # the sealed name could not be read (R28)


def name_context(reminder_id: int) -> str:
    """What the packet's name is sealed under, in its deliveries' payload (the same string as
    their source, by history; stored, so never changed)."""
    return f"packet:{reminder_id}"


async def rotate_names(session: AsyncSession, rotate: Callable[[bytes, str], bytes]) -> None:
    """Key rotation (QuestionData.reencrypt): the sealed names of packets still to send."""
    for occurrence in await session.scalars(
        select(Occurrence).where(Occurrence.kind == PACKET.name, Occurrence.state.not_in(TERMINAL))
    ):
        if "who" in occurrence.payload:
            sealed = bytes.fromhex(str(occurrence.payload["who"]))
            context = name_context(PACKET.parse(occurrence.source))
            occurrence.payload = {**occurrence.payload, "who": rotate(sealed, context).hex()}


def packet_times(event_at: datetime, zone: str, now: datetime) -> list[tuple[str, datetime]]:
    """Three days before (the morning, local time) and the morning of the visit (never after
    it starts); only the ones still ahead."""
    tz = ZoneInfo(zone)
    local = event_at.astimezone(tz)
    before = datetime.combine(local.date() - timedelta(days=3), MORNING, tz).astimezone(UTC)
    morning = datetime.combine(local.date(), MORNING, tz).astimezone(UTC)
    if morning >= event_at:
        morning = event_at - timedelta(hours=1)
    return [(when, at) for when, at in (("three days before", before), ("the morning of", morning))
            if at > now]  # fmt: skip


@dataclass(frozen=True)
class PacketDue:
    """A packet to send now."""

    user_id: int
    reminder_id: int
    zone: str
    who: str  # the name or initials the member chose, as they were then
    event_at: datetime
    when: str  # "three days before" or "the morning of"
    days: int


class PacketOffers:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, scheduler: Scheduler
    ) -> None:
        self._keyring = keyring
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler

    async def accept(self, user_id: int, reminder_id: int, who: str) -> list[datetime]:
        """Book the packet's deliveries for the member's appointment reminder (again: the same
        moments, so a second press books nothing new); their times come back. `who`, the name
        or initials the packet is for, is kept encrypted in the deliveries."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await session.get(Reminder, reminder_id)
            if row is None or row.user_id != user_id or row.kind not in APPOINTMENT_KINDS:
                raise UserFacingError("I couldn't find that appointment among your reminders.")
            if row.status != "active":
                raise UserFacingError("That reminder is already finished.")
            times = packet_times(row.event_at, row.timezone, now)
            await Scheduler.cancel(session, PACKET.source(row.id), now)
            sealed = encrypt(self._keyring, who[:80], context=name_context(row.id)).hex()
            payload = {"who": sealed, "days": PACKET_DAYS}
            await Scheduler.add_many(
                session,
                [Booking(PACKET.source(row.id), PACKET.name, at, {**payload, "when": when})
                 for when, at in times],
            )  # fmt: skip
        if times:
            await self._scheduler.scheduled(min(at for _, at in times))
        return [at for _, at in times]

    async def follow_zone(self, session: AsyncSession, user_id: int, zone: str) -> list[datetime]:
        """The member set their zone (a ZoneFollower): each packet still untried for their
        appointments moves to the morning it stands for in the new zone; one whose new
        morning has passed already comes as it was booked, never lost."""
        now = self._clock.now()
        moved = []
        for row in await session.scalars(
            select(Reminder).where(
                Reminder.user_id == user_id,
                Reminder.status == "active",
                Reminder.kind.in_(APPOINTMENT_KINDS),
            )
        ):
            mornings = dict(packet_times(row.event_at, zone, now))
            for waiting in await Scheduler.untried(session, PACKET.source(row.id)):
                at = mornings.get(str(waiting.payload.get("when")))
                if at is not None and await Scheduler.move(session, waiting, at, now):
                    moved.append(at)
        return moved

    async def decline(self, user_id: int, reminder_id: int) -> None:
        """No packet for this appointment: nothing is booked (one booked before is cancelled)."""
        async with self._sessions.begin() as session:
            row = await session.get(Reminder, reminder_id)
            if row is None or row.user_id != user_id:
                raise UserFacingError("I couldn't find that appointment among your reminders.")
            await Scheduler.cancel(session, PACKET.source(row.id), self._clock.now())

    async def prepare(self, due: Due, now: datetime) -> PacketDue | Delivery:
        reminder_id = PACKET.parse(due.source)
        async with self._sessions() as session:
            row = await session.get(Reminder, reminder_id)
            if row is None or row.status != "active":
                return Delivery("cancelled", "the appointment reminder was finished or removed")
            if now - due.due_at > PACKET_LATE_LIMIT:
                return Delivery("skipped_late", "more than 12 hours late", LATE)
            if max(now, self._scheduler.now()) >= row.event_at:
                return Delivery("skipped_late", "the appointment has already started", LATE)
            who = decrypt_or_none(
                self._keyring, _from_hex(str(due.payload.get("who", ""))),
                context=name_context(row.id), what="packet name",
            )  # fmt: skip
            return PacketDue(
                user_id=row.user_id, reminder_id=row.id, zone=row.timezone, who=who or UNNAMED,
                event_at=row.event_at, when=str(due.payload.get("when", "")),
                days=int(due.payload.get("days", PACKET_DAYS)),
            )  # fmt: skip


def _from_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""  # not a sealed value: reads as unreadable
