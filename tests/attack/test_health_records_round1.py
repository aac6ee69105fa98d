"""Red team, issue #14, first round: the taper plan, symptom checks, measures, questions for
the provider and the visit packet, attacked from the promise alone (the feature code unread).

Each test drives the real bot through the sandbox as two members and a moderator would, then
attacks with what an attacker holds: a database dump (every table and column, clear values,
lengths, timestamps and the deliveries' sources, payloads and due times), what others see in
Discord, Discord's faults, double submits and hostile input. An attack that still succeeds is a
strict xfail naming the break.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox import InteractionResult, Member, Message, Sandbox
from bot.sandbox.state import DISCORD_EPOCH_MS
from tests.conftest import World, database_unavailable, deliveries_settled, eventually
from tests.test_attacker import Dump, take_dump
from tests.test_checkins_e2e import checkin_options, configure

CRISIS_NUMBER = "988"


def crisis_lines_shown(text: str) -> bool:
    return CRISIS_NUMBER in text and "press 1" in text.lower()


async def run_until(running: Runtime, clock: FakeClock, when: datetime) -> None:
    """Run every delivery, each at its own moment, up to `when`."""
    scheduler = running.services.scheduler
    while True:
        await deliveries_settled(running, clock)
        due = await scheduler.next_due()
        if due is None or due > when:
            break
        if due > clock.now():
            await clock.advance(due - clock.now())
    if when > clock.now():
        await clock.advance(when - clock.now())
    await deliveries_settled(running, clock)


def rows(dump: Dump, table: str) -> list[dict[str, Any]]:
    return dump.rows[table]


def cells(dump: Dump) -> Iterator[tuple[str, str, Any]]:
    """(table, column, value) for every value in the dump, JSON payloads opened up."""
    for table, found in dump.rows.items():
        for row in found:
            for column, value in row.items():
                yield from _open(table, column, value)


def _open(table: str, column: str, value: Any) -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _open(table, f"{column}.{key}", item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _open(table, column, item)
    elif value is not None:
        yield table, column, value


def pdf_text(message: Message) -> str:
    [packet] = [a for a in message.attachments if a.filename.endswith(".pdf")]
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(packet.data)).pages)


async def zone(sandbox: Sandbox, who: Member, where: World, name: str) -> None:
    await sandbox.slash(who, where.general, "settings timezone", zone=name)


async def plan(sandbox: Sandbox, who: Member, world: World, lines: str) -> InteractionResult:
    shown = await sandbox.slash(who, world.general, "meds plan add")
    assert shown.modal is not None, shown.text
    return await sandbox.submit_modal(who, shown, {"taper:steps": lines})


async def measure_on(sandbox: Sandbox, who: Member, world: World, key: str) -> InteractionResult:
    panel = await sandbox.slash(who, world.general, "measures")
    return await sandbox.click(who, panel.messages[-1], f"measures:on:{key}")


async def fill_measure(
    sandbox: Sandbox, who: Member, world: World, key: str, answer: int
) -> InteractionResult:
    """Start a questionnaire from /measures and answer every item with option `answer`."""
    panel = await sandbox.slash(who, world.general, "measures")
    result = await sandbox.click(who, panel.messages[-1], f"measures:start:{key}")
    for _ in range(12):
        if result.modal is not None:
            values: dict[str, Any] = {}
            for row in result.modal["components"]:
                part = row.get("component") or (row.get("components") or [{}])[0]
                if "custom_id" in part and part.get("options"):
                    options = part["options"]
                    values[part["custom_id"]] = options[min(answer, len(options) - 1)]["value"]
            result = await sandbox.submit_modal(who, result, values)
            continue
        shown = result.messages[-1] if result.messages else result.updated_message
        assert shown is not None, "no answer"
        nexts = [c for c in shown.custom_ids() if c.startswith("measures:next")]
        if not nexts:
            return result
        result = await sandbox.click(who, shown, nexts[0])
    raise AssertionError("the questionnaire never ended")


def local_time_of(moment: datetime, zone_name: str) -> str:
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%H:%M")


# ----- 1. the dump: a step reminder's payload names the member's time zone -----


async def test_dump_step_reminders_zone_does_not_name_who_has_a_plan(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    await configure(running, world)
    await zone(sandbox, sam, world, "Pacific/Honolulu")
    await zone(sandbox, riley, world, "Eastern")
    await zone(sandbox, world.moderator, world, "Central")
    answer = await plan(sandbox, sam, world, "2026-12-01 20 mg\n2026-12-15 15 mg")
    assert "Added 2 step" in answer.text, answer.text

    dump = await take_dump(running)
    zones = {row["user_id"]: row["timezone"] for row in rows(dump, "member_settings")}
    assert set(zones) == {sam.id, riley.id, world.moderator.id}
    # Every zone-like value in any delivery of a kind no other feature makes.
    step_zones = {
        value
        for table, column, value in cells(dump)
        if table == "occurrences" and isinstance(value, str) and value in zones.values()
    }
    named = {user for user, name in zones.items() if name in step_zones}
    assert named != {sam.id}, "the dump names the one member who has a taper plan"


# ----- 2. the dump: a step reminder comes at the member's daily prompt time -----


async def test_dump_step_reminder_time_does_not_name_who_has_a_plan(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    await configure(running, world)
    for who, at in ((sam, "8:15pm"), (riley, "7pm"), (world.moderator, "9am")):
        await zone(sandbox, who, world, "Eastern")
        prompt = await sandbox.slash(who, world.general, "checkin prompt", at=at)
        assert prompt.ephemeral, prompt.text
    await plan(sandbox, sam, world, "2026-12-01 20 mg\n2026-12-15 15 mg")

    dump = await take_dump(running)
    prompts = {row["user_id"]: row["local_time"] for row in rows(dump, "checkin_prompts")}
    assert len(prompts) == 3, prompts
    sources = {row["source"].split(":")[0] for row in rows(dump, "occurrences")}
    # The attacker does not even need the source's name: any delivery of a kind with no
    # user id, due at a time only one member's prompt has, and not a prompt itself.
    suspects: set[int] = set()
    for row in rows(dump, "occurrences"):
        if row["source"].startswith(("prompt:", "job:")):
            continue
        at = local_time_of(row["due_at"], "America/New_York")
        suspects |= {user for user, local in prompts.items() if local == at}
    assert sources  # the dump was read
    assert suspects != {sam.id}, "the step reminders' due time names the member with the plan"


# ----- 3. the dump: a step DM's timing is the moment the member's DM channel was recorded ---


async def test_dump_step_dm_timing_does_not_tie_the_step_to_the_member(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    await configure(running, world)
    for who in (sam, riley, world.moderator):
        await zone(sandbox, who, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-24 20 mg")
    await clock.advance(timedelta(hours=5))
    await sandbox.slash(riley, world.general, "remind add", what="Call Mom", when="in 2 hours")
    await run_until(running, clock, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    assert [m for m in sandbox.dms_to(sam) if "20 mg" in m.text], "the step DM came"

    dump = await take_dump(running)
    settled = [
        row["settled_at"] for row in rows(dump, "occurrences")
        if row["kind"] not in ("job", "personal") and row["settled_at"] is not None
    ]  # fmt: skip
    assert settled, "a delivery of the new kind settled"
    tied = {
        row["user_id"]
        for row in rows(dump, "member_settings")
        for moment in settled
        if row["updated_at"] is not None and abs(row["updated_at"] - moment) <= timedelta(seconds=2)
    }
    assert tied != {sam.id}, "the DM's moment names the member who got a step reminder"


# ----- 4. the dump: who takes a questionnaire -----


async def test_dump_does_not_list_who_takes_questionnaires(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    for who in (sam, world.other_member, world.moderator):
        await zone(sandbox, who, world, "Eastern")
    on = await measure_on(sandbox, sam, world, "pcl5")
    assert "is on" in on.text, on.text
    await measure_on(sandbox, sam, world, "auditc")

    dump = await take_dump(running)
    ids = {world.member.id, world.other_member.id, world.moderator.id}
    named = [
        (table, column) for table, column, value in cells(dump)
        if value == sam.id and table.startswith("measure")
    ]  # fmt: skip
    assert ids  # three members, only one takes questionnaires
    assert named == [], f"the dump names Sam beside his questionnaires: {named}"


# ----- 5. the dump: which questionnaire, from the prompts' cadence -----


async def test_dump_does_not_tell_which_questionnaire_a_member_takes(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    await configure(running, world)
    for who in (sam, riley):
        await zone(sandbox, who, world, "Eastern")
    await measure_on(sandbox, sam, world, "phq8")  # every two weeks
    await measure_on(sandbox, riley, world, "pcl5")  # once a month
    await run_until(running, clock, clock.now() + timedelta(days=2))

    dump = await take_dump(running)
    # Each delivery source's due times, in order; their spacing is the questionnaire's period.
    due: dict[str, list[datetime]] = {}
    for row in rows(dump, "occurrences"):
        if row["kind"] not in ("job",):
            due.setdefault(row["source"], []).append(row["due_at"])
    owners = {row["id"]: row.get("user_id") for row in rows(dump, "measure_optins")}
    guess: dict[int, str] = {}
    for source, times in due.items():
        _, _, number = source.partition(":")
        if not number.isdigit() or int(number) not in owners or len(times) < 2:
            continue
        times.sort()
        gap = (times[1] - times[0]).days
        guess[owners[int(number)]] = "two-weekly" if gap <= 15 else "monthly"
    assert guess != {sam.id: "two-weekly", riley.id: "monthly"}, (
        "the dump tells that Sam takes PHQ-8 or GAD-7 and Riley PCL-5 or AUDIT-C"
    )


# ----- 6. another member forges a step number -----


async def test_another_member_cannot_edit_or_cancel_my_steps_by_number(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    await configure(running, world)
    await plan(sandbox, sam, world, "2026-12-01 20 mg\n2026-12-15 15 mg; with breakfast")
    theirs = await sandbox.autocomplete(sam, world.general, "meds plan edit", focused="step",
                                        value="")  # fmt: skip
    assert len(theirs) == 2, theirs
    mine = await sandbox.autocomplete(riley, world.general, "meds plan edit", focused="step",
                                      value="")  # fmt: skip
    assert mine == [] or all("20 mg" not in c["name"] for c in mine), mine
    seen: list[InteractionResult] = []
    for choice in theirs:
        seen.append(await sandbox.slash(riley, world.general, "meds plan edit",
                                        step=choice["value"], dose="40 mg"))  # fmt: skip
        seen.append(await sandbox.slash(riley, world.general, "meds plan cancel",
                                        step=choice["value"]))  # fmt: skip
    seen.append(await sandbox.slash(riley, world.general, "meds plan cancel", step="all"))
    for answer in seen:
        assert answer.ephemeral, answer.text
        for secret in ("20 mg", "15 mg", "breakfast", "Dec 1", "Dec 15"):
            assert secret not in answer.text, answer.text
    show = await sandbox.slash(sam, world.general, "meds plan show")
    assert "20 mg" in show.text, show.text
    assert "15 mg" in show.text, show.text
    assert "40 mg" not in show.text, show.text
    assert sandbox.channel_messages(world.general) == []


# ----- 7. crisis wording in a dose, a step note, a question -----


@pytest.mark.parametrize(
    ("how", "text"),
    [
        ("dose option", "all of them tonight so I can finally go to sleep for good"),
        ("form line", "2026-12-01 20 mg; I want to kill myself"),
        ("edit note", "I'd rather be dead than go through this again"),
        ("dose option", "sertraline: the whole bottle if this doesn't work"),
        ("question", "Is it normal that I want to end it all?"),
    ],
)
async def test_crisis_wording_anywhere_in_the_plan_gets_the_crisis_lines_privately(
    running: Runtime, world: World, clock: FakeClock, how: str, text: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    group = await configure(running, world)
    if how == "dose option":
        answer = await sandbox.slash(sam, world.general, "meds plan add", date="2026-12-01",
                                     dose=text)  # fmt: skip
    elif how == "form line":
        answer = await plan(sandbox, sam, world, f"2026-11-30 25 mg\n{text}")
    elif how == "edit note":
        await plan(sandbox, sam, world, "2026-12-01 20 mg")
        answer = await sandbox.slash(sam, world.general, "meds plan edit", step="1", note=text)
    else:
        answer = await sandbox.slash(sam, world.general, "checkin questions add", question=text)
    assert answer.ephemeral, answer.text
    assert crisis_lines_shown(answer.text), f"{how}: no crisis lines in {answer.text!r}"
    assert sandbox.channel_messages(world.general) == []
    assert sandbox.channel_messages(group.checkins) == []


# ----- 8. a severe rating on a questionnaire -----


async def test_the_most_severe_questionnaire_answers_get_the_crisis_lines(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await measure_on(sandbox, sam, world, "pcl5")
    result = await fill_measure(sandbox, sam, world, "pcl5", answer=4)
    assert "80" in result.text, result.text
    assert result.ephemeral
    assert crisis_lines_shown(result.text), result.text


# ----- 9. no advice: the step DM, the symptom reply, the packet -----

ADVICE = re.compile(
    r"\b(you should|should (now )?(take|lower|reduce|raise|increase|stop|switch|skip)|"
    r"(lower|reduce|raise|increase|cut|decrease|drop|switch|skip|stop|hold) (your|the) (dose|"
    r"medication|taper|step)|time to (lower|reduce|take|start|change|switch|stop)|"
    r"(is|are) due to change|next (dose )?change|change your dose|slow (down )?(the|your) taper|"
    r"take (it|your dose) (in|at|with)|probable|diagnos(is|ed) (of|with)|you have (ptsd|"
    r"depression|anxiety)|positive screen)",
    re.IGNORECASE,
)


def advice_in(text: str) -> list[str]:
    cleaned = text.replace("not a diagnosis", "")
    return [m.group(0) for m in ADVICE.finditer(cleaned)]


async def test_nothing_muster_sends_about_the_plan_gives_advice(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    seen: list[str] = []
    seen.append((await plan(sandbox, sam, world, "2026-11-23 20 mg\n2026-12-07 15 mg")).text)
    await run_until(running, clock, datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    check = await sandbox.slash(sam, world.general, "checkin now",
                                **checkin_options(share="private", mood=2))  # fmt: skip
    form = await sandbox.click(sam, check.messages[-1], "taper:symptoms")
    seen.append((await sandbox.submit_modal(sam, form, {"taper:groups": ["sensory", "insomnia"],
                                                      "taper:severity": "3"})).text)  # fmt: skip
    await measure_on(sandbox, sam, world, "phq8")
    seen.append((await fill_measure(sandbox, sam, world, "phq8", answer=3)).text)
    await measure_on(sandbox, sam, world, "auditc")
    seen.append((await fill_measure(sandbox, sam, world, "auditc", answer=4)).text)
    await sandbox.slash(sam, world.general, "checkin questions add", question="Zaps at night?")
    seen.append((await sandbox.slash(sam, world.general, "meds plan show")).text)
    report = await sandbox.slash(sam, world.general, "checkin report", timeout=30)
    await deliveries_settled(running, clock)
    dms = sandbox.dms_to(sam)
    seen += [m.text for m in dms]
    packets = [m for m in dms if any(a.filename.endswith(".pdf") for a in m.attachments)]
    assert packets, report.text
    seen.append(pdf_text(packets[-1]))
    assert "20 mg" in seen[-1], seen[-1]
    assert "Zaps at night?" in seen[-1], seen[-1]
    assert [m for m in dms if "20 mg" in m.text], "the step DM came"
    found = {phrase for text in seen for phrase in advice_in(text)}
    assert found == set(), f"advice in what Muster sent: {found}"


# ----- 10. /mydata delete: everything, and the DMs still to come -----


async def test_mydata_delete_removes_the_plan_measures_questions_and_their_pending_dms(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-20 25 mg\n2026-12-10 20 mg\n2027-01-10 15 mg")
    check = await sandbox.slash(sam, world.general, "checkin now",
                                **checkin_options(share="private"))  # fmt: skip
    form = await sandbox.click(sam, check.messages[-1], "taper:symptoms")
    await sandbox.submit_modal(sam, form, {"taper:groups": ["flu"], "taper:severity": "1"})
    await measure_on(sandbox, sam, world, "gad7")
    await fill_measure(sandbox, sam, world, "gad7", answer=1)
    await measure_on(sandbox, sam, world, "pcl5")
    await sandbox.slash(sam, world.general, "checkin questions add", question="Why the zaps?")
    remind = await sandbox.slash(sam, world.general, "remind add", what="VA visit",
                                 when="Dec 20 10am", kind="va_appointment")  # fmt: skip
    yes = [c for c in remind.messages[-1].custom_ids() if c.startswith("packet:initials")]
    await sandbox.click(sam, remind.messages[-1], yes[0])

    before = await take_dump(running)
    asked = await sandbox.slash(sam, world.general, "mydata delete")
    confirm = [c for c in asked.messages[-1].custom_ids() if "confirm" in c or "yes" in c]
    assert confirm, asked.messages[-1].custom_ids()
    await sandbox.click(sam, asked.messages[-1], confirm[0])
    dump = await take_dump(running)
    for table in ("taper_steps", "taper_symptom_checks", "measure_optins", "measure_results",
                  "measure_drafts", "provider_questions", "reminders"):  # fmt: skip
        assert rows(before, table), f"{table} had Sam's rows"
        assert rows(dump, table) == [], f"{table} kept rows after /mydata delete"
    pending = [row["source"] for row in rows(dump, "occurrences")
               if row["state"] == "pending" and not row["source"].startswith("job:")]  # fmt: skip
    assert pending == [], f"deliveries still to come after /mydata delete: {pending}"
    count = len(sandbox.dms_to(sam))
    await run_until(running, clock, datetime(2027, 2, 1, tzinfo=UTC))
    assert sandbox.dms_to(sam)[count:] == [], [m.text for m in sandbox.dms_to(sam)[count:]]


# ----- 11. /mydata export: all of it -----


async def test_mydata_export_holds_the_plan_symptoms_scores_and_questions(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-20 25 mg; tapering-canary-one\n2027-01-10 12.5 mg")
    check = await sandbox.slash(sam, world.general, "checkin now",
                                **checkin_options(share="private"))  # fmt: skip
    form = await sandbox.click(sam, check.messages[-1], "taper:symptoms")
    await sandbox.submit_modal(sam, form, {"taper:groups": ["nausea"], "taper:severity": "2"})
    await measure_on(sandbox, sam, world, "auditc")
    await fill_measure(sandbox, sam, world, "auditc", answer=2)
    await measure_on(sandbox, sam, world, "pcl5")  # on, never filled in
    await sandbox.slash(sam, world.general, "checkin questions add", question="question-canary?")
    await sandbox.slash(sam, world.general, "mydata export")
    await deliveries_settled(running, clock)
    exported = ""
    for message in sandbox.dms_to(sam):
        for attachment in message.attachments:
            exported += attachment.data.decode("utf-8", "replace")
    for expected in ("25 mg", "tapering-canary-one", "12.5 mg", "question-canary?", "nausea"):
        assert expected.lower() in exported.lower(), f"{expected!r} is missing from the export"
    assert re.search(r"audit", exported, re.IGNORECASE), "the AUDIT-C result is missing"
    assert re.search(r"pcl", exported, re.IGNORECASE), "the PCL-5 opt-in is missing"


# ----- 12. double submits -----


async def test_the_plan_form_submitted_twice_adds_its_steps_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    shown = await sandbox.slash(sam, world.general, "meds plan add")
    lines = {"taper:steps": "2026-11-30 25 mg\n2026-12-10 20 mg"}
    both = await asyncio.gather(sandbox.submit_modal(sam, shown, lines),
                                sandbox.submit_modal(sam, shown, lines))  # fmt: skip
    assert all(answer.ephemeral for answer in both)
    show = await sandbox.slash(sam, world.general, "meds plan show")
    assert "25 mg" in show.text, show.text
    dump = await take_dump(running)
    reminders = [row for row in rows(dump, "occurrences") if row["kind"] == "taper_step"]
    saved = (show.text.count("25 mg"), len(rows(dump, "taper_steps")), len(reminders))
    assert saved == (1, 2, 2), f"(shown, steps, step reminders) = {saved}: the plan was doubled"


async def test_the_symptom_form_submitted_twice_counts_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-20 25 mg")
    check = await sandbox.slash(sam, world.general, "checkin now",
                                **checkin_options(share="private"))  # fmt: skip
    form = await sandbox.click(sam, check.messages[-1], "taper:symptoms")
    values = {"taper:groups": ["flu"], "taper:severity": "1"}
    await asyncio.gather(sandbox.submit_modal(sam, form, values),
                         sandbox.submit_modal(sam, form, values))  # fmt: skip
    dump = await take_dump(running)
    assert len(rows(dump, "taper_symptom_checks")) == 1, "the symptom check was doubled"


async def test_a_step_cancel_sent_twice_takes_out_only_that_step(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-12-01 25 mg\n2026-12-10 20 mg\n2027-01-10 15 mg")
    [first, *_] = await sandbox.autocomplete(sam, world.general, "meds plan cancel",
                                             focused="step", value="")  # fmt: skip
    assert "25 mg" in first["name"], first
    await asyncio.gather(
        sandbox.slash(sam, world.general, "meds plan cancel", step=first["value"]),
        sandbox.slash(sam, world.general, "meds plan cancel", step=first["value"]),
    )
    # And once more, later, as a member would who never saw the first answer.
    again = await sandbox.slash(sam, world.general, "meds plan cancel", step=first["value"])
    assert again.ephemeral, again.text
    show = await sandbox.slash(sam, world.general, "meds plan show")
    assert "25 mg" not in show.text, show.text
    assert "20 mg" in show.text, "a second step was lost"
    assert "15 mg" in show.text, "a second step was lost"
    dump = await take_dump(running)
    pending = [row for row in rows(dump, "occurrences")
               if row["kind"] == "taper_step" and row["state"] == "pending"]  # fmt: skip
    assert len(pending) == 2, pending


# ----- 13. Discord drops the connection after taking the step DM -----


async def test_a_step_dm_that_discord_took_but_never_answered_is_not_sent_twice(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-24 20 mg\n2026-12-08 15 mg")
    await run_until(running, clock, datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    sandbox.drop_next("POST", r"/channels/\d+/messages")
    sandbox.fail_next("POST", r"/channels/\d+/messages", 503, times=1)
    await run_until(running, clock, datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
    await run_until(running, clock, datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    steps = [m for m in sandbox.dms_to(sam) if "20 mg" in m.text]
    assert len(steps) == 1, [m.text for m in steps]


# ----- 14. hostile input: far dates, lone surrogates, huge text, mentions -----


async def test_a_step_in_year_9999_does_not_break_checkins_reports_or_the_plan(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Pacific/Kiritimati")
    answers = [await plan(sandbox, sam, world, "9999-12-31 5 mg\n2026-11-21 10 mg")]
    answers.append(await sandbox.slash(sam, world.general, "meds plan add", date="0001-01-01",
                                       dose="1 mg"))  # fmt: skip
    answers.append(await sandbox.slash(sam, world.general, "checkin now",
                                       **checkin_options(share="private")))  # fmt: skip
    answers.append(await sandbox.slash(sam, world.general, "meds plan show"))
    answers.append(await sandbox.slash(sam, world.general, "checkin report", days=365, timeout=30))
    await run_until(running, clock, clock.now() + timedelta(days=1))
    for answer in answers:
        assert answer.ephemeral, answer.text
        assert answer.text.strip(), "no answer at all"
        assert "Traceback" not in answer.text, answer.text
        assert "went wrong" not in answer.text, answer.text
    assert "Saved" in answers[2].text, answers[2].text
    assert "I've sent" in answers[4].text, answers[4].text


@pytest.mark.parametrize(
    "dose",
    ["10 mg \ud800", "@everyone 10 mg <@&1> [VA](http://evil.example)", "1" * 1985, "\x00 mg"],
    ids=["lone surrogate", "mentions", "huge", "nul"],
)
async def test_hostile_dose_text_gets_a_private_answer_and_pings_nobody(
    running: Runtime, world: World, clock: FakeClock, dose: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    if len(dose) <= 100:
        answer = await sandbox.slash(sam, world.general, "meds plan add", date="2026-11-24",
                                     dose=dose)  # fmt: skip
    else:  # longer than the option allows: one line of the form
        answer = await plan(sandbox, sam, world, f"2026-11-24 {dose}")
    assert answer.ephemeral, answer.text
    assert answer.text.strip()
    assert "Traceback" not in answer.text, answer.text
    assert "went wrong" not in answer.text, answer.text
    show = await sandbox.slash(sam, world.general, "meds plan show")
    assert show.ephemeral, show.text
    assert "Traceback" not in show.text, show.text
    await run_until(running, clock, datetime(2026, 11, 25, tzinfo=UTC))
    for message in sandbox.dms_to(sam):
        _, roles, everyone = message.pings()
        assert not roles, message.text
        assert not everyone, message.text
    assert sandbox.channel_messages(world.general) == []


# ----- 15. the dump: sealed lengths -----


async def test_dump_sealed_lengths_tell_nothing_about_doses_or_questions(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-12-01 37.5 mg\n2026-12-15 5 mg")
    for question in ("Why?", "What do I do if the brain zaps keep me up all night for a week?"):
        await sandbox.slash(sam, world.general, "checkin questions add", question=question)
    dump = await take_dump(running)
    lengths = {
        "taper_steps": {len(row["details_encrypted"]) for row in rows(dump, "taper_steps")},
        "provider_questions": {
            len(row["text_encrypted"]) for row in rows(dump, "provider_questions")
        },
    }
    assert all(len(found) == 1 for found in lengths.values()), lengths


# ----- 16. Discord drops the connection after taking the visit packet DM -----


async def test_a_packet_dm_discord_took_but_never_answered_is_not_sent_twice(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await sandbox.slash(sam, world.general, "checkin questions add", question="Zaps?")
    remind = await sandbox.slash(sam, world.general, "remind add", what="Psych visit",
                                 when="Nov 30 10am", kind="appointment")  # fmt: skip
    await sandbox.click(sam, remind.messages[-1], "packet:initials:1")
    await run_until(running, clock, datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    sandbox.drop_next("POST", r"/channels/\d+/messages")
    await run_until(running, clock, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    await run_until(running, clock, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    packets = [m for m in sandbox.dms_to(sam) if any(a.filename.endswith(".pdf")
                                                     for a in m.attachments)]  # fmt: skip
    assert len(packets) == 2, [m.text[:80] for m in packets]  # three days before, the morning


# ----- 17. what a moderator and another member see -----


async def test_a_moderator_and_another_member_see_nothing_of_my_plan_or_measures(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    group = await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-20 25 mg; canary-note")
    await measure_on(sandbox, sam, world, "pcl5")
    await fill_measure(sandbox, sam, world, "pcl5", answer=2)
    await sandbox.slash(sam, world.general, "checkin questions add", question="canary-question")
    seen = [m.text for m in sandbox.channel_messages(world.general)]
    seen += [m.text for m in sandbox.channel_messages(group.checkins)]
    seen += [m.text for m in sandbox.channel_messages(group.mentors)]
    audit = await sandbox.slash(world.moderator, world.general, "mod audit")
    seen.append(audit.text)
    for command in ("meds plan show", "checkin questions list", "measures"):
        seen.append((await sandbox.slash(riley, world.general, command)).text)
    report = await sandbox.slash(riley, world.general, "checkin report", timeout=30)
    await deliveries_settled(running, clock)
    seen += [m.text for m in sandbox.dms_to(riley)]
    seen += [pdf_text(m) for m in sandbox.dms_to(riley) if m.attachments]
    assert report.ephemeral
    for secret in (
        "25 mg",
        "canary-note",
        "canary-question",
        "PCL-5:",
        "Taper step",
        "PCL-5 is on",
    ):
        leaks = [text for text in seen if secret in text]
        assert leaks == [], f"{secret!r} seen by others: {leaks}"


# ----- 18. crisis lines with the database down -----


@pytest.mark.parametrize(
    "how",
    [
        "severe symptom check",
        "crisis words in a dose",
    ],
)
async def test_the_crisis_lines_come_even_with_the_database_down(
    running: Runtime, world: World, clock: FakeClock, bot_settings: Settings, how: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-20 25 mg")
    check = await sandbox.slash(sam, world.general, "checkin now",
                                **checkin_options(share="private"))  # fmt: skip
    form = await sandbox.click(sam, check.messages[-1], "taper:symptoms")
    async with database_unavailable(bot_settings):
        if how == "severe symptom check":
            answer = await sandbox.submit_modal(sam, form, {"taper:groups": ["sensory"],
                                                            "taper:severity": "3"},
                                                timeout=20)  # fmt: skip
        else:
            answer = await sandbox.slash(sam, world.general, "meds plan add", date="2026-12-01",
                                         dose="enough to never wake up", timeout=20)  # fmt: skip
    assert answer.ephemeral, answer.text
    assert crisis_lines_shown(answer.text), answer.text


# ----- 19. a step added for today, after 9am -----


async def test_a_step_added_on_its_own_day_after_nine_still_gets_its_dm_that_day(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    today = clock.now().astimezone(ZoneInfo("America/New_York"))  # 10:00 on Nov 22
    assert today.hour == 10
    await sandbox.slash(sam, world.general, "meds plan add", date=today.strftime("%Y-%m-%d"),
                        dose="17.5 mg")  # fmt: skip
    end_of_day = today.replace(hour=23, minute=0).astimezone(UTC)
    await run_until(running, clock, end_of_day)
    steps = [m for m in sandbox.dms_to(sam) if "17.5 mg" in m.text]
    assert len(steps) == 1, "no DM on the step's own date"


# ----- 20. the member moves to another time zone -----


async def test_a_step_dm_comes_on_the_step_date_after_the_member_changes_time_zone(
    running: Runtime, world: World, clock: FakeClock, ids_on_the_test_clock: None
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Pacific/Kiritimati")
    await sandbox.slash(sam, world.general, "meds plan add", date="2026-12-01", dose="7.5 mg")
    await zone(sandbox, sam, world, "Pacific/Honolulu")
    honolulu = ZoneInfo("Pacific/Honolulu")
    await run_until(running, clock, datetime(2026, 12, 2, 23, 0, tzinfo=honolulu))
    [step] = [m for m in sandbox.dms_to(sam) if "7.5 mg" in m.text]
    sent = datetime.fromtimestamp(((step.id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)
    assert sent.astimezone(honolulu).date().isoformat() == "2026-12-01", sent.astimezone(honolulu)


# ----- 21. double clicks in /measures -----


async def test_measure_on_clicked_twice_makes_one_opt_in_and_one_prompt(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    panel = await sandbox.slash(sam, world.general, "measures")
    await asyncio.gather(sandbox.click(sam, panel.messages[-1], "measures:on:gad7"),
                         sandbox.click(sam, panel.messages[-1], "measures:on:gad7"))  # fmt: skip
    await run_until(running, clock, clock.now() + timedelta(days=2))
    dump = await take_dump(running)
    assert len(rows(dump, "measure_optins")) == 1, "two opt-ins"
    prompts = [m for m in sandbox.dms_to(sam) if "GAD-7" in m.text]
    assert len(prompts) == 1, [m.text[:80] for m in prompts]


async def test_the_last_page_of_a_questionnaire_submitted_twice_saves_one_score(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await measure_on(sandbox, sam, world, "auditc")
    panel = await sandbox.slash(sam, world.general, "measures")
    form = await sandbox.click(sam, panel.messages[-1], "measures:start:auditc")
    if form.modal is None:  # a page of questions first, then the form
        nexts = [c for c in form.messages[-1].custom_ids() if c.startswith("measures:next")]
        form = await sandbox.click(sam, form.messages[-1], nexts[0])
    assert form.modal is not None, form.text
    values: dict[str, Any] = {}
    for row in form.modal["components"]:
        part = row.get("component") or (row.get("components") or [{}])[0]
        if "custom_id" in part and part.get("options"):
            values[part["custom_id"]] = part["options"][1]["value"]
    both = await asyncio.gather(sandbox.submit_modal(sam, form, values),
                                sandbox.submit_modal(sam, form, values))  # fmt: skip
    assert any("AUDIT-C" in answer.text for answer in both), [a.text for a in both]
    dump = await take_dump(running)
    assert len(rows(dump, "measure_results")) == 1, "the score was saved twice"


# ----- 22. an edit sent twice moves the reminder once -----


async def test_a_step_edit_sent_twice_leaves_one_reminder_that_comes_once(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-12-01 20 mg\n2026-12-15 15 mg")
    await asyncio.gather(
        sandbox.slash(sam, world.general, "meds plan edit", step="1", date="2026-11-25"),
        sandbox.slash(sam, world.general, "meds plan edit", step="1", date="2026-11-25"),
    )
    dump = await take_dump(running)
    pending = [row["due_at"] for row in rows(dump, "occurrences")
               if row["kind"] == "taper_step" and row["state"] == "pending"]  # fmt: skip
    assert len(pending) == 2, pending
    await run_until(running, clock, datetime(2026, 12, 3, tzinfo=UTC))
    steps = [m for m in sandbox.dms_to(sam) if "20 mg" in m.text]
    assert len(steps) == 1, [m.text[:60] for m in steps]


# ----- 23. a long plan, as a slow taper has -----


@pytest.mark.parametrize(
    "note",
    [
        "",
        "; liquid, with the oral syringe, after breakfast",
    ],
    ids=["doses only", "with notes"],
)
async def test_a_long_plan_is_shown_whole_and_every_step_can_be_picked(
    running: Runtime, world: World, clock: FakeClock, note: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    first = datetime(2026, 12, 3, tzinfo=UTC)
    steps = [((first + timedelta(weeks=week)).date(), f"{60 - week}.5 mg") for week in range(60)]
    for start in range(0, 60, 20):
        lines = "\n".join(
            f"{day.isoformat()} {dose}{note}" for day, dose in steps[start : start + 20]
        )
        added = await plan(sandbox, sam, world, lines)
        assert "Added 20 step" in added.text, added.text
    # Every step can still be picked by typing its date.
    for day, dose in steps[::7]:
        typed = day.isoformat()
        found = await sandbox.autocomplete(sam, world.general, "meds plan edit", focused="step",
                                           value=typed)  # fmt: skip
        assert any(dose in choice["name"] for choice in found), (typed, found)
    shown = await sandbox.slash(sam, world.general, "meds plan show")
    seen = shown.text
    for _ in range(10):  # follow any "next page" button
        more = [c for m in shown.messages for c in m.custom_ids() if "next" in c or "page" in c]
        if not more:
            break
        shown = await sandbox.click(sam, shown.messages[-1], more[0])
        seen += "\n" + (shown.updated_message.text if shown.updated_message else shown.text)
    missing = [dose for _, dose in steps if f": {dose}" not in seen]
    assert missing == [], f"show leaves out {len(missing)} steps; it ends: {seen[-300:]!r}"


# ----- 24. crisis wording in input that is refused for another reason -----


@pytest.mark.parametrize(
    "how",
    ["form line with no date", "bad date option", "eleventh question", "edit of no step",
     "plan full"],
)  # fmt: skip
async def test_crisis_wording_in_refused_input_still_gets_the_crisis_lines(
    running: Runtime, world: World, clock: FakeClock, how: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    words = "I want to die, I can't do this anymore"
    if how == "form line with no date":
        answer = await plan(sandbox, sam, world, f"2026-12-01 20 mg\n{words}")
    elif how == "bad date option":
        answer = await sandbox.slash(sam, world.general, "meds plan add", date="whenever",
                                     dose=words)  # fmt: skip
    elif how == "eleventh question":
        for number in range(10):
            await sandbox.slash(sam, world.general, "checkin questions add",
                                question=f"Question {number}?")  # fmt: skip
        answer = await sandbox.slash(sam, world.general, "checkin questions add", question=words)
    elif how == "edit of no step":
        answer = await sandbox.slash(sam, world.general, "meds plan edit", step="7", note=words)
    else:
        first = datetime(2026, 12, 3, tzinfo=UTC)
        for start in range(0, 60, 20):
            await plan(sandbox, sam, world, "\n".join(
                f"{(first + timedelta(days=day)).date().isoformat()} {day} mg"
                for day in range(start, start + 20)))  # fmt: skip
        answer = await sandbox.slash(sam, world.general, "meds plan add", date="2028-01-01",
                                     dose="1 mg", note=words)  # fmt: skip
    assert answer.ephemeral, answer.text
    assert crisis_lines_shown(answer.text), f"{how}: {answer.text!r}"


# ----- 25. the dump: the plan's dates, read without a key -----


async def test_dump_does_not_hold_the_plan_dates_in_the_clear(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    # Steps dated in the past: no reminder is due, so no delivery needs their dates.
    await plan(sandbox, sam, world, "2026-10-05 30 mg\n2026-10-19 25 mg\n2026-11-02 20 mg")
    dates = {date(2026, 10, 5), date(2026, 10, 19), date(2026, 11, 2)}
    dump = await take_dump(running)
    assert rows(dump, "taper_steps"), "the plan was saved"
    clear = sorted(
        {(table, column) for table, column, value in cells(dump)
         if (value.date() if isinstance(value, datetime) else value) in dates}
    )  # fmt: skip
    assert clear == [], f"the plan's dates, in the clear: {clear}"


# ----- 26. Discord fails the answer to the plan form -----


@pytest.mark.parametrize("fault", ["answer dropped", "answer 503 twice"])
async def test_a_plan_form_whose_answer_discord_fails_saves_its_steps_once(
    running: Runtime, world: World, clock: FakeClock, fault: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    shown = await sandbox.slash(sam, world.general, "meds plan add")
    answer_path = r"/webhooks/\d+/[^/]+(/messages/@original)?$"
    dropped = None
    if fault == "answer dropped":
        dropped = sandbox.drop_next("POST", answer_path)
    else:
        sandbox.fail_next("POST", answer_path, 503, times=2)
    answer = await sandbox.submit_modal(sam, shown, {"taper:steps": "2026-12-01 20 mg\n"
                                                                   "2026-12-15 15 mg"},
                                        wait=False)  # fmt: skip
    await sandbox.wait_for(lambda: answer.acknowledged, what="the form's answer")

    async def saved() -> bool:
        return len(rows(await take_dump(running), "taper_steps")) >= 2

    await eventually(saved, timeout=10, what="the steps")
    await sandbox.wait_for(lambda: answer.done, timeout=15, what="the member's answer")
    assert dropped is None or dropped.used, "the fault was never hit"
    await deliveries_settled(running, clock)
    dump = await take_dump(running)
    assert len(rows(dump, "taper_steps")) == 2
    show = await sandbox.slash(sam, world.general, "meds plan show")
    assert show.text.count("20 mg") == 1, show.text


# ----- 27. the symptom check: only in the 14 days, and never where others see it -----


@pytest.mark.parametrize("share", ["named", "anonymous"])
async def test_the_symptom_check_never_shows_on_what_the_group_sees(
    running: Runtime, world: World, clock: FakeClock, share: str
) -> None:
    sandbox, sam = world.sandbox, world.member
    group = await configure(running, world)
    await zone(sandbox, sam, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-15 25 mg")
    answer = await sandbox.slash(sam, world.general, "checkin now",
                                 **checkin_options(share=share))  # fmt: skip
    assert answer.ephemeral
    assert "taper:symptoms" in [c for m in answer.messages for c in m.custom_ids()]
    await run_until(running, clock, clock.now() + timedelta(hours=1))
    posts = sandbox.channel_messages(group.checkins)
    assert posts, "the check-in was shared"
    for post in posts:
        assert not [c for c in post.custom_ids() if "taper" in c or "symptom" in c], post
        for word in ("symptom", "step", "taper", "25 mg"):
            assert word not in post.text.lower(), post.text


async def test_the_symptom_check_is_offered_only_in_the_fourteen_days_after_a_step(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, sam, riley = world.sandbox, world.member, world.other_member
    await configure(running, world)
    for who in (sam, riley, world.moderator):
        await zone(sandbox, who, world, "Eastern")
    await plan(sandbox, sam, world, "2026-11-07 25 mg\n2026-12-20 20 mg")  # 15 days ago, ahead
    await plan(sandbox, riley, world, "2026-11-09 25 mg")  # 13 days ago
    offered = {}
    for who in (sam, riley, world.moderator):
        answer = await sandbox.slash(who, world.general, "checkin now",
                                     **checkin_options(share="private"))  # fmt: skip
        offered[who.name] = "taper:symptoms" in [c for m in answer.messages
                                                 for c in m.custom_ids()]  # fmt: skip
    assert offered == {"Sam": False, "Riley": True, "Dana": False}, offered
