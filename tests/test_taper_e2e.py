"""The taper plan through the sandbox (issue 14): entering the prescriber's steps, editing and
cancelling them, each step's reminder by DM on its date in the member's zone, the optional
symptom check after a check-in in the 14 days after a step, and /mydata covering it all."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.db.models import Occurrence, TaperStep, TaperSymptomCheck
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Message
from bot.scheduling import CANCELLED, LATE, PENDING, SENT, Delivery, Due, Scheduler
from bot.services.key_rotation import KeyRotation
from bot.services.reminders import LATE_LIMIT
from bot.services.taper import SEVERE_MESSAGE, StepReminder, TaperService
from bot.services.taper.service import STEP_INDEX_TTL
from tests.conftest import START, World, deliveries_settled

AS_SET = "as your prescriber set it"
TALK_FIRST = "Talk to your prescriber before changing anything."
USER = 501
CHECKIN = {"mood": 3, "sleep": "6", "cravings": "none", "sober": "yes", "share": "private"}


async def set_zone(world: World, zone: str = "America/New_York") -> None:
    await world.sandbox.slash(world.member, world.general, "settings timezone", zone=zone)


async def count(running: Runtime, model: type) -> int:
    async with running.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def plan_dms(world: World) -> list[Message]:
    return [m for m in world.sandbox.dms_to(world.member) if "Today your plan says" in m.text]


async def states(running: Runtime, step_id: int) -> list[tuple[datetime, str]]:
    return await running.services.scheduler.states(f"taper:{step_id}")


async def test_several_steps_at_once_a_bad_line_refused_privately_and_the_plan_shown(
    running: Runtime, world: World
) -> None:
    sandbox, member = world.sandbox, world.member
    await set_zone(world)
    form = await sandbox.slash(member, world.general, "meds plan add")
    assert form.modal is not None
    refused = await sandbox.submit_modal(
        member, form, {"taper:steps": "2027-01-10 10 mg\nJan 24 5 mg\n2027-02-07 2.5 mg"}
    )
    assert refused.ephemeral
    assert refused.text.startswith("Line 2 (“Jan 24 5 mg”): start it with the date")
    assert await count(running, TaperStep) == 0  # a bad line: none of them are added

    form = await sandbox.slash(member, world.general, "meds plan add")
    added = await sandbox.submit_modal(
        member, form, {"taper:steps": "2027-01-10 10 mg\n2027-01-24 5 mg; with breakfast"}
    )
    assert added.ephemeral
    assert "Added 2 step(s), as your prescriber set it" in added.text
    assert "Sun, Jan 10, 2027**: 10 mg" in added.text
    assert "Sun, Jan 24, 2027**: 5 mg (with breakfast)" in added.text
    assert TALK_FIRST in added.text

    shown = await sandbox.slash(member, world.general, "meds plan show")
    assert shown.ephemeral
    assert AS_SET in shown.text
    assert TALK_FIRST in shown.text
    assert "1. **Sun, Jan 10, 2027**: 10 mg" in shown.text
    assert "2. **Sun, Jan 24, 2027**: 5 mg" in shown.text
    theirs = await sandbox.slash(world.other_member, world.general, "meds plan show")
    assert "You haven't entered a plan" in theirs.text

    # A reminder for each, at 9:00 in New York (EST, 14:00 UTC); no dose in the clear.
    steps = await running.services.taper.steps(member.id)
    for step, day in zip(steps, (10, 24), strict=True):
        assert await states(running, step.id) == [(datetime(2027, 1, day, 14, tzinfo=UTC), PENDING)]
    async with running.sessions() as session:
        stored = list(await session.scalars(select(TaperStep)))
    assert all(b"10 mg" not in row.details_encrypted for row in stored)
    assert all(b"2027-01-10" not in row.day for row in stored)  # nor its date
    assert all(str(member.id).encode() not in row.owner for row in stored)


async def test_the_reminder_comes_at_nine_local_even_with_a_daily_prompt_at_another_time(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await set_zone(world)
    await sandbox.slash(world.member, world.general, "checkin prompt", at="8pm")
    await sandbox.slash(
        world.member, world.general, "meds plan add", date="2027-01-10", dose="10 mg"
    )
    [step] = await running.services.taper.steps(world.member.id)
    # 9:00 in New York (14:00 UTC), not 8pm: the prompt's time is stored beside the user id.
    assert await states(running, step.id) == [(datetime(2027, 1, 10, 14, tzinfo=UTC), PENDING)]


async def test_editing_moves_the_reminder_and_cancelling_stops_it(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member, taper = world.sandbox, world.member, running.services.taper
    await set_zone(world)
    await sandbox.slash(member, world.general, "meds plan add", date="2026-11-25", dose="10 mg")
    await sandbox.slash(member, world.general, "meds plan add", date="2026-11-27", dose="5 mg")
    first, second = await taper.steps(member.id)
    choices = await sandbox.autocomplete(
        member, world.general, "meds plan edit", focused="step", value=""
    )
    assert [c["value"] for c in choices] == [str(first.id), str(second.id)]
    assert (
        await sandbox.autocomplete(
            world.other_member, world.general, "meds plan edit", focused="step", value=""
        )
        == []
    )

    stranger = await sandbox.slash(
        world.other_member, world.general, "meds plan edit", step=str(first.id), dose="1 mg"
    )
    assert "couldn't find that step" in stranger.text
    edited = await sandbox.slash(
        member, world.general, "meds plan edit", step=str(first.id), date="Nov 26"
    )
    assert "Thu, Nov 26, 2026**: 10 mg" in edited.text
    assert AS_SET in edited.text
    moved = [
        (datetime(2026, 11, 25, 14, tzinfo=UTC), CANCELLED),
        (datetime(2026, 11, 26, 14, tzinfo=UTC), PENDING),
    ]
    assert await states(running, first.id) == moved
    # A new note, or the date as it is, leaves the reminder as booked (so one in flight is
    # never booked again): it reads the step when it is sent.
    noted = await sandbox.slash(member, world.general, "meds plan edit", step=str(first.id),
                                date="2026-11-26", note="with breakfast")  # fmt: skip
    assert "with breakfast" in noted.text, noted.text
    assert await states(running, first.id) == moved
    gone = await sandbox.slash(member, world.general, "meds plan cancel", step=str(second.id))
    assert "Taken out of your plan, with its reminder" in gone.text
    assert TALK_FIRST in gone.text
    assert await states(running, second.id) == [(datetime(2026, 11, 27, 14, tzinfo=UTC), CANCELLED)]

    await clock.advance(datetime(2026, 11, 25, 14, 1, tzinfo=UTC) - clock.now())
    await deliveries_settled(running, clock)
    assert plan_dms(world) == []  # the old date passed with nothing sent
    await clock.advance(timedelta(days=1))  # Nov 26, 14:01 UTC: the moved reminder
    await sandbox.wait_for(lambda: len(plan_dms(world)) == 1, what="the step's reminder")
    assert plan_dms(world)[0].content.startswith(f"Today your plan says: 10 mg, {AS_SET}.")
    assert "Your note: with breakfast" in plan_dms(world)[0].content
    await clock.advance(timedelta(days=1))  # Nov 27: the cancelled step's date
    await deliveries_settled(running, clock)
    assert len(plan_dms(world)) == 1

    await sandbox.slash(member, world.general, "meds plan add", date="2027-01-10", dose="2.5 mg")
    [*_, last] = await taper.steps(member.id)
    whole = await sandbox.slash(member, world.general, "meds plan cancel", step="all")
    assert "Your plan is cleared: 2 step(s)" in whole.text
    assert await taper.steps(member.id) == []
    assert await states(running, last.id) == [(datetime(2027, 1, 10, 14, tzinfo=UTC), CANCELLED)]


async def test_step_reminders_arrive_on_their_dates_in_the_members_zone_across_a_dst_change(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await set_zone(world)
    form = await sandbox.slash(member, world.general, "meds plan add")
    # New York's clocks go forward on March 14, 2027: 9:00 is 14:00 UTC before, 13:00 after.
    await sandbox.submit_modal(
        member, form, {"taper:steps": "2027-03-13 10 mg\n2027-03-15 5 mg; half a tablet"}
    )
    await clock.advance(datetime(2027, 3, 13, 13, 59, tzinfo=UTC) - clock.now())
    await deliveries_settled(running, clock)
    assert plan_dms(world) == []
    await clock.advance(timedelta(minutes=1))
    await sandbox.wait_for(lambda: len(plan_dms(world)) == 1, what="the first step's reminder")
    [first] = plan_dms(world)
    assert first.content.startswith(f"Today your plan says: 10 mg, {AS_SET}.")
    assert TALK_FIRST in first.content
    assert "late" not in first.content

    await clock.advance(datetime(2027, 3, 15, 12, 59, tzinfo=UTC) - clock.now())
    await deliveries_settled(running, clock)
    assert len(plan_dms(world)) == 1  # not at 14:00 UTC as before the change: at 13:00
    await clock.advance(timedelta(minutes=1))
    await sandbox.wait_for(lambda: len(plan_dms(world)) == 2, what="the second step's reminder")
    second = plan_dms(world)[1]
    assert second.content.startswith(f"Today your plan says: 5 mg, {AS_SET}.")
    assert "Your note: half a tablet" in second.content
    await deliveries_settled(running, clock)  # the DM is in; its record may still be on the way
    steps = await running.services.taper.steps(member.id)
    assert [s for _, s in await states(running, steps[1].id)] == [SENT]


async def checkin(world: World) -> Message:
    answer = await world.sandbox.slash(world.member, world.general, "checkin now", **CHECKIN)
    assert answer.text.startswith("Saved.")
    return answer.messages[-1]


async def test_the_symptom_check_is_offered_for_14_days_after_a_step_and_can_be_skipped(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await set_zone(world)
    before = await checkin(world)
    assert "taper:symptoms" not in before.custom_ids()  # no plan, no symptom check
    await sandbox.slash(member, world.general, "meds plan add", date="2026-11-20", dose="10 mg")

    answer = await checkin(world)  # two days after the step
    assert {"taper:symptoms", "taper:skip"} <= set(answer.custom_ids())
    assert str(member.id) not in " ".join(answer.custom_ids())
    skipped = await sandbox.click(member, answer, "taper:skip")
    assert skipped.ephemeral
    assert "Nothing was saved" in skipped.text
    assert await count(running, TaperSymptomCheck) == 0

    form = await sandbox.click(member, answer, "taper:symptoms")
    assert form.modal is not None
    saved = await sandbox.submit_modal(
        member, form, {"taper:groups": ["insomnia", "sensory"], "taper:severity": "2"}
    )
    assert saved.ephemeral
    assert saved.text.startswith("Saved, privately: Insomnia or vivid dreams, Sensory; how bad: 2")
    assert f"step of November 20 (10 mg, {AS_SET})" in saved.text
    assert SEVERE_MESSAGE not in saved.text
    [check] = await running.services.taper.symptom_checks(member.id)
    assert (check.symptoms, check.severity, check.dose) == (("insomnia", "sensory"), 2, "10 mg")

    # Day 14 after the step (Dec 4, 10:00 in New York): still offered. Day 15: not.
    await clock.advance(datetime(2026, 12, 4, 15, tzinfo=UTC) - clock.now())
    assert "taper:symptoms" in (await checkin(world)).custom_ids()
    await clock.advance(timedelta(days=1))
    assert "taper:symptoms" not in (await checkin(world)).custom_ids()
    late = await sandbox.click(member, answer, "taper:symptoms")  # the old button, too late
    refused = await sandbox.submit_modal(member, late, {"taper:severity": "1"})
    assert "there's none in that time now" in refused.text
    assert await count(running, TaperSymptomCheck) == 1


async def test_a_step_entered_in_another_process_is_offered_within_the_index_time(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Two processes on one database (a DM served by one shard, the check-in by another): the
    step entered in one is offered in the other once its copy of the steps is STEP_INDEX_TTL
    old; a step cancelled there is never offered here, however fresh the copy."""
    keyring, scheduler = Keyring.generate(), Scheduler(sessions, clock)
    here = TaperService(sessions, clock, keyring, scheduler)
    there = TaperService(sessions, clock, keyring, scheduler)
    assert await here.symptom_offer(USER, "UTC") is None  # read now: no steps at all
    [step] = await there.add_steps(user_id=USER, text="2026-11-20 10 mg", zone="UTC",
                                   request_key=1)  # fmt: skip
    assert await there.symptom_offer(USER, "UTC") is not None  # entered there: at once
    await clock.advance(STEP_INDEX_TTL - timedelta(seconds=1))
    assert await here.symptom_offer(USER, "UTC") is None  # here, not yet
    await clock.advance(timedelta(seconds=1))
    offer = await here.symptom_offer(USER, "UTC")
    assert offer is not None
    assert (offer.step_on, offer.dose) == (date(2026, 11, 20), "10 mg")
    assert await here.symptom_offer(USER + 1, "UTC") is None  # another member: not theirs

    await there.cancel_step(USER, step.id)
    assert await here.symptom_offer(USER, "UTC") is None  # its copy still has the date

    # Moved into the last 14 days here: offered here at once.
    [later] = await here.add_steps(user_id=USER, text="2026-12-10 5 mg", zone="UTC",
                                   request_key=2)  # fmt: skip
    assert await here.symptom_offer(USER, "UTC") is None
    await here.edit_step(user_id=USER, step_id=later.id, when="2026-11-21", dose=None,
                         note=None, zone="UTC")  # fmt: skip
    moved = await here.symptom_offer(USER, "UTC")
    assert moved is not None
    assert (moved.step_on, moved.dose) == (date(2026, 11, 21), "5 mg")


async def test_a_severe_rating_asks_privately_to_contact_the_prescriber(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await sandbox.slash(
        world.member, world.general, "meds plan add", date="2026-11-21", dose="5 mg"
    )
    form = await sandbox.click(world.member, await checkin(world), "taper:symptoms")
    severe = await sandbox.submit_modal(
        world.member, form, {"taper:groups": ["imbalance"], "taper:severity": "3"}
    )
    assert severe.ephemeral
    assert severe.text.startswith(SEVERE_MESSAGE)
    assert "please contact your prescriber" in severe.text.lower()
    assert "988, then press 1" in severe.text
    assert "dose" not in SEVERE_MESSAGE.lower()  # nothing about the dose


async def test_export_and_delete_cover_the_plan_and_the_symptom_checks(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(
        member, world.general, "meds plan add", date="2026-11-21", dose="10 mg", note="per Dr. K"
    )
    await sandbox.slash(member, world.general, "meds plan add", date="2027-01-10", dose="5 mg")
    await sandbox.slash(world.other_member, world.general, "meds plan add", date="2027-01-10",
                        dose="20 mg")  # fmt: skip
    form = await sandbox.click(member, await checkin(world), "taper:symptoms")
    await sandbox.submit_modal(member, form, {"taper:groups": ["flu"], "taper:severity": "1"})

    await sandbox.slash(member, world.general, "mydata export")
    [dm] = [m for m in sandbox.dms_to(member) if m.attachments]
    data = json.loads(next(a.data for a in dm.attachments if a.filename.endswith(".json")))
    assert [(s["date"], s["dose"], s["note"]) for s in data["taper_plan"]] == [
        ("2026-11-21", "10 mg", "per Dr. K"), ("2027-01-10", "5 mg", None),
    ]  # fmt: skip
    [exported] = data["taper_symptom_checks"]
    assert exported["after_step_on"] == "2026-11-21"
    assert exported["symptoms"].startswith("Flu-like")
    assert exported["how_bad"] == "1 (mild)"

    step_ids = [step.id for step in await running.services.taper.steps(member.id)]
    asked = await sandbox.slash(member, world.general, "mydata delete")
    await sandbox.click(member, asked.messages[0], "mydata:confirm")
    assert "2 taper steps, 1 symptom check" in asked.messages[0].content
    assert await running.services.taper.steps(member.id) == []
    assert await running.services.taper.symptom_checks(member.id) == []
    assert len(await running.services.taper.steps(world.other_member.id)) == 1  # theirs stays
    for step_id in step_ids:  # their reminders go with them
        assert await states(running, step_id) == []
    await clock.advance(datetime(2027, 1, 10, 14, 1, tzinfo=UTC) - clock.now())
    await deliveries_settled(running, clock)
    assert plan_dms(world) == []  # the deleted step's reminder went with it
    assert clock.now() > START


async def test_key_rotation_rewrites_the_plan_the_checks_and_the_reminders_owner(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    old = Keyring.generate("k1")
    scheduler = Scheduler(sessions, clock)
    before = TaperService(sessions, clock, old, scheduler)
    await before.add_steps(user_id=USER, text="2026-11-21 10 mg\n2027-01-10 5 mg; a note",
                           zone="UTC", request_key=1)  # fmt: skip
    await before.record_symptom_check(
        user_id=USER, symptoms=["nausea"], severity=1, zone="UTC", request_key=2
    )
    new_key = Keyring.generate("k2").encryption_keys["k2"]
    rotated = Keyring(old.pseudonym_key, {"k2": new_key, "k1": old.encryption_keys["k1"]}, "k2")
    report = await KeyRotation(sessions, clock, rotated).reencrypt()
    # Two steps (owner, dose and date each), one check (owner and data), one reminder's
    # owner and zone.
    assert (report.reencrypted, report.unreadable) == (2 * 3 + 2 + 2, 0)
    only_new = Keyring(old.pseudonym_key, {"k2": new_key}, "k2")
    after = TaperService(sessions, clock, only_new, scheduler)
    assert [(s.on.isoformat(), s.dose, s.note) for s in await after.steps(USER)] == [
        ("2026-11-21", "10 mg", None), ("2027-01-10", "5 mg", "a note"),
    ]  # fmt: skip
    [check] = await after.symptom_checks(USER)
    assert (check.symptoms, check.severity) == (("nausea",), 1)
    async with sessions() as session:
        booked = await session.scalar(select(Occurrence).where(Occurrence.kind == "taper_step"))
    assert booked is not None
    due = Due(booked.id, booked.source, booked.kind, booked.due_at, 0, booked.payload)
    reminder = await after.prepare(due, booked.due_at)
    assert isinstance(reminder, StepReminder)
    assert (reminder.user_id, reminder.dose, reminder.timezone) == (USER, "5 mg", "UTC")


async def test_a_reminders_zone_is_sealed_and_one_booked_in_the_clear_still_reads(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    scheduler = Scheduler(sessions, clock)
    taper = TaperService(sessions, clock, Keyring.generate(), scheduler)
    await taper.add_steps(
        user_id=USER, text="2027-01-10 5 mg", zone="Pacific/Honolulu", request_key=1
    )
    async with sessions() as session:
        booked = await session.scalar(select(Occurrence).where(Occurrence.kind == "taper_step"))
    assert booked is not None
    assert "Honolulu" not in str(booked.payload)
    due = Due(booked.id, booked.source, booked.kind, booked.due_at, 0, booked.payload)
    sealed = await taper.prepare(due, due.due_at)
    assert isinstance(sealed, StepReminder)
    assert sealed.timezone == "Pacific/Honolulu"
    before = Due(booked.id, booked.source, booked.kind, booked.due_at, 0,
                 {**booked.payload, "zone": "America/Chicago"})  # fmt: skip
    clear = await taper.prepare(before, due.due_at)
    assert isinstance(clear, StepReminder)
    assert clear.timezone == "America/Chicago"


async def test_a_late_reminder_says_so_and_one_past_the_late_limit_is_skipped(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    scheduler = Scheduler(sessions, clock)
    taper = TaperService(sessions, clock, Keyring.generate(), scheduler)
    await taper.add_steps(user_id=USER, text="2027-01-10 5 mg", zone="UTC", request_key=1)
    async with sessions() as session:
        booked = await session.scalar(select(Occurrence).where(Occurrence.kind == "taper_step"))
    assert booked is not None
    due = Due(booked.id, booked.source, booked.kind, booked.due_at, 0, booked.payload)
    on_time = await taper.prepare(due, due.due_at + timedelta(seconds=30))
    assert isinstance(on_time, StepReminder)
    assert on_time.late_since is None
    late = await taper.prepare(due, due.due_at + timedelta(hours=2))
    assert isinstance(late, StepReminder)
    assert late.late_since == due.due_at
    assert late.deadline == due.due_at + LATE_LIMIT
    missed = await taper.prepare(due, due.due_at + LATE_LIMIT + timedelta(minutes=1))
    assert isinstance(missed, Delivery)
    assert (missed.status, missed.cause) == ("skipped_late", LATE)


async def test_the_packets_reads_give_the_steps_and_checks_of_a_period(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    taper = TaperService(sessions, clock, Keyring.generate(), Scheduler(sessions, clock))
    await taper.add_steps(user_id=USER, text="2026-11-01 20 mg\n2026-11-21 10 mg\n2027-01-10 5 mg",
                          zone="UTC", request_key=1)  # fmt: skip
    await taper.add_steps(user_id=USER + 1, text="2026-11-21 1 mg", zone="UTC", request_key=2)
    await taper.record_symptom_check(
        user_id=USER, symptoms=["flu"], severity=2, zone="UTC", request_key=3
    )
    period = await taper.plan_steps(USER, date(2026, 11, 10), date(2026, 12, 31))
    assert [(step.on, step.dose) for step in period] == [(date(2026, 11, 21), "10 mg")]
    assert len(await taper.plan_steps(USER)) == 3
    [check] = await taper.symptom_checks(USER, date(2026, 11, 22), date(2026, 11, 22))
    assert (check.step_on, check.dose, check.severity) == (date(2026, 11, 21), "10 mg", 2)
    assert await taper.symptom_checks(USER, date(2026, 11, 23)) == []
    assert await taper.symptom_checks(USER + 1) == []


async def test_a_step_entered_on_its_day_after_its_time_is_due_now_and_comes_once_that_day(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    scheduler = Scheduler(sessions, clock)
    taper = TaperService(sessions, clock, Keyring.generate(), scheduler)
    today = clock.now().astimezone(UTC).date()
    assert clock.now().astimezone(UTC).hour >= 9
    [step] = await taper.add_steps(
        user_id=USER, text=f"{today.isoformat()} 5 mg", zone="UTC", request_key=1
    )
    assert step.reminder_at == clock.now()
    async with sessions.begin() as session:
        booked = await session.scalar(select(Occurrence).where(Occurrence.kind == "taper_step"))
        assert booked is not None
        booked.state = SENT  # it went out
    await clock.advance(timedelta(minutes=5))
    await taper.edit_step(user_id=USER, step_id=step.id, when=None, dose=None, note="a note",
                          zone="UTC")  # fmt: skip
    async with sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(Occurrence).where(Occurrence.state == PENDING)
        )
    assert pending == 0, "an edit on the day must not send the day's reminder again"
    [past] = await taper.add_steps(
        user_id=USER, text=f"{(today - timedelta(days=1)).isoformat()} 6 mg", zone="UTC",
        request_key=2,
    )  # fmt: skip
    assert past.reminder_at is None
