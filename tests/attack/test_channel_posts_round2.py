"""Red-team attacks on posts in a server's channels, round 2 (issue #13): a meeting reminder
or anonymous post Muster accepted is posted once before its deadline, or settled with its
cause.

Each test fails while the promise is broken."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import AnonymousPost, Occurrence
from bot.runtime import Runtime
from bot.scheduling import BACKOFF_CAP
from bot.services.checkins import ANONYMOUS_POST_DEADLINE
from bot.services.checkins.anonymous import due_at
from tests.attack.test_delivery_round2 import book_meeting
from tests.conftest import World
from tests.test_checkins_e2e import checkin_options, configure
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    OUTAGE,
    STEP,
    quick_discord_retries,
    row_of,
    step,
)

DoneCheck = Callable[[], Awaitable[bool]]


async def test_a_post_queued_behind_one_that_reaches_its_deadline_is_still_posted(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """Sam's anonymous check-in meets a long outage of the check-ins channel (every send
    cut) and is retried for its full day. Near the end of that day Riley checks in
    anonymously too and is told it will appear in a few minutes. Sam's post reaches its
    deadline; Discord recovers soon after. Promise: Riley's post, well inside its own day,
    is posted once (or settled with a cause); it is never left waiting for nothing. (This
    attack held when run: Sam's release is given up by its handler, which books the next
    one. Kept as a regression test.)"""
    sandbox = world.sandbox
    group = await configure(running, world)
    channel_post = rf"^/channels/{group.checkins.id}/messages$"
    first = await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="anonymous")
    )
    assert "It will appear" in first.text, first.text
    sandbox.fail_next("POST", channel_post, 0, times=None)  # every post's connection is cut
    outage_started = clock.now()
    while clock.now() < outage_started + ANONYMOUS_POST_DEADLINE - timedelta(hours=1):
        await step(running, clock, timedelta(minutes=30))
    second = await sandbox.slash(
        world.other_member, world.general, "checkin now", **checkin_options(share="anonymous")
    )
    assert "It will appear" in second.text, second.text
    while clock.now() < outage_started + ANONYMOUS_POST_DEADLINE + timedelta(minutes=30):
        await step(running, clock, timedelta(minutes=5))
    sandbox.recover()  # Discord is back, under 2 hours after Riley's check-in
    for _ in range(24):  # two more hours
        await step(running, clock, timedelta(minutes=5))

    async with running.sessions() as session:
        posts = list(await session.scalars(select(AnonymousPost)))
        releases = list(
            await session.execute(
                select(Occurrence.state, Occurrence.cause, Occurrence.payload).where(
                    Occurrence.kind == "anonymous"
                )
            )
        )
    keyring = running.services.keyring
    posts.sort(key=lambda post: due_at(keyring, post) or clock.now())  # sealed if not shown
    assert len(posts) == 2
    sam, riley = posts
    assert sam.state == "failed", sam.state  # settled, not left pending
    shown = [m for m in sandbox.channel_messages(group.checkins) if not m.deleted]
    assert (riley.state, [m.id for m in shown]) == ("posted", [riley.message_id]), (
        f"Riley's post (queued {ANONYMOUS_POST_DEADLINE - timedelta(hours=1)} into the outage, "
        f"Discord back within 2 hours) is {riley.state!r} with message id {riley.message_id}; "
        f"{len(shown)} post(s) in #check-ins; release deliveries: {releases}"
    )


async def _lost_answer_then_an_outage(
    running: Runtime, world: World, clock: FakeClock, channel_post: str, done: DoneCheck
) -> None:
    """Discord takes the post but its answer is lost, then answers 503 for 30 minutes; then
    recovers, and time runs on until the delivery is done (or BACKOFF_CAP twice over)."""
    sandbox = world.sandbox
    dropped = sandbox.drop_next("POST", channel_post)
    while not dropped.arrived.is_set():
        await step(running, clock, STEP)
    sandbox.fail_next("POST", channel_post, 503, times=None)
    outage_ends = clock.now() + OUTAGE
    while clock.now() < outage_ends:
        await step(running, clock, STEP)
    sandbox.recover()
    for _ in range(2 * int(BACKOFF_CAP / STEP)):
        await step(running, clock, STEP)
        if await done():
            break


async def test_a_meeting_reminder_with_a_lost_answer_then_a_30_minute_outage_is_posted_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The same faults as the known DM double, on a meeting reminder in #meetings (its
    deadline, the meeting's start, is an hour after it is due)."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()  # Discord's nonce window by the same clock
    source, channel = await book_meeting(running, world, clock, ahead=timedelta(hours=2))
    await step(running, clock, timedelta(minutes=59))

    async def done() -> bool:
        return (await row_of(running, source)).state == "sent"

    await _lost_answer_then_an_outage(
        running, world, clock, rf"^/channels/{channel.id}/messages$", done
    )
    row = await row_of(running, source)
    posts = sandbox.channel_messages(channel)
    assert len(posts) == 1, (
        f"the meeting reminder was posted {len(posts)} times in #meetings; its delivery is "
        f"{row.state!r}, recording message {row.message_id} of {[m.id for m in posts]}"
    )


async def test_an_anonymous_post_with_a_lost_answer_then_a_30_minute_outage_is_posted_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The same faults as the known DM double, on an anonymous check-in (its deadline is a
    day). Promise (R30): posted once, and the copy that is up is the one recorded, so the
    author's and moderators' Options can take it down."""
    sandbox = world.sandbox
    sandbox.clock = lambda: clock.now().timestamp()
    group = await configure(running, world)
    await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="anonymous")
    )

    async def post() -> AnonymousPost:
        async with running.sessions() as session:
            found = await session.scalar(select(AnonymousPost))
        assert found is not None
        return found

    async def done() -> bool:
        return (await post()).state == "posted"

    await _lost_answer_then_an_outage(
        running, world, clock, rf"^/channels/{group.checkins.id}/messages$", done
    )
    posts = sandbox.channel_messages(group.checkins)
    recorded = await post()
    assert [m.id for m in posts] == [recorded.message_id], (
        f"the anonymous post is up {len(posts)} times in #check-ins ({[m.id for m in posts]}); "
        f"the database records message {recorded.message_id}, post {recorded.state!r}"
    )
