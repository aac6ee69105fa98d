"""Anonymous posts after they are queued: posting them, and handling abuse without unmasking.

A post is found by its Discord message id (the public message's buttons carry no ids).
Whether the person asking wrote it is decided by comparing keys, inside this service, and
only the answer leaves it. Moderators can remove a post and pause its author's anonymous
posting for a while; the pause is stored against the author's key, so it follows them
across pseudonym rotation, and nobody, moderators included, learns who it is. Audit lines
name the post, never the author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import AnonymousBlock, AnonymousPost, Checkin
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.scheduling import Delivery, Due, Scheduler
from bot.services import audit
from bot.services.checkins import note_of
from bot.services.crisis_language import assess
from bot.services.pseudonyms import member_key

BLOCK_DAYS = (1, 7, 30)
# A post held up by a Discord outage still goes out within a day; later it would only puzzle.
ANONYMOUS_POST_DEADLINE = timedelta(days=1)
PENDING, POSTED, REMOVED, WITHDRAWN = "pending", "posted", "removed", "withdrawn"


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


class AnonymousPostService:
    def __init__(self, sessions: SessionFactory, clock: Clock, keyring: Keyring) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring

    async def prepare(self, due: Due) -> PostContent | Delivery:
        post_id = int(due.source.split(":", 1)[1])
        async with self._sessions() as session:
            post = await session.get(AnonymousPost, post_id)
            if post is None or post.state != PENDING:
                return Delivery("cancelled", "the post was withdrawn or removed")
            checkin = await session.get(Checkin, post.checkin_id)
            if checkin is None:
                return Delivery("cancelled", "the check-in was deleted")
            return PostContent(
                post_id=post.id,
                guild_id=post.guild_id,
                channel_id=post.channel_id,
                pseudonym=post.pseudonym,
                post_after=post.post_after,
                mood=checkin.mood,
                sleep_hours=checkin.sleep_hours,
                sleep_quality=checkin.sleep_quality,
                cravings=checkin.cravings,
                sober=checkin.sober,
                note=shown_note(note_of(self._keyring, checkin), checkin.note_shared),
                crisis_pointer=checkin.note_shared is True,
            )

    async def record_posted(self, session: AsyncSession, due: Due, message_id: int) -> None:
        """Inside the scheduler's settling transaction: the post is out, as this message, so
        its author's and moderators' Options can find it (R30)."""
        post = await session.get(AnonymousPost, int(due.source.split(":", 1)[1]))
        if post is not None and post.state == PENDING:
            post.state = POSTED
            post.message_id = message_id

    async def find(
        self, user_id: int, *, message_id: int | None = None, post_id: int | None = None
    ) -> PostRef:
        """A post by its message or id, and whether `user_id` wrote it (nothing more)."""
        async with self._sessions() as session:
            post = await self._post(session, message_id=message_id, post_id=post_id)
            checkin = await session.get(Checkin, post.checkin_id)
            mine = checkin is not None and checkin.member_key == member_key(self._keyring, user_id)
            return PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, mine
            )

    async def withdraw(self, user_id: int, post_id: int) -> PostRef:
        """The author takes their own post down (or stops it before it appears)."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            post = await self._post(session, post_id=post_id)
            checkin = await session.get(Checkin, post.checkin_id)
            if checkin is None or checkin.member_key != member_key(self._keyring, user_id):
                raise UserFacingError("Only the person who wrote a post can delete it.")
            if post.state in (REMOVED, WITHDRAWN):
                raise UserFacingError("That post is already gone.")
            ref = PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, True
            )
            post.state = WITHDRAWN
            await Scheduler.cancel(session, f"anon:{post.id}", now)
            return ref

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
                raise UserFacingError("That post isn't in this server.")
            ref = PostRef(
                post.id, post.guild_id, post.channel_id, post.message_id, post.state, False
            )
            if post.state not in (REMOVED, WITHDRAWN):
                post.state = REMOVED
                await Scheduler.cancel(session, f"anon:{post.id}", now)
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
                checkin = await session.get(Checkin, post.checkin_id)
                if checkin is None:
                    raise UserFacingError(
                        "That post's author has since deleted their data, so there is no one "
                        "to block."
                    )
                until = now + timedelta(days=block_days)
                await _block(session, guild_id, checkin.member_key, post.id, until, now)
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
            block = await session.get(
                AnonymousBlock, (guild_id, member_key(self._keyring, user_id))
            )
            if block is None or block.until <= self._clock.now():
                return None
            return block.until

    async def _post(
        self, session: AsyncSession, *, message_id: int | None = None, post_id: int | None = None
    ) -> AnonymousPost:
        if post_id is not None:
            post = await session.get(AnonymousPost, post_id)
        else:
            post = await session.scalar(
                select(AnonymousPost).where(AnonymousPost.message_id == message_id)
            )
        if post is None:
            raise UserFacingError("I couldn't find that anonymous post. It may have been removed.")
        return post


async def _block(
    session: AsyncSession, guild_id: int, key: str, post_id: int, until: datetime, now: datetime
) -> None:
    block = await session.get(AnonymousBlock, (guild_id, key))
    if block is None:
        session.add(
            AnonymousBlock(
                guild_id=guild_id, member_key=key, until=until, post_id=post_id, created_at=now
            )
        )
    else:
        block.until = max(block.until, until)
        block.post_id = post_id
