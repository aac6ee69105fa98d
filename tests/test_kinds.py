"""Kinds of delivery: the source keys they write are the ones databases already hold, they read
back what they write, and Muster will not start while a kind has nobody to send it."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest

import bot.app
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.keys import Keyring
from bot.runtime import open_runtime
from bot.scheduling import Kind, NoSenderError, RowKind, Scheduler, SourceError
from bot.scheduling.alarm import ClockAlarm
from bot.scheduling.dispatcher import Dispatcher
from bot.services import KINDS
from bot.services.checkins import (
    MILESTONE,
    PROMPT,
    RELEASE,
    SUMMARY,
    MilestoneSource,
    details_context,
)
from bot.services.checkins import name_context as milestone_name_context
from bot.services.measures import MEASURE
from bot.services.meetings import MEETING
from bot.services.mentors import MENTOR_FOLLOW_UP, MENTOR_POST
from bot.services.packet import PACKET
from bot.services.packet import name_context as packet_name_context
from bot.services.packet.questions import text_context as question_context
from bot.services.reminders import REMINDER
from bot.services.reminders import text_context as reminder_context
from bot.services.retention import RETENTION_JOB
from bot.services.taper import TAPER_STEP
from cogs.packet import PacketCog

# Written literally, as the databases hold them: (kind column, what its sources begin with).
# Changing one strands every delivery already booked; no migration rewrites them.
STORED = {
    ("personal", "reminder:"),
    ("packet", "packet:"),
    ("meeting", "meeting:"),
    ("anonymous", "anon-release:"),
    ("milestone", "milestone:"),
    ("prompt", "prompt:"),
    ("summary", "summary:"),
    ("measure", "measure:"),
    ("taper_step", "taper:"),
    ("mentor_post", "mentor:"),
    ("mentor_followup", "mentor:"),
    ("job", "job:"),
}
MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_every_kind_keeps_the_name_and_prefix_databases_hold() -> None:
    assert {(kind.name, kind.start) for kind in KINDS} == STORED
    assert len({kind.name for kind in KINDS}) == len(KINDS)  # one sender per name


def test_sources_are_written_as_stored() -> None:
    assert REMINDER.source(12) == "reminder:12"
    assert PACKET.source(12) == "packet:12"
    assert PROMPT.source(3) == "prompt:3"
    assert SUMMARY.source(99) == "summary:99"
    assert MEASURE.source(4) == "measure:4"
    assert TAPER_STEP.source(5) == "taper:5"
    assert MENTOR_POST.source(6) == MENTOR_FOLLOW_UP.source(6) == "mentor:6"  # one source
    assert MEETING.source(7, MOMENT) == "meeting:7:1767323045"
    assert MEETING.series(7) == "meeting:7:"
    assert MILESTONE.source(8) == "milestone:8"
    assert re.fullmatch(r"milestone:8:42:[0-9a-f]{8}", MILESTONE.shared_source(42, 8))
    assert MILESTONE.shared_like(42) == "milestone:%:42:%"
    assert re.fullmatch(r"anon-release:42:[0-9a-f]{8}", RELEASE.source(42))
    assert RELEASE.of_server(42) == "anon-release:42:"
    assert RETENTION_JOB.source() == "job:retention"


def test_encryption_contexts_are_as_stored() -> None:
    assert reminder_context(12) == "reminder:12"
    assert packet_name_context(12) == "packet:12"
    assert milestone_name_context(8) == "milestone:8"
    assert details_context("ab12") == "med:ab12"
    assert question_context("ab12") == "question:ab12"


@pytest.mark.parametrize(
    "kind", [k for k in KINDS if isinstance(k, RowKind)], ids=lambda kind: kind.name
)
def test_a_row_kind_reads_back_its_own_sources(kind: RowKind) -> None:
    for row_id in (1, 12, 2**53):
        source = kind.source(row_id)
        assert kind.owns(source)
        assert kind.parse(source) == row_id
    assert kind.sources([1, 2]) == [kind.source(1), kind.source(2)]


def test_the_other_kinds_read_back_their_own_sources() -> None:
    assert MEETING.parse(MEETING.source(7, MOMENT)) == (7, MOMENT)
    assert MEETING.source(7, MOMENT).startswith(MEETING.series(7))
    assert not MEETING.source(70, MOMENT).startswith(MEETING.series(7))
    assert MILESTONE.parse(MILESTONE.source(8)) == MilestoneSource(8, None)
    shared = MILESTONE.shared_source(42, 8)
    assert MILESTONE.is_shared(shared)
    assert not MILESTONE.is_shared(MILESTONE.source(8))
    assert MILESTONE.parse(shared) == MilestoneSource(8, 42)
    assert MILESTONE.parse(MILESTONE.shared_source(42, 0)) == MilestoneSource(0, 42)
    assert MILESTONE.shared_source(42, 8) != shared  # a token of its own at each booking
    release = RELEASE.source(42)
    assert RELEASE.parse(release) == 42
    assert release.startswith(RELEASE.of_server(42))
    assert not RELEASE.source(420).startswith(RELEASE.of_server(42))


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        (REMINDER, "packet:12"),  # another kind's
        (REMINDER, "reminder"),
        (REMINDER, "reminder:12:3"),
        (MEETING, "meeting:7"),
        (RELEASE, "anon-release:42"),
        (MILESTONE, "milestone:8:42"),
    ],
)
def test_a_kind_refuses_a_source_it_did_not_write(kind: Kind, source: str) -> None:
    parse = getattr(kind, "parse")  # noqa: B009  # each kind's parse has its own type
    with pytest.raises(SourceError):
        parse(source)


async def test_the_dispatcher_will_not_start_while_a_kind_has_no_sender(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    scheduler = Scheduler(sessions, clock)
    scheduler.register(REMINDER, _Nobody())
    dispatcher = Dispatcher(scheduler, clock, ClockAlarm(clock), kinds=(REMINDER, PACKET))
    with pytest.raises(NoSenderError) as refused:
        await dispatcher.start()
    assert refused.value.kinds == (PACKET,)
    assert "'packet' (sources packet:...)" in str(refused.value)
    assert dispatcher.armed_for is None  # nothing was set going
    scheduler.register(PACKET, _Nobody())
    await dispatcher.start()
    await dispatcher.stop()


async def test_muster_does_not_start_with_a_feature_whose_sender_is_missing(
    bot_settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The packet's cog left out (its sender registers in cog_load): start-up stops with the
    kind named, instead of settling every packet failed_permanent."""
    every_cog = bot.app.build_cogs
    monkeypatch.setattr(
        bot.app,
        "build_cogs",
        lambda muster: [cog for cog in every_cog(muster) if not isinstance(cog, PacketCog)],
    )
    async with open_runtime(
        bot_settings, Keyring.generate(), clock=clock, alarm=ClockAlarm(clock)
    ) as runtime:
        starting = asyncio.create_task(runtime.bot.start(bot_settings.require_token()))
        await asyncio.wait({starting}, timeout=10)  # refused at once; or it runs on, wrongly
        await runtime.bot.close()
        with pytest.raises(NoSenderError, match=r"'packet' \(sources packet:\.\.\.\)"):
            await starting


class _Nobody:
    async def deliver(self, due: object, now: datetime) -> object:
        raise AssertionError("nothing is due")
