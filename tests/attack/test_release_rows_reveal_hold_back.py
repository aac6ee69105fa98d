"""Attack (dump): the release deliveries show a held-back post, and mentor_requests names
its author.

The server's one release delivery is booked for the next waiting post ({"post": N}) at its
post_after. When the member asks for a mentor, hold_back moves the post hours on but leaves
that delivery where it was; it comes due, finds nothing ready, and is settled as cancelled,
with the post's id and the original moment, kept in the occurrences table. Against the
post's message time, that row says "post N was held back", which happens only when its
author asked for a mentor while it waited; mentor_requests holds the user id and the time,
in the clear.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import AnonymousPost, MentorRequest, Occurrence
from bot.runtime import Runtime
from bot.ui.crisis import POST_HELD_BACK
from tests.conftest import World
from tests.test_attacker import Week
from tests.test_checkins_e2e import ask_a_mentor, checkin_options, configure

DELAY = timedelta(minutes=5)


async def test_release_rows_do_not_give_away_a_held_back_post(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    sandbox = world.sandbox
    members = {"Sam": world.member, "Riley": world.other_member}
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")
    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")
    await week.at(1, "09:20:00")
    # A hard day, not a worrying check-in (a worrying post would be kept private, not held
    # back): Sam asks from the /crisis card while his post waits.
    await sandbox.slash(members["Sam"], world.general, "checkin now",
                        **checkin_options(share="anonymous", mood=2, sleep="3"))  # fmt: skip
    await week.at(1, "09:20:40")
    card = (await sandbox.slash(members["Sam"], world.general, "crisis")).messages[0]
    assert "crisis:mentor" in card.custom_ids()
    asked = await ask_a_mentor(sandbox, members["Sam"], card)
    assert POST_HELD_BACK in asked.text, asked.text  # his post was held back
    await week.at(1, "10:30:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(1, "15:00:00")

    async with running.sessions() as session:
        releases = list(await session.scalars(
            select(Occurrence).where(Occurrence.kind == "anonymous")))  # fmt: skip
        posts = {p.id: p for p in await session.scalars(select(AnonymousPost))}
        requests = list(await session.scalars(select(MentorRequest)))
    assert len(posts) == 2, posts  # Sam's held-back post and Riley's
    rows = [(o.id, o.state, o.due_at, o.settled_at, o.payload, o.detail) for o in releases]
    held = {
        int(o.payload["post"]) for o in releases
        if o.payload.get("post") and int(o.payload["post"]) in posts
        and posts[int(o.payload["post"])].post_after - o.due_at > 2 * DELAY
    }  # fmt: skip
    named = {
        pid: sorted({r.user_id for r in requests if r.created_at < posts[pid].post_after})
        for pid in held
    }
    assert not held, (
        f"release rows {rows} show post(s) {held} held back; mentor_requests names {named} "
        f"(Sam is {members['Sam'].id})"
    )
