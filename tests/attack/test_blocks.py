"""Attack: the anonymous_blocks table against the audit log, in a dump.

Every block writes one `posts.block` audit line naming the post ("author of anonymous post
#N"). A block of an author who already has a block row updates that row instead of adding
one. So a dump with two block audit lines and only one (unexpired) block row says the two
blocked posts are by the same member, even when the posts are of different pseudonym weeks.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import AnonymousBlock, AnonymousPost, AuditEntry
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_attacker import NEW_YORK, Week
from tests.test_checkins_e2e import configure


async def _block(week: Week, pseudonym: str, days: int) -> None:
    post = next(m for m in week.channel() if m.embeds and pseudonym in m.text)
    options = (await week.sandbox.click(week.world.moderator, post, "anon:options")).messages[0]
    block = next(c for c in options.custom_ids() if c.startswith(f"anon:block{days}:"))
    await week.sandbox.click(week.world.moderator, options, block)


async def test_two_blocks_of_one_author_across_weeks_leave_as_many_rows_as_blocks(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    await running.services.summaries.ensure(world.guild.id, NEW_YORK)
    members = {"Sam": world.member, "Riley": world.other_member}
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await world.sandbox.slash(who, world.general, "settings timezone", zone="Eastern")

    # Sunday Nov 22 (pseudonym week 47) and Monday Nov 23 (week 48): Sam posts in both.
    await week.at(0, "18:00:00")
    first = await week.checkin("Sam", "anonymous", mood=2)
    await week.at(1, "09:00:00")
    second = await week.checkin("Sam", "anonymous", mood=3)
    await week.at(1, "09:30:00")
    riley = await week.checkin("Riley", "anonymous", mood=4)
    await week.at(1, "11:00:00")
    p1, p2, pr = (text.split("**")[1] for text in (first, second, riley))
    assert p1 != p2  # different pseudonym weeks: they must not be linkable

    # A moderator removes and blocks all three (the first for 30 days, the others for 7).
    await _block(week, p1, 30)
    await week.at(1, "11:05:00")
    await _block(week, p2, 7)
    await week.at(1, "11:10:00")
    await _block(week, pr, 7)

    # The dump attacker.
    async with running.sessions() as session:
        blocks = list(await session.scalars(select(AnonymousBlock)))
        audits = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "posts.block"))
        )
        posts = {p.id: p for p in await session.scalars(select(AnonymousPost))}
    blocked_posts = [int(re.search(r"#(\d+)", a.target).group(1)) for a in audits]
    assert len(blocked_posts) == 3
    # Rows that a block audit explains exactly (until == audit time + its days).
    explained = {
        post_id
        for audit, post_id in zip(audits, blocked_posts, strict=True)
        for block in blocks
        if abs((block.until - audit.created_at).total_seconds()
               - int(re.search(r"(\d+) day", audit.detail).group(1)) * 86400) < 1
    }  # fmt: skip
    unexplained = [pid for pid in blocked_posts if pid not in explained]
    # A blocked post whose block left no row of its own is by an author blocked before:
    # with one earlier 30-day block left, the post is linked to that post, across weeks.
    linked = [
        (posts[pid].week, posts[other].week) for pid in unexplained for other in explained
        if posts[other].week != posts[pid].week
    ]  # fmt: skip
    assert len(blocks) == len(audits), (
        f"{len(audits)} blocks, {len(blocks)} rows: blocked post(s) {unexplained} share an "
        f"author with an earlier blocked post; cross-week candidates {linked}"
    )
