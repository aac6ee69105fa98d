"""Anonymous posts after they are queued: posting them, and handling abuse without unmasking.

A post is found by its Discord message id (the public message's buttons carry no ids).
Whether the person asking wrote it is decided by opening the post's sealed owner inside this
service, and only the answer leaves it. Moderators can remove a post and pause its author's
anonymous posting for a while; the pause is a row that exists only for blocked authors,
under a tag recomputed from the author and server, so it follows them across pseudonym
weeks and nobody, moderators included, learns who it is. Audit lines name the post, never
the author. Every "no" (no such post, another server's, not yours) reads the same.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory, checkpoint_log
from bot.db.models import AnonymousBlock, AnonymousPost, GuildSettings, MentorRequest, Occurrence
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import CLAIMED, LATE, Delivery, Due, Scheduler
from bot.services import audit
from bot.services.checkins.ids import fresh_ids
from bot.services.checkins.kinds import RELEASE
from bot.services.checkins.pseudonyms import week_label
from bot.services.checkins.rules import HOLD_BACK, release_at, whole_second, worrying
from bot.services.checkins.sealed import Content, read_sealed, seal_content
from bot.services.checkins.week_names import PSEUDONYM, WeekNames, pseudonym_of
from bot.services.crisis import assess
from bot.services.crypto import UnreadableError, decrypt_or_none, seal, unseal
from bot.services.guild_settings import GuildConfig, config_of
from bot.services.ownership import Owners, owned_rows, post_context

BLOCK_DAYS = (1, 7, 30)
# A post held up by a Discord outage still goes out within a day; later it would only puzzle.
ANONYMOUS_POST_DEADLINE = timedelta(days=1)
PENDING, POSTED, REMOVED, WITHDRAWN, FAILED = "pending", "posted", "removed", "withdrawn", "failed"
# With nothing waiting, the release delivery looks again at the next midnight UTC: a time
# of no one's making. Booked from the moment it was last moved (a request that kept a post
# private, a withdrawal), it would carry that moment, to the microsecond, for a day.
IDLE = timedelta(days=1)
NOT_FOUND = "I couldn't find that anonymous post. It may have been removed."
# Sealed in a post's content: held back for its author's mentor request until then (see
# `held_until`).
HELD_UNTIL = "held_until"
# Sealed in a waiting post's content beside its pseudonym (week_names.PSEUDONYM): the id its
# author was shown (its first row's), since a waiting post sealed anew is a new row (see
# `replace_waiting`).
SHOWN_ID = "shown_id"
# Sealed in a waiting post's content: when it is due (`due_at`). The post_after column stays
# empty until the post goes out (the channel shows its time then): in the clear, a dump
# showed each waiting post's time, and the one whose time no message in the channel shows
# was the one pushed on (held back for its author's mentor request).
POST_AFTER = "post_after"
# The release delivery's payload: the post it is booked for (or none: a decoy wake), sealed
# to one length (`release_payload`). In the clear, a dump showed which post was due when,
# and no post at that moment said that one was pushed on.
RELEASE_SIZES = (32,)


@dataclass(frozen=True)
class PostContent:
    post_id: int
    guild_id: int
    channel_id: int
    pseudonym: str
    post_after: datetime
    mood: int
    sleep_hours: float | None
    sleep_quality: str | None
    cravings: str
    sober: str
    note: str | None
    crisis_pointer: bool = False  # shared as written after the crisis card: point to /crisis


def shown_note(note: str | None, note_shared: bool | None) -> str | None:
    """The note a shared post may show. A crisis note shows only when its member chose to
    share it as written (R25); one that slipped past the hold is left out, never broadcast."""
    if note_shared is False or (note_shared is None and assess(note).crisis):
        return None
    return note


@dataclass(frozen=True)
class PostRef:
    post_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    state: str
    mine: bool
    on_its_way: bool = False  # its time had come: it may be being posted right now


@dataclass(frozen=True)
class MaybeSent:
    """A withdrawn or removed post whose last send may have reached the channel."""

    post_id: int
    channel_id: int
    pseudonym: str


@dataclass(frozen=True)
class HeldBack:
    """What hold_back did with a member's waiting posts."""

    held: int = 0  # moved hours on
    kept_private: int = 0  # worrying (what brings the mentor offer): not posted at all
    latest: datetime | None = None  # the latest time the held ones are held until


def held_until(values: dict[str, Any]) -> datetime | None:
    """Until when a post (its opened content) is held back for a mentor request, if it is.

    The hold is sealed, never in post_after: a dump shows every waiting post due within
    twice the delay, as any post is; one due hours on would be the one held back, next to
    the request's user id and time. A held post that comes due is pushed on by another
    ordinary delay instead (`pushed_to`), until its hold is over."""
    until = values.get(HELD_UNTIL)
    return datetime.fromisoformat(until) if isinstance(until, str) else None


def shown_id(values: dict[str, Any], post: AnonymousPost) -> int:
    """The id the post's author was shown (its withdraw button carries it)."""
    shown = values.get(SHOWN_ID)
    return shown if isinstance(shown, int) else post.id


def due_at(
    keyring: Keyring, post: AnonymousPost, values: dict[str, Any] | None = None
) -> datetime | None:
    """When the post is (or was) due: its post_after once it has gone out (and on rows
    queued before migration 0027), else sealed in its content (`values`, if already
    opened). None if no key opens it."""
    if post.post_after is not None:
        return post.post_after
    if values is None:
        values = read_sealed(keyring, post.content, context=post_context(post.guild_id))
    at = None if values is None else values.get(POST_AFTER)
    return datetime.fromisoformat(at) if isinstance(at, str) else None


def appears_at(keyring: Keyring, post: AnonymousPost) -> datetime | None:
    """When a post appears (or appeared), as its author is told: when it is due, or, still
    held back, the end of its hold. None if no key opens it."""
    values = read_sealed(keyring, post.content, context=post_context(post.guild_id))
    at = due_at(keyring, post, values)
    until = None if values is None or post.state != PENDING else held_until(values)
    return at if until is None or at is None else max(at, until)


def release_context(guild_id: int) -> str:
    """What a server's release payload is bound to."""
    return f"release:{guild_id}"


def release_payload(keyring: Keyring, guild_id: int, post_id: int | None) -> dict[str, Any]:
    """The payload of a release booked for `post_id` (None: a decoy wake, nothing to send),
    sealed to one length: either reads the same in a dump."""
    plain = json.dumps({"post": post_id})
    sealed = seal(keyring, plain, context=release_context(guild_id), sizes=RELEASE_SIZES)
    return {"sealed": sealed.hex()}


def released_post(keyring: Keyring, guild_id: int, payload: dict[str, Any]) -> int | None:
    """The post a release payload is booked for; None for a decoy wake, or one no key
    opens."""
    sealed = payload.get("sealed")
    try:
        blob = bytes.fromhex(sealed) if isinstance(sealed, str) else None
    except ValueError:
        blob = None
    plain = None if blob is None else decrypt_or_none(
        keyring, blob, context=release_context(guild_id), what="release"
    )  # fmt: skip
    try:
        post = None if plain is None else json.loads(plain).get("post")
    except (ValueError, AttributeError):
        post = None
    return post if isinstance(post, int) else None


def pushed_to(
    config: GuildConfig, now: datetime, until: datetime, rng: secrets.SystemRandom
) -> datetime:
    """The next time of a post held back until `until`, come due at `now`: an ordinary
    delay on (or the next release time), so its post_after looks like any post's. Drawn so
    that the last push lands on `until` itself, when that is an ordinary delay away."""
    if config.anonymous_release_times:
        return release_at(config, now, rng)
    # In whole seconds from the next whole second, as `until` is: a push lands on one.
    start, delay = whole_second(now), 60 * config.delay_minutes
    left = int((until - start).total_seconds())
    if delay <= left < 2 * delay:
        return until
    if left < 2 * delay:  # a hold drawn less than the delay from its post's time
        return release_at(config, now, rng)
    # Never less than the delay short of `until`: the next push can still land on it.
    return start + timedelta(seconds=rng.randint(delay, min(2 * delay - 1, left - delay)))


class AnonymousPostService:
    def __init__(self, sessions: SessionFactory, clock: Clock, keyring: Keyring) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)
        self._rng = secrets.SystemRandom()

    async def ensure_all(self) -> None:
        """At start-up: every server with a check-in channel has its release delivery."""
        async with self._sessions() as session:
            guilds = list(
                await session.scalars(
                    select(GuildSettings.guild_id).where(
                        GuildSettings.checkin_channel_id.is_not(None)
                    )
                )
            )
        for guild_id in guilds:
            await self.book_next(guild_id, self._clock.now())

    async def due_post(self, due: Due, now: datetime) -> PostContent | Delivery:
        """The post this release delivery was booked for, if it is still waiting and its
        time has come. One no key opens, or a day late, is given up (marked failed). One
        still held back for a mentor request is pushed on instead (see `held_until`). A
        release booked for no post (a decoy wake, see `_next_release`) sends nothing."""
        async with self._sessions.begin() as session:
            prepared = await self._due_in(session, due, now)
        if isinstance(prepared, Delivery) and prepared.status == "moved":
            await checkpoint_log(self._sessions)  # a copy of the files keeps no push
        return prepared

    async def _due_in(
        self, session: AsyncSession, due: Due, now: datetime
    ) -> PostContent | Delivery:
        guild_id = RELEASE.parse(due.source)
        waiting = await lock_waiting(session)
        post_id = released_post(self._keyring, guild_id, due.payload)
        renamed = await self._waiting_into_this_week(session, guild_id, waiting, due, post_id, now)
        post_id = renamed.get(post_id, post_id) if post_id is not None else None
        if renamed:  # the renamed rows are new: the decoy draws from the rows as they are now
            waiting = await lock_waiting(session)
        if post_id is None:
            return await self._decoy(session, guild_id, waiting, now)
        post = await session.get(AnonymousPost, post_id)
        if post is None or post.state != PENDING:
            return Delivery("cancelled", "no post waiting for this release")
        values = read_sealed(self._keyring, post.content, context=post_context(post.guild_id))
        at = None if values is None else due_at(self._keyring, post, values)
        if values is None or at is None:
            post.state = FAILED
            return Delivery("cancelled", "the post could not be read with the keys")
        if at > now:
            return Delivery("cancelled", "no post waiting for this release")
        if now - at > ANONYMOUS_POST_DEADLINE:
            # Missed: the scheduler keeps the cause of the last failure (Discord down).
            post.state = FAILED
            return Delivery("skipped_late", "a day past its time", LATE)
        until = held_until(values)
        # A post an earlier attempt may have sent is held no longer: pushed on, it could
        # go out twice.
        if until is not None and until > now and due.uncertain_since is None:
            return await self._push(session, post, values, until, now)
        await _into_this_week(session, self._keyring, self._owners, post, now)
        pseudonym = pseudonym_of(self._keyring, post, values)
        if pseudonym is None:
            post.state = FAILED
            return Delivery("cancelled", "the post has no pseudonym to go out under")
        # It goes out now, under this name: the channel shows it from here on.
        post.pseudonym = pseudonym
        content, note_shared = Content.of(values), values.get("note_shared")
        return PostContent(
            post_id=post.id, guild_id=post.guild_id, channel_id=post.channel_id,
            pseudonym=pseudonym, post_after=at, mood=content.mood,
            sleep_hours=content.sleep_hours, sleep_quality=content.sleep_quality,
            cravings=content.cravings, sober=content.sober,
            note=shown_note(content.note, note_shared), crisis_pointer=note_shared is True,
        )  # fmt: skip

    async def _waiting_into_this_week(
        self,
        session: AsyncSession,
        guild_id: int,
        waiting: list[AnonymousPost],
        due: Due,
        post_id: int | None,
        now: datetime,
    ) -> dict[int, int]:
        """Waiting posts of the server still labelled with an earlier pseudonym week, sealed
        anew (new rows) under this week's label and their author's name of this week, at the
        first wake after Monday 00:00: a waiting row still labelled last week, more than twice
        the delay past midnight, could only be one held back, next to the only mentor request
        before midnight. A post whose send may have landed is left as it is (its nonce is its
        id; it goes out under this week's name by `_into_this_week`). Old id -> new id."""
        zone = config_of(guild_id, await session.get(GuildSettings, guild_id)).timezone
        week = week_label(now, zone)
        stale = [post for post in waiting if post.guild_id == guild_id and post.week != week]
        if not stale:
            return {}
        sent_maybe = set(await _sent_maybe(session, self._keyring, guild_id))
        if due.uncertain_since is None and post_id is not None:
            sent_maybe.discard(post_id)  # this release's own post, never tried yet
        names = WeekNames(self._keyring, self._owners)  # rare: not kept (see _into_this_week)
        renamed: dict[int, int] = {}
        for post in stale:
            if post.id in sent_maybe:
                continue
            values = read_sealed(self._keyring, post.content, context=post_context(guild_id))
            author = self._owners.identity_of("anonymous_posts", post.owner)
            if values is None or author is None or not author.startswith("u:"):
                continue  # no key opens it: given up when due
            name = await names.pseudonym_for(session, guild_id, int(author[2:]), week)
            old_id = post.id
            fresh = await replace_waiting(
                session, self._keyring, self._owners, post, {**values, PSEUDONYM: name}, week=week
            )
            if fresh is not None:
                renamed[old_id] = fresh.id
        return renamed

    async def _push(
        self,
        session: AsyncSession,
        post: AnonymousPost,
        values: dict[str, Any],
        until: datetime,
        now: datetime,
    ) -> Delivery:
        """Push a post still held back on by an ordinary delay, and move the release on
        (`_moved_on`: "moved", it leaves no settled row naming the post at a time it did not
        appear). The pushed post becomes a new row (`replace_waiting`), its new time sealed:
        a backup taken before and one taken after see a post gone and one come in, as at a
        decoy wake (`_decoy`)."""
        guild_id = post.guild_id
        config = config_of(guild_id, await session.get(GuildSettings, guild_id))
        await replace_waiting(
            session, self._keyring, self._owners, post, values,
            post_after=pushed_to(config, now, until, self._rng),
        )  # fmt: skip
        return await self._moved_on(session, guild_id, now)

    async def _decoy(
        self, session: AsyncSession, guild_id: int, waiting: list[AnonymousPost], now: datetime
    ) -> Delivery:
        """A release booked for no post: nothing is sent, and it does to the rows what a push
        does (one waiting post, drawn at random, sealed anew as a new row, unchanged inside;
        every other rewritten), so neither a backup before and after nor the channel tells
        a decoy wake from a push. A post whose send may have landed is left as it is (its
        nonce is its id). `waiting`: every waiting post, locked (`lock_waiting`)."""
        sent_maybe = set(await _sent_maybe(session, self._keyring, guild_id))
        here = [post for post in waiting if post.guild_id == guild_id and post.id not in sent_maybe]
        if here:
            post = self._rng.choice(here)
            context = post_context(guild_id)
            values = read_sealed(self._keyring, post.content, context=context)
            if values is not None:
                await replace_waiting(session, self._keyring, self._owners, post, values)
        return await self._moved_on(session, guild_id, now)

    async def _moved_on(self, session: AsyncSession, guild_id: int, now: datetime) -> Delivery:
        """The release, having sent nothing, booked again (`_next_release`); every waiting
        post rewritten, so the one a push sealed anew is not the only row written."""
        at, post_id = await _next_release(session, self._keyring, self._rng, guild_id, now)
        await touch_waiting(session)
        payload = release_payload(self._keyring, guild_id, post_id)
        return Delivery("moved", moved_to=at, payload=payload)

    async def gone_but_maybe_sent(self, due: Due) -> MaybeSent | None:
        """The post this release tried to send, if it was withdrawn or removed since and the
        attempt may have landed (no message recorded): its copy must be found and taken down."""
        post_id = released_post(self._keyring, RELEASE.parse(due.source), due.payload)
        if post_id is None or due.uncertain_since is None:
            return None
        async with self._sessions() as session:
            post = await session.get(AnonymousPost, post_id)
        if post is None or post.state not in (REMOVED, WITHDRAWN) or post.message_id is not None:
            return None
        return MaybeSent(post.id, post.channel_id, pseudonym_of(self._keyring, post) or "")

    async def book_next(self, guild_id: int, now: datetime, *, done: int | None = None) -> datetime:
        """Book the next release (`_next_release`): for the next waiting post (not `done`,
        just sent) when it is due, or a decoy wake; or the next midnight UTC, to look again."""
        async with self._sessions.begin() as session:
            return await _rebook(session, self._keyring, self._rng, guild_id, now, done=done)

    async def mark_failed(self, post_id: int) -> None:
        async with self._sessions.begin() as session:
            post = await session.get(AnonymousPost, post_id)
            if post is not None and post.state == PENDING:
                post.state = FAILED

    async def mark_unconfirmed(self, post_id: int) -> None:
        """An attempt may have posted it and nothing can tell (see bot.delivery.Unconfirmed):
        taken as posted, never sent again; its message is not known."""
        async with self._sessions.begin() as session:
            post = await session.get(AnonymousPost, post_id)
            if post is not None and post.state == PENDING:
                _went_out(self._keyring, post)

    async def record_posted(self, session: AsyncSession, due: Due, message_id: int) -> None:
        """Inside the scheduler's settling transaction: the post is out, as this message, so
        its author's and moderators' Options can find it (R30)."""
        post_id = released_post(self._keyring, RELEASE.parse(due.source), due.payload)
        post = None if post_id is None else await session.get(AnonymousPost, post_id)
        if post is None:
            return
        if post.message_id is None:  # withdrawn while in flight too: findable, to take down
            post.message_id = message_id
        if post.state == PENDING:
            _went_out(self._keyring, post)

    async def attach_message(self, post_id: int, message_id: int) -> bool:
        """The send returned: record its message on the post. True if the post was withdrawn
        or removed while the send was in flight, so the caller takes the message down."""
        async with self._sessions.begin() as session:
            post = await session.get(AnonymousPost, post_id, with_for_update=True)
            if post is None:
                return False
            if post.message_id is None:
                post.message_id = message_id
            if post.state == PENDING:
                _went_out(self._keyring, post)
                return False
            return post.state in (WITHDRAWN, REMOVED)

    async def find(
        self, user_id: int, *, message_id: int | None = None, post_id: int | None = None
    ) -> PostRef:
        """A post by its message or id, and whether `user_id` wrote it (nothing more)."""
        async with self._sessions() as session:
            post = await self._post(session, message_id=message_id, post_id=post_id)
            mine = self._owners.matcher("anonymous_posts", user_id)(post.owner)
            return PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, mine
            )

    async def claim_shown(
        self, user_id: int, guild_id: int, channel_id: int, message_id: int, pseudonym: str
    ) -> PostRef:
        """The post shown as `message_id` (the bot's own, under `pseudonym`, in the server's
        `channel_id`) when no post has that message: one settled unconfirmed (posted, its
        message never known, see mark_unconfirmed). If exactly one such post matches, the
        message is recorded as its own, so it can be taken down; otherwise NOT_FOUND."""
        async with self._sessions.begin() as session:
            found = list(
                await session.scalars(
                    select(AnonymousPost)
                    .where(
                        AnonymousPost.guild_id == guild_id,
                        AnonymousPost.channel_id == channel_id,
                        AnonymousPost.pseudonym == pseudonym,
                        AnonymousPost.message_id.is_(None),
                        AnonymousPost.state.in_((POSTED, WITHDRAWN, REMOVED)),
                    )
                    .with_for_update()
                )
            )
            taken = await session.scalar(
                select(AnonymousPost.id).where(AnonymousPost.message_id == message_id)
            )
            if len(found) != 1 or taken is not None:
                raise UserFacingError(NOT_FOUND)
            [post] = found
            post.message_id = message_id
            mine = self._owners.matcher("anonymous_posts", user_id)(post.owner)
            return PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, mine
            )

    async def withdraw(self, user_id: int, post_id: int) -> PostRef:
        """The author takes their own post down (or stops it before it appears). `post_id`
        is the id they were shown: a post sealed anew since is found by it (`shown_id`)."""
        now = self._clock.now()
        mine = self._owners.matcher("anonymous_posts", user_id)
        async with self._sessions.begin() as session:
            post = await session.get(AnonymousPost, post_id, with_for_update=True)
            if post is None or not mine(post.owner):
                post = await self._shown_as(session, user_id, post_id)
            if post is None:
                raise UserFacingError(NOT_FOUND)  # the same answer as for no post at all
            if post.state in (REMOVED, WITHDRAWN):
                raise UserFacingError("That post is already gone.")
            at = due_at(self._keyring, post) if post.state == PENDING else None
            on_its_way = at is not None and at <= now
            ref = PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, True,
                on_its_way,
            )  # fmt: skip
            post.state = WITHDRAWN
            return ref

    async def _shown_as(
        self, session: AsyncSession, user_id: int, shown: int
    ) -> AnonymousPost | None:
        """The member's post that was shown to them as `shown`, now a row of another id,
        locked. Looked for again if a push replaces the one found before it is locked."""
        for _ in range(3):
            found = next(
                (
                    post.id
                    for post in await owned_rows(session, self._owners, AnonymousPost, user_id)
                    if post.id != shown
                    and (values := read_sealed(self._keyring, post.content,
                                               context=post_context(post.guild_id))) is not None
                    and values.get(SHOWN_ID) == shown
                ),
                None,
            )  # fmt: skip
            if found is None:
                return None
            post = await session.scalar(
                select(AnonymousPost)
                .where(AnonymousPost.id == found)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if post is not None:
                return post
        return None

    async def remove(
        self, guild_id: int, moderator_id: int, post_id: int, *, block_days: int | None = None
    ) -> tuple[PostRef, datetime | None]:
        """A moderator removes a post, and may pause its author's anonymous posting."""
        if block_days is not None and block_days not in BLOCK_DAYS:
            raise UserFacingError("Pick one of the block lengths offered.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            post = await self._post(session, post_id=post_id)
            if post.guild_id != guild_id:
                raise UserFacingError(NOT_FOUND)  # never "it exists, elsewhere"
            ref = PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, False
            )
            if post.state not in (REMOVED, WITHDRAWN):
                post.state = REMOVED
                audit.record(
                    session,
                    guild_id=guild_id,
                    actor_id=moderator_id,
                    action="posts.remove",
                    target=f"anonymous post #{post.id}",
                    detail=None,
                    at=now,
                )
            until = None
            if block_days is not None:
                author = self._owners.identity_of("anonymous_posts", post.owner)
                if author is None:
                    raise UserFacingError(
                        "I can't tell who wrote that post with the keys I have, so there is "
                        "no one to block."
                    )
                until = now + timedelta(days=block_days)
                session.add(
                    AnonymousBlock(
                        guild_id=guild_id,
                        owner=self._owners.seal("anonymous_blocks", author),
                        until=until,
                    )
                )
                audit.record(
                    session,
                    guild_id=guild_id,
                    actor_id=moderator_id,
                    action="posts.block",
                    target=f"author of anonymous post #{post.id}",
                    detail=f"no anonymous posts for {block_days} day(s)",
                    at=now,
                )
            return ref, until

    async def blocked_until(self, guild_id: int, user_id: int) -> datetime | None:
        async with self._sessions() as session:
            until = await blocked_until(session, self._owners, guild_id, user_id)
        return until if until is not None and until > self._clock.now() else None

    async def hold_back(self, config: GuildConfig, user_id: int) -> HeldBack:
        """`hold_back_in` in a transaction of its own (a request posted by the scheduler)."""
        async with self._sessions.begin() as session:
            return await self.hold_back_in(session, config, user_id, self._clock.now())

    async def hold_back_in(
        self, session: AsyncSession, config: GuildConfig, user_id: int, now: datetime
    ) -> HeldBack:
        """The member is asking for a mentor by name in `config`'s server: their waiting
        anonymous posts must not follow the name. One that says what brings the offer (mood
        1, or not sober) is kept private: not posted at all, since hours later it would still
        point at them. The others are held back well away from now (sealed: see
        `held_until`). In every server, not only that one: a moderator of two servers would
        see a post of theirs in the other minutes after the name. Returns how many were held
        back and kept private, and the latest time they are held until.

        Runs inside the request's own transaction (MentorRequests.open), so no commit of its
        own follows the request's, and rewrites every waiting post (`touch_waiting`), so the
        moved ones carry the same writing transaction as all the others. Each waiting post
        is sealed anew as a new row (`replace_waiting`), whether held or not: backups before
        and after see every waiting post's row replaced, not only the requester's."""
        latest: datetime | None = None
        kept = held = 0
        mine = self._owners.matcher("anonymous_posts", user_id)
        waiting = await lock_waiting(session)
        configs = {config.guild_id: config}
        # A post whose send may have landed stays as it is: held, it would be sent again,
        # past Discord's nonce window, under a later release.
        # (Nor is any post whose send may have landed replaced: its nonce is its id.)
        sent_maybe: set[int] = set()
        for guild_id in {post.guild_id for post in waiting}:
            sent_maybe |= set(await _sent_maybe(session, self._keyring, guild_id))
        gone: set[int] = set()
        for post in waiting:
            context = post_context(post.guild_id)
            values = read_sealed(self._keyring, post.content, context=context)
            if values is None:
                continue
            if mine(post.owner) and post.id not in sent_maybe:
                content = Content.of(values)
                if worrying(content.mood, content.sober):
                    # Gone, row and all: a row left behind would keep its pseudonym and a
                    # time minutes from the request.
                    await session.delete(post)
                    gone.add(post.guild_id)
                    kept += 1
                    continue
                if post.guild_id not in configs:
                    row = await session.get(GuildSettings, post.guild_id)
                    configs[post.guild_id] = config_of(post.guild_id, row)
                later = release_at(configs[post.guild_id], now, self._rng, held_back=True)
                until = max(later, held_until(values) or later)
                values[HELD_UNTIL] = until.isoformat()
                latest = max(latest or until, until)
                held += 1
            # Every waiting post sealed anew, held or not: a dump before and after the
            # request sees each one's row replaced, not only the requester's.
            if post.id in sent_maybe:
                post.content = seal_content(self._keyring, values, context=context)
            else:
                await replace_waiting(session, self._keyring, self._owners, post, values)
        await session.flush()
        # The release booked for a post kept private must move: left where it was, it
        # would come due, find nothing, and keep the post's time in its row. (A held post
        # keeps its time and its release: it is pushed on when it comes due.)
        for guild_id in sorted(gone):
            await _rebook(session, self._keyring, self._rng, guild_id, now)
        await touch_waiting(session)
        return HeldBack(held=held, kept_private=kept, latest=latest)

    def seal_held(self, request_id: int, held: HeldBack) -> str:
        """What `hold_back_in` did for a mentor request, sealed to one length (hex), for the
        request's delivery to tell the member if the press could not."""
        plain = f"{held.held}:{held.kept_private}"
        sealed = seal(self._keyring, plain, context=_held_context(request_id), sizes=(24,))
        return sealed.hex()

    def open_held(self, request_id: int, sealed: str) -> HeldBack | None:
        try:
            plain = unseal(self._keyring, bytes.fromhex(sealed), context=_held_context(request_id))
            held, kept = (int(part) for part in plain.split(":"))
        except (UnreadableError, ValueError):
            return None
        return HeldBack(held=held, kept_private=kept)

    async def _post(
        self,
        session: AsyncSession,
        *,
        message_id: int | None = None,
        post_id: int | None = None,
        for_update: bool = False,
    ) -> AnonymousPost:
        if post_id is not None:
            post = await session.get(AnonymousPost, post_id, with_for_update=for_update)
        else:
            post = await session.scalar(
                select(AnonymousPost).where(AnonymousPost.message_id == message_id)
            )
        if post is None:
            raise UserFacingError(NOT_FOUND)
        return post


def _held_context(request_id: int) -> str:
    return f"mentor-held:{request_id}"


async def replace_waiting(
    session: AsyncSession,
    keyring: Keyring,
    owners: Owners,
    post: AnonymousPost,
    values: dict[str, Any],
    *,
    post_after: datetime | None = None,
    week: str | None = None,
) -> AnonymousPost | None:
    """Seal a waiting post anew (its opened content `values`, `post_after` and `week` if given) as
    a new row under a fresh random id, its owner sealed afresh and its pseudonym and time
    sealed in the content: kept in place, its id, owner, content and pseudonym would be the
    same in two backups taken further apart than any post waits, and say it was held back. The
    author's withdraw button still finds it (`SHOWN_ID`); the server's waiting release is
    pointed at the new row. None, and nothing written, if the post no longer waits (a
    withdrawal committed meanwhile)."""
    gone = await session.execute(
        delete(AnonymousPost)
        .where(AnonymousPost.id == post.id, AnonymousPost.state == PENDING)
        .execution_options(synchronize_session=False)
    )
    session.expunge(post)
    if gone.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        return None
    sealed = {**values, SHOWN_ID: shown_id(values, post)}
    name = pseudonym_of(keyring, post, values)
    if name is not None:
        sealed[PSEUDONYM] = name
    at = due_at(keyring, post, values) if post_after is None else post_after
    if at is not None:
        sealed[POST_AFTER] = at.isoformat()
    author = owners.identity_of("anonymous_posts", post.owner)
    [new_id] = await fresh_ids(session, AnonymousPost.id, 1)
    fresh = AnonymousPost(
        id=new_id,
        guild_id=post.guild_id,
        channel_id=post.channel_id,
        week=post.week if week is None else week,
        owner=post.owner if author is None else owners.seal("anonymous_posts", author),
        pseudonym=None,
        state=PENDING,
        post_after=None,
        message_id=None,
        content=seal_content(keyring, sealed, context=post_context(post.guild_id)),
    )
    session.add(fresh)
    await session.flush()
    waiting_release = await session.scalars(
        select(Occurrence).where(
            Occurrence.source.startswith(RELEASE.of_server(post.guild_id), autoescape=True),
            Occurrence.state == PENDING,
        )
    )
    for release in waiting_release:
        if released_post(keyring, post.guild_id, release.payload) == post.id:
            release.payload = release_payload(keyring, post.guild_id, new_id)
    return fresh


async def lock_waiting(session: AsyncSession) -> list[AnonymousPost]:
    """Every waiting post, in every server, locked (on PostgreSQL) in id order and read as
    it is now. Taken first by each transaction that seals waiting posts anew (a release's
    wake: a push, a decoy; a mentor request's hold): a wake that replaced a post while this
    waited for its lock has committed, and the second read finds its new row (the first
    read's snapshot does not), so a request never misses its member's post; none runs in
    between; and one order everywhere (a deletion's `_lock_posts` too) keeps them from
    deadlocking. (SQLite: writes are one at a time.)"""
    pending = AnonymousPost.state == PENDING
    await session.execute(
        select(AnonymousPost.id).where(pending).order_by(AnonymousPost.id).with_for_update()
    )
    return list(
        await session.scalars(
            select(AnonymousPost)
            .where(pending)
            .order_by(AnonymousPost.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


async def touch_waiting(session: AsyncSession) -> None:
    """Rewrite every waiting anonymous post, in every server, unchanged. Called in the
    transactions that write a named mentor request: on PostgreSQL each row shows the
    transaction that last wrote it (xmin), and the requester's post, moved in that
    transaction, would otherwise be the one row of the table written by it, or right after
    it. Rewritten, every post waiting at the request carries it, and none stands out."""
    await session.execute(
        update(AnonymousPost)
        .where(AnonymousPost.state == PENDING)
        .values(state=AnonymousPost.state)
        .execution_options(synchronize_session=False)
    )


def _went_out(keyring: Keyring, post: AnonymousPost) -> None:
    """The post is out: its time goes in the clear, as the channel shows it from now on
    (retention and the summary read it there)."""
    post.state = POSTED
    post.post_after = due_at(keyring, post)


async def _sent_maybe(session: AsyncSession, keyring: Keyring, guild_id: int) -> list[int]:
    """Posts a release of this server is sending now, or has tried to send (a retry is
    due): Discord may have either already."""
    attempted = (Occurrence.state == CLAIMED) | (
        (Occurrence.state == PENDING) & (Occurrence.attempts > 0)
    )
    payloads = await session.scalars(
        select(Occurrence.payload).where(
            Occurrence.source.startswith(RELEASE.of_server(guild_id), autoescape=True), attempted
        )
    )
    found = (released_post(keyring, guild_id, payload) for payload in payloads)
    return [post_id for post_id in found if post_id is not None]


async def _rebook(
    session: AsyncSession,
    keyring: Keyring,
    rng: secrets.SystemRandom,
    guild_id: int,
    now: datetime,
    *,
    done: int | None = None,
) -> datetime:
    """Book the server's release delivery again (`_next_release`), from `now`, past `done`
    (just sent). (A post another release is sending right now may be chosen too: it goes
    under the same nonce, which Discord de-duplicates.)"""
    due, post_id = await _next_release(session, keyring, rng, guild_id, now, done=done)
    await book_release(session, keyring, guild_id, due, post_id, move=True)
    return due


async def _next_release(
    session: AsyncSession,
    keyring: Keyring,
    rng: secrets.SystemRandom,
    guild_id: int,
    now: datetime,
    *,
    done: int | None = None,
) -> tuple[datetime, int | None]:
    """When the release wakes next, and for which post: the server's earliest waiting post
    (not `done`), when it is due; but while posts wait, a decoy wake an ordinary delay from
    now (or at the next release time) comes first when it is drawn earlier, sending nothing.
    A release due when no post appears is then ordinary, not the mark of a post pushed on.
    Nothing waiting: the next midnight UTC, to look again (booked for no post, as a decoy
    is; see IDLE)."""
    following = await _earliest_waiting(session, keyring, guild_id, now, done=done)
    if following is None:
        return idle_wake(now), None
    post_id, at = following
    decoy = release_at(config_of(guild_id, await session.get(GuildSettings, guild_id)), now, rng)
    return (decoy, None) if decoy < at else (max(at, now), post_id)


def idle_wake(now: datetime) -> datetime:
    """The next midnight UTC after `now` (see IDLE)."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + IDLE


async def _earliest_waiting(
    session: AsyncSession, keyring: Keyring, guild_id: int, now: datetime, *, done: int | None
) -> tuple[int, datetime] | None:
    """The server's waiting post (not `done`) due first, and when: its waiting rows (few)
    opened one by one, since their times are sealed. One no key opens is due now (it is
    given up then)."""
    waiting = await session.scalars(
        select(AnonymousPost).where(
            AnonymousPost.guild_id == guild_id,
            AnonymousPost.state == PENDING,
            AnonymousPost.id != (done or 0),
        )
    )
    found = [(due_at(keyring, post) or now, post.id) for post in waiting]
    if not found:
        return None
    at, post_id = min(found)
    return post_id, at


async def _into_this_week(
    session: AsyncSession, keyring: Keyring, owners: Owners, post: AnonymousPost, now: datetime
) -> None:
    """A post that goes out in a pseudonym week after the one it was written in (held back
    for a mentor request across Monday 00:00, or late) goes out under its author's name of
    this week: under last week's it would show it waited longer than any delay, and so that
    it was held back, next to the only mentor request before midnight."""
    zone = config_of(post.guild_id, await session.get(GuildSettings, post.guild_id)).timezone
    week = week_label(now, zone)
    if post.week == week:
        return
    author = owners.identity_of("anonymous_posts", post.owner)
    if author is None or not author.startswith("u:"):
        return  # no key opens it: the content cannot be read either, and it is given up
    # Not kept: a post crosses into a new week rarely, and this service has nothing to forget.
    names = WeekNames(keyring, owners)
    post.pseudonym = await names.pseudonym_for(session, post.guild_id, int(author[2:]), week)
    post.week = week


async def book_release(
    session: AsyncSession,
    keyring: Keyring,
    guild_id: int,
    due: datetime,
    post_id: int | None,
    *,
    decoy: datetime | None = None,
    move: bool = False,
) -> None:
    """Make the server's one anonymous-release delivery due no later than `due` (or, with
    `move`, exactly then), for post `post_id`; or at `decoy`, for no post, if that is
    earlier (a decoy wake drawn with the post, see `_next_release`). The pending one is
    moved rather than a row added for each post: a row added at submission would sit in
    the deliveries table next to whatever its author did just before (a reminder, a
    counter), and that order would point at them. Each release sends one post and books the
    next, at the moment it is sent (a public moment). Its payload is sealed
    (`release_payload`)."""
    if decoy is not None and decoy < due:
        due, post_id = decoy, None
    payload = release_payload(keyring, guild_id, post_id)
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
    elif move or pending.due_at > due:
        pending.due_at = pending.available_at = due
        pending.payload = payload


async def blocked_until(
    session: AsyncSession, owners: Owners, guild_id: int, user_id: int
) -> datetime | None:
    """The end of the member's latest pause on anonymous posting in this server, if any: the
    server's block rows (few, and only for blocked authors) opened one by one."""
    blocks = await owned_rows(
        session, owners, AnonymousBlock, user_id, AnonymousBlock.guild_id == guild_id
    )
    return max((block.until for block in blocks), default=None)


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
