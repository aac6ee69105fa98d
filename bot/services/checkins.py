"""Check-ins: mood, sleep, cravings and sober-today, with an optional note, kept privately,
shared anonymously or shared by name.

A check-in row shows nothing in the clear but its server and its week (R23): what it says,
its exact time and where it was shared are encrypted and padded to one length (R16), and
its owner is sealed afresh on every row (bot/services/ownership.py). An anonymous post is a
row of its own with its own sealed owner and no reference to the check-in. A repeated
submission of the same check-in saves nothing new (R15).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.cache import WriteThroughCache
from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
from bot.db.models import (
    AnonymousBlock,
    AnonymousPost,
    Checkin,
    CheckinProfile,
    MentorRequest,
    Occurrence,
)
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import PENDING, Kind, Scheduler
from bot.services.crisis import assess
from bot.services.crypto import UNREADABLE, decrypt_or_none, seal
from bot.services.guild_settings import LIMITS, MIN_ANONYMOUS_DELAY_MINUTES, GuildConfig
from bot.services.journal import current_streak
from bot.services.ownership import Owners, owned_rows, post_context, request_digest
from bot.services.pseudonyms import draw_pseudonym, storage_week, week_label
from bot.services.rhythm import next_local
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
# The longest spacing any server's delay asks for (see `spacing`): memory keeps no longer.
MAX_SPACING = 2 * timedelta(minutes=LIMITS["anonymous_delay_minutes"][1])
# A member who asked a peer mentor by name: their anonymous posts waiting then, or made in the
# HOLD_BACK[1] after, appear this far on, so the moment of the request (the mentors see a
# name) and the moment of the post tell nothing about each other.
HOLD_BACK = (timedelta(hours=1), timedelta(hours=4))
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


# Every check-in and post is padded to this length (bytes), so the stored size says nothing
# about its note. Notes are limited in characters, not bytes: the size holds NOTE_MAX of the
# widest (4 bytes in UTF-8, as an emoji; a Cyrillic or Hebrew letter takes 2, a Chinese one
# 3), so a long note in any script is stored as long as a short English one.
CONTENT_SIZES = (4608,)
# A check-in keeps its note apart (padded the same way, and there even when empty), so a
# note that cannot be read still leaves the check-in readable (R28).
DATA_SIZES = (384,)
# Anonymous post ids are drawn from here: ten digits, within a 32-bit integer column.
POST_IDS = (10**9, 2**31 - 1)
# The remembered sharing choice ("named", "private", "anonymous") padded to one length.
CHOICE_SIZES = (16,)
CHECKIN_CONTEXT = "checkin:{digest}"
NOTE_CONTEXT = "checkin-note:{digest}"


@dataclass(frozen=True)
class Content:
    """What a check-in says: the part an anonymous post shows."""

    mood: int
    sleep_hours: float | None
    sleep_quality: str | None
    cravings: str
    sober: str
    note: str | None

    def sealed(self, keyring: Keyring, *, context: str, **extra: Any) -> bytes:
        return seal(keyring, _json({**self.__dict__, **extra}), context=context,
                    sizes=CONTENT_SIZES)  # fmt: skip

    @classmethod
    def of(cls, values: dict[str, Any]) -> Content:
        return cls(
            mood=int(values["mood"]),
            sleep_hours=values.get("sleep_hours"),
            sleep_quality=values.get("sleep_quality"),
            cravings=str(values["cravings"]),
            sober=str(values["sober"]),
            note=values.get("note"),
        )


def read_sealed(keyring: Keyring, blob: bytes, *, context: str) -> dict[str, Any] | None:
    """A sealed JSON value, or None when no configured key opens it (logged with the key id
    only, R28)."""
    plain = decrypt_or_none(keyring, blob, context=context, what="check-in")
    if plain is None:
        return None
    try:
        return dict(json.loads(plain))
    except ValueError:
        return None


@dataclass(frozen=True)
class StoredCheckin:
    """A check-in row opened with the keys. `held_for`: kept private for its crisis note
    until the member chooses (R25), the share they asked for."""

    id: int
    guild_id: int | None
    at: datetime
    share: str
    content: Content
    held_for: str | None = None
    note_shared: bool | None = None

    def sealed(self, keyring: Keyring, digest: str) -> tuple[bytes, bytes]:
        """The row's `data` and `note`."""
        values = {**self.content.__dict__, "note": None, "at": self.at.isoformat(),
                  "share": self.share, "held_for": self.held_for,
                  "note_shared": self.note_shared}  # fmt: skip
        data = seal(keyring, _json(values), context=CHECKIN_CONTEXT.format(digest=digest),
                    sizes=DATA_SIZES)  # fmt: skip
        note = seal(keyring, _json({"note": self.content.note}),
                    context=NOTE_CONTEXT.format(digest=digest), sizes=CONTENT_SIZES)  # fmt: skip
        return data, note


def _json(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def open_checkin(keyring: Keyring, row: Checkin) -> StoredCheckin | None:
    """The check-in, or None when its data cannot be read; a note that cannot be read
    shows as UNREADABLE."""
    values = read_sealed(
        keyring, row.data, context=CHECKIN_CONTEXT.format(digest=row.request_digest)
    )
    if values is None:
        return None
    note = read_sealed(keyring, row.note, context=NOTE_CONTEXT.format(digest=row.request_digest))
    values["note"] = UNREADABLE if note is None else note.get("note")
    return StoredCheckin(
        row.id,
        row.guild_id,
        datetime.fromisoformat(values["at"]),
        str(values["share"]),
        Content.of(values),
        values.get("held_for"),
        values.get("note_shared"),
    )


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
    profile: dict[str, Any] | None  # the member's choice in this server, remembered
    request_key: int  # the interaction id: names the held spool's file, never stored

    @property
    def digest(self) -> str:
        return str(self.checkin["request_digest"])

    def document(self) -> dict[str, Any]:
        """Plain JSON, for the held spool (itself encrypted)."""
        return {
            "checkin": _plain_values(self.checkin),
            "post": None if self.post is None else _plain_values(self.post),
            "profile": None if self.profile is None else _plain_values(self.profile),
        }

    @classmethod
    def from_document(cls, key: int, document: dict[str, Any]) -> _Row:
        post, profile = document["post"], document["profile"]
        return cls(
            _typed_values(document["checkin"]),
            None if post is None else _typed_values(post),
            None if profile is None else _typed_values(profile),
            key,
        )


def _plain_values(values: dict[str, Any]) -> dict[str, Any]:
    """Bytes, dates and times as tagged strings, so they come back as what they were."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"bytes": value.hex()}
        if isinstance(value, datetime):
            return {"datetime": value.isoformat()}
        if isinstance(value, date):
            return {"date": value.isoformat()}
        return value

    return {name: plain(value) for name, value in values.items()}


def _typed_values(values: dict[str, Any]) -> dict[str, Any]:
    def typed(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((kind, text),) = value.items()
            if kind == "bytes":
                return bytes.fromhex(text)
            if kind == "datetime":
                return datetime.fromisoformat(text)
            if kind == "date":
                return date.fromisoformat(text)
        return value

    return {name: typed(value) for name, value in values.items()}


@dataclass(frozen=True)
class Saved:
    checkin_id: int
    post_id: int | None
    duplicate: bool


@dataclass(frozen=True)
class _Decision:
    requested: Share
    share: Share
    reason: str | None = None
    block_until: datetime | None = None
    pseudonym: str | None = None
    held_back: bool = False  # its author asked for a mentor a little while ago
    # Its author shared a little while ago: the post's delay counts from then.
    wait_from: datetime | None = None


@dataclass(frozen=True)
class CheckinResult:
    """What happened: where the check-in went, and why if not where the member asked."""

    share: Share
    requested: Share
    held: bool  # the database was slow: kept on disk, saved as soon as it answers
    checkin_id: int | None
    post_id: int | None
    post_after: datetime | None
    pseudonym: str | None
    channel_id: int | None
    kept_private_because: str | None = None
    block_until: datetime | None = None
    duplicate: bool = False  # the same submission again: nothing new was saved or posted
    note: str | None = None  # the note as stored: cleaned of invisible and control characters
    delay_minutes: int | None = None  # the server's anonymous delay, to tell the member
    release_times: tuple[str, ...] = ()  # or its fixed release times
    # Kept private for its crisis note until the member chooses: the share they asked for.
    held_for: Share | None = None
    # Why the post waits longer than the delay: "mentor" (its author asked for one) or
    # "spacing" (they shared a little while ago).
    waits_because: str | None = None
    # The database was slow and the disk could not keep it either (full): saved only if the
    # database answers before a restart, so the member is not told it is held (R29).
    unsaved: bool = False


@dataclass(frozen=True)
class Chosen:
    """What a member chose for a held-back check-in, and where it goes now."""

    share: Share
    asked_for: Share
    channel_id: int | None
    post_id: int | None
    pseudonym: str | None
    entry: Entry | None = None  # what a named post shows (no note when shared without it)
    post_after: datetime | None = None
    waits_because: str | None = None  # "mentor": its author asked for one a while ago


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


def spacing(config: GuildConfig) -> timedelta:
    """How far apart a member's shares in a server are kept. An anonymous post appears
    between the delay and twice it after its check-in, so a moderator looks for its author
    among those who shared by name in that window before it: a member's named share less
    than twice the delay from their anonymous one would be there. With fixed release times
    the moment of a post says nothing of its check-in, and SHARE_COOLDOWN is enough."""
    if config.anonymous_release_times:
        return SHARE_COOLDOWN
    return max(SHARE_COOLDOWN, 2 * timedelta(minutes=config.delay_minutes))


def release_at(
    config: GuildConfig, now: datetime, rng: secrets.SystemRandom, *, held_back: bool = False
) -> datetime:
    """When an anonymous post submitted now appears: at the server's next fixed release time
    at least the minimum delay away, or after a random wait between the delay and twice it.
    Held back (its author asked for a mentor): HOLD_BACK away, or the release time after.

    Always on a whole second (UTC): a post's moment keeps no fraction of a second from the
    moment it was counted from (the check-in, or the mentor request whose alert the mentors
    see to the millisecond), so every post shares the same fraction, and it says nothing."""
    if held_back:
        low, high = (span.total_seconds() for span in HOLD_BACK)
        later = whole_second(now + timedelta(seconds=rng.uniform(low, high - 1)))
        if config.anonymous_release_times:
            return min(
                next_local(at, config.timezone, later) for at in config.anonymous_release_times
            )
        return later
    floor = timedelta(
        minutes=MIN_ANONYMOUS_DELAY_MINUTES
        if config.anonymous_release_times
        else config.delay_minutes
    )
    if config.anonymous_release_times:
        return min(
            next_local(at, config.timezone, now + floor) for at in config.anonymous_release_times
        )
    wait = rng.uniform(floor.total_seconds(), 2 * floor.total_seconds() - 1)
    return whole_second(now + timedelta(seconds=wait))


def whole_second(moment: datetime) -> datetime:
    """The first whole second at or after `moment`."""
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


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
        # The member's last sharing choice per server, in memory: (server, member) -> choice.
        self.choices: WriteThroughCache[tuple[int, int], Share] = WriteThroughCache()
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)
        self._scheduler = scheduler
        self._spool = spool
        self._rng = secrets.SystemRandom()
        self.writer: BatchWriter[_Row, Saved] = BatchWriter(self._write, name="check-ins")
        self.save_wait = SAVE_WAIT
        self.decide_budget = DECIDE_BUDGET
        # Submitted and not yet committed; those also in the spool are released once committed.
        self._unsaved: dict[int, _Row] = {}
        self._spooled: set[int] = set()
        # When each member last shared in each server, and how, in this process's memory; in
        # the first moments after a start, read back from the sealed check-ins instead (see
        # `_last_share`). A guild is served by one process.
        self._shared_at: dict[tuple[int, int], tuple[datetime, Share]] = {}
        self._started_at = clock.now()

    async def submit(self, draft: CheckinDraft, config: GuildConfig | None) -> CheckinResult:
        """Save a check-in (and queue its anonymous post); never loses it (see BatchWriter)."""
        if draft.mood not in MOODS:
            raise UserFacingError("Pick your mood from 1 (very low) to 5 (very good).")
        if draft.cravings not in CRAVINGS or draft.sober not in SOBER:
            raise UserFacingError("Pick cravings and sober-today from the lists.")
        hours, quality = parse_sleep(draft.sleep)
        note = optional_text(draft.note, field="Your note", max_length=NOTE_MAX, multiline=True)
        now = self._clock.now()
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(self.decide_budget):
                decided = await self._where_it_goes(draft, config, now)
        except (TimeoutError, DBAPIError, OSError):
            # Without the database the checks can't run: keep it private, never drop it.
            decided = _Decision(draft.share or "private", "private", UNCHECKED)
        # Never broadcast a crisis (R25): kept private until the member has seen the crisis
        # card and chosen what to share.
        held_for: Share | None = None
        if decided.share != "private" and assess(note).crisis:
            held_for = decided.share
            decided = dataclasses.replace(decided, share="private", pseudonym=None)
        content = Content(draft.mood, hours, quality, draft.cravings, draft.sober, note)
        digest = request_digest(self._keyring, draft.request_key)
        stored = StoredCheckin(0, draft.guild_id, now, decided.share, content, held_for)
        data, sealed_note = stored.sealed(self._keyring, digest)
        row = dict(
            guild_id=draft.guild_id,
            week=storage_week(now),
            owner=self._owners.seal_user("checkins", draft.user_id),
            request_digest=digest,
            data=data,
            note=sealed_note,
        )
        post: dict[str, Any] | None = None
        if (
            decided.share == "anonymous"
            and decided.pseudonym is not None
            and draft.guild_id is not None
            and config is not None
            and config.checkin_channel_id is not None
        ):
            post = dict(
                guild_id=draft.guild_id,
                channel_id=config.checkin_channel_id,
                week=week_label(now, config.timezone),
                owner=self._owners.seal_user("anonymous_posts", draft.user_id),
                pseudonym=decided.pseudonym,
                state="pending",
                post_after=release_at(config, decided.wait_from or now, self._rng),
                content=content.sealed(self._keyring, context=post_context(draft.guild_id)),
            )
            if decided.held_back:
                held = release_at(config, now, self._rng, held_back=True)
                post["post_after"] = max(post["post_after"], held)
        profile = None
        if draft.guild_id is not None and draft.share is not None:
            tag = self._owners.tag("share", draft.guild_id, f"u:{draft.user_id}")
            profile = dict(
                tag=tag,
                guild_id=draft.guild_id,
                owner=self._owners.seal_user("checkin_profiles", draft.user_id),
                choice=seal_choice(self._keyring, draft.guild_id, draft.share),
            )
        if decided.share != "private" and draft.guild_id is not None:
            self._note_shared(draft.guild_id, draft.user_id, now, decided.share)
        future = self._queue(_Row(row, post, profile, draft.request_key))
        # asyncio.wait leaves the future running on timeout: the writer keeps the check-in.
        # SAVE_WAIT counts from the submission: time the checks took (a database that does not
        # answer costs them their whole budget) comes out of it, so the member hears no later.
        waited = asyncio.get_running_loop().time() - started
        await asyncio.wait((future,), timeout=max(self.save_wait - waited, 0))
        told = dict(
            delay_minutes=config.delay_minutes if config is not None else None,
            release_times=config.anonymous_release_times if config is not None else (),
        )
        if not future.done():
            # Written to the spool before the member hears it is held (R29).
            kept = await self._hold([draft.request_key])
            return CheckinResult(
                share=decided.share,
                requested=decided.requested,
                held=kept,
                unsaved=not kept,
                checkin_id=None,
                post_id=None,
                post_after=None,
                pseudonym=None,
                channel_id=None,
                kept_private_because=decided.reason,
                block_until=decided.block_until,
                held_for=held_for,
                **told,  # type: ignore[arg-type]  # the two fields above
            )
        saved = future.result()
        if profile is not None and draft.guild_id is not None and draft.share is not None:
            # Committed: only now may readers see the new choice.
            self.choices.put((draft.guild_id, draft.user_id), draft.share)
        post_after: datetime | None = post["post_after"] if post is not None else None
        if post_after is not None and not saved.duplicate:
            await self._scheduler.scheduled(post_after)
        shared = config is not None and decided.share != "private"
        return CheckinResult(
            share=decided.share,
            requested=decided.requested,
            held=False,
            checkin_id=saved.checkin_id,
            post_id=saved.post_id,
            post_after=post_after,
            pseudonym=decided.pseudonym,
            channel_id=config.checkin_channel_id if config is not None and shared else None,
            kept_private_because=decided.reason,
            block_until=decided.block_until,
            duplicate=saved.duplicate,
            note=note,
            held_for=held_for,
            waits_because=_waits_because(decided) if post is not None else None,
            **told,  # type: ignore[arg-type]  # the two fields above
        )

    async def group_of(self, user_id: int, checkin_id: int) -> int | None:
        """The server a member's own check-in is for (what a choice for it made outside that
        server shares to); None if it has none or isn't theirs."""
        async with self._reads() as session:
            row = await session.get(Checkin, checkin_id)
        if row is None or not self._owners.matcher("checkins", user_id)(row.owner):
            return None
        return row.guild_id

    async def choose(
        self, user_id: int, checkin_id: int, choice: HeldChoice, config: GuildConfig | None
    ) -> Chosen:
        """The member's answer for a check-in held back for its crisis note (R25). Only its
        author may answer, once; until then, and if they never do, it stays private. An
        anonymous one gets a post of its own, as any anonymous check-in does."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            # Locked (FOR UPDATE on PostgreSQL; SQLite's write transactions already run one
            # at a time): of quick presses, the first answers and the others then read it
            # as already chosen, so the check-in is shared once.
            row = await session.get(Checkin, checkin_id, with_for_update=True)
            mine = row is not None and self._owners.matcher("checkins", user_id)(row.owner)
            stored = open_checkin(self._keyring, row) if row is not None and mine else None
            if row is None or stored is None:
                raise UserFacingError("Only the person who wrote this check-in can choose.")
            if stored.held_for not in ("named", "anonymous"):
                raise UserFacingError(
                    "You've already chosen for this check-in. `/checkin history` shows it."
                )
            if now - stored.at > HOLD_FOR:
                raise UserFacingError(
                    "That check-in stayed private, and it's too late to share it now. You can "
                    "check in again any time."
                )
            share: Share = "anonymous" if stored.held_for == "anonymous" else "named"
            if choice == "private":
                row.data, row.note = dataclasses.replace(stored, held_for=None).sealed(
                    self._keyring, row.request_digest
                )
                return Chosen("private", share, None, None, None)
            if config is None or config.checkin_channel_id is None or row.guild_id is None:
                raise UserFacingError(
                    "This server has no check-in channel any more, so your check-in stays private."
                )
            if share == "anonymous":
                until = await blocked_until(session, self._owners, row.guild_id, user_id)
                if until is not None and until > now:
                    raise UserFacingError(
                        "A moderator paused your anonymous posting here, so this check-in "
                        "stays private."
                    )
            shared = dataclasses.replace(
                stored, share=share, held_for=None, note_shared=choice == "full"
            )
            row.data, row.note = shared.sealed(self._keyring, row.request_digest)
            chosen = Chosen(share, share, config.checkin_channel_id, None, None)
            if share == "anonymous":
                shown = shared.content if choice == "full" else _without_note(shared.content)
                held_back = await asked_for_mentor(session, user_id, now)
                [post_id] = await fresh_post_ids(session, 1)
                post = AnonymousPost(
                    id=post_id,
                    guild_id=row.guild_id,
                    channel_id=config.checkin_channel_id,
                    week=week_label(now, config.timezone),
                    owner=self._owners.seal_user("anonymous_posts", user_id),
                    pseudonym=await self._pseudonym(
                        session, row.guild_id, user_id, week_label(now, config.timezone)
                    ),
                    state="pending",
                    post_after=release_at(config, now, self._rng, held_back=held_back),
                    content=shown.sealed(
                        self._keyring,
                        context=post_context(row.guild_id),
                        note_shared=choice == "full",
                    ),
                )
                session.add(post)
                await session.flush()
                await book_release(session, row.guild_id, post.post_after, post.id)
                chosen = Chosen(share, share, config.checkin_channel_id, post.id,
                                post.pseudonym, post_after=post.post_after,
                                waits_because="mentor" if held_back else None)  # fmt: skip
            entry = _entry(shared, ZoneInfo("UTC"))
        if chosen.post_after is not None:
            await self._scheduler.scheduled(chosen.post_after)
        return dataclasses.replace(
            chosen, entry=entry if choice == "full" else dataclasses.replace(entry, note=None)
        )

    def forget(self, user_id: int) -> None:
        """The member's data was deleted: nothing about them stays in memory either."""
        self._shared_at = {key: last for key, last in self._shared_at.items() if key[1] != user_id}
        self.choices.forget_where(lambda key: key[1] == user_id)

    async def last_choice(self, guild_id: int, user_id: int) -> Share:
        """The member's last sharing choice in this server: remembered, or read once."""
        cached = self.choices.get((guild_id, user_id))
        if cached is not None:
            return cached
        generation = self.choices.generation
        async with self._reads() as session:
            profile = await session.get(
                CheckinProfile, self._owners.tag("share", guild_id, f"u:{user_id}")
            )
        found = "private" if profile is None else _last_choice(self._keyring, profile)
        return self.choices.fill((guild_id, user_id), found, generation)

    def _note_shared(self, guild_id: int, user_id: int, now: datetime, share: Share) -> None:
        self._shared_at = {
            key: last for key, last in self._shared_at.items() if now - last[0] < MAX_SPACING
        } if len(self._shared_at) > 10_000 else self._shared_at  # fmt: skip
        self._shared_at[(guild_id, user_id)] = (now, share)

    async def _last_share(
        self, session: AsyncSession, guild_id: int, user_id: int, now: datetime, within: timedelta
    ) -> tuple[datetime, Share] | None:
        """When and how the member last shared in this server. Memory has every share since
        this process started; in the first `within` after a start (a deploy, a crash) the
        member's stored check-ins of the server are opened instead, as their time and share
        are sealed inside them. Nothing else records it: a row saying when a member last
        shared would carry the moment of a named post (public, so it names the row) and
        date an anonymous check-in to the second."""
        remembered = self._shared_at.get((guild_id, user_id))
        if remembered is not None or now - self._started_at >= within:
            return remembered
        since = now - within
        rows = await owned_rows(
            session, self._owners, Checkin, user_id,
            Checkin.guild_id == guild_id, Checkin.week >= storage_week(since),
        )  # fmt: skip
        opened = (open_checkin(self._keyring, row) for row in rows)
        shared: list[tuple[datetime, Share]] = [
            (item.at, "named" if item.share == "named" else "anonymous")
            for item in opened
            if item is not None and item.share in ("named", "anonymous") and item.at > since
        ]
        return max(shared, default=None)

    async def _where_it_goes(
        self, draft: CheckinDraft, config: GuildConfig | None, now: datetime
    ) -> _Decision:
        """The share the member asked for (or last used here), the one that applies, and why;
        and the member's pseudonym this week when it goes out anonymously."""
        requested: Share = "private"
        if draft.share is not None:
            requested = draft.share
        elif draft.guild_id is not None:
            requested = await self.last_choice(draft.guild_id, draft.user_id)
        if requested == "private":  # needs nothing from the database, and opens no session
            return _Decision(requested, "private")
        async with self._reads() as session:
            if draft.guild_id is None or config is None:
                return _Decision(
                    requested,
                    "private",
                    "shared check-ins go to a server's check-in channel, and this is a DM",
                )
            if config.checkin_channel_id is None:
                return _Decision(
                    requested, "private", "this server hasn't picked a check-in channel yet"
                )
            if requested == "anonymous":
                until = await blocked_until(session, self._owners, draft.guild_id, draft.user_id)
                if until is not None and until > now:
                    return _Decision(
                        requested,
                        "private",
                        "a moderator paused your anonymous posting here",
                        until,
                    )
            apart = spacing(config)
            last = await self._last_share(session, draft.guild_id, draft.user_id, now, apart)
            recent = last is not None and now - last[0] < apart
            # A named share soon after an anonymous one would sit in the window a moderator
            # searches before that post appears: it is kept private instead.
            if last is not None and (
                now - last[0] < SHARE_COOLDOWN
                or (recent and requested == "named" and last[1] == "anonymous")
            ):
                return _Decision(
                    requested,
                    "private",
                    "you shared one a little while ago, and shared posts are spaced out",
                )
            if requested == "named":
                return _Decision(requested, requested)
            pseudonym = await self._pseudonym(
                session, draft.guild_id, draft.user_id, week_label(now, config.timezone)
            )
            held_back = await asked_for_mentor(session, draft.user_id, now)
            return _Decision(
                requested, requested, pseudonym=pseudonym, held_back=held_back,
                wait_from=last[0] + apart if last is not None and recent else None,
            )  # fmt: skip

    async def _pseudonym(
        self, session: AsyncSession, guild_id: int, user_id: int, week: str
    ) -> str:
        return await pseudonym_for(session, self._owners, guild_id, user_id, week)

    async def _write(self, rows: Sequence[_Row]) -> list[Saved]:
        """One transaction for the whole batch, in few statements: the check-ins in one
        INSERT ... ON CONFLICT DO NOTHING RETURNING, the sharing choices in one upsert."""
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            fresh: dict[str, _Row] = {}
            for row in rows:
                fresh.setdefault(row.digest, row)
            # Core, executemany: one compiled statement whatever the batch size, and none of
            # the ORM's bulk bookkeeping.
            connection = await session.connection()
            checkins = Checkin.__table__
            added = await connection.execute(
                insert(checkins)
                .on_conflict_do_nothing(index_elements=["request_digest"])
                .returning(checkins.c.request_digest, checkins.c.id),
                [row.checkin for row in fresh.values()],
            )
            ids: dict[str, int] = {str(key): int(id_) for key, id_ in added.all()}
            new_keys = set(ids)
            missing = [key for key in fresh if key not in ids]
            if missing:  # submitted before: the earlier check-in stands (R15)
                earlier = await session.execute(
                    select(Checkin.request_digest, Checkin.id).where(
                        Checkin.request_digest.in_(missing)
                    )
                )
                ids.update({str(key): int(id_) for key, id_ in earlier.all()})
            new_posts = [key for key, row in fresh.items() if key in new_keys and row.post]
            post_ids = await fresh_post_ids(session, len(new_posts))
            posts: dict[str, AnonymousPost] = {
                key: AnonymousPost(id=post_id, **fresh[key].post)  # type: ignore[arg-type]  # checked above
                for key, post_id in zip(new_posts, post_ids, strict=True)
            }
            if posts:
                session.add_all(list(posts.values()))
                await session.flush()
                earliest: dict[int, AnonymousPost] = {}
                for post in posts.values():
                    soonest = earliest.get(post.guild_id)
                    if soonest is None or post.post_after < soonest.post_after:
                        earliest[post.guild_id] = post
                for guild_id, soonest in earliest.items():
                    await book_release(session, guild_id, soonest.post_after, soonest.id)
            chosen = {
                str(row.profile["tag"]): row.profile
                for key, row in fresh.items()
                if key in new_keys and row.profile is not None
            }
            if chosen:
                upsert = insert(CheckinProfile.__table__)
                await connection.execute(
                    upsert.on_conflict_do_update(
                        index_elements=["tag"],
                        set_={"owner": upsert.excluded.owner, "choice": upsert.excluded.choice},
                    ),
                    list(chosen.values()),
                )
            results: list[Saved] = []
            for row in rows:
                key = row.digest
                first = key in new_keys and fresh[key] is row
                post_id = posts[key].id if first and key in posts else None
                results.append(Saved(ids[key], post_id, not first))
            return results

    async def _own(
        self, session: AsyncSession, user_id: int, since: datetime
    ) -> list[StoredCheckin]:
        """The member's check-ins since `since`, in every server and DMs, oldest first."""
        rows = await owned_rows(
            session, self._owners, Checkin, user_id, Checkin.week >= storage_week(since)
        )
        opened = [open_checkin(self._keyring, row) for row in rows]
        return sorted(
            (item for item in opened if item is not None and item.at >= since),
            key=lambda item: item.at,
        )

    async def signals(self, user_id: int, mood: int, sober: str, zone: str) -> Signals:
        """Mood 1 on the previous day too, or a "no" after a run of sober days."""
        now = self._clock.now()
        tz = ZoneInfo(zone)
        today = now.astimezone(tz).date()
        async with self._reads() as session:
            earlier = await self._own(session, user_id, now - timedelta(days=8))
            streak = await current_streak(session, self._keyring, user_id)
        before_today = sorted(
            (item for item in earlier if item.at.astimezone(tz).date() < today),
            key=lambda item: item.at,
            reverse=True,
        )
        yesterday = today - timedelta(days=1)
        low_again = mood == 1 and any(
            item.content.mood == 1 and item.at.astimezone(tz).date() == yesterday
            for item in before_today
        )
        sober_run = [item.content.sober for item in before_today[:3]]
        slip = sober == "no" and (
            (len(sober_run) == 3 and all(value == "yes" for value in sober_run))
            or (streak is not None and (today - streak.started_on).days >= 1)
        )
        return Signals(low_mood_again=low_again, slip_after_streak=slip)

    async def entries(self, user_id: int, zone: str, days: int) -> list[Entry]:
        """The member's own check-ins of the last `days` days, oldest first, notes decrypted."""
        tz = ZoneInfo(zone)
        since = self._clock.now() - timedelta(days=days)
        async with self._reads() as session:
            stored = await self._own(session, user_id, since)
        return [_entry(item, tz) for item in stored]

    def summarize(self, entries: Sequence[Entry], today: date) -> Summary:
        moods = [entry.mood for entry in entries]
        hours = [entry.sleep_hours for entry in entries if entry.sleep_hours is not None]
        trend = "not enough check-ins yet to see a trend"
        if len(moods) >= 4:
            half = len(moods) // 2
            change = sum(moods[half:]) / len(moods[half:]) - sum(moods[:half]) / half
            trend = "rising" if change >= 0.5 else "falling" if change <= -0.5 else "steady"
        days_in = {entry.local.date() for entry in entries}
        # A streak counts through yesterday until today ends: no check-in yet today doesn't
        # break it.
        streak, day = 0, today if today in days_in else today - timedelta(days=1)
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

    async def _hold(self, keys: Sequence[int]) -> bool:
        """Put unsaved check-ins in the spool, so a stop or crash cannot lose them. False if
        the spool could not keep them (no spool, or a disk that is full or failing)."""
        if self._spool is None:
            return False
        rows = [(key, row) for key in keys if (row := self._unsaved.get(key)) is not None]
        rows = [(key, row) for key, row in rows if key not in self._spooled]
        if not rows:
            return True
        spool = self._spool

        def write() -> None:
            for key, row in rows:
                spool.keep(key, row.document())

        try:
            await asyncio.to_thread(write)
        except OSError as error:
            log.error("Could not keep %d held check-in(s) in the spool (%s)", len(rows), error)
            return False
        for key, _ in rows:
            if key in self._unsaved:
                self._spooled.add(key)
            else:
                spool.release(key)  # committed while it was being written
        return True

    def replay_held(self) -> int:
        """At start: queue the check-ins a stopped or crashed process was holding. Each is
        released from the spool once committed; one saved before already stays as it was."""
        if self._spool is None:
            return 0
        held = self._spool.held()
        for key, document in held:
            self._spooled.add(key)
            self._queue(_Row.from_document(key, document))
        if held:
            log.info("Saving %d held check-in(s) kept from before the last stop", len(held))
        return len(held)

    async def close(self) -> None:
        # Whatever is not committed yet goes to the spool first: saved at the next start.
        await self._hold(list(self._unsaved))
        await self.writer.close()


def _waits_because(decided: _Decision) -> str | None:
    if decided.held_back:
        return "mentor"
    return "spacing" if decided.wait_from is not None else None


def validate_days(days: int | None, default: int = HISTORY_DAYS) -> int:
    if days is None:
        return default
    if not 1 <= days <= REPORT_MAX_DAYS:
        raise UserFacingError(f"Pick a number of days from 1 to {REPORT_MAX_DAYS}.")
    return days


def _entry(item: StoredCheckin, tz: ZoneInfo) -> Entry:
    content = item.content
    return Entry(
        at=item.at, local=item.at.astimezone(tz), mood=content.mood,
        sleep_hours=content.sleep_hours, sleep_quality=content.sleep_quality,
        cravings=content.cravings, sober=content.sober, share=item.share, note=content.note,
    )  # fmt: skip


def _without_note(content: Content) -> Content:
    return dataclasses.replace(content, note=None)


@dataclass(frozen=True)
class ReleaseKind(Kind):
    """ "anon-release:<server>:<token>": a server's anonymous-release delivery. Each booking
    has a token of its own, as two releases may fall on the same moment ((source, due_at) is
    unique)."""

    def source(self, guild_id: int) -> str:
        return self.build(int(guild_id), secrets.token_hex(4))

    def of_server(self, guild_id: int) -> str:
        """What every release delivery of the server begins with."""
        return self.build(int(guild_id), "")

    def parse(self, source: str) -> int:
        """The server."""
        guild_id, _token = self.fields(source, 2)
        return int(guild_id)


RELEASE = ReleaseKind("anonymous", "anon-release")


async def book_release(
    session: AsyncSession, guild_id: int, due: datetime, post_id: int | None, *, move: bool = False
) -> None:
    """Make the server's one anonymous-release delivery due no later than `due` (or, with
    `move`, exactly then), for post `post_id`. The pending one is moved rather than a row
    added for each post: a row added at submission would sit in the deliveries table next to
    whatever its author did just before (a reminder, a counter), and that order would point
    at them. Each release sends
    one post and books the next, at the moment it is sent (a public moment)."""
    payload = {} if post_id is None else {"post": post_id}
    pending = await session.scalar(
        select(Occurrence).where(
            Occurrence.source.startswith(RELEASE.of_server(guild_id), autoescape=True),
            Occurrence.state == PENDING,
        )
    )
    if pending is None:
        await Scheduler.add(
            session, source=RELEASE.source(guild_id), kind=RELEASE.name, due_at=due,
            payload=payload,
        )  # fmt: skip
    elif move or pending.due_at > due or not pending.payload:
        pending.due_at = pending.available_at = due
        pending.payload = payload


def seal_choice(keyring: Keyring, guild_id: int, share: str) -> bytes:
    return seal(keyring, share, context=choice_context(guild_id), sizes=CHOICE_SIZES)


def choice_context(guild_id: int) -> str:
    return f"share:{guild_id}"


def open_choice(keyring: Keyring, profile: CheckinProfile) -> str | None:
    """The remembered choice as stored (padded, or from before padding), or None unreadable."""
    choice = decrypt_or_none(
        keyring, profile.choice, context=choice_context(profile.guild_id), what="sharing choice"
    )
    return None if choice is None else choice.rstrip(" ")


def _last_choice(keyring: Keyring, profile: CheckinProfile) -> Share:
    choice = open_choice(keyring, profile)
    return "anonymous" if choice == "anonymous" else "named" if choice == "named" else "private"


async def blocked_until(
    session: AsyncSession, owners: Owners, guild_id: int, user_id: int
) -> datetime | None:
    """The end of the member's latest pause on anonymous posting in this server, if any: the
    server's block rows (few, and only for blocked authors) opened one by one."""
    blocks = await owned_rows(
        session, owners, AnonymousBlock, user_id, AnonymousBlock.guild_id == guild_id
    )
    return max((block.until for block in blocks), default=None)


async def fresh_post_ids(session: AsyncSession, count: int) -> list[int]:
    """Ids for new anonymous posts, drawn at random and not yet taken. Moderators see a post's
    id (audit lines, the removal answer) and the release delivery names it: an id counted up
    would tell the order posts were submitted in, and a post that appears after one with a
    higher id would be one held back (its author asked for a mentor)."""
    chosen: set[int] = set()
    while len(chosen) < count:
        drawn = {secrets.randbelow(POST_IDS[1] - POST_IDS[0]) + POST_IDS[0]
                 for _ in range(count - len(chosen))}  # fmt: skip
        taken = set(
            await session.scalars(select(AnonymousPost.id).where(AnonymousPost.id.in_(drawn)))
        )
        chosen |= drawn - taken
    return list(chosen)


async def asked_for_mentor(session: AsyncSession, user_id: int, now: datetime) -> bool:
    """Whether the member asked for a peer mentor by name within HOLD_BACK[1], in any
    server: the mentors saw their name then, so a post of theirs must not follow it by
    minutes, there or in another server a moderator may also see. The request's time and
    user id are in the clear already (the member chose to be named)."""
    found = await session.scalar(
        select(MentorRequest.id)
        .where(MentorRequest.user_id == user_id, MentorRequest.created_at > now - HOLD_BACK[1])
        .limit(1)
    )
    return found is not None


async def pseudonym_for(
    session: AsyncSession, owners: Owners, guild_id: int, user_id: int, week: str
) -> str:
    """The member's name this week in this server: the one on their posts of the week, or a
    new one nobody else has."""
    mine = owners.matcher("anonymous_posts", user_id)
    names = set()
    for pseudonym, owner in await session.execute(
        select(AnonymousPost.pseudonym, AnonymousPost.owner).where(
            AnonymousPost.guild_id == guild_id, AnonymousPost.week == week
        )
    ):
        if mine(owner):
            return str(pseudonym)
        names.add(str(pseudonym))
    return draw_pseudonym(names)
