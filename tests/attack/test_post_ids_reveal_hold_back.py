"""Attack (moderator): post ids, read off the Options buttons, reveal a held-back post.

A moderator pressing Options on a public anonymous post gets buttons whose custom ids carry
the post's id ("anon:block1:<id>"). Ids follow the order of the check-ins; messages follow
post_after. A post that appears long after a post with a HIGHER id (more than the delay
window) must have been waiting well past the delay: it was held back, which happens only
when its author asked for a peer mentor while it waited. The mentor request names them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.conftest import World
from tests.test_attacker import Week, _message_time
from tests.test_checkins_e2e import ask_a_mentor, checkin_options, configure

DELAY = timedelta(minutes=5)  # configure() sets 5 minutes


async def test_post_ids_do_not_give_away_a_held_back_post(
    ids_on_the_test_clock: None, running: Runtime, world: World, clock: FakeClock
) -> None:
    group = await configure(running, world, threshold="3")
    await running.services.anonymous.book_next(world.guild.id, clock.now())
    sandbox = world.sandbox
    members = {"Sam": world.member, "Riley": world.other_member}
    for name in ("Alex", "Blair"):
        members[name] = await sandbox.create_member(world.guild, name)
    week = Week(running, world, clock, group, members)
    for who in members.values():
        await sandbox.slash(who, world.general, "settings timezone", zone="Eastern")

    await week.at(0, "19:00:00")
    await week.checkin("Sam", "private", mood=1, sleep="3")  # low yesterday too
    # Monday: Sam posts anonymously on a hard day (not a worrying check-in: that one would be
    # kept private, not held back), opens /crisis, and asks for a mentor while it waits.
    await week.at(1, "09:20:00")
    answer = await sandbox.slash(members["Sam"], world.general, "checkin now",
                                 **checkin_options(share="anonymous", mood=2,
                                                   sleep="3"))  # fmt: skip
    sams = "Check-in from " + answer.text.split("**")[1]
    await week.at(1, "09:20:40")
    card = (await sandbox.slash(members["Sam"], world.general, "crisis")).messages[0]
    assert "crisis:mentor" in card.custom_ids(), card.text
    await ask_a_mentor(sandbox, members["Sam"], card)
    # Others post anonymously in the next minutes, as an active group does.
    await week.at(1, "09:24:00")
    await week.checkin("Riley", "anonymous", mood=4)
    await week.at(1, "09:31:00")
    await week.checkin("Alex", "anonymous", mood=3)
    await week.at(1, "15:00:00")

    # The moderator: every post's time, and its id from the Options buttons.
    posts = []
    for message in week.channel():
        if not message.embeds:
            continue
        options = (await sandbox.click(world.moderator, message, "anon:options")).messages[0]
        block = next(c for c in options.custom_ids() if c.startswith("anon:block1:"))
        posts.append((int(block.rsplit(":", 1)[1]), _message_time(message.id),
                      message.embeds[0]["title"]))  # fmt: skip
    assert len(posts) == 3, posts
    alerts = [
        (_message_time(m.id), name)
        for m in sandbox.channel_messages(group.mentors) if "asked for a peer mentor" in m.text
        for name in members if f"**{name}**" in m.text
    ]  # fmt: skip
    held = [
        (title, shown) for pid, shown, title in posts
        if any(qid > pid and shown - qshown > 2 * DELAY for qid, qshown, _ in posts)
    ]  # fmt: skip
    named = {
        title: sorted({name for at, name in alerts
                       if timedelta(hours=1) - 2 * DELAY <= shown - at <= timedelta(hours=4)})
        for title, shown in held
    }  # fmt: skip
    assert named.get(sams) != ["Sam"], (
        f"ids {sorted(posts)} say {sams!r} was held back; the mentor request names {named}"
    )
