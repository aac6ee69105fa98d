"""Red-team attacks on the anonymous-post promise, round 2 (issue #13): an anonymous post
Muster accepted is posted once before its deadline (a day), or settled with its cause.

Each test fails while the promise is broken."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import AnonymousPost, Occurrence
from bot.runtime import Runtime
from bot.services.anonymous import ANONYMOUS_POST_DEADLINE
from tests.conftest import World
from tests.test_checkins_e2e import checkin_options, configure
from tests.test_delivery_faults import (  # noqa: F401  (autouse fixture re-exported)
    quick_discord_retries,
    step,
)


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

    async with running.services.checkins._sessions() as session:
        posts = list(await session.scalars(select(AnonymousPost).order_by(AnonymousPost.id)))
        releases = list(
            await session.execute(
                select(Occurrence.state, Occurrence.cause, Occurrence.payload).where(
                    Occurrence.kind == "anonymous"
                )
            )
        )
    assert len(posts) == 2
    sam, riley = posts
    assert sam.state == "failed", sam.state  # settled, not left pending
    shown = [m for m in sandbox.channel_messages(group.checkins) if not m.deleted]
    assert riley.state == "posted" and [m.id for m in shown] == [riley.message_id], (
        f"Riley's post (queued {ANONYMOUS_POST_DEADLINE - timedelta(hours=1)} into the outage, "
        f"Discord back within 2 hours) is {riley.state!r} with message id {riley.message_id}; "
        f"{len(shown)} post(s) in #check-ins; release deliveries: {releases}"
    )
