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
import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.cache import WriteThroughCache
from bot.db.engine import SessionFactory
from bot.db.group_commit import BatchReader
from bot.db.models import AnonymousPost, Checkin
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.checkins.anonymous import (
    HELD_UNTIL,
    POST_AFTER,
    asked_for_mentor,
    blocked_until,
    book_release,
)
from bot.services.checkins.held_choice import chosen_from, replace_held
from bot.services.checkins.ids import fresh_ids
from bot.services.checkins.pseudonyms import storage_week, week_label
from bot.services.checkins.rules import (
    CRAVINGS,
    HOLD_FOR,
    MOODS,
    NOTE_MAX,
    SOBER,
    Entry,
    HeldChoice,
    Share,
    Signals,
    parse_sleep,
    release_at,
    share_choice,
    signals_of,
)
from bot.services.checkins.sealed import (
    CHECKIN_CONTEXT,
    Content,
    StoredCheckin,
    asked_for,
    open_checkin,
    read_sealed,
)
from bot.services.checkins.sharing import Ask, Decision, SharingChecks
from bot.services.checkins.sobriety import current_streak
from bot.services.checkins.spool import Spool
from bot.services.checkins.week_names import PSEUDONYM, WeekNames, every_so_often
from bot.services.checkins.writes import DECOY, DUE, CheckinWriter, Row, Saved
from bot.services.crisis import assess
from bot.services.guild_settings import GuildConfig
from bot.services.ownership import Owners, owned_rows, post_context, request_digest
from bot.services.text import optional_text

# How long a member waits for the save before being told it is being held.
SAVE_WAIT = 8.0
# How long the sharing checks (blocks, spacing, last choice) may take before going private.
DECIDE_BUDGET = 2.0
UNCHECKED = "I couldn't reach my database to check this server's settings"
ALREADY_CHOSEN = "You've already chosen for this check-in. `/checkin history` shows it."


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
        # Per server, read once after a start: each identity's latest check-in there, when
        # and the share it asked for (see `_latest_asks`). Nothing else stores the choice.
        self._asked: dict[int, dict[str, tuple[datetime, Share]]] = {}
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)
        self._scheduler = scheduler
        self._rng = secrets.SystemRandom()
        self._writes = CheckinWriter(sessions, spool, keyring)
        self.writer = self._writes.batches
        self.save_wait = SAVE_WAIT
        self.decide_budget = DECIDE_BUDGET
        # The sharing checks of every check-in waiting, in one read; and the memory of when
        # each member last shared in each server (sharing.py).
        self._names = WeekNames(keyring, self._owners)  # each server's pseudonyms of the week
        self._sharing = SharingChecks(
            lambda: self._reads(), keyring, self._owners, self._names, clock.now()
        )
        # The last-choice reads of every check-in waiting, in one read.
        self._choice_reads: BatchReader[tuple[int, int], Share] = BatchReader(self._read_choices)

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
        if draft.share == "private":  # nothing to check, and no timer to set for it
            decided = Decision("private", "private")
        else:
            try:
                async with asyncio.timeout(self.decide_budget):
                    decided = await self._where_it_goes(draft, config, now)
            except (TimeoutError, DBAPIError, OSError):
                # Without the database the checks can't run: keep it private, never drop it.
                decided = Decision(draft.share or "private", "private", UNCHECKED)
        # Never broadcast a crisis (R25): kept private until the member has seen the crisis
        # card and chosen what to share.
        held_for: Share | None = None
        if decided.share != "private" and assess(note).crisis:
            held_for = decided.share
            decided = dataclasses.replace(decided, share="private", pseudonym=None)
        content = Content(draft.mood, hours, quality, draft.cravings, draft.sober, note)
        digest = request_digest(self._keyring, draft.request_key)
        stored = StoredCheckin(0, draft.guild_id, now, decided.share, content, held_for,
                               asked=decided.requested)  # fmt: skip
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
        held_until: datetime | None = None  # held back for a mentor request (sealed in it)
        if (
            decided.share == "anonymous"
            and decided.pseudonym is not None
            and draft.guild_id is not None
            and config is not None
            and config.checkin_channel_id is not None
        ):
            if decided.held_back:
                held_until = release_at(config, now, self._rng, held_back=True)
            hold = {} if held_until is None else {HELD_UNTIL: held_until.isoformat()}
            due = release_at(config, decided.wait_from or now, self._rng)
            post = dict(
                guild_id=draft.guild_id,
                channel_id=config.checkin_channel_id,
                week=week_label(now, config.timezone),
                owner=self._owners.seal_user("anonymous_posts", draft.user_id),
                pseudonym=None,  # sealed in the content until it goes out
                state="pending",
                post_after=None,  # sealed in the content until it goes out
                content=content.sealed(
                    self._keyring, context=post_context(draft.guild_id),
                    **{PSEUDONYM: decided.pseudonym, POST_AFTER: due.isoformat()}, **hold,
                ),
                # Not columns: when the release wakes for it, and a decoy wake drawn with it.
                **{DUE: due, DECOY: release_at(config, now, self._rng)},
            )  # fmt: skip
        if decided.share != "private" and draft.guild_id is not None:
            self._sharing.note_shared(draft.guild_id, draft.user_id, now, decided.share)
        future = self._writes.queue(Row(row, post, draft.request_key))
        # The future keeps running on timeout: the writer keeps the check-in.
        # SAVE_WAIT counts from the submission: time the checks took (a database that does not
        # answer costs them their whole budget) comes out of it, so the member hears no later.
        waited = asyncio.get_running_loop().time() - started
        await settled_within(future, max(self.save_wait - waited, 0))
        told = dict(
            delay_minutes=config.delay_minutes if config is not None else None,
            release_times=config.anonymous_release_times if config is not None else (),
        )
        if not future.done():
            if draft.guild_id is not None:  # remembered once it is committed
                future.add_done_callback(
                    functools.partial(self._remember_saved, draft.guild_id, draft.user_id,
                                      now, decided.requested)
                )  # fmt: skip
            # Written to the spool before the member hears it is held (R29).
            kept = await self._writes.hold([draft.request_key])
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
        if draft.guild_id is not None and not saved.duplicate:
            # Committed: only now may readers see the new choice.
            self._remember(draft.guild_id, draft.user_id, now, decided.requested)
        post_after: datetime | None = post[DUE] if post is not None else None
        if post is not None and not saved.duplicate:
            await self._scheduler.scheduled(min(post[DUE], post[DECOY]))  # the release wakes
        if post_after is not None and held_until is not None:
            post_after = max(post_after, held_until)  # when it appears, as the member is told
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
            if row is None:
                row = await chosen_from(session, self._owners, self._keyring, user_id,
                                        checkin_id, self._clock.now())  # fmt: skip
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
            if row is None and await chosen_from(
                session, self._owners, self._keyring, user_id, checkin_id, now
            ):
                raise UserFacingError(ALREADY_CHOSEN)
            mine = row is not None and self._owners.matcher("checkins", user_id)(row.owner)
            stored = open_checkin(self._keyring, row) if row is not None and mine else None
            if row is None or stored is None:
                raise UserFacingError("Only the person who wrote this check-in can choose.")
            if stored.held_for not in ("named", "anonymous"):
                raise UserFacingError(ALREADY_CHOSEN)
            if now - stored.at > HOLD_FOR:
                raise UserFacingError(
                    "That check-in stayed private, and it's too late to share it now. You can "
                    "check in again any time."
                )
            share: Share = "anonymous" if stored.held_for == "anonymous" else "named"
            if choice == "private":
                await replace_held(session, self._owners, self._keyring, row, user_id,
                                   dataclasses.replace(stored, held_for=None))  # fmt: skip
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
            await replace_held(session, self._owners, self._keyring, row, user_id, shared)
            chosen = Chosen(share, share, config.checkin_channel_id, None, None)
            wake: datetime | None = None  # when the post is due (held back: pushed on then)
            if share == "anonymous":
                shown = shared.content if choice == "full" else _without_note(shared.content)
                held_back = await asked_for_mentor(session, user_id, now)
                until = release_at(config, now, self._rng, held_back=True) if held_back else None
                hold = {} if until is None else {HELD_UNTIL: until.isoformat()}
                [post_id] = await fresh_ids(session, AnonymousPost.id, 1)
                due = release_at(config, now, self._rng)
                pseudonym = await self._pseudonym(
                    session, row.guild_id, user_id, week_label(now, config.timezone)
                )
                post = AnonymousPost(
                    id=post_id,
                    guild_id=row.guild_id,
                    channel_id=config.checkin_channel_id,
                    week=week_label(now, config.timezone),
                    owner=self._owners.seal_user("anonymous_posts", user_id),
                    pseudonym=None,  # sealed in the content until it goes out
                    state="pending",
                    post_after=None,  # sealed in the content until it goes out
                    content=shown.sealed(
                        self._keyring,
                        context=post_context(row.guild_id),
                        note_shared=choice == "full",
                        **{PSEUDONYM: pseudonym, POST_AFTER: due.isoformat()},
                        **hold,
                    ),
                )
                session.add(post)
                await session.flush()
                decoy = release_at(config, now, self._rng)
                await book_release(session, self._keyring, row.guild_id, due, post.id, decoy=decoy)
                wake = min(due, decoy)
                chosen = Chosen(share, share, config.checkin_channel_id, post.id,
                                pseudonym, post_after=max(due, until or now),
                                waits_because="mentor" if held_back else None)  # fmt: skip
            entry = _entry(shared, ZoneInfo("UTC"))
        # Shared now: the start window's shares of its server are read again when next asked.
        self._sharing.shared_again(row.guild_id)
        if wake is not None:
            await self._scheduler.scheduled(wake)
        return dataclasses.replace(
            chosen, entry=entry if choice == "full" else dataclasses.replace(entry, note=None)
        )

    def forget(self, user_id: int) -> None:
        """The member's data was deleted: nothing about them stays in memory either."""
        self._sharing.forget(user_id)
        self.choices.forget_where(lambda key: key[1] == user_id)
        for asked in self._asked.values():
            for identity in self._owners.identities(user_id):
                asked.pop(identity, None)

    def _remember_saved(
        self, guild_id: int, user_id: int, at: datetime, asked: Share, saved: asyncio.Future[Saved]
    ) -> None:
        if not saved.cancelled() and saved.exception() is None and not saved.result().duplicate:
            self._remember(guild_id, user_id, at, asked)

    def _remember(self, guild_id: int, user_id: int, at: datetime, asked: Share) -> None:
        """A check-in of the member's was committed: what it asked for is their choice here."""
        self.choices.put((guild_id, user_id), asked)
        known = self._asked.get(guild_id)
        if known is not None:  # so it still holds once the cache has let the member go
            known[self._owners.identity(user_id)] = (at, asked)

    async def last_choice(self, guild_id: int, user_id: int) -> Share:
        """The member's last sharing choice in this server: what their latest check-in here
        asked for, remembered; "private" if they have none (new, or gone with retention)."""
        cached = self.choices.get((guild_id, user_id))
        if cached is not None:
            return cached
        generation = self.choices.generation
        found = await self._choice_reads.submit((guild_id, user_id))
        return self.choices.fill((guild_id, user_id), found, generation)

    async def _read_choices(self, keys: Sequence[tuple[int, int]]) -> list[Share]:
        """The choices of every check-in waiting: each server's check-ins read once per
        process, for all its members."""
        unread = {guild_id for guild_id, _ in keys} - self._asked.keys()
        if unread:
            async with self._reads() as session:
                for guild_id in unread:
                    self._asked[guild_id] = await latest_asks(
                        session, self._keyring, self._owners, guild_id
                    )
        found: list[Share] = []
        for guild_id, user_id in keys:
            known = self._asked[guild_id]
            mine = [known[key] for key in self._owners.identities(user_id) if key in known]
            found.append(max(mine)[1] if mine else "private")
        return found

    async def _where_it_goes(
        self, draft: CheckinDraft, config: GuildConfig | None, now: datetime
    ) -> Decision:
        """The share the member asked for (or last used here), the one that applies, and why;
        and the member's pseudonym this week when it goes out anonymously."""
        requested: Share = "private"
        if draft.share is not None:
            requested = draft.share
        elif draft.guild_id is not None:
            requested = await self.last_choice(draft.guild_id, draft.user_id)
        if requested == "private":  # needs nothing from the database, and opens no session
            return Decision(requested, "private")
        if draft.guild_id is None or config is None:
            return Decision(
                requested,
                "private",
                "shared check-ins go to a server's check-in channel, and this is a DM",
            )
        if config.checkin_channel_id is None:
            return Decision(
                requested, "private", "this server hasn't picked a check-in channel yet"
            )
        # The rest reads the database: with every other check-in waiting, in one session.
        return await self._sharing.decide(
            Ask(draft.guild_id, draft.user_id, requested, config, now)
        )

    async def _pseudonym(
        self, session: AsyncSession, guild_id: int, user_id: int, week: str
    ) -> str:
        return await self._names.pseudonym_for(session, guild_id, user_id, week)

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
        today = now.astimezone(ZoneInfo(zone)).date()
        async with self._reads() as session:
            earlier = await self._own(session, user_id, now - timedelta(days=8))
            streak = await current_streak(session, self._keyring, user_id)
        answers = [(item.at, item.content.mood, item.content.sober) for item in earlier]
        since = streak.started_on if streak is not None else None
        return signals_of(mood, sober, answers, zone, today, since)

    async def entries(self, user_id: int, zone: str, days: int) -> list[Entry]:
        """The member's own check-ins of the last `days` days, oldest first, notes decrypted."""
        tz = ZoneInfo(zone)
        since = self._clock.now() - timedelta(days=days)
        async with self._reads() as session:
            stored = await self._own(session, user_id, since)
        return [_entry(item, tz) for item in stored]

    def replay_held(self) -> int:
        """At start: queue the check-ins a stopped or crashed process was holding."""
        return self._writes.replay_held()

    async def close(self) -> None:
        """Whatever is not committed yet goes to the spool first: saved at the next start."""
        await self._writes.close()


async def settled_within(future: asyncio.Future[Any], timeout: float) -> None:
    """Wait until `future` is done or `timeout` has passed, leaving it running either way.
    What `asyncio.wait((future,), timeout=...)` does, without its set, task checks and
    callbacks per call: every check-in waits once, so this is on the hot path."""
    if future.done():
        return
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    future.add_done_callback(wake)
    timer = loop.call_later(timeout, wake)
    try:
        await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(wake)


def _waits_because(decided: Decision) -> str | None:
    if decided.held_back:
        return "mentor"
    return "spacing" if decided.wait_from is not None else None


def _entry(item: StoredCheckin, tz: ZoneInfo) -> Entry:
    content = item.content
    return Entry(
        at=item.at, local=item.at.astimezone(tz), mood=content.mood,
        sleep_hours=content.sleep_hours, sleep_quality=content.sleep_quality,
        cravings=content.cravings, sober=content.sober, share=item.share, note=content.note,
    )  # fmt: skip


def _without_note(content: Content) -> Content:
    return dataclasses.replace(content, note=None)


async def latest_asks(
    session: AsyncSession, keyring: Keyring, owners: Owners, guild_id: int
) -> dict[str, tuple[datetime, Share]]:
    """Each identity's latest check-in in the server: when, and the share it asked for.
    One statement, each row opened once: the cost of the check-ins kept, once per start, in
    chunks that let the event loop run between them."""
    latest: dict[str, tuple[datetime, Share]] = {}
    rows = await session.execute(
        select(Checkin.owner, Checkin.data, Checkin.request_digest).where(
            Checkin.guild_id == guild_id
        )
    )
    async for owner, data, digest in every_so_often(rows):
        values = read_sealed(keyring, data, context=CHECKIN_CONTEXT.format(digest=digest))
        identity = owners.identity_of(Checkin.__tablename__, owner)
        if values is None or identity is None:
            continue
        at = datetime.fromisoformat(values["at"])
        if identity not in latest or latest[identity][0] < at:
            latest[identity] = (
                at,
                share_choice(
                    asked_for(values.get("asked"), values.get("held_for"), str(values["share"]))
                ),
            )
    return latest
