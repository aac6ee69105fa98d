"""Red team, issue #14, second round: the taper plan's step reminders, the questions for the
provider and the visit packet, attacked where round one did not go: a member who moves to
another time zone, an edit that lands while a step's DM is uncertain or in flight, a removal
retried after its answer was lost, two additions at once at a list's limit (questions, plan
steps), a second press of the packet offer while the packet is on its way, and kill -9 of the
real process after Discord took a step DM.

Times of DMs are read from the message ids on the test's clock (`ids_on_the_test_clock`):
round one's zone-change test read them on the wall clock, so it passes or fails with the
real date (with the test clock's ids it fails: Nov 30 in Honolulu, not Dec 1).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import load_settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Occurrence
from bot.runtime import Runtime
from bot.sandbox import Message, Sandbox
from bot.sandbox.state import DISCORD_EPOCH_MS
from bot.services.taper.rules import MAX_STEPS
from tests.attack.test_health_records_round1 import plan, rows, run_until, zone
from tests.conftest import World, deliveries_settled, eventually, handlers_finished
from tests.test_attacker import take_dump
from tests.test_checkins_e2e import configure
from tests.test_crash_recovery import MESSAGE_POST, bot_process

MESSAGES = r"/channels/\d+/messages"
ANSWER = r"/webhooks/\d+/[^/]+$"  # a deferred interaction's answer (a follow-up)


def sent_at(message: Message) -> datetime:
    return datetime.fromtimestamp(((message.id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def step_dms(sandbox: Sandbox, world: World, dose: str) -> list[Message]:
    return [m for m in sandbox.dms_to(world.member) if dose in m.text]


def packets(sandbox: Sandbox, world: World) -> list[Message]:
    return [
        m for m in sandbox.dms_to(world.member)
        if any(a.filename.endswith(".pdf") for a in m.attachments)
    ]  # fmt: skip


async def first_step_value(sandbox: Sandbox, world: World) -> str:
    [choice, *_] = await sandbox.autocomplete(
        world.member, world.general, "meds plan edit", focused="step", value=""
    )
    return str(choice["value"])


# ----- 1. the member moves to another zone: the step DM stays on the old zone's clock -----


async def test_a_step_dm_comes_at_nine_on_its_date_in_the_zone_the_member_moved_to(
    running: Runtime, world: World, clock: FakeClock, ids_on_the_test_clock: None
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    added = await sandbox.slash(sam, world.general, "meds plan add", date="2026-12-01",
                                dose="7.5 mg")  # fmt: skip
    assert added.ephemeral, added.text
    moved = await sandbox.slash(sam, world.general, "settings timezone", zone="Australia/Sydney")
    assert "Australia/Sydney" in moved.text, moved.text
    sydney = ZoneInfo("Australia/Sydney")
    await run_until(running, clock, datetime(2026, 12, 2, 23, 0, tzinfo=sydney))
    [step] = step_dms(sandbox, world, "7.5 mg")
    local = sent_at(step).astimezone(sydney)
    # 09:00 New York on Dec 1 is 01:00 on Dec 2 in Sydney: a day late, in the night.
    assert (local.date().isoformat(), local.hour) == ("2026-12-01", 9), local


# ----- 2. an edit after Discord took the step DM but its answer was lost -----


async def test_a_step_edited_after_discord_took_its_dm_is_not_dmed_again(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-24 20 mg\n2026-12-08 15 mg")
    nine = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York
    await run_until(running, clock, nine - timedelta(minutes=1))
    assert step_dms(sandbox, world, "20 mg") == []
    dropped = sandbox.drop_next("POST", MESSAGES)  # Discord makes the DM; the answer is lost
    await clock.advance(nine - clock.now())
    await deliveries_settled(running, clock)
    assert dropped.used, "the step DM was never tried"
    assert len(step_dms(sandbox, world, "20 mg")) == 1, "the DM Discord took is in Sam's DMs"
    # Sam reads it and, a few seconds on, adds the note his prescriber gave him.
    await clock.advance(timedelta(seconds=3))
    edited = await sandbox.slash(sam, world.general, "meds plan edit",
                                 step=await first_step_value(sandbox, world),
                                 note="with breakfast")  # fmt: skip
    assert edited.ephemeral, edited.text
    await run_until(running, clock, datetime(2026, 11, 25, 4, 0, tzinfo=UTC))
    steps = step_dms(sandbox, world, "20 mg")
    assert len(steps) == 1, [m.text[:80] for m in steps]


# ----- 3. an edit while the step DM is in flight -----


async def test_a_step_edited_while_its_dm_is_in_flight_is_dmed_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-24 20 mg\n2026-12-08 15 mg")
    nine = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    await run_until(running, clock, nine - timedelta(minutes=1))
    stall = sandbox.stall_next("POST", MESSAGES, after_handling=True)
    await clock.advance(nine - clock.now())
    await asyncio.wait_for(stall.arrived.wait(), 10)  # Discord has it; the answer waits
    await clock.advance(timedelta(minutes=1))  # a minute on, Sam adds his prescriber's note
    edited = await sandbox.slash(sam, world.general, "meds plan edit",
                                 step=await first_step_value(sandbox, world),
                                 note="with breakfast")  # fmt: skip
    assert edited.ephemeral, edited.text
    stall.release.set()
    await run_until(running, clock, datetime(2026, 11, 25, 4, 0, tzinfo=UTC))
    steps = step_dms(sandbox, world, "20 mg")
    assert len(steps) == 1, [m.text[:80] for m in steps]


# ----- 4. a question's removal retried after its answer was lost -----


async def test_a_question_removal_retried_after_its_answer_was_lost_removes_one_question(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    for question in ("Q-alpha: are the zaps normal?", "Q-beta: how long?", "Q-gamma: sleep?"):
        await sandbox.slash(sam, world.general, "checkin questions add", question=question)
    # Sam picks the first question on his list as he types (the option's autocomplete).
    [alpha, *_] = await sandbox.autocomplete(
        sam, world.general, "checkin questions remove", focused="question", value=""
    )
    assert "Q-alpha" in alpha["name"], alpha
    dropped = sandbox.drop_next("POST", ANSWER)  # the answer is made; Sam never sees it
    first = await sandbox.slash(sam, world.general, "checkin questions remove",
                                question=alpha["value"], wait=False)  # fmt: skip
    await sandbox.wait_for(lambda: first.acknowledged, what="the removal's defer")
    await handlers_finished()
    assert dropped.used, "the answer was never sent"
    # Muster stays "thinking" on Sam's screen; he sends the same command again.
    again = await sandbox.slash(sam, world.general, "checkin questions remove",
                                question=alpha["value"])  # fmt: skip
    assert again.ephemeral, again.text
    left = await sandbox.slash(sam, world.general, "checkin questions list")
    kept = [q for q in ("Q-alpha", "Q-beta", "Q-gamma") if q in left.text]
    assert kept == ["Q-beta", "Q-gamma"], f"one removal, retried, removed two: {left.text!r}"


# ----- 5. two questions added at once when the list has room for one -----


async def test_two_questions_added_at_once_keep_the_list_to_its_limit(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    for number in range(9):
        await sandbox.slash(sam, world.general, "checkin questions add",
                            question=f"Question {number}?")  # fmt: skip
    await asyncio.gather(
        sandbox.slash(sam, world.general, "checkin questions add", question="Tenth A?"),
        sandbox.slash(sam, world.general, "checkin questions add", question="Tenth B?"),
    )
    dump = await take_dump(running)
    assert len(rows(dump, "provider_questions")) <= 10, "more questions than the list holds"


async def test_two_steps_added_at_once_keep_the_plan_to_its_limit(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    first = datetime(2026, 12, 3, tzinfo=UTC)
    days = [(first + timedelta(days=day)).date().isoformat() for day in range(MAX_STEPS + 1)]
    for start in range(0, MAX_STEPS - 1, 20):
        lines = [f"{day} {number} mg" for number, day in enumerate(days) if number < MAX_STEPS - 1]
        added = await plan(sandbox, sam, world, "\n".join(lines[start : start + 20]))
        assert "Added" in added.text, added.text
    await asyncio.gather(
        sandbox.slash(sam, world.general, "meds plan add", date=days[-2], dose="1 mg"),
        sandbox.slash(sam, world.general, "meds plan add", date=days[-1], dose="0.5 mg"),
    )
    dump = await take_dump(running)
    assert len(rows(dump, "taper_steps")) <= MAX_STEPS, "more steps than a plan holds"


# ----- 6. the packet offer pressed again while the packet is on its way -----


async def test_the_packet_offer_pressed_again_while_the_packet_is_in_flight_sends_it_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await sandbox.slash(sam, world.general, "checkin questions add", question="Zaps?")
    remind = await sandbox.slash(sam, world.general, "remind add", what="Psych visit",
                                 when="Nov 30 10am", kind="appointment")  # fmt: skip
    offer = remind.messages[-1]
    [initials] = [c for c in offer.custom_ids() if c.startswith("packet:initials:")]
    [name] = [c for c in offer.custom_ids() if c.startswith("packet:name:")]
    await sandbox.click(sam, offer, initials)
    morning = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 08:00 in New York, three days before
    await run_until(running, clock, morning - timedelta(minutes=1))
    assert packets(sandbox, world) == []
    stall = sandbox.stall_next("POST", MESSAGES, after_handling=True)
    await clock.advance(morning - clock.now())
    await asyncio.wait_for(stall.arrived.wait(), 10)
    # Sam changes his mind: his name on it, not his initials. The packet is on its way.
    changed = await sandbox.click(sam, offer, name)
    assert changed.ephemeral, changed.text
    stall.release.set()
    await run_until(running, clock, datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    sent = packets(sandbox, world)
    assert len(sent) == 1, [m.text[:80] for m in sent]


# ----- 7. kill -9 after Discord took the step DM, before it was recorded -----


@pytest.mark.slow
async def test_kill_9_after_the_step_dm_went_out_then_restart_dms_it_once(
    tmp_path: Path, world: World, database: dict[str, Any]
) -> None:
    """The real process, on the real clock: a step dated today in Tokyo, entered after 09:00
    there, is DMed at once (round one, attack 19); the process dies with Discord holding the
    DM and no answer back, and the restarted one must not send it again."""
    sandbox, sam = world.sandbox, world.member
    async with bot_process(tmp_path, world, database) as first:
        tokyo = datetime.now(UTC).astimezone(ZoneInfo("Asia/Tokyo"))
        if not 9 <= tokyo.hour < 23:
            pytest.skip("needs Tokyo's clock between 09:00 and 23:00")
        await sandbox.slash(sam, world.general, "settings timezone", zone="Asia/Tokyo",
                            timeout=10)  # fmt: skip
        stall = sandbox.stall_next("POST", MESSAGE_POST, after_handling=True)
        added = await sandbox.slash(sam, world.general, "meds plan add",
                                    date=tokyo.date().isoformat(), dose="12.5 mg",
                                    timeout=10)  # fmt: skip
        assert "12.5 mg" in added.text, added.text
        await asyncio.wait_for(stall.arrived.wait(), timeout=20)
        first.kill()  # SIGKILL: no settle
        await first.wait()
    assert len(step_dms(sandbox, world, "12.5 mg")) == 1, "Discord took the DM before the kill"

    async with bot_process(tmp_path, world, database):

        async def settled() -> bool:
            engine = create_engine(load_settings(**database))
            try:
                async with create_session_factory(engine)() as session:
                    states = list(await session.scalars(
                        select(Occurrence.state).where(Occurrence.kind == "taper_step")
                    ))  # fmt: skip
            finally:
                await engine.dispose()
            return states == ["sent"]

        await eventually(settled, timeout=30, what="the restarted bot to settle the step DM")
    steps = step_dms(sandbox, world, "12.5 mg")
    assert len(steps) == 1, [m.text[:80] for m in steps]
    assert sum(sandbox.posts_by_nonce.values()) == 1, dict(sandbox.posts_by_nonce)
