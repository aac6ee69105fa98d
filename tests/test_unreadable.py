"""R28: a stored value that cannot be decrypted (damaged, moved, or under a key that is gone)
degrades where it is read, is logged with its key id and never its content, and stops nothing
else: the reminder still comes, lists and histories show what they can, milestones go on."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Checkin, MedicationChange, Occurrence, Reminder
from bot.runtime import Runtime
from bot.scheduling import PENDING
from bot.services.checkins import open_checkin
from tests.conftest import World
from tests.test_checkins_e2e import checkin_options, configure, next_in
from tests.test_reminders_e2e import dm_count

UNREADABLE_LINE = "Some of your notes could not be read with the keys I have now"


def damaged(blob: bytes) -> bytes:
    """The same key id, an altered tag: AES-GCM refuses it."""
    return blob[:-1] + bytes([blob[-1] ^ 1])


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


async def test_an_unreadable_reminder_still_arrives_and_lists(
    running: Runtime, world: World, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = world.sandbox
    await sandbox.slash(world.member, world.general, "remind add", what="Court at 9 in Room 4",
                        when="in 1 hour", kind="other")  # fmt: skip
    await sandbox.slash(world.member, world.general, "remind add", what="Call Jo",
                        when="in 3 hours", kind="other")  # fmt: skip
    async with running.sessions.begin() as session:
        row = await session.scalar(select(Reminder).order_by(Reminder.id).limit(1))
        assert row is not None
        row.text_encrypted = damaged(row.text_encrypted)

    listed = await sandbox.slash(world.member, world.general, "remind list")
    assert "(text could not be read)" in listed.text
    assert "Call Jo" in listed.text  # the others are all there

    await clock.advance(timedelta(hours=1, minutes=1))
    [dm] = await dm_count(world, world.member, 1)
    assert dm.embeds[0]["description"] == "You have a reminder now (its text could not be read)."
    assert dm.embeds[0]["title"] == "Reminder: now"
    log = logged(caplog)
    assert "key id 'k1'" in log
    assert "Court at 9" not in log


def _written_at(running: Runtime, row: Checkin) -> datetime:
    opened = open_checkin(running.services.keyring, row)
    assert opened is not None
    return opened.at


async def test_history_report_and_meds_show_what_they_can(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await configure(running, world)
    await sandbox.slash(world.member, world.general, "meds log", medication="Sertraline",
                        dose="50 mg", date="yesterday")  # fmt: skip
    await sandbox.slash(world.member, world.general, "meds log", medication="Lithium",
                        dose="300 mg", date="today")  # fmt: skip
    # Everyday notes: one the crisis net flags ("second note" did, with the model) opens the
    # crisis card first, and its save may then land after the history is asked for.
    for note in ("Walked the dog after work", "Long shift, tired"):
        shown = await sandbox.slash(world.member, world.general, "checkin now", add_note=True,
                                    **checkin_options(share="private"))  # fmt: skip
        await sandbox.submit_modal(world.member, shown, {"checkin:note": note})
        await clock.advance(timedelta(hours=1))
    async with running.sessions.begin() as session:
        checkins = list(await session.scalars(select(Checkin)))
        first = min(checkins, key=lambda row: _written_at(running, row))  # ids give no order
        change = await session.scalar(
            select(MedicationChange).order_by(MedicationChange.id).limit(1)
        )
        assert change is not None
        first.note = damaged(first.note)
        change.details_encrypted = damaged(change.details_encrypted)

    history = await sandbox.slash(world.member, world.general, "checkin history", timeout=30.0)
    assert "2 check-ins" in history.messages[-1].text
    assert UNREADABLE_LINE in history.messages[-1].text

    await sandbox.slash(world.member, world.general, "checkin report", timeout=30.0)
    [dm] = sandbox.dms_to(world.member)
    assert UNREADABLE_LINE in dm.text
    assert "Lithium 300 mg" in dm.text
    files = {a.filename: a.data for a in dm.attachments}
    table = list(csv.DictReader(io.StringIO(files["checkins.csv"].decode())))
    rows = [row for row in table if row["record"] == "check-in"]
    assert [row["note"] for row in rows] == ["(text could not be read)", "Long shift, tired"]
    assert {row["medication"] for row in table if row["record"] == "medication change"} == {
        "(text could not be read)",
        "Lithium",
    }

    meds = await sandbox.slash(world.member, world.general, "meds history")
    assert UNREADABLE_LINE in meds.text
    assert "Lithium, 300 mg" in meds.text
    assert "(text could not be read)" in meds.text


async def test_a_milestone_whose_name_cannot_be_read_is_celebrated_and_the_next_booked(
    running: Runtime, world: World, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    await sandbox.slash(world.member, world.general, "sobriety set", milestones="named")
    async with running.sessions.begin() as session:
        booked = await session.scalar(select(Occurrence).where(Occurrence.kind == "milestone"))
        assert booked is not None
        sealed = damaged(bytes.fromhex(booked.payload["user"])).hex()
        booked.payload = {**booked.payload, "user": sealed}

    await clock.advance(timedelta(days=1, hours=2))  # the 24-hour milestone, at local noon
    cheer = await next_in(sandbox, group.checkins)
    assert cheer.text.startswith("🎉 Someone in the group reached **24 hours** today.")
    assert cheer.pings() == (set(), set(), False)
    async with running.sessions() as session:
        upcoming = list(
            await session.scalars(
                select(Occurrence).where(
                    Occurrence.kind == "milestone", Occurrence.state == PENDING
                )
            )
        )
    [following] = upcoming
    assert following.payload["days"] == 7
    assert following.payload["user"] == sealed  # kept for when the key is back
    assert "key id 'k1'" in logged(caplog)
