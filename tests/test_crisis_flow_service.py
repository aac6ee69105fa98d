"""The crisis path's rules without Discord: what a shared post may show, what a server lacks
before a request may carry a member's name, and how long requests are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.db.models import MentorRequest, Occurrence
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.checkins import shown_note
from bot.services.guild_settings import GuildConfig
from bot.services.mentors import (
    MENTOR_FOLLOW_UP,
    MENTOR_POST,
    MentorRequests,
    named_request_problems,
    source_of,
)
from bot.services.retention import RetentionService

CRISIS = "I can't go on. I want to die."


def test_a_crisis_note_is_shown_only_when_its_member_chose_to_share_it_as_written() -> None:
    assert shown_note(CRISIS, True) == CRISIS
    assert shown_note(CRISIS, False) is None
    # Queued before the hold existed, or caught only by a later detector: never broadcast.
    assert shown_note(CRISIS, None) is None
    assert shown_note("Steady week, slept well.", None) == "Steady week, slept well."
    assert shown_note("Steady week, slept well.", False) is None
    assert shown_note(None, None) is None


def test_named_requests_need_a_role_and_a_channel_everyone_cannot_read() -> None:
    nothing = GuildConfig(1)
    assert named_request_problems(nothing, channel_public=None) == [
        "a mentor role, so the request pings the mentors",
        "a mentors' channel",
    ]
    public = GuildConfig(1, mentors_channel_id=2, mentor_role_id=3)
    assert named_request_problems(public, channel_public=True) == [
        "a mentors' channel that @everyone can't read"
    ]
    assert named_request_problems(public, channel_public=False) == []


async def test_mentor_requests_are_purged_after_30_days(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    requests = MentorRequests(sessions, clock, Scheduler(sessions, clock))
    await requests.open(1, 501, channel_id=10, role_id=11)
    retention = RetentionService(sessions, clock, Keyring.generate())
    assert (await retention.run(clock.now() + timedelta(days=29)))["mentor requests"] == 0
    assert (await retention.run(clock.now() + timedelta(days=31)))["mentor requests"] == 1
    async with sessions() as session:
        assert await session.scalar(select(MentorRequest.id)) is None


async def test_a_request_is_booked_with_its_post_and_asking_again_finds_it_until_posted(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The post is durable (a delivery of its own, beside the follow-up); a second ask finds
    the same request, unposted, so it is sent again rather than called known; once Discord
    confirmed it, the scheduler's post is cancelled and a second ask says it is there."""
    requests = MentorRequests(sessions, clock, Scheduler(sessions, clock))
    first = await requests.open(1, 501, channel_id=10, role_id=11)
    assert first.fresh
    assert not first.posted

    async def deliveries() -> dict[str, str]:
        async with sessions() as session:
            rows = await session.execute(
                select(Occurrence.kind, Occurrence.state).where(
                    Occurrence.source == source_of(first.request_id)
                )
            )
            return {kind: state for kind, state in rows.all()}

    assert await deliveries() == {MENTOR_POST.name: "pending", MENTOR_FOLLOW_UP.name: "pending"}
    again = await requests.open(1, 501, channel_id=10, role_id=11)
    assert (again.request_id, again.fresh, again.posted) == (first.request_id, False, False)
    await requests.posted(first.request_id, 9001)
    assert await deliveries() == {MENTOR_POST.name: "cancelled", MENTOR_FOLLOW_UP.name: "pending"}
    known = await requests.open(1, 501, channel_id=10, role_id=11)
    assert (known.request_id, known.fresh, known.posted) == (first.request_id, False, True)
