"""Check-ins: mood, sleep, cravings and sober-today, with an optional note, kept privately,
shared anonymously or shared by name.

Rows are found by `member_key` (an HMAC of the user id), never by user id (R3). Notes are
encrypted with the submission's key as associated data (R16), and a repeated submission of
the same check-in saves nothing new (R15).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.clock import Clock
from bot.db.cache import WriteThroughCache
from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
from bot.db.models import AnonymousBlock, AnonymousPost, Checkin, CheckinProfile, SobrietyStreak
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import Booking, Scheduler
from bot.services.crisis_language import assess
from bot.services.crypto import UNREADABLE, decrypt_or_none, encrypt
from bot.services.guild_settings import GuildConfig
from bot.services.pseudonyms import member_key, weekly_pseudonym
from bot.services.spool import Spool
from bot.services.text import optional_text

log = logging.getLogger(__name__)

MOODS: dict[int, str] = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Very good"}
SLEEP_WORDS: dict[str, str] = {"poor": "Poor", "ok": "OK", "good": "Good"}
CRAVINGS: dict[str, str] = {"none": "None", "mild": "Mild", "strong": "Strong"}
SOBER: dict[str, str] = {"yes": "Yes", "no": "No", "skip": "Rather not say"}
SHARES: dict[str, str] = {
    "private": "Only me",
    "anonymous": "The group, anonymously",
    "named": "The group, with my name",
}
Share = Literal["private", "anonymous", "named"]
# For a check-in held back for its crisis note: keep it private, share it without the note,
# or share it as written.
HeldChoice = Literal["private", "bare", "full"]
HELD_CHOICES: tuple[HeldChoice, ...] = ("private", "bare", "full")
# How long the choice stays open; after that the check-in simply stays private.
HOLD_FOR = timedelta(days=1)
NOTE_MAX = 1000
MAX_SLEEP_HOURS = 24
# One shared post per member per server in this window; more are kept privately.
SHARE_COOLDOWN = timedelta(minutes=10)
# How long a member waits for the save before being told it is being held.
SAVE_WAIT = 8.0
# How long the sharing checks (blocks, spacing, last choice) may take before going private.
DECIDE_BUDGET = 2.0
UNCHECKED = "I couldn't reach my database to check this server's settings"
HISTORY_DAYS = 30
REPORT_MAX_DAYS = 365


def parse_sleep(text: str | None) -> tuple[float | None, str | None]:
    """Hours ("7", "6.5", "7h") or a word (poor, ok, good); blank means not answered."""
    if text is None or not text.strip():
        return None, None
    value = text.strip().casefold().removesuffix("hours").removesuffix("h").strip()
    if value in SLEEP_WORDS:
        return None, value
    if value == "okay":
        return None, "ok"
    if re.fullmatch(r"\d{1,2}([.,]\d)?", value):
        hours = float(value.replace(",", "."))
        if hours <= MAX_SLEEP_HOURS:
            return hours, None
    raise UserFacingError(
        "For sleep, give the hours (like 7 or 6.5, up to 24) or a word: poor, ok or good."
    )


def sleep_words(hours: float | None, quality: str | None) -> str:
    if hours is not None:
        return f"{hours:g} hours"
    return SLEEP_WORDS.get(quality or "", "Not said")


def note_of(keyring: Keyring, row: Any) -> str | None:
    """The note (of a Checkin, or a row with its note_encrypted and request_key), None
    without one, or UNREADABLE when no configured key opens it."""
    if row.note_encrypted is None:
        return None
    note = decrypt_or_none(
        keyring, row.note_encrypted, context=f"checkin:{row.request_key}", what="check-in note"
    )
    return UNREADABLE if note is None else note


@dataclass(frozen=True)
class CheckinDraft:
    """A check-in as the member gave it. `share` None means "as last time"."""

    user_id: int
    guild_id: int | None
    request_key: int
    mood: int
    sleep: str | None
    cravings: str
    sober: str
    note: str | None
    share: Share | None


@dataclass(frozen=True)
class _Row:
    """Everything the writer needs, decided before the write. Plain values, not ORM objects,
    so a batch that failed can be written again from scratch."""

    checkin: dict[str, Any]
    post: dict[str, Any] | None
    requested: Share  # remembered as the member's choice, even if this one stayed private

    @property
    def request_key(self) -> int:
        return int(self.checkin["request_key"])

    def document(self) -> dict[str, Any]:
        """Plain JSON, for the held spool."""
        return {
            "checkin": _plain_values(self.checkin),
            "post": None if self.post is None else _plain_values(self.post),
            "requested": self.requested,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> _Row:
        checkin = dict(document["checkin"])
        checkin["created_at"] = datetime.fromisoformat(checkin["created_at"])
        if checkin["note_encrypted"] is not None:
            checkin["note_encrypted"] = bytes.fromhex(checkin["note_encrypted"])
        post = document["post"]
        if post is not None:
            post = dict(post)
            for moment in ("post_after", "created_at"):
                post[moment] = datetime.fromisoformat(post[moment])
        return cls(checkin, post, document["requested"])


def _plain_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat()
        if isinstance(value, datetime)
        else value.hex()
        if isinstance(value, bytes)
        else value
        for name, value in values.items()
    }


@dataclass(frozen=True)
class _SharingQuery:
    guild_id: int
    member_key: str
    request_key: int
    now: datetime


@dataclass(frozen=True)
class _SharingFacts:
    blocked_until: datetime | None
    shared_recently: bool


def _as_share(stored: str | None) -> Share:
    if stored == "anonymous":
        return "anonymous"
    return "named" if stored == "named" else "private"


@dataclass(frozen=True)
class Saved:
    checkin_id: int
    post_id: int | None
    duplicate: bool


@dataclass(frozen=True)
class CheckinResult:
    """What happened: where the check-in went, and why if not where the member asked."""

    share: Share
    requested: Share
    held: bool  # the database was slow: saved as soon as it answers
    checkin_id: int | None
    post_id: int | None
    post_after: datetime | None
    pseudonym: str | None
    channel_id: int | None
    kept_private_because: str | None = None
    block_until: datetime | None = None
    duplicate: bool = False  # the same submission again: nothing new was saved or posted
    note: str | None = None  # the note as stored: cleaned of invisible and control characters
    # Kept private for its crisis note until the member chooses: the share they asked for.
    held_for: Share | None = None


@dataclass(frozen=True)
class Chosen:
    """What a member chose for a held-back check-in, and where it goes now."""

    share: Share
    asked_for: Share
    channel_id: int | None
    post_id: int | None
    pseudonym: str | None
    entry: Entry | None = None  # what a named post shows (no note when shared without it)


@dataclass(frozen=True)
class Entry:
    """One check-in as its owner sees it, in their own zone."""

    at: datetime
    local: datetime
    mood: int
    sleep_hours: float | None
    sleep_quality: str | None
    cravings: str
    sober: str
    share: str
    note: str | None

    @property
    def note_unreadable(self) -> bool:
        return self.note == UNREADABLE


@dataclass(frozen=True)
class Summary:
    count: int
    days: int
    average_mood: float | None
    average_sleep: float | None
    trend: str
    checkin_streak: int
    sober_days: int
    longest_sober_run: int
    cravings: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Signals:
    """Not alarms: reasons to offer a peer mentor, gently."""

    low_mood_again: bool
    slip_after_streak: bool

    @property
    def any(self) -> bool:
        return self.low_mood_again or self.slip_after_streak


class CheckinService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        keyring: Keyring,
        scheduler: Scheduler,
        spool: Spool | None = None,
        *,
        reads: SessionFactory | None = None,
    ) -> None:
        self._sessions = sessions
        # Reads on their own connection (SQLite: no write lock), so they never queue behind
        # the writer's batches.
        self._reads = reads or sessions
        # The member's last sharing choice, by the key the profile row is stored under.
        self.choices: WriteThroughCache[str, Share] = WriteThroughCache()
        self._clock = clock
        self._keyring = keyring
        self._scheduler = scheduler
        self._spool = spool
        self._rng = secrets.SystemRandom()
        self.writer: BatchWriter[_Row, Saved] = BatchWriter(self._write, name="check-ins")
        # Reads are batched the same way: whoever is waiting is answered by one query on the
        # read connection, instead of a session each.
        self._choice_reads: BatchWriter[str, Share] = BatchWriter(
            self._read_choices, name="sharing choices"
        )
        self._sharing_reads: BatchWriter[_SharingQuery, _SharingFacts] = BatchWriter(
            self._read_sharing, name="sharing checks"
        )
        self.save_wait = SAVE_WAIT
        self.decide_budget = DECIDE_BUDGET
        # Submitted and not yet committed; those also in the spool are released once committed.
        self._unsaved: dict[int, _Row] = {}
        self._spooled: set[int] = set()

    def key_of(self, user_id: int) -> str:
        return member_key(self._keyring, user_id)

    async def submit(self, draft: CheckinDraft, config: GuildConfig | None) -> CheckinResult:
        """Save a check-in (and queue its anonymous post); never loses it (see BatchWriter)."""
        if draft.mood not in MOODS:
            raise UserFacingError("Pick your mood from 1 (very low) to 5 (very good).")
        if draft.cravings not in CRAVINGS or draft.sober not in SOBER:
            raise UserFacingError("Pick cravings and sober-today from the lists.")
        hours, quality = parse_sleep(draft.sleep)
        note = optional_text(draft.note, field="Your note", max_length=NOTE_MAX, multiline=True)
        now = self._clock.now()
        key = self.key_of(draft.user_id)
        try:
            async with asyncio.timeout(self.decide_budget):
                decided = await self._where_it_goes(draft, config, key, now)
        except (TimeoutError, DBAPIError, OSError):
            # Without the database the checks can't run: keep it private, never drop it.
            decided = (draft.share or "private", "private", UNCHECKED, None)
        requested, share, reason, block_until = decided
        # Never broadcast a crisis (R25): kept private until the member has seen the crisis
        # card and chosen what to share.
        held_for: Share | None = None
        if share != "private" and assess(note).crisis:
            held_for, share = share, "private"
        row = dict(
            member_key=key,
            guild_id=draft.guild_id,
            request_key=draft.request_key,
            mood=draft.mood,
            sleep_hours=hours,
            sleep_quality=quality,
            cravings=draft.cravings,
            sober=draft.sober,
            share=share,
            created_at=now,
            held_for=held_for,
            note_encrypted=None
            if note is None
            else encrypt(self._keyring, note, context=f"checkin:{draft.request_key}"),
        )
        post: dict[str, Any] | None = None
        if (
            share == "anonymous"
            and draft.guild_id is not None
            and config is not None
            and config.checkin_channel_id is not None
        ):
            post = self._anonymous_post(
                draft.guild_id, draft.user_id, config.checkin_channel_id, config, now
            )
        future = self._queue(_Row(row, post, requested))
        # asyncio.wait leaves the future running on timeout: the writer keeps the check-in.
        await asyncio.wait((future,), timeout=self.save_wait)
        if not future.done():
            # Written to the spool before the member hears it is held (R29).
            await self._hold([draft.request_key])
            return CheckinResult(
                share=share,
                requested=requested,
                held=True,
                checkin_id=None,
                post_id=None,
                post_after=None,
                pseudonym=None,
                channel_id=None,
                kept_private_because=reason,
                block_until=block_until,
                held_for=held_for,
            )
        saved = future.result()
        post_after: datetime | None = post["post_after"] if post is not None else None
        if post_after is not None and not saved.duplicate:
            await self._scheduler.scheduled(post_after)
        return CheckinResult(
            share=share,
            requested=requested,
            held=False,
            checkin_id=saved.checkin_id,
            post_id=saved.post_id,
            post_after=post_after,
            pseudonym=post["pseudonym"] if post is not None else None,
            channel_id=config.checkin_channel_id if config and share != "private" else None,
            kept_private_because=reason,
            block_until=block_until,
            duplicate=saved.duplicate,
            note=note,
            held_for=held_for,
        )

    def _anonymous_post(
        self, guild_id: int, user_id: int, channel_id: int, config: GuildConfig, now: datetime
    ) -> dict[str, Any]:
        """The queued post's row: this week's pseudonym, and a random delay (R4)."""
        delay = config.anonymous_delay_minutes * 60
        wait = self._rng.uniform(delay * 0.5, delay * 1.5) if delay else self._rng.uniform(5, 60)
        return dict(
            guild_id=guild_id,
            channel_id=channel_id,
            pseudonym=weekly_pseudonym(self._keyring, guild_id, user_id, now),
            state="pending",
            post_after=now + timedelta(seconds=math.ceil(wait)),
            created_at=now,
        )

    async def choose(
        self, user_id: int, checkin_id: int, choice: HeldChoice, config: GuildConfig | None
    ) -> Chosen:
        """The member's answer for a check-in held back for its crisis note (R25). Only its
        author may answer, once; until then, and if they never do, it stays private."""
        now = self._clock.now()
        key = self.key_of(user_id)
        async with self._sessions.begin() as session:
            checkin = await session.get(Checkin, checkin_id)
            if checkin is None or checkin.member_key != key:
                raise UserFacingError("Only the person who wrote this check-in can choose.")
            held = checkin.held_for
            if held not in ("named", "anonymous"):
                raise UserFacingError(
                    "You've already chosen for this check-in. `/checkin history` shows it."
                )
            if now - checkin.created_at > HOLD_FOR:
                raise UserFacingError(
                    "That check-in stayed private, and it's too late to share it now. You can "
                    "check in again any time."
                )
            share: Share = "anonymous" if held == "anonymous" else "named"
            checkin.held_for = None
            if choice == "private":
                return Chosen("private", share, None, None, None)
            if config is None or config.checkin_channel_id is None or checkin.guild_id is None:
                raise UserFacingError(
                    "This server has no check-in channel any more, so your check-in stays private."
                )
            checkin.share = share
            checkin.note_shared = choice == "full"
            post_after = None
            if share == "anonymous":
                row = self._anonymous_post(
                    checkin.guild_id, user_id, config.checkin_channel_id, config, now
                )
                post = AnonymousPost(checkin_id=checkin.id, **row)
                session.add(post)
                await session.flush()
                post_after = post.post_after
                await Scheduler.add(
                    session, source=f"anon:{post.id}", kind="anonymous", due_at=post_after,
                    payload={},
                )  # fmt: skip
                chosen = Chosen(share, share, config.checkin_channel_id, post.id, post.pseudonym)
            else:
                chosen = Chosen(share, share, config.checkin_channel_id, None, None)
            entry = _entry(self._keyring, checkin, ZoneInfo("UTC"))
        if post_after is not None:
            await self._scheduler.scheduled(post_after)
        return dataclasses.replace(chosen, entry=entry if choice == "full" else _bare(entry))

    async def last_choice(self, key: str) -> Share:
        """The member's last sharing choice: from the cache, or read once and remembered."""
        cached = self.choices.get(key)
        if cached is not None:
            return cached
        generation = self.choices.generation
        found = await self._choice_reads.submit(key)
        return self.choices.fill(key, found, generation)

    def forget(self, user_id: int) -> None:
        """The member's data was deleted: nothing about them stays in memory either."""
        key = self.key_of(user_id)
        self.choices.forget_where(lambda cached: cached == key)

    async def _where_it_goes(
        self, draft: CheckinDraft, config: GuildConfig | None, key: str, now: datetime
    ) -> tuple[Share, Share, str | None, datetime | None]:
        """The share the member asked for (or last used), the one that applies, and why. A
        private check-in needs nothing from the database and opens no session."""
        requested = draft.share if draft.share is not None else await self.last_choice(key)
        if requested == "private":
            return requested, "private", None, None
        if draft.guild_id is None or config is None:
            return (
                requested,
                "private",
                "shared check-ins go to a server's check-in channel, and this is a DM",
                None,
            )
        if config.checkin_channel_id is None:
            return (
                requested,
                "private",
                "this server hasn't picked a check-in channel yet",
                None,
            )
        facts = await self._sharing_reads.submit(
            _SharingQuery(draft.guild_id, key, draft.request_key, now)
        )
        if requested == "anonymous" and facts.blocked_until is not None:
            return (
                requested,
                "private",
                "a moderator paused your anonymous posting here",
                facts.blocked_until,
            )
        if facts.shared_recently:
            return (
                requested,
                "private",
                "you shared one a few minutes ago, and shared posts are spaced out",
                None,
            )
        return requested, requested, None, None

    async def _read_choices(self, keys: Sequence[str]) -> list[Share]:
        """The stored last choices of everyone waiting, in one query."""
        async with self._reads() as session:
            rows = await session.execute(
                select(CheckinProfile.member_key, CheckinProfile.last_share).where(
                    CheckinProfile.member_key.in_(set(keys))
                )
            )
            stored = {str(key): share for key, share in rows}
        return [_as_share(stored.get(key)) for key in keys]

    async def _read_sharing(self, queries: Sequence[_SharingQuery]) -> list[_SharingFacts]:
        """Blocks and recent shared check-ins of everyone waiting to share, in two queries."""
        keys = {query.member_key for query in queries}
        earliest = min(query.now for query in queries) - SHARE_COOLDOWN
        async with self._reads() as session:
            blocks = await session.execute(
                select(AnonymousBlock.guild_id, AnonymousBlock.member_key, AnonymousBlock.until)
                .where(AnonymousBlock.member_key.in_(keys))
            )  # fmt: skip
            blocked = {(int(g), str(k)): until for g, k, until in blocks}
            shared = await session.execute(
                select(
                    Checkin.guild_id, Checkin.member_key, Checkin.request_key, Checkin.created_at
                ).where(
                    Checkin.member_key.in_(keys),
                    Checkin.share != "private",
                    Checkin.created_at > earliest,
                )
            )  # fmt: skip
            recent: dict[tuple[int | None, str], list[tuple[int, datetime]]] = {}
            for guild, member, request_key, created_at in shared:
                recent.setdefault((guild, member), []).append((request_key, created_at))
        facts = []
        for query in queries:
            until = blocked.get((query.guild_id, query.member_key))
            cutoff = query.now - SHARE_COOLDOWN
            facts.append(
                _SharingFacts(
                    blocked_until=until if until is not None and until > query.now else None,
                    shared_recently=any(
                        request_key != query.request_key and created_at > cutoff
                        for request_key, created_at in recent.get(
                            (query.guild_id, query.member_key), ()
                        )
                    ),
                )
            )
        return facts

    async def _write(self, rows: Sequence[_Row]) -> list[Saved]:
        """One transaction for the whole batch, in few statements: the check-ins in one
        INSERT ... ON CONFLICT DO NOTHING RETURNING, the sharing choices in one upsert."""
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            fresh: dict[int, _Row] = {}
            for row in rows:
                fresh.setdefault(row.request_key, row)
            # Core, executemany: one compiled statement whatever the batch size, and none of
            # the ORM's bulk bookkeeping.
            connection = await session.connection()
            checkins = Checkin.__table__
            added = await connection.execute(
                insert(checkins)
                .on_conflict_do_nothing(index_elements=["request_key"])
                .returning(checkins.c.request_key, checkins.c.id),
                [row.checkin for row in fresh.values()],
            )
            ids: dict[int, int] = {int(key): int(id_) for key, id_ in added.all()}
            new_keys = set(ids)
            missing = [key for key in fresh if key not in ids]
            if missing:  # submitted before: the earlier check-in stands (R15)
                earlier = await session.execute(
                    select(Checkin.request_key, Checkin.id).where(Checkin.request_key.in_(missing))
                )
                ids.update({int(key): int(id_) for key, id_ in earlier.all()})
            posts: dict[int, int] = {}  # request key -> anonymous post id
            wanted = {
                ids[key]: (key, row.post)
                for key, row in fresh.items()
                if key in new_keys and row.post is not None
            }
            if wanted:
                table = AnonymousPost.__table__
                added_posts = await connection.execute(
                    insert(table).returning(table.c.checkin_id, table.c.id),
                    [
                        {"checkin_id": checkin_id, **post}
                        for checkin_id, (_, post) in wanted.items()
                    ],
                )
                bookings = []
                for checkin_id, post_id in added_posts.all():
                    key, post = wanted[int(checkin_id)]
                    posts[key] = int(post_id)
                    bookings.append(Booking(f"anon:{post_id}", "anonymous", post["post_after"], {}))
                await Scheduler.add_many(session, bookings)
            chosen = {
                str(row.checkin["member_key"]): row.requested
                for key, row in fresh.items()
                if key in new_keys
            }
            if chosen:
                now = self._clock.now()
                upsert = insert(CheckinProfile.__table__)
                await connection.execute(
                    upsert.on_conflict_do_update(
                        index_elements=["member_key"],
                        set_={
                            "last_share": upsert.excluded.last_share,
                            "updated_at": upsert.excluded.updated_at,
                        },
                    ),
                    [
                        {"member_key": k, "last_share": s, "updated_at": now}
                        for k, s in chosen.items()
                    ],
                )
            results: list[Saved] = []
            for row in rows:
                key = row.request_key
                first = key in new_keys and fresh[key] is row
                post_id = posts.get(key) if first else None
                results.append(Saved(ids[key], post_id, not first))
        # Committed: only now may readers see the new choices.
        for member, share in chosen.items():
            self.choices.put(member, share)
        return results

    async def signals(self, user_id: int, mood: int, sober: str, zone: str) -> Signals:
        """Mood 1 on the previous day too, or a "no" after a run of sober days."""
        key = self.key_of(user_id)
        now = self._clock.now()
        tz = ZoneInfo(zone)
        today = now.astimezone(tz).date()
        async with self._reads() as session:
            earlier = list(
                await session.execute(
                    select(Checkin.created_at, Checkin.mood, Checkin.sober)
                    .where(Checkin.member_key == key, Checkin.created_at > now - timedelta(days=8))
                    .order_by(Checkin.created_at.desc())
                )
            )
            streak = await session.scalar(
                select(SobrietyStreak).where(
                    SobrietyStreak.member_key == key, SobrietyStreak.ended_on.is_(None)
                )
            )
        before_today = [row for row in earlier if row[0].astimezone(tz).date() < today]
        yesterday = today - timedelta(days=1)
        low_again = mood == 1 and any(
            row[1] == 1 and row[0].astimezone(tz).date() == yesterday for row in before_today
        )
        sober_run = [row[2] for row in before_today[:3]]
        slip = sober == "no" and (
            (len(sober_run) == 3 and all(value == "yes" for value in sober_run))
            or (streak is not None and (today - streak.started_on).days >= 1)
        )
        return Signals(low_mood_again=low_again, slip_after_streak=slip)

    async def entries(self, user_id: int, zone: str, days: int) -> list[Entry]:
        """The member's own check-ins of the last `days` days, oldest first, notes decrypted."""
        tz = ZoneInfo(zone)
        since = self._clock.now() - timedelta(days=days)
        # On the read connection, and plain columns rather than ORM objects: a year of
        # check-ins must not hold up the writer, nor the event loop for long.
        async with self._reads() as session:
            rows = await session.execute(
                select(*_ENTRY_COLUMNS)
                .where(Checkin.member_key == self.key_of(user_id), Checkin.created_at >= since)
                .order_by(Checkin.created_at)
            )
            return [_entry(self._keyring, row, tz) for row in rows]

    def summarize(self, entries: Sequence[Entry], today: date) -> Summary:
        moods = [entry.mood for entry in entries]
        hours = [entry.sleep_hours for entry in entries if entry.sleep_hours is not None]
        trend = "not enough check-ins yet to see a trend"
        if len(moods) >= 4:
            half = len(moods) // 2
            change = sum(moods[half:]) / len(moods[half:]) - sum(moods[:half]) / half
            trend = "rising" if change >= 0.5 else "falling" if change <= -0.5 else "steady"
        days_in = {entry.local.date() for entry in entries}
        streak, day = 0, today
        while day in days_in:
            streak += 1
            day -= timedelta(days=1)
        sober_days = sorted({entry.local.date() for entry in entries if entry.sober == "yes"})
        longest = run = 0
        for index, day in enumerate(sober_days):
            run = run + 1 if index and (day - sober_days[index - 1]).days == 1 else 1
            longest = max(longest, run)
        return Summary(
            count=len(entries),
            days=len(days_in),
            average_mood=sum(moods) / len(moods) if moods else None,
            average_sleep=sum(hours) / len(hours) if hours else None,
            trend=trend,
            checkin_streak=streak,
            sober_days=len(sober_days),
            longest_sober_run=longest,
            cravings={name: sum(1 for e in entries if e.cravings == name) for name in CRAVINGS},
        )

    def _queue(self, row: _Row) -> asyncio.Future[Saved]:
        key = row.request_key
        self._unsaved[key] = row
        future = self.writer.submit(row)

        def settled(done: asyncio.Future[Saved]) -> None:
            if self._unsaved.get(key) is row:
                del self._unsaved[key]
            if done.cancelled() or done.exception() is not None:
                return  # a spooled copy stays for the next start
            if key in self._spooled and self._spool is not None:
                self._spooled.discard(key)
                self._spool.release(key)

        future.add_done_callback(settled)
        return future

    async def _hold(self, keys: Sequence[int]) -> None:
        """Put unsaved check-ins in the spool, so a stop or crash cannot lose them."""
        if self._spool is None:
            return
        rows = [(key, row) for key in keys if (row := self._unsaved.get(key)) is not None]
        rows = [(key, row) for key, row in rows if key not in self._spooled]
        if not rows:
            return
        spool = self._spool

        def write() -> None:
            for key, row in rows:
                spool.keep(key, row.document())

        try:
            await asyncio.to_thread(write)
        except OSError as error:
            log.error("Could not keep %d held check-in(s) in the spool (%s)", len(rows), error)
            return
        for key, _ in rows:
            if key in self._unsaved:
                self._spooled.add(key)
            else:
                spool.release(key)  # committed while it was being written

    def replay_held(self) -> int:
        """At start: queue the check-ins a stopped or crashed process was holding. Each is
        released from the spool once committed; one saved before already stays as it was."""
        if self._spool is None:
            return 0
        held = self._spool.held()
        for key, document in held:
            self._spooled.add(key)
            self._queue(_Row.from_document(document))
        if held:
            log.info("Saving %d held check-in(s) kept from before the last stop", len(held))
        return len(held)

    async def close(self) -> None:
        # Whatever is not committed yet goes to the spool first: saved at the next start.
        await self._hold(list(self._unsaved))
        await self.writer.close()
        await self._choice_reads.close()
        await self._sharing_reads.close()


_ENTRY_COLUMNS = (
    Checkin.created_at, Checkin.mood, Checkin.sleep_hours, Checkin.sleep_quality,
    Checkin.cravings, Checkin.sober, Checkin.share, Checkin.note_encrypted, Checkin.request_key,
)  # fmt: skip


def _entry(keyring: Keyring, row: Any, tz: ZoneInfo) -> Entry:
    """An Entry from a Checkin, or from a row of _ENTRY_COLUMNS."""
    return Entry(
        at=row.created_at,
        local=row.created_at.astimezone(tz),
        mood=row.mood,
        sleep_hours=row.sleep_hours,
        sleep_quality=row.sleep_quality,
        cravings=row.cravings,
        sober=row.sober,
        share=row.share,
        note=note_of(keyring, row),
    )


def _bare(entry: Entry) -> Entry:
    return dataclasses.replace(entry, note=None)


def validate_days(days: int | None, default: int = HISTORY_DAYS) -> int:
    if days is None:
        return default
    if not 1 <= days <= REPORT_MAX_DAYS:
        raise UserFacingError(f"Pick a number of days from 1 to {REPORT_MAX_DAYS}.")
    return days
