"""The visit packet as a member gets it (issue 14): /checkin questions, the PDF on
/checkin report (by DM, or privately here when DMs are closed), and the offer on an
appointment reminder: yes books two DMs that arrive on time with the PDF, no books none."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pypdf

from bot.clock import FakeClock
from bot.db.engine import SessionFactory
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.sandbox import Message
from bot.scheduling import Scheduler
from bot.services.crisis import CRISIS_TITLE
from bot.services.key_rotation import KeyRotation
from bot.services.packet import FOOTER, PACKET, PacketDue, PacketOffers, QuestionService
from bot.services.reminders import ReminderService
from tests.conftest import START, World, deliveries_settled
from tests.test_checkins_e2e import checkin_options, configure

PDF = "visit-packet.pdf"
DRAWING = 30.0  # seconds: the drawing process starts, then draws a chart and the PDF


def pdf_text(message: Message) -> tuple[int, str]:
    [data] = [a.data for a in message.attachments if a.filename == PDF]
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


async def test_questions_add_list_remove(running: Runtime, world: World) -> None:
    sandbox, member = world.sandbox, world.member
    empty = await sandbox.slash(member, world.general, "checkin questions list")
    assert "You have no questions for your provider yet" in empty.text
    await sandbox.slash(member, world.general, "checkin questions add",
                        question="Is the dizziness from the step down?")  # fmt: skip
    added = await sandbox.slash(member, world.general, "checkin questions add",
                                question="Can the next step wait a week?")  # fmt: skip
    assert added.messages[-1].ephemeral
    assert "1. Is the dizziness from the step down?" in added.text
    assert "2. Can the next step wait a week?" in added.text
    theirs = await sandbox.slash(world.other_member, world.general, "checkin questions list")
    assert "You have no questions for your provider yet" in theirs.text  # private to each
    # The question is picked as the member types, by its words or its number; the choice
    # sends the question itself, never its place in the list.
    choices = await sandbox.autocomplete(
        member, world.general, "checkin questions remove", focused="question", value="dizzi"
    )
    assert [c["name"] for c in choices] == ["1. Is the dizziness from the step down?"]
    [dizziness] = [c["value"] for c in choices]
    assert [c["name"] for c in await sandbox.autocomplete(
        member, world.general, "checkin questions remove", focused="question", value="2"
    )] == ["2. Can the next step wait a week?"]  # fmt: skip
    assert await sandbox.autocomplete(
        world.other_member, world.general, "checkin questions remove", focused="question",
        value="",
    ) == []  # fmt: skip
    stranger = await sandbox.slash(world.other_member, world.general,
                                   "checkin questions remove", question=dizziness)  # fmt: skip
    assert "isn't on your list" in stranger.text
    removed = await sandbox.slash(member, world.general, "checkin questions remove",
                                  question=dizziness)  # fmt: skip
    assert "Removed: “Is the dizziness from the step down?”" in removed.text
    listed = await sandbox.slash(member, world.general, "checkin questions list")
    assert "1. Can the next step wait a week?" in listed.text
    assert "dizziness" not in listed.text
    # Sent again (its answer lost, say): nothing more goes, and the member is told.
    again = await sandbox.slash(member, world.general, "checkin questions remove",
                                question=dizziness)  # fmt: skip
    assert again.ephemeral, again.text
    assert "isn't on your list any more" in again.text, again.text
    assert "1. Can the next step wait a week?" in again.text
    typed = await sandbox.slash(member, world.general, "checkin questions remove", question="1")
    assert "Pick the question from the list" in typed.text, typed.text
    assert (
        "1. Can the next step wait a week?"
        in (await sandbox.slash(member, world.general, "checkin questions list")).text
    )
    # Stored encrypted: the text is nowhere in the clear.
    async with running.sessions() as session:
        from sqlalchemy import select

        from bot.db.models import ProviderQuestion

        blobs = list(await session.scalars(select(ProviderQuestion.text_encrypted)))
    assert len(blobs) == 1
    assert b"next step" not in blobs[0]


async def test_report_sends_the_packet_pdf_privately(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(world.member, world.general, "settings timezone", zone="America/New_York")
    await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                        dose="50 mg", date="yesterday", note="Step down, with Dr. Lee")  # fmt: skip
    await sandbox.slash(world.member, world.general, "checkin questions add",
                        question="Is the dizziness from the step down?")  # fmt: skip
    for mood in (3, 4):
        await sandbox.slash(world.member, world.general, "checkin now",
                            **checkin_options(mood=mood, share="private"))  # fmt: skip
        await clock.advance(timedelta(days=1))
    await sandbox.slash(
        world.member, world.general, "checkin report", days=14, name="name", timeout=DRAWING
    )
    [dm] = sandbox.dms_to(world.member)
    assert sorted(a.filename for a in dm.attachments) == [
        "checkins.csv", "checkins.png", PDF,
    ]  # fmt: skip
    pages, text = pdf_text(dm)
    assert pages == 1
    assert f"Visit summary: {world.member.name}" in text
    assert "Period: Nov 11, 2026 to Nov 24, 2026 (America/New_York)" in text
    assert "1 Nov 21, 2026 Sertraline 50 mg Step down, with Dr. Lee" in text
    assert "1. Is the dizziness from the step down?" in text
    assert FOOTER in text

    closed = await sandbox.create_member(world.guild, "Closed Door", dms_open=False)
    private = await sandbox.slash(closed, world.general, "checkin report", timeout=DRAWING)
    answer = private.messages[-1]
    assert answer.ephemeral
    assert "Your DMs are closed to me" in answer.text
    _, text = pdf_text(answer)
    assert "Visit summary: C.D." in text  # initials unless the member asks for their name


async def test_an_appointment_offers_the_packet_and_yes_sends_it_twice_on_time(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(member, world.general, "settings timezone", zone="America/New_York")
    await sandbox.slash(member, world.general, "checkin questions add",
                        question="Can the next step wait?")  # fmt: skip
    # Now Sunday Nov 22 10:00 in New York; the visit Monday Nov 30 at 2pm.
    added = await sandbox.slash(member, world.general, "remind add", what="Dr. Lee",
                                when="November 30 2pm", kind="appointment")  # fmt: skip
    offer = added.messages[-1]
    assert offer.ephemeral
    assert "Would you like your visit packet by DM" in offer.text
    reminder_id = offer.custom_ids()[0].rsplit(":", 1)[1]
    assert offer.custom_ids() == [f"packet:{a}:{reminder_id}" for a in ("initials", "name", "no")]
    stranger = await sandbox.click(world.other_member, offer, f"packet:initials:{reminder_id}")
    assert "couldn't find that appointment" in stranger.text
    yes = await sandbox.click(member, offer, f"packet:initials:{reminder_id}")
    assert "I'll DM you your visit packet (for “S.”)" in yes.text

    def packets() -> list[Message]:
        return [m for m in sandbox.dms_to(member) if any(a.filename == PDF for a in m.attachments)]

    # Three days before, at 8am in New York (13:00 UTC): not a minute early.
    await clock.advance(timedelta(days=4, hours=21, minutes=59))
    await deliveries_settled(running, clock)
    assert packets() == []
    await clock.advance(timedelta(minutes=1))
    await sandbox.wait_for(
        lambda: len(packets()) == 1, what="the packet three days before", timeout=DRAWING
    )
    pages, text = pdf_text(packets()[0])
    assert pages == 1
    assert "Visit summary: S." in text
    assert "1. Can the next step wait?" in text
    # The morning of the visit, 8am.
    await clock.advance(timedelta(days=2, hours=23, minutes=59))
    await deliveries_settled(running, clock)
    assert len(packets()) == 1
    await clock.advance(timedelta(minutes=1))
    await sandbox.wait_for(
        lambda: len(packets()) == 2, what="the packet that morning", timeout=DRAWING
    )
    assert "Your visit packet for your appointment" in packets()[1].text
    await clock.advance(timedelta(days=3))
    await deliveries_settled(running, clock)
    assert len(packets()) == 2  # no more


async def test_no_thanks_books_nothing(running: Runtime, world: World, clock: FakeClock) -> None:
    sandbox, member = world.sandbox, world.member
    added = await sandbox.slash(member, world.general, "remind add", what="VA clinic",
                                when="in 5 days", kind="va_appointment")  # fmt: skip
    offer = added.messages[-1]
    reminder_id = int(offer.custom_ids()[0].rsplit(":", 1)[1])
    no = await sandbox.click(member, offer, f"packet:no:{reminder_id}")
    assert "Okay, no packet for this one." in no.text
    assert await running.services.scheduler.states(PACKET.source(reminder_id)) == []
    await clock.advance(timedelta(days=5, minutes=1))
    await deliveries_settled(running, clock)
    assert all(not m.attachments for m in sandbox.dms_to(member))
    other = await sandbox.slash(member, world.general, "remind add", what="Pharmacy",
                                when="in 5 days", kind="other")  # fmt: skip
    assert other.messages[-1].custom_ids() == []  # offered for appointments only


async def test_cancelling_the_appointment_stops_the_packet(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox, member = world.sandbox, world.member
    added = await sandbox.slash(member, world.general, "remind add", what="Dr. Lee",
                                when="in 5 days", kind="appointment")  # fmt: skip
    offer = added.messages[-1]
    reminder_id = offer.custom_ids()[0].rsplit(":", 1)[1]
    await sandbox.click(member, offer, f"packet:name:{reminder_id}")
    await sandbox.click(member, offer, f"packet:name:{reminder_id}")  # twice: booked once
    states = await running.services.scheduler.states(PACKET.source(int(reminder_id)))
    assert [state for _, state in states] == ["pending", "pending"]
    await sandbox.slash(member, world.general, "remind cancel", reminder=reminder_id)
    states = await running.services.scheduler.states(PACKET.source(int(reminder_id)))
    assert [state for _, state in states] == ["cancelled", "cancelled"]


async def test_questions_and_the_packets_name_follow_key_rotation(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    old = Keyring.generate("k1")
    scheduler = Scheduler(sessions, clock)
    await QuestionService(sessions, clock, old).add(501, "Can we go slower?", request_key=1)
    visit = await ReminderService(sessions, clock, old, scheduler).create(
        user_id=501, guild_id=1, kind="appointment", text="Dr. Lee",
        event_at=START + timedelta(days=5), zone="UTC", interaction_id=2,
    )  # fmt: skip
    await PacketOffers(sessions, clock, old, scheduler).accept(501, visit.id, "S.R.")
    new_key = Keyring.generate("k2").encryption_keys["k2"]
    both = Keyring(old.pseudonym_key, {"k2": new_key, "k1": old.encryption_keys["k1"]}, "k2")
    await KeyRotation(sessions, clock, both).reencrypt()
    only_new = Keyring(old.pseudonym_key, {"k2": new_key}, "k2")
    [question] = await QuestionService(sessions, clock, only_new).list(501)
    assert (question.text, question.readable) == ("Can we go slower?", True)
    await clock.advance(timedelta(days=2))  # the packet three days before is due
    [due] = [d for d in await scheduler.claim() if d.source == PACKET.source(visit.id)]
    prepared = await PacketOffers(sessions, clock, only_new, scheduler).prepare(due, clock.now())
    assert isinstance(prepared, PacketDue)
    assert prepared.who == "S.R."


async def test_questions_are_in_mydata_export_and_go_with_delete(
    running: Runtime, world: World
) -> None:
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(member, world.general, "checkin questions add",
                        question="Can the next step wait?")  # fmt: skip
    await sandbox.slash(member, world.general, "mydata export")
    [dm] = sandbox.dms_to(member)
    exported = next(a.data for a in dm.attachments if a.filename.endswith(".json"))
    assert json.loads(exported)["questions_for_my_provider"] == [
        {"question": "Can the next step wait?"}
    ]
    asked = await sandbox.slash(member, world.general, "mydata delete")
    await sandbox.click(member, asked.messages[0], "mydata:confirm")
    assert await running.services.questions.list(member.id) == []


async def test_a_question_in_crisis_words_shows_the_crisis_card(
    running: Runtime, world: World
) -> None:
    words = "I want to kill myself, who do I tell?"
    result = await world.sandbox.slash(
        world.member, world.general, "checkin questions add", question=words
    )
    assert CRISIS_TITLE in result.text


async def test_the_packet_carries_the_taper_the_symptom_checks_and_the_measures(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    """The packet's optional sections, filled by their own services for the period."""
    sandbox, services, user = world.sandbox, running.services, world.member.id
    zone = "America/New_York"
    await configure(running, world)
    await sandbox.slash(world.member, world.general, "settings timezone", zone=zone)
    await services.taper.add_step(
        user_id=user, when="yesterday", dose="37.5 mg", note="as Dr. Lee set it", zone=zone,
        request_key=1,
    )  # fmt: skip
    await services.taper.record_symptom_check(
        user_id=user, symptoms=["insomnia", "sensory"], severity=2, zone=zone, request_key=2
    )
    draft = await services.measures.start(user, "phq8")
    for page in range(draft.pages):
        items = range(page * 5, min(page * 5 + 5, 8))
        draft = await services.measures.answer(user, draft.id, dict.fromkeys(items, 1), 10 + page)
    await sandbox.slash(world.member, world.general, "checkin report", days=14, timeout=DRAWING)
    [dm] = sandbox.dms_to(world.member)
    _, text = pdf_text(dm)
    assert "37.5 mg" in text
    assert "Symptom checks after each step" in text
    assert "Insomnia or vivid dreams, Sensory" in text
    assert "PHQ-8" in text
    assert ": 8 (" in text  # eight items answered 1
