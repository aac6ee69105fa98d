"""The measures' rules against a real database: cadence, skipping a prompt made needless,
retention and key rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.key_rotation import KeyRotation
from bot.services.measures import RESULTS_KEPT, MeasureScore, MeasureService, instrument
from bot.services.retention import RetentionService
from tests.conftest import START

USER = 501


async def _fill(measures: MeasureService, code: str, value: int, key: int) -> MeasureScore:
    draft = await measures.start(USER, code)
    result = await measures.resume(USER, draft.id)
    answers = dict.fromkeys(range(len(instrument(code).items)), value)
    shown = await measures.answer(USER, result.id, answers, request_key=key)
    assert isinstance(shown, MeasureScore)
    return shown


async def test_prompts_come_every_two_weeks_or_every_month_at_ten_local(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    scheduler = Scheduler(sessions, clock)
    measures = MeasureService(sessions, clock, Keyring.generate(), scheduler)
    gad = await measures.opt_in(USER, "gad7", "America/New_York")
    # START is 10:00 in New York on Nov 22: the first is the next 10:00 there.
    assert gad.next_prompt == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    pcl = await measures.opt_in(USER, "pcl5", "America/New_York")
    await clock.advance(timedelta(days=1, minutes=1))
    due = await scheduler.claim()
    prompts = {d.source: await measures.prepare(d, clock.now()) for d in due}
    assert len(prompts) == 2
    following = {code.code: code.next_prompt for code in await measures.opted_in(USER)}
    assert following["gad7"] == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert following["pcl5"] == datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
    assert pcl.code == "pcl5"


async def test_a_prompt_right_after_filling_it_in_is_skipped(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    scheduler = Scheduler(sessions, clock)
    measures = MeasureService(sessions, clock, Keyring.generate(), scheduler)
    await measures.opt_in(USER, "phq8", "UTC")
    await _fill(measures, "phq8", 1, key=1)
    await clock.advance(timedelta(days=1))
    [due] = await scheduler.claim()
    outcome = await measures.prepare(due, clock.now())
    assert getattr(outcome, "status", None) == "cancelled"


async def test_retention_drops_left_drafts_and_old_scores_and_rotation_keeps_them_readable(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    old = Keyring.generate("k1")
    scheduler = Scheduler(sessions, clock)
    measures = MeasureService(sessions, clock, old, scheduler)
    await measures.opt_in(USER, "gad7", "UTC")
    kept = await _fill(measures, "gad7", 2, key=1)
    assert (kept.total, kept.band) == (14, "moderate")
    await measures.start(USER, "pcl5")  # left unfinished

    new_key = Keyring.generate("k2").encryption_keys["k2"]
    rotated = Keyring(old.pseudonym_key, {"k2": new_key, "k1": old.encryption_keys["k1"]}, "k2")
    await KeyRotation(sessions, clock, rotated).reencrypt()
    only_new = Keyring(old.pseudonym_key, {"k2": new_key}, "k2")
    readable = MeasureService(sessions, clock, only_new, scheduler)
    assert [s.total for s in await readable.scores(USER)] == [14]
    assert [o.code for o in await readable.opted_in(USER)] == ["gad7"]

    await clock.advance(timedelta(days=2))
    removed = await RetentionService(sessions, clock, only_new).run(clock.now())
    assert removed["questionnaire drafts"] == 2  # the one left, and the finished one's stub
    assert removed["measure scores"] == 0
    await clock.advance(RESULTS_KEPT + timedelta(days=8))
    removed = await RetentionService(sessions, clock, only_new).run(clock.now())
    assert removed["measure scores"] == 1
    assert await readable.scores(USER) == []


async def test_scores_for_a_period_as_the_visit_packet_asks(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    measures = MeasureService(sessions, clock, Keyring.generate(), Scheduler(sessions, clock))
    await _fill(measures, "phq8", 0, key=1)
    await clock.advance(timedelta(days=14))
    await _fill(measures, "phq8", 2, key=2)
    first_day = START.date()
    both = await measures.scores(USER, first_day, first_day + timedelta(days=30))
    assert [(s.name, s.total, s.band) for s in both] == [
        ("PHQ-8", 0, "none to minimal"), ("PHQ-8", 16, "moderately severe"),
    ]  # fmt: skip
    later = await measures.scores(USER, first_day + timedelta(days=7), None)
    assert [s.total for s in later] == [16]
    assert "0-4 none to minimal" in later[0].cut_note
