"""Booking deliveries: what a feature writes in the occurrences table, inside its own unit of
work (its session), for the scheduler to send when they come due (bot.scheduling.store).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import insert_for
from bot.db.models import Occurrence
from bot.scheduling.states import CANCELLED, CLAIMED, PENDING


@dataclass(frozen=True)
class Booking:
    """One delivery to book: what it is for, its kind's handler, when, and its payload."""

    source: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Waiting:
    """A booked delivery nothing has tried to send yet (see Bookings.untried)."""

    id: int
    source: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


class Bookings:
    """Booking, cancelling and moving a source's deliveries, in the caller's session. Every
    method is static: nothing here needs the store's clock, worker or senders."""

    @staticmethod
    async def add(
        session: AsyncSession, *, source: str, kind: str, due_at: datetime, payload: dict[str, Any]
    ) -> None:
        await Bookings.add_many(session, [Booking(source, kind, due_at, payload)])

    @staticmethod
    async def add_many(session: AsyncSession, bookings: Sequence[Booking]) -> None:
        """Book several deliveries in one statement (a batch of anonymous posts)."""
        if not bookings:
            return
        # Two processes may book the same delivery at once (each ensuring a daily job at
        # start-up): the second insert is a no-op, not an error. A delivery cancelled and
        # booked again for the same moment (the daily prompt set again to its time, a meeting
        # moved and moved back) is booked anew: left cancelled, it would never come.
        table = Occurrence.__table__
        insert = insert_for(session)(table)
        revived = {
            "kind": insert.excluded.kind, "available_at": insert.excluded.available_at,
            "payload": insert.excluded.payload, "state": PENDING, "attempts": 0,
            "lease_until": None, "claimed_by": None, "settled_at": None, "detail": None,
            "cause": None, "message_id": None, "uncertain_since": None,
        }  # fmt: skip
        connection = await session.connection()
        await connection.execute(
            insert.on_conflict_do_update(
                index_elements=["source", "due_at"],
                set_=revived,
                where=table.c.state == CANCELLED,
            ),
            [
                {
                    "source": booking.source, "kind": booking.kind, "due_at": booking.due_at,
                    "available_at": booking.due_at, "state": PENDING, "attempts": 0,
                    "payload": booking.payload,
                }
                for booking in bookings
            ],
        )  # fmt: skip

    @staticmethod
    async def cancel(session: AsyncSession, source: str, now: datetime) -> int:
        """Cancel every delivery of a source that has not been sent yet. One that is claimed
        may be in flight (Discord has the message, its answer is not back): it stays
        cancelled unless its sender comes back with the id of a message that went out, which
        it then records as sent (R8, R30). Nothing cancelled is claimed or sent again."""
        result = await session.execute(
            update(Occurrence)
            .where(Occurrence.source == source, Occurrence.state.in_((PENDING, CLAIMED)))
            .values(state=CANCELLED, settled_at=now, lease_until=None, detail="cancelled")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult for DML

    @staticmethod
    async def untried(session: AsyncSession, source: str) -> list[Waiting]:
        """A source's deliveries waiting for their moment that no attempt may have sent yet:
        the ones that can be moved (a claimed one, or one retried after an attempt that may
        have gone out, keeps its row and its nonce, and goes as booked)."""
        rows = await session.execute(
            select(Occurrence.id, Occurrence.source, Occurrence.kind, Occurrence.due_at,
                   Occurrence.payload)
            .where(
                Occurrence.source == source,
                Occurrence.state == PENDING,
                Occurrence.uncertain_since.is_(None),
            )
            .order_by(Occurrence.due_at)
        )  # fmt: skip
        return [Waiting(*row) for row in rows]

    @staticmethod
    async def move(
        session: AsyncSession,
        waiting: Waiting,
        due_at: datetime,
        now: datetime,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        """Book a delivery `untried` found for `due_at` instead (with `payload`, if given), if
        it is still untried. Moved in place: the row keeps its id (so its nonce) and gains no
        timestamp, so nothing in the table dates the move (a member's zone change is dated
        beside their user id, in member_settings) and no new id sits next to the member's
        other rows moved with it. A row of the source at `due_at` already: one cancelled
        before any attempt is dropped to make room; any other is that delivery already, and
        this one is cancelled. True if it is booked for `due_at` now; False if not (claimed
        or tried meanwhile, it goes as it was booked)."""
        untried = and_(
            Occurrence.id == waiting.id,
            Occurrence.state == PENDING,
            Occurrence.uncertain_since.is_(None),
        )
        payload = waiting.payload if payload is None else payload
        if due_at == waiting.due_at and payload == waiting.payload:
            return False
        if due_at != waiting.due_at:
            taken = (
                await session.execute(
                    select(Occurrence.id, Occurrence.state, Occurrence.uncertain_since,
                           Occurrence.message_id)
                    .where(Occurrence.source == waiting.source, Occurrence.due_at == due_at)
                )
            ).first()  # fmt: skip
            if taken is not None:
                if taken.state != CANCELLED or taken.uncertain_since or taken.message_id:
                    await session.execute(
                        update(Occurrence)
                        .where(untried)
                        .values(state=CANCELLED, settled_at=now, detail="booked then already")
                    )
                    return False
                await session.execute(delete(Occurrence).where(Occurrence.id == taken.id))
        result = await session.execute(
            update(Occurrence)
            .where(untried)
            .values(due_at=due_at, available_at=due_at, payload=payload)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult for DML
