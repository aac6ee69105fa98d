"""Red-team attack on R30 for anonymous posts: the author withdraws a queued post while its
send is in flight (Discord has taken it, the answer not yet back).

The promise: an anonymous post that was sent is never sent again, and its message id is
recorded (so the author's and moderators' Options can find it and take it down)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import AnonymousPost
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_checkins_e2e import checkin_options, configure


async def test_a_post_withdrawn_while_its_send_is_in_flight_is_recorded_or_taken_down(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    result = await sandbox.slash(
        world.member, world.general, "checkin now", **checkin_options(share="anonymous")
    )
    [withdraw] = result.messages[0].custom_ids()
    stall = sandbox.stall_next(
        "POST", rf"^/channels/{group.checkins.id}/messages$", after_handling=True
    )
    await clock.advance(timedelta(minutes=11))  # past the longest random wait (2 x 5 min)
    await asyncio.wait_for(stall.arrived.wait(), timeout=10)
    [posted] = sandbox.channel_messages(group.checkins)  # Discord has the post
    stopped = await sandbox.click(world.member, result.messages[0], withdraw)
    stall.release.set()
    await asyncio.sleep(1.0)  # the send returns and the scheduler settles
    async with running.sessions() as session:
        post = await session.scalar(select(AnonymousPost))
    assert post is not None
    visible = [m for m in sandbox.channel_messages(group.checkins) if not m.deleted]
    assert post.message_id == posted.id or not visible, (
        f"the author was told {stopped.text!r}; the post is up in #check-ins "
        f"(message {posted.id}) and the database records message id {post.message_id}, "
        f"post state {post.state!r}"
    )
