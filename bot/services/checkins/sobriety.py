"""The sobriety counter, kept privately and found by its sealed owner
(bot/services/ownership.py). It is non-punitive: a reset closes the current attempt and
starts a new one, and every attempt stays in the history (longest streak, attempts).
Milestones are celebrated in the group only if the member asked for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import GuildSettings, Occurrence, SobrietyStreak
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import LATE, PENDING, TERMINAL, Delivery, Due, Scheduler
from bot.services.checkins.kinds import MILESTONE
from bot.services.checkins.rules import MILESTONE_DAYS, MilestoneShare, next_milestone, parse_day
from bot.services.crypto import decrypt_or_none, encrypt, seal
from bot.services.guild_settings import DEFAULT_TIMEZONE
from bot.services.ownership import Owners, keyed_digest, owned_rows
from bot.services.recurrence import to_utc

log = logging.getLogger(__name__)

# Local noon: in the member's zone for a named milestone, in the server's for an anonymous
# one, whose moment would otherwise say which zone (and so which members) it comes from.
MILESTONE_AT = time(12, 0)
MAX_BACKDATE = timedelta(days=50 * 365)
MILESTONE_LATE_LIMIT = timedelta(days=1)


def name_context(streak_id: int) -> str:
    """What a named milestone's member is sealed under, in its delivery's payload (the same
    string as the delivery's source, by history; stored, so never changed)."""
    return f"milestone:{streak_id}"


async def rotate_milestone_names(
    session: AsyncSession, rotate: Callable[[bytes, str], bytes]
) -> None:
    """Key rotation (KeyRotation.reencrypt): the sealed members of milestones to come."""
    for occurrence in await session.scalars(
        select(Occurrence).where(
            Occurrence.kind == MILESTONE.name, Occurrence.state.not_in(TERMINAL)
        )
    ):
        if "user" in occurrence.payload:
            sealed = bytes.fromhex(str(occurrence.payload["user"]))
            context = name_context(MILESTONE.parse(occurrence.source).streak_id)
            occurrence.payload = {**occurrence.payload, "user": rotate(sealed, context).hex()}


@dataclass(frozen=True)
class SobrietyStatus:
    started_on: date
    days: int
    share: str
    attempts: int
    longest_days: int
    next_milestone_days: int
    next_milestone_on: date


@dataclass(frozen=True)
class Milestone:
    """A milestone to celebrate in a server's check-in channel."""

    guild_id: int
    days: int
    named_user_id: int | None


def _from_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""  # not a sealed value: reads as unreadable


class SobrietyService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, scheduler: Scheduler
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)
        self._scheduler = scheduler

    async def set(
        self,
        *,
        user_id: int,
        since: str | None,
        share: MilestoneShare,
        guild_id: int | None,
        zone: str,
    ) -> SobrietyStatus:
        """Start counting, or correct the start of the current count (back-dating allowed)."""
        now = self._clock.now()
        started = parse_day(since, zone, now, field="Sober since")
        today = now.astimezone(ZoneInfo(zone)).date()
        if started > today:
            raise UserFacingError("That date is in the future. Use today or an earlier date.")
        if today - started > MAX_BACKDATE:
            raise UserFacingError("That date is too far back. Check the year.")
        if share != "none" and guild_id is None:
            raise UserFacingError("To share milestones with a group, run this inside its server.")
        async with self._sessions.begin() as session:
            streaks = await self._streaks(session, user_id)
            current = _open(self._keyring, streaks)
            before = None
            if current is None:
                current = SobrietyStreak(
                    owner=self._owners.seal_user("sobriety_streaks", user_id),
                    started_on=started,
                    share=share,
                )
                session.add(current)
                streaks.append(current)
            elif current.share == "anonymous":
                before = current.guild_id
            current.started_on, current.share, current.guild_id = started, share, guild_id
            await session.flush()
            if current.ended is None:
                current.ended = seal_end(self._keyring, current.id, None)
            due = await self._book_milestone(session, current, user_id, zone, now, before)
            status = _status(self._keyring, streaks, today)
        if due is not None:
            await self._scheduler.scheduled(due)
        return status

    async def reset(self, user_id: int, zone: str) -> tuple[int, SobrietyStatus]:
        """Close the current attempt and start again today; returns the days it reached."""
        now = self._clock.now()
        today = now.astimezone(ZoneInfo(zone)).date()
        async with self._sessions.begin() as session:
            streaks = await self._streaks(session, user_id)
            current = _open(self._keyring, streaks)
            if current is None:
                raise UserFacingError("You haven't started a counter yet. Use `/sobriety set`.")
            reached = (today - current.started_on).days
            # Sealed: in the clear, the attempt that ended on the day the next one began
            # would be its member's, so a named attempt would name the anonymous one after.
            current.ended = seal_end(self._keyring, current.id, today)
            await Scheduler.cancel(session, MILESTONE.source(current.id), now)
            fresh = SobrietyStreak(
                owner=self._owners.seal_user("sobriety_streaks", user_id),
                started_on=today,
                share=current.share,
                guild_id=current.guild_id,
            )
            session.add(fresh)
            streaks.append(fresh)
            await session.flush()
            fresh.ended = seal_end(self._keyring, fresh.id, None)
            due = await self._book_milestone(session, fresh, user_id, zone, now)
            status = _status(self._keyring, streaks, today)
        if due is not None:
            await self._scheduler.scheduled(due)
        return reached, status

    async def status(self, user_id: int, zone: str) -> SobrietyStatus | None:
        today = self._clock.now().astimezone(ZoneInfo(zone)).date()
        async with self._sessions() as session:
            streaks = await self._streaks(session, user_id)
        if _open(self._keyring, streaks) is None:
            return None
        return _status(self._keyring, streaks, today)

    async def follow_zone(self, session: AsyncSession, user_id: int, zone: str) -> list[datetime]:
        """The member set their zone (a ZoneFollower): a named milestone still untried moves
        to MILESTONE_AT on its day there, and the ones after it follow that zone. One whose
        moment there has passed already comes as it was booked, never lost. (An anonymous
        one keeps its server's zone.)"""
        now = self._clock.now()
        moved = []
        for streak in await self._streaks(session, user_id):
            if streak.share != "named":
                continue
            for waiting in await Scheduler.untried(session, MILESTONE.source(streak.id)):
                days = waiting.payload.get("days")
                if days is None:
                    continue
                due = self._when(streak, int(days), zone)
                due = due if due > now else waiting.due_at
                payload = {**waiting.payload, "zone": zone}
                if await Scheduler.move(session, waiting, due, now, payload):
                    moved.append(due)
        return moved

    async def prepare(self, due: Due, now: datetime) -> Milestone | Delivery:
        """The milestone to post, if the attempt is still going; the next one is booked."""
        booked_for = MILESTONE.parse(due.source)
        if booked_for.guild_id is not None:
            return await self._prepare_anonymous(due, now, booked_for.guild_id)
        streak_id = booked_for.streak_id
        async with self._sessions.begin() as session:
            streak = await session.get(SobrietyStreak, streak_id)
            if (
                streak is None
                or ended_on(self._keyring, streak) is not None
                or streak.share == "none"
            ):
                return Delivery("cancelled", "the counter was reset or is no longer shared")
            if streak.guild_id is None:
                return Delivery("cancelled", "no server to celebrate in")
            days = int(due.payload["days"])
            zone = str(due.payload.get("zone", "UTC"))
            sealed = due.payload.get("user")
            name = None
            if sealed is not None:
                name = decrypt_or_none(
                    self._keyring, _from_hex(str(sealed)), context=name_context(streak.id),
                    what="milestone name",
                )  # fmt: skip
            user_id = None if name is None else int(name)
            # A name that cannot be read: this one is celebrated without it, and the next is
            # booked all the same, keeping the sealed name for when the key is back (R28).
            kept = sealed if sealed is not None and name is None else None
            if streak.share == "anonymous":  # booked before anonymous milestones shared a row
                after = (due.due_at, self._order(streak.id, days))
                await self._rebook_anonymous(session, streak.guild_id, now, after=after)
            else:
                await self._book(session, streak, next_milestone(days), user_id, zone, kept)
        if now - due.due_at > MILESTONE_LATE_LIMIT:
            return Delivery("skipped_late", "more than a day late", LATE)
        return Milestone(streak.guild_id, days, user_id if streak.share == "named" else None)

    async def _prepare_anonymous(
        self, due: Due, now: datetime, guild_id: int
    ) -> Milestone | Delivery:
        """The server's anonymous-milestone delivery: the milestone it was booked for, if its
        attempt still reaches it then; the next delivery is booked now, a public moment."""
        streak_id, days = due.payload.get("streak"), due.payload.get("days")
        async with self._sessions.begin() as session:
            streak = (
                None if streak_id is None else await session.get(SobrietyStreak, int(streak_id))
            )
            zone = await _server_zone(session, guild_id)
            still = (
                streak is not None
                and days is not None
                and streak.guild_id == guild_id
                and streak.share == "anonymous"
                and ended_on(self._keyring, streak) is None
                and self._when(streak, int(days), zone) == due.due_at
            )
            after = (due.due_at, "")
            if still and streak_id is not None and days is not None:
                after = (due.due_at, self._order(int(streak_id), int(days)))
            following = await self._rebook_anonymous(session, guild_id, now, after=after)
        await self._scheduler.scheduled(following)
        if not still or days is None:
            return Delivery("cancelled", "no anonymous milestone due at this moment")
        if now - due.due_at > MILESTONE_LATE_LIMIT:
            return Delivery("skipped_late", "more than a day late", LATE)
        return Milestone(guild_id, int(days), None)

    async def _book_milestone(
        self,
        session: AsyncSession,
        streak: SobrietyStreak,
        user_id: int,
        zone: str,
        now: datetime,
        anonymous_before: int | None = None,
    ) -> datetime | None:
        """Book the attempt's next milestone. A named one gets a delivery of its own; an
        anonymous one moves its server's one anonymous-milestone delivery (see
        `_rebook_anonymous`). `anonymous_before`: the server its milestones were anonymous
        in until now, whose delivery may have been booked for it."""
        await Scheduler.cancel(session, MILESTONE.source(streak.id), now)
        servers = {anonymous_before}
        if streak.share == "anonymous":
            servers.add(streak.guild_id)
        booked = [
            await self._rebook_anonymous(session, guild_id, now)
            for guild_id in sorted(g for g in servers if g is not None)
        ]
        if streak.share == "named" and streak.guild_id is not None:
            days = self._due_days(streak, zone, now)
            booked.append(await self._book(session, streak, days, user_id, zone))
        return min(booked, default=None)

    async def _rebook_anonymous(
        self,
        session: AsyncSession,
        guild_id: int,
        now: datetime,
        *,
        after: tuple[datetime, str] | None = None,
    ) -> datetime:
        """Point the server's one anonymous-milestone delivery at the next anonymous
        milestone of its members' attempts, moving the pending one rather than adding a row:
        a row added at /sobriety set or reset would sit in the deliveries table next to
        whatever its member did just before (their prompt), and the rows around a reset
        would tie the two attempts. Milestones due at the same moment go in a keyed order
        (`_order`), not in the order members set their counters. `after`: the moment and
        order of the milestone just celebrated; the next comes after it. With none to come
        the delivery waits IDLE_MILESTONES."""
        zone = await _server_zone(session, guild_id)
        since = now if after is None else after[0]
        if after is not None:
            after = await self._celebrated_up_to(session, guild_id, after)
        candidates: list[tuple[datetime, str, int, int]] = []
        for streak in await session.scalars(
            select(SobrietyStreak).where(
                SobrietyStreak.guild_id == guild_id, SobrietyStreak.share == "anonymous"
            )
        ):
            if ended_on(self._keyring, streak) is not None:
                continue
            days = self._due_days(streak, zone, since)
            when = self._when(streak, days, zone)
            if after is not None and (when, self._order(streak.id, days)) <= after:
                days = next_milestone(days)
                when = self._when(streak, days, zone)
            candidates.append((when, self._order(streak.id, days), streak.id, days))
        payload: dict[str, Any] = {}
        due = now + IDLE_MILESTONES
        if candidates:
            when, _, streak_id, days = min(candidates)
            due, payload = when, {"streak": streak_id, "days": days}
        source = MILESTONE.shared_source(guild_id, payload.get("streak", 0))
        pending = await session.scalar(
            select(Occurrence).where(
                Occurrence.source.like(MILESTONE.shared_like(guild_id)),
                Occurrence.state == PENDING,
                Occurrence.attempts == 0,  # one being retried is a milestone of its own
            )
        )
        if pending is None:
            await Scheduler.add(
                session, source=source, kind=MILESTONE.name, due_at=due, payload=payload
            )
        else:
            pending.source, pending.payload = source, payload
            pending.due_at = pending.available_at = due
        return due

    async def _celebrated_up_to(
        self, session: AsyncSession, guild_id: int, after: tuple[datetime, str]
    ) -> tuple[datetime, str]:
        """The last of the server's anonymous milestones already taken up for posting, from
        `after` on: a retried delivery must not point the next one back at a milestone that
        a later delivery has posted since."""
        taken = await session.execute(
            select(Occurrence.due_at, Occurrence.payload).where(
                Occurrence.source.like(MILESTONE.shared_like(guild_id)),
                Occurrence.due_at >= after[0],
                or_(Occurrence.state != PENDING, Occurrence.attempts > 0),
            )
        )
        for due_at, payload in taken:
            streak_id, days = payload.get("streak"), payload.get("days")
            if streak_id is not None and days is not None:
                after = max(after, (due_at, self._order(int(streak_id), int(days))))
        return after

    def _order(self, streak_id: int, days: int) -> str:
        """Where a milestone goes among those due at the same moment: keyed, so nobody
        without the keys can tell it from the order counters were set in."""
        return keyed_digest(self._keyring, f"milestone-order:{streak_id}:{days}")

    def _due_days(self, streak: SobrietyStreak, zone: str, since: datetime) -> int:
        """The attempt's first milestone (in days) not before `since`."""
        today = since.astimezone(ZoneInfo(zone)).date()
        so_far = (today - streak.started_on).days
        days = next_milestone(so_far)
        # A milestone reached today before noon still counts today.
        reached_today = so_far in MILESTONE_DAYS or (so_far > 0 and so_far % 365 == 0)
        if reached_today and self._when(streak, so_far, zone) >= since:
            days = so_far
        return days

    async def _book(
        self,
        session: AsyncSession,
        streak: SobrietyStreak,
        days: int,
        user_id: int | None,
        zone: str,
        sealed_user: object = None,
    ) -> datetime:
        payload: dict[str, Any] = {"days": days, "zone": zone}
        if sealed_user is not None:
            payload["user"] = sealed_user
        elif user_id is not None:
            # Named celebrations need the user id; it is stored encrypted, so the streak's key
            # is never linked to a user id in the clear (R3).
            payload["user"] = encrypt(
                self._keyring, str(user_id), context=name_context(streak.id)
            ).hex()
        due = self._when(streak, days, zone)
        await Scheduler.add(
            session,
            source=MILESTONE.source(streak.id),
            kind=MILESTONE.name,
            due_at=due,
            payload=payload,
        )
        return due

    @staticmethod
    def _when(streak: SobrietyStreak, days: int, zone: str) -> datetime:
        local = datetime.combine(streak.started_on + timedelta(days=days), MILESTONE_AT)
        return to_utc(local, ZoneInfo(zone)).astimezone(UTC)

    async def _streaks(self, session: AsyncSession, user_id: int) -> list[SobrietyStreak]:
        streaks = await owned_rows(session, self._owners, SobrietyStreak, user_id)
        for streak in streaks:  # ended before 0016: sealed now, at the member's next change
            if streak.ended_on is not None:
                streak.ended = seal_end(self._keyring, streak.id, streak.ended_on)
                streak.ended_on = None
        return streaks


# With no anonymous milestone to come, the server's shared delivery looks again after this.
IDLE_MILESTONES = timedelta(days=30)
END_SIZES = (48,)


async def _server_zone(session: AsyncSession, guild_id: int) -> str:
    server = await session.get(GuildSettings, guild_id)
    return server.timezone if server is not None and server.timezone else DEFAULT_TIMEZONE


def end_context(streak_id: int) -> str:
    return f"sobriety-end:{streak_id}"


def seal_end(keyring: Keyring, streak_id: int, ended: date | None) -> bytes:
    """An attempt's end (None: still going), sealed to one length whichever it is."""
    value = json.dumps({"ended_on": None if ended is None else ended.isoformat()})
    return seal(keyring, value, context=end_context(streak_id), sizes=END_SIZES)


def ended_on(keyring: Keyring, streak: SobrietyStreak) -> date | None:
    """When the attempt ended, or None while it goes on. One whose end no key opens reads
    as ended the day it began, so it never passes for the current attempt (R28)."""
    if streak.ended_on is not None or streak.ended is None:
        return streak.ended_on
    plain = decrypt_or_none(
        keyring, streak.ended, context=end_context(streak.id), what="sobriety attempt"
    )
    try:
        value = None if plain is None else json.loads(plain).get("ended_on", "")
        return None if value is None else date.fromisoformat(str(value))
    except (ValueError, AttributeError):
        return streak.started_on


async def current_streak(
    session: AsyncSession, keyring: Keyring, user_id: int
) -> SobrietyStreak | None:
    return _open(keyring, await owned_rows(session, Owners(keyring), SobrietyStreak, user_id))


def _open(keyring: Keyring, streaks: list[SobrietyStreak]) -> SobrietyStreak | None:
    """The attempt still going: the newest without an end."""
    return next((s for s in reversed(streaks) if ended_on(keyring, s) is None), None)


def _status(keyring: Keyring, streaks: list[SobrietyStreak], today: date) -> SobrietyStatus:
    current = _open(keyring, streaks)
    if current is None:
        raise UserFacingError("You haven't started a counter yet. Use `/sobriety set`.")
    days = (today - current.started_on).days
    longest = max((ended_on(keyring, s) or today) - s.started_on for s in streaks).days
    upcoming = next_milestone(days)
    return SobrietyStatus(
        started_on=current.started_on,
        days=days,
        share=current.share,
        attempts=len(streaks),
        longest_days=longest,
        next_milestone_days=upcoming,
        next_milestone_on=current.started_on + timedelta(days=upcoming),
    )
