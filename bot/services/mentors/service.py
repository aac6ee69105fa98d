"""Asking a peer mentor to reach out, by name, and making sure somebody does (R26).

A named request goes only to a mentors' channel that @everyone cannot read and pings the
mentor role; whether the channel is private is Discord's to say, so the caller passes it
in. The first mentor to claim a request has it. If nobody does within FOLLOW_UP_AFTER, the
scheduler pings the role once more and sends the member the crisis lines: the follow-up is
booked in the same transaction as the request, so a restart cannot lose it.

So is the post itself: the request is booked with a delivery of its own (MENTOR_POST), due a
moment after the member's press. The press posts it at once and cancels that delivery; if
the process dies first, or Discord never confirmed the post, the scheduler posts it under
the same nonce (Discord hands back the message if the first try had landed). A member who
asks again while their request is still unconfirmed sends it again rather than being told
the mentors know.

Nothing from a member's check-ins is stored with a request.

The member's waiting anonymous posts are held back (or kept private) in the request's own
transaction, before the mentors can see the name, and every waiting post is rewritten with
them there and when the request is confirmed posted: no commit of its own, right after the
request's, moves the requester's post (see AnonymousPostService.hold_back_in). Every recent
check-in is rewritten in both too, so the one written just before the request (the
requester's, what brought the offer) carries the request's transaction like the others (see
touch_recent_checkins). On SQLite the write-ahead log is then checkpointed and emptied, so a
copy of the database files taken afterwards no longer holds the commits that led up to the
request, in their order; check-in ids are drawn at random, so the file's rows give none.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory, checkpoint_log, insert_for
from bot.db.models import MentorRequest, Occurrence
from bot.scheduling import CANCELLED, PENDING, Delivery, Due, RowKind, Scheduler
from bot.services.checkins.anonymous import HeldBack, touch_waiting
from bot.services.checkins.writes import touch_recent_checkins
from bot.services.guild_settings import GuildConfig

if TYPE_CHECKING:
    from bot.services.checkins.anonymous import AnonymousPostService

# A request's post and its follow-up share one source, "mentor:<request id>" (source_of).
MENTOR_FOLLOW_UP = RowKind("mentor_followup", "mentor")
FOLLOW_UP_AFTER = timedelta(minutes=15)
MENTOR_POST = RowKind("mentor_post", "mentor")
# The press posts the request at once; the scheduler takes over if it has not been confirmed
# by then. Well inside the few minutes Discord keeps a nonce, so a late first try and the
# scheduler's post are one message.
POST_GRACE = timedelta(minutes=1)
# A member pressing the button again within this window gets a kind word, not a new alert.
ASK_AGAIN_AFTER = timedelta(minutes=30)
SENDING, OPEN, CLAIMED = "sending", "open", "claimed"
# Requests are kept this long, then purged by the retention job.
KEEP_FOR = timedelta(days=30)


def named_request_problems(config: GuildConfig, *, channel_public: bool | None) -> list[str]:
    """What a server lacks before a request may carry a member's name, said plainly.
    `channel_public` is whether @everyone can read the mentors' channel (None: no such
    channel)."""
    problems = []
    if config.mentor_role_id is None:
        problems.append("a mentor role, so the request pings the mentors")
    if config.mentors_channel_id is None or channel_public is None:
        problems.append("a mentors' channel")
    elif channel_public:
        problems.append("a mentors' channel that @everyone can't read")
    return problems


def source_of(request_id: int) -> str:
    """The request's deliveries (its post and its follow-up): one source, so a claim, a
    refusal or /mydata delete ends both."""
    return MENTOR_POST.source(request_id)


def nonce_of(request_id: int) -> str:
    """The one nonce every post of a request is sent with, by the press or the scheduler."""
    return f"mentor-{request_id}"


@dataclass(frozen=True)
class Opened:
    """The member's request: made by this press (`fresh`), or their recent one. `posted`:
    Discord confirmed it is in the mentors' channel (or a mentor has claimed it)."""

    request_id: int
    channel_id: int
    role_id: int
    fresh: bool
    posted: bool
    # What was done with the member's waiting anonymous posts, in the request's transaction.
    held: HeldBack = field(default_factory=HeldBack)


@dataclass(frozen=True)
class Unposted:
    """A request the scheduler still has to post. `held`: what its transaction did with the
    member's waiting posts (None for a request from before that was done there)."""

    request_id: int
    guild_id: int
    user_id: int
    channel_id: int
    role_id: int
    held: HeldBack | None = None


@dataclass(frozen=True)
class Claim:
    won: bool
    claimed_by: int | None
    user_id: int
    refused: bool = False  # the clicker is no mentor
    gone: bool = False  # no such request (purged, or never posted)


@dataclass(frozen=True)
class FollowUp:
    request_id: int
    guild_id: int
    user_id: int
    channel_id: int
    message_id: int | None
    role_id: int


class MentorRequests:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        scheduler: Scheduler,
        anonymous: AnonymousPostService | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler
        self._anonymous = anonymous

    async def open(
        self,
        guild_id: int,
        user_id: int,
        channel_id: int,
        role_id: int,
        *,
        config: GuildConfig | None = None,
    ) -> Opened:
        """A new request, its post and its follow-up; or, if this member asked a moment ago,
        that request (to be posted again if it was never confirmed). With `config` (the
        server's settings), the member's waiting anonymous posts are held back in the same
        transaction."""
        now = self._clock.now()
        held = HeldBack()
        async with self._sessions.begin() as session:
            recent = await self._recent(session, guild_id, user_id, now)
            if recent is not None:
                return recent
            # The new request takes the newest place from the member's last one, and only
            # from one old enough to be asked again: a request made a moment ago by another
            # press keeps it, however the two interleave. The unique index then lets only
            # one insert take the place (on PostgreSQL the other waits for it, then inserts
            # nothing): one request, by construction, not by timing.
            await session.execute(
                update(MentorRequest)
                .where(
                    MentorRequest.guild_id == guild_id,
                    MentorRequest.user_id == user_id,
                    MentorRequest.newest.is_(True),
                    MentorRequest.created_at <= now - ASK_AGAIN_AFTER,
                )
                .values(newest=None)
            )
            request = dict(
                guild_id=guild_id, user_id=user_id, channel_id=channel_id, role_id=role_id,
                state=SENDING, created_at=now, newest=True,
            )  # fmt: skip
            request_id: int | None = await session.scalar(
                insert_for(session)(MentorRequest)
                .values(**request)
                .on_conflict_do_nothing(index_elements=["guild_id", "user_id", "newest"])
                .returning(MentorRequest.id)
            )
            if request_id is None:  # another press took the place: that request is theirs
                found = await self._recent(session, guild_id, user_id, now)
                if found is not None:
                    return found
                raise RuntimeError("a mentor request was neither made nor found")
            post_at, due_at = now + POST_GRACE, now + FOLLOW_UP_AFTER
            await touch_recent_checkins(session, now)
            payload = {}
            if self._anonymous is not None and config is not None:
                held = await self._anonymous.hold_back_in(session, config, user_id, now)
                # Sealed, one length: for the scheduler to tell the member, if the press
                # never could.
                payload = {"held": self._anonymous.seal_held(request_id, held)}
            await Scheduler.add(
                session, source=source_of(request_id), kind=MENTOR_POST.name, due_at=post_at,
                payload=payload,
            )  # fmt: skip
            await Scheduler.add(
                session, source=source_of(request_id), kind=MENTOR_FOLLOW_UP.name, due_at=due_at,
                payload={},
            )  # fmt: skip
        await self._scheduler.scheduled(post_at)
        return Opened(request_id, channel_id, role_id, fresh=True, posted=False, held=held)

    async def _recent(
        self, session: AsyncSession, guild_id: int, user_id: int, now: datetime
    ) -> Opened | None:
        request = await session.scalar(
            select(MentorRequest)
            .where(
                MentorRequest.guild_id == guild_id,
                MentorRequest.user_id == user_id,
                MentorRequest.created_at > now - ASK_AGAIN_AFTER,
            )
            .order_by(MentorRequest.id.desc())
            .limit(1)
        )
        if request is None:
            return None
        posted = request.message_id is not None or request.state == CLAIMED
        return Opened(request.id, request.channel_id, request.role_id, False, posted)

    async def posted(
        self, request_id: int, message_id: int, *, hold: tuple[GuildConfig, int] | None = None
    ) -> HeldBack:
        """Discord confirmed the post: the scheduler need not post it. With `hold` (the
        server's settings and the member), the member's waiting posts are held back in the
        same transaction (the scheduler's post: some may have been written since the press)."""
        now = self._clock.now()
        held = HeldBack()
        async with self._sessions.begin() as session:
            if hold is not None and self._anonymous is not None:
                held = await self._anonymous.hold_back_in(session, hold[0], hold[1], now)
            await session.execute(
                update(MentorRequest)
                .where(MentorRequest.id == request_id, MentorRequest.state == SENDING)
                .values(state=OPEN)
            )
            await session.execute(
                update(MentorRequest)
                .where(MentorRequest.id == request_id, MentorRequest.message_id.is_(None))
                .values(message_id=message_id)
            )
            await session.execute(
                update(Occurrence)
                .where(
                    Occurrence.source == source_of(request_id),
                    Occurrence.kind == MENTOR_POST.name,
                    Occurrence.state == PENDING,  # a claimed one is the scheduler's, posting
                )
                .values(state=CANCELLED, settled_at=now, lease_until=None, detail="posted")
            )
            # This transaction is the request row's last writer until a mentor claims it:
            # every waiting post is rewritten in it too (see AnonymousPostService.hold_back_in),
            # and every recent check-in.
            await touch_waiting(session)
            await touch_recent_checkins(session, now)
        await checkpoint_log(self._sessions)
        return held

    async def unposted(self, due: Due) -> Unposted | Delivery:
        """The request a MENTOR_POST delivery is for, if it still needs posting."""
        request_id = MENTOR_POST.parse(due.source)
        async with self._sessions() as session:
            request = await session.get(MentorRequest, request_id)
        if request is None:
            return Delivery("cancelled", "the request is gone")
        if request.message_id is not None or request.state != SENDING:
            return Delivery("cancelled", "already posted")
        sealed = due.payload.get("held")
        held = None
        if self._anonymous is not None and isinstance(sealed, str):
            held = self._anonymous.open_held(request.id, sealed)
        return Unposted(
            request.id, request.guild_id, request.user_id, request.channel_id, request.role_id,
            held,
        )  # fmt: skip

    async def not_sent(self, request_id: int) -> None:
        """The alert could not be posted: forget the request, so the next press tries again."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            await Scheduler.cancel(session, source_of(request_id), now)
            await session.execute(delete(MentorRequest).where(MentorRequest.id == request_id))
        await checkpoint_log(self._sessions)

    async def claim(
        self,
        request_id: int,
        mentor_id: int,
        *,
        roles: Collection[int],
        mentor_role_id: int | None,
    ) -> Claim:
        """The first mentor to claim a request has it; later ones learn who did. A mentor is
        whoever holds the role the request pinged (switching the server's mentor role later
        must not lock out the mentors who were asked) or the server's mentor role now.
        `roles` are the clicker's roles, @everyone left out."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            request = await session.get(MentorRequest, request_id)
            if request is None:
                return Claim(False, None, 0, gone=True)
            if not {request.role_id, mentor_role_id} & set(roles):
                return Claim(False, None, request.user_id, refused=True)
            won = await session.scalar(
                update(MentorRequest)
                .where(MentorRequest.id == request_id, MentorRequest.state.in_((SENDING, OPEN)))
                .values(state=CLAIMED, claimed_by=mentor_id, claimed_at=now)
                .returning(MentorRequest.id)
            )
            await session.refresh(request)
            if won is not None:
                await Scheduler.cancel(session, source_of(request_id), now)
            return Claim(won is not None, request.claimed_by, request.user_id)

    async def follow_up(self, due: Due) -> FollowUp | Delivery:
        request_id = MENTOR_FOLLOW_UP.parse(due.source)
        async with self._sessions() as session:
            request = await session.get(MentorRequest, request_id)
        if request is None:
            return Delivery("cancelled", "the request is gone")
        if request.state == CLAIMED:
            return Delivery("cancelled", "a mentor claimed it")
        return FollowUp(
            request.id, request.guild_id, request.user_id, request.channel_id,
            request.message_id, request.role_id,
        )  # fmt: skip
