"""The member's own journal beside check-ins: the medication-change log and the sobriety
counter. Both are private, found by their sealed owner (bot/services/ownership.py), and
never give advice.

Medication entries record what the prescriber decided (name, dose, date, note), encrypted
as one value (R16). The sobriety counter is non-punitive: a reset closes the current
attempt and starts a new one, and every attempt stays in the history (longest streak,
attempts). Milestones are celebrated in the group only if the member asked for it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import GuildSettings, MedicationChange, Occurrence, SobrietyStreak
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import LATE, PENDING, TERMINAL, Delivery, Due, Kind, Scheduler
from bot.scheduling.kinds import SEPARATOR
from bot.services.crypto import UNREADABLE, decrypt_or_none, encrypt, seal
from bot.services.dates import parse_natural
from bot.services.guild_settings import DEFAULT_TIMEZONE
from bot.services.ownership import Owners, keyed_digest, owned_rows, request_digest
from bot.services.recurrence import to_utc
from bot.services.text import clean_text, optional_text

log = logging.getLogger(__name__)

MilestoneShare = Literal["none", "anonymous", "named"]
MILESTONE_DAYS = (1, 7, 30, 60, 90, 180, 365)
# Local noon: in the member's zone for a named milestone, in the server's for an anonymous
# one, whose moment would otherwise say which zone (and so which members) it comes from.
MILESTONE_AT = time(12, 0)
MAX_BACKDATE = timedelta(days=50 * 365)
MED_BACKDATE = timedelta(days=10 * 365)
MED_AHEAD = timedelta(days=365)
MILESTONE_LATE_LIMIT = timedelta(days=1)


@dataclass(frozen=True)
class MilestoneSource:
    """What a milestone delivery is for: an attempt (0: none yet), and for a server's one
    shared delivery of anonymous milestones, the server."""

    streak_id: int
    guild_id: int | None = None


@dataclass(frozen=True)
class MilestoneKind(Kind):
    """A named attempt's own deliveries are "milestone:<attempt>". A server's anonymous
    milestones share one delivery (see SobrietyService._rebook_anonymous), its source
    "milestone:<attempt>:<server>:<token>" for the attempt it is booked for now (0: none),
    the token new at each booking, as the delivery moves between attempts."""

    def source(self, streak_id: int) -> str:
        return self.build(int(streak_id))

    def sources(self, streak_ids: Iterable[int]) -> list[str]:
        return [self.source(streak_id) for streak_id in streak_ids]

    def shared_source(self, guild_id: int, streak_id: int) -> str:
        return self.build(int(streak_id), int(guild_id), secrets.token_hex(4))

    def shared_like(self, guild_id: int) -> str:
        """A LIKE pattern for the server's shared deliveries."""
        return f"{self.start}%{SEPARATOR}{int(guild_id)}{SEPARATOR}%"

    def is_shared(self, source: str) -> bool:
        return self.owns(source) and source.count(SEPARATOR) == 3

    def parse(self, source: str) -> MilestoneSource:
        if self.is_shared(source):
            streak_id, guild_id, _token = self.fields(source, 3)
            return MilestoneSource(int(streak_id), int(guild_id))
        (streak_id,) = self.fields(source, 1)
        return MilestoneSource(int(streak_id))


MILESTONE = MilestoneKind("milestone", "milestone")


def details_context(request_digest: str) -> str:
    """What a medication entry's details are sealed under (stored: never changed)."""
    return f"med:{request_digest}"


def name_context(streak_id: int) -> str:
    """What a named milestone's member is sealed under, in its delivery's payload (the same
    string as the delivery's source, by history; stored, so never changed)."""
    return f"milestone:{streak_id}"


async def rotate_milestone_names(
    session: AsyncSession, rotate: Callable[[bytes, str], bytes]
) -> None:
    """Key rotation (RetentionService.reencrypt): the sealed members of milestones to come."""
    for occurrence in await session.scalars(
        select(Occurrence).where(
            Occurrence.kind == MILESTONE.name, Occurrence.state.not_in(TERMINAL)
        )
    ):
        if "user" in occurrence.payload:
            sealed = bytes.fromhex(str(occurrence.payload["user"]))
            context = name_context(MILESTONE.parse(occurrence.source).streak_id)
            occurrence.payload = {**occurrence.payload, "user": rotate(sealed, context).hex()}


def milestone_words(days: int) -> str:
    if days == 1:
        return "24 hours"
    if days == 180:
        return "6 months"
    if days % 365 == 0:
        years = days // 365
        return "1 year" if years == 1 else f"{years} years"
    return f"{days} days"


def next_milestone(days_so_far: int) -> int:
    """The first milestone after `days_so_far`: the list above, then every year."""
    for days in MILESTONE_DAYS:
        if days > days_so_far:
            return days
    return (days_so_far // 365 + 1) * 365


def parse_day(text: str | None, zone: str, now: datetime, *, field: str) -> date:
    """A date as a member types it ("today", "Nov 3", "2026-11-03"), in their zone."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if text is None or not text.strip():
        return today
    cleaned = clean_text(text, field=field, max_length=40)
    if re.search(r"\b\d{5,}\b", cleaned):
        raise UserFacingError(f"{field}: that year doesn't look right.")
    parsed = parse_natural(
        cleaned,
        {
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        raise UserFacingError(
            f"I couldn't read “{cleaned}” as a date. Try “today”, “Nov 3” or “2026-11-03”."
        )
    day: date = parsed.date()
    return day


@dataclass(frozen=True)
class MedChange:
    id: int
    changed_on: date
    medication: str
    dose: str
    note: str | None
    readable: bool = True  # False: stored with a key this server no longer has (R28)


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


def _from_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""  # not a sealed value: reads as unreadable


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
