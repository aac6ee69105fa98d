"""Members' data rights, retention and key rotation (R16, R19), on a real engine and end to end."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.base import Base
from bot.db.engine import SessionFactory
from bot.db.models import Guild, GuildResource, MentorRequest, Occurrence, Reminder
from bot.keys import Keyring
from bot.runtime import Runtime
from bot.scheduling import Scheduler
from bot.services import audit, build_services
from bot.services.crypto import key_id_of
from bot.services.feature_data import PurgingGuild
from bot.services.features import feature_hooks
from bot.services.guild_settings import GuildConfig
from bot.services.key_rotation import KeyRotation
from bot.services.meetings import MeetingService
from bot.services.mentors import MentorRequests, source_of
from bot.services.packet import PACKET, PacketOffers, QuestionService
from bot.services.privacy import TABLES, PrivacyService
from bot.services.reminders import ReminderService
from bot.services.resources import ResourceDraft, ResourceService
from bot.services.retention import GUILD_GRACE, JOB_SOURCE, RetentionService
from tests.conftest import START, World
from tests.test_cli import clean_env, database_env, muster

USER, OTHER = 501, 502


def test_every_table_is_classified_and_member_tables_are_covered() -> None:
    tables = set(Base.metadata.tables) | {"alembic_version"}
    assert tables == set(TABLES), "classify every new table in bot/services/privacy.py TABLES"
    covered = {table for hook in feature_hooks(Keyring.generate()) for table in hook.tables}
    member_tables = {table for table, kind in TABLES.items() if kind == "member"}
    assert member_tables <= covered, f"no export/delete for {member_tables - covered}"


def test_every_table_a_hook_claims_is_classified_and_claimed_once() -> None:
    claimed = [table for hook in feature_hooks(Keyring.generate()) for table in hook.tables]
    assert set(claimed) <= set(TABLES), f"unclassified: {set(claimed) - set(TABLES)}"
    assert len(claimed) == len(set(claimed)), "a table is claimed by two features' hooks"


def test_every_server_table_is_purged_by_its_features_hook() -> None:
    """A table with a server's id is purged (or detached) by the hook that claims it, so a
    departed server leaves nothing behind; retention purges its own two tables."""
    purging = {
        table
        for hook in feature_hooks(Keyring.generate())
        if isinstance(hook, PurgingGuild)
        for table in hook.tables
    }
    with_server = {name for name, table in Base.metadata.tables.items() if "guild_id" in table.c}
    kept = {"reminders"}  # a member's own, and stays when the server goes
    assert with_server - kept - {"guilds", "guild_settings"} <= purging, (
        f"no server purge for {with_server - kept - purging - {'guilds', 'guild_settings'}}"
    )


async def fill(sessions: SessionFactory, clock: FakeClock, keyring: Keyring) -> dict[str, Any]:
    scheduler = Scheduler(sessions, clock)
    reminders = ReminderService(sessions, clock, keyring, scheduler)
    in_five_days = START + timedelta(days=5)
    mine = await reminders.create(
        user_id=USER, guild_id=1, kind="court", text="Court, room 4B", event_at=in_five_days,
        zone="UTC", interaction_id=1,
    )  # fmt: skip
    theirs = await reminders.create(
        user_id=OTHER, guild_id=1, kind="other", text="Not yours", event_at=in_five_days,
        zone="UTC", interaction_id=2,
    )  # fmt: skip
    meetings = MeetingService(sessions, clock, scheduler)
    meeting = await meetings.create(
        guild_id=1, actor_id=OTHER, title="Group", starts_at=START + timedelta(days=2),
        zone="UTC", repeat="weekly",
    )  # fmt: skip
    assert meeting.next_start is not None
    await meetings.rsvp(1, meeting.id, meeting.next_start, USER, "going")
    await meetings.rsvp(1, meeting.id, meeting.next_start, OTHER, "maybe")
    async with sessions.begin() as session:
        audit.record(
            session, guild_id=1, actor_id=USER, action="resources.add", target="Pantry", at=START
        )
    mentors = MentorRequests(sessions, clock, scheduler)
    asked = (await mentors.open(1, USER, channel_id=10, role_id=11)).request_id
    theirs_asked = (await mentors.open(1, OTHER, channel_id=10, role_id=11)).request_id
    assert (
        await mentors.claim(theirs_asked, USER, roles=[11], mentor_role_id=11)
    ).won  # USER reached out to OTHER
    questions = QuestionService(sessions, clock, keyring)
    await questions.add(USER, "Can we go slower?", request_key=11)
    await questions.add(OTHER, "Not yours either", request_key=12)
    visit = await reminders.create(
        user_id=USER, guild_id=1, kind="appointment", text="Dr. Lee", event_at=in_five_days,
        zone="UTC", interaction_id=3,
    )  # fmt: skip
    offers = PacketOffers(sessions, clock, keyring, scheduler)
    assert len(await offers.accept(USER, visit.id, "S.R.")) == 2
    return {"mine": mine, "theirs": theirs, "reminders": reminders, "asked": asked,
            "theirs_asked": theirs_asked, "visit": visit, "questions": questions}  # fmt: skip


async def test_export_has_everything_decrypted_and_the_csv_parses(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    await fill(sessions, clock, keyring)
    privacy = PrivacyService(sessions, clock, feature_hooks(keyring))
    exported = await privacy.export(USER)
    document = json.loads(exported.json_bytes)
    assert [r["text"] for r in document["reminders"]] == ["Court, room 4B", "Dr. Lee"]
    assert document["questions_for_my_provider"] == [{"question": "Can we go slower?"}]
    assert "Not yours either" not in exported.json_bytes.decode()
    assert [r["answer"] for r in document["meeting_rsvps"]] == ["going"]
    assert [a["target"] for a in document["moderator_actions"]] == ["Pantry"]
    assert "Not yours" not in exported.json_bytes.decode()
    assert [r["role"] for r in document["mentor_requests"]] == ["asked", "reached out"]
    rows = list(csv.DictReader(io.StringIO(exported.csv_bytes.decode())))
    assert {"section": "reminders", "field": "text", "value": "Court, room 4B", "row": "1"} in rows


async def test_the_alerts_naming_the_member_are_theirs_alone(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """/mydata delete takes down the posted alerts of the member's own requests by name;
    another member's alert, or one not posted yet, is not theirs to take down."""
    keyring = Keyring.generate()
    filled = await fill(sessions, clock, keyring)
    mentors = MentorRequests(sessions, clock, Scheduler(sessions, clock))
    unposted = (await mentors.open(2, USER, channel_id=20, role_id=21)).request_id
    assert unposted != filled["asked"]
    await mentors.posted(filled["asked"], 7001)
    await mentors.posted(filled["theirs_asked"], 7002)
    privacy = PrivacyService(sessions, clock, feature_hooks(keyring))
    assert await privacy.alerts_naming(USER) == [(10, 7001)]


async def test_delete_removes_everything_about_the_member_and_nothing_else(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    filled = await fill(sessions, clock, keyring)
    privacy = PrivacyService(sessions, clock, feature_hooks(keyring))
    removed = await privacy.delete(USER)
    assert removed == {
        "reminders": 2, "settings": 0, "meeting_rsvps": 1, "checkins": 0, "anonymous_posts": 0,
        "medication_changes": 0, "sobriety_records": 0, "daily_prompts": 0,
        "mentor_requests": 1, "taper_steps": 0, "taper_symptom_checks": 0,
        "measure_optins": 0, "measure_scores": 0, "questions_for_my_provider": 1,
    }  # fmt: skip
    again = json.loads((await privacy.export(USER)).json_bytes)
    assert again["reminders"] == again["meeting_rsvps"] == []
    assert again["questions_for_my_provider"] == []
    assert [q.text for q in await filled["questions"].list(OTHER)] == ["Not yours either"]
    assert len(again["moderator_actions"]) == 1  # kept for accountability, as /privacy says
    async with sessions() as session:
        sources = set(await session.scalars(select(Occurrence.source)))
    assert f"reminder:{filled['mine'].id}" not in sources  # nothing left to deliver
    assert PACKET.source(filled["visit"].id) not in sources  # nor its visit packet
    assert f"reminder:{filled['theirs'].id}" in sources
    assert source_of(filled["asked"]) not in sources
    async with sessions() as session:
        left = list(await session.scalars(select(MentorRequest)))
    assert [(row.user_id, row.claimed_by) for row in left] == [(OTHER, None)]
    assert await filled["reminders"].get(OTHER, filled["theirs"].id) is not None


async def test_retention_job(sessions: SessionFactory, clock: FakeClock) -> None:
    keyring = Keyring.generate()
    filled = await fill(sessions, clock, keyring)
    resources = ResourceService(sessions, clock)
    await resources.add(
        2, USER, ResourceDraft(name="Pantry", category="local", phone="555-010-0100")
    )
    async with sessions.begin() as session:
        session.add(Guild(guild_id=2, name="Gone", joined_at=START, left_at=START))
        session.add(
            Guild(guild_id=3, name="Just left", joined_at=START, left_at=START + timedelta(days=20))
        )
    retention = RetentionService(sessions, clock, keyring)
    await retention.ensure_scheduled()
    await retention.ensure_scheduled()  # once, however often it starts
    await clock.advance(timedelta(days=34))  # reminders' date + 29 days; server 2 left 34 days ago
    removed = await retention.run(clock.now())
    assert removed["reminders"] == 0
    assert removed["servers"] == 1
    async with sessions() as session:
        assert await session.scalar(select(GuildResource.id)) is None
        assert {g.guild_id for g in await session.scalars(select(Guild))} == {3}
    await clock.advance(timedelta(days=2))
    due = await Scheduler(sessions, clock).claim()
    job = next(d for d in due if d.source == JOB_SOURCE)
    outcome = await retention.deliver(job, clock.now())
    assert outcome.status == "sent"
    assert outcome.detail is not None
    assert "3 reminders" in outcome.detail  # the appointment too
    assert await filled["reminders"].get(USER, filled["mine"].id) is None
    async with sessions() as session:
        pending = select(Occurrence.due_at).where(
            Occurrence.source == JOB_SOURCE, Occurrence.state == "pending"
        )
        pending_jobs = list(await session.scalars(pending))
    assert len(pending_jobs) == 1
    assert pending_jobs[0] > clock.now()


async def test_a_server_purged_then_added_back_reads_the_defaults(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The retention job purges a departed server's settings row and the copy held in
    memory: if the server adds Muster back, nothing of its old settings comes with it."""
    services = build_services(sessions, Keyring.generate(), clock)
    settings, guilds = services.guild_settings, services.guilds
    try:
        await guilds.record_present(2, "Group")
        await settings.set_limits(
            2, USER, timezone="Pacific", anonymous_delay_minutes="15", summary_threshold="7",
            retention_days="90",
        )  # fmt: skip
        await guilds.record_left(2)
        await clock.advance(GUILD_GRACE + timedelta(days=1))
        assert (await settings.get(2)).retention_days == 90  # read just before the purge
        assert (await services.retention.run(clock.now()))["servers"] == 1
        await guilds.record_present(2, "Group")  # Muster is added back
        assert settings.cached(2) is None
        assert await settings.get(2) == GuildConfig(2)
    finally:
        await guilds.close()


async def test_key_rotation(sessions: SessionFactory, clock: FakeClock) -> None:
    old = Keyring.generate("k1")
    scheduler = Scheduler(sessions, clock)
    await ReminderService(sessions, clock, old, scheduler).create(
        user_id=USER, guild_id=1, kind="other", text="Call the VA",
        event_at=START + timedelta(days=1), zone="UTC", interaction_id=9,
    )  # fmt: skip
    new_key = Keyring.generate("k2").encryption_keys["k2"]
    rotated = Keyring(old.pseudonym_key, {"k2": new_key, "k1": old.encryption_keys["k1"]}, "k2")
    [view] = await ReminderService(sessions, clock, rotated, scheduler).list(USER)
    assert view.text == "Call the VA"  # old rows stay readable
    report = await KeyRotation(sessions, clock, rotated).reencrypt()
    assert (report.reencrypted, report.already_current, report.unreadable) == (1, 0, 0)
    async with sessions() as session:
        blob = await session.scalar(select(Reminder.text_encrypted))
    assert blob is not None
    assert key_id_of(blob) == "k2"
    only_new = Keyring(old.pseudonym_key, {"k2": new_key}, "k2")
    [view] = await ReminderService(sessions, clock, only_new, scheduler).list(USER)
    assert view.text == "Call the VA"  # the old key can be retired
    lost = await KeyRotation(sessions, clock, Keyring.generate("k3")).reencrypt()
    assert lost.unreadable == 1


# ----- end to end -----


async def test_mydata_export_by_dm_and_privately_when_dms_are_closed(
    running: Runtime, world: World
) -> None:
    sandbox = world.sandbox
    await sandbox.slash(
        world.member, world.general, "remind add", what="Court, room 4B", when="in 3 days"
    )
    result = await sandbox.slash(world.member, world.general, "mydata export")
    assert result.text == "I've sent your data to your DMs."
    [dm] = sandbox.dms_to(world.member)
    assert sorted(a.filename for a in dm.attachments) == ["muster-data.csv", "muster-data.json"]
    data = json.loads(next(a.data for a in dm.attachments if a.filename.endswith(".json")))
    assert data["reminders"][0]["text"] == "Court, room 4B"
    closed = await sandbox.create_member(world.guild, "Closed", dms_open=False)
    private = await sandbox.slash(closed, world.general, "mydata export")
    assert private.messages[-1].ephemeral
    assert "Your DMs are closed to me" in private.text
    assert len(private.messages[-1].attachments) == 2


async def test_mydata_delete_asks_first(running: Runtime, world: World) -> None:
    sandbox = world.sandbox
    await sandbox.slash(
        world.member, world.general, "remind add", what="Call the VA", when="in 3 days"
    )
    asked = await sandbox.slash(world.member, world.general, "mydata delete")
    [question] = asked.messages
    assert question.custom_ids() == ["mydata:confirm", "mydata:keep"]
    stranger = await sandbox.click(world.other_member, question, "mydata:confirm")
    assert stranger.text == "This button is for the member who asked."
    assert len(await running.services.reminders.list(world.member.id)) == 1
    await sandbox.click(world.member, question, "mydata:confirm")
    assert question.content == "Done. Removed: 1 reminder. Muster keeps nothing more about you."
    assert await running.services.reminders.list(world.member.id) == []


async def test_privacy_statement(running: Runtime, world: World) -> None:
    result = await world.sandbox.slash(world.member, world.general, "privacy")
    for words in ("What Muster keeps about you", "For how long", "Nobody, moderators included",
                  "no medical, legal or dosing advice", "/mydata delete", "only encrypted",
                  "the day, not the time", "Who could learn what", "could read what is stored",
                  "**Discord**", "a copy of the database"):  # fmt: skip
        assert words in result.text


async def test_operator_commands(
    tmp_path: Path, database: dict[str, Any], make_settings: Any
) -> None:
    key_file = tmp_path / "keys.json"
    Keyring.generate().write(key_file)
    env = clean_env(tmp_path, **database_env(database), MUSTER_KEY_FILE=str(key_file))
    code, out, err = await muster(tmp_path, "reencrypt", env=env)
    assert code == 0, err
    assert "Re-encrypted 0 value(s)" in out
    code, out, err = await muster(tmp_path, "purge-guild", "12345", env=env)
    assert code == 0, err
    assert "Purged server 12345: nothing was stored." in out
    before = Keyring.from_file(key_file)
    code, out, err = await muster(tmp_path, "rotate-pseudonym-key", env=env)
    assert code == 0, err
    assert "New pseudonym key in" in out
    after = Keyring.from_file(key_file)
    assert after.pseudonym_key != before.pseudonym_key
    assert after.legacy_member_key == before.pseudonym_key  # rows from before 0007 stay found
    assert after.encryption_keys == before.encryption_keys
    assert Keyring.from_file(key_file.with_name("keys.json.previous")) == before
    from_env = clean_env(
        tmp_path, **database_env(database), MUSTER_PSEUDONYM_KEY=_b64(before.pseudonym_key),
        MUSTER_ENCRYPTION_KEYS=f"k1:{_b64(before.encryption_keys['k1'])}",
    )  # fmt: skip
    code, out, err = await muster(tmp_path, "rotate-pseudonym-key", env=from_env)
    assert code == 2
    assert "needs MUSTER_KEY_FILE" in err


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()
