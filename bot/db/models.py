"""Tables. Every change here needs an Alembic migration (a test checks for drift)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class Guild(Base):
    """A server Muster has joined; `left_at` starts the data grace period after removal."""

    __tablename__ = "guilds"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class GuildResource(Base):
    """A resource a server's moderators added to its own directory."""

    __tablename__ = "guild_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(40))
    text_number: Mapped[str | None] = mapped_column(String(40))
    web: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HiddenNationalResource(Base):
    """A national entry a server chose not to show its members."""

    __tablename__ = "hidden_national_resources"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    resource_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hidden_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirectoryVersion(Base):
    """Bumped with every change to a server's directory, so cached indexes know to rebuild."""

    __tablename__ = "directory_versions"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)


class RecoveryMeeting(Base):
    """A recovery meeting imported from a Meeting Guide feed. Slugs are unique only within a
    feed, so (guild, feed, slug) is its identity; `source` is the file it last came from."""

    __tablename__ = "recovery_meetings"
    __table_args__ = (UniqueConstraint("guild_id", "feed", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    feed: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    days: Mapped[list[int]] = mapped_column(JSON)
    start_time: Mapped[str | None] = mapped_column(String(5))
    end_time: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    types: Mapped[list[str]] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(500))
    conference_url: Mapped[str | None] = mapped_column(String(500))
    conference_phone: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GuildSettings(Base):
    """What /setup chose for a server. Absent columns mean "not set yet"."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    checkin_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    meetings_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    mentors_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    moderator_role_id: Mapped[int | None] = mapped_column(BigInteger)
    mentor_role_id: Mapped[int | None] = mapped_column(BigInteger)
    timezone: Mapped[str | None] = mapped_column(String(64))
    anonymous_delay_minutes: Mapped[int | None] = mapped_column(Integer)
    summary_threshold: Mapped[int | None] = mapped_column(Integer)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # Alert the mentors' channel, with no name, when a check-in note has crisis language.
    crisis_alerts: Mapped[bool | None] = mapped_column(Boolean)
    # Named mentor requests; /setup turns them on only with a mentor role and a mentors'
    # channel that @everyone cannot read (R26).
    mentor_requests: Mapped[bool | None] = mapped_column(Boolean)
    # "HH:MM,HH:MM" local: anonymous posts wait for the next of these and appear together.
    anonymous_release_times: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One moderator action: who, what, when, on what. Never an anonymous author's identity."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_id_created_at", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberSettings(Base):
    """A member's own preferences, and whether their DMs turned out to be closed (R9)."""

    __tablename__ = "member_settings"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    dms_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dm_notice_due: Mapped[bool] = mapped_column(Boolean, default=False)
    # Discord's DM channel with the member, once opened: later DMs skip opening it again.
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(Base):
    """A member's personal reminder, delivered by DM. The text is encrypted (R16)."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    text_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    lead_minutes: Mapped[list[int]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The interaction that created it: a repeated submission creates nothing new (R15).
    interaction_id: Mapped[int] = mapped_column(BigInteger, unique=True)


class Occurrence(Base):
    """One delivery the scheduler owes: claimed, sent, then settled in exactly one end state."""

    __tablename__ = "occurrences"
    __table_args__ = (
        UniqueConstraint("source", "due_at"),
        Index("ix_occurrences_state_available_at", "state", "available_at"),
        # An id is a delivery's message nonce: never handed on after a delete (SQLite).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[str | None] = mapped_column(String(200))
    # Why it ended, in a word /remind list can explain (bot.scheduling.CAUSES).
    cause: Mapped[str | None] = mapped_column(String(30))
    # The message that was sent, recorded even when the first attempt to record it failed.
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Since when an attempt may have been sent without its message id being recorded (it was
    # claimed and then lost, timed out or failed in a way that may have come after the send):
    # past Discord's nonce window, the next attempt looks in the channel before sending.
    uncertain_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Meeting(Base):
    """A group meeting series, in the group's local time; reminders go to the meetings channel."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    title: Mapped[str] = mapped_column(String(100))
    first_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    repeat: Mapped[str] = mapped_column(String(20))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str | None] = mapped_column(String(200))
    voice_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    role_id: Mapped[int | None] = mapped_column(BigInteger)
    lead_minutes: Mapped[list[int]] = mapped_column(JSON)
    skipped: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    # The optional native Discord event mirroring the next instance, and the start it shows.
    mirror_event: Mapped[bool] = mapped_column(Boolean, default=False)
    discord_event_id: Mapped[int | None] = mapped_column(BigInteger)
    event_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingRsvp(Base):
    """A member's answer for one meeting instance: going, maybe or no."""

    __tablename__ = "meeting_rsvps"

    meeting_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    answer: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ----- Check-ins. No column below can tie a row to a member, or two rows to each other,
# without the keys (R23). `owner` is the member's identity sealed with randomized encryption,
# so it differs on every row; a member's own rows are found by opening the owners of a
# bounded set of candidate rows (see bot/services/ownership.py). What a member wrote, and
# exactly when, is inside the encrypted, padded `data`; only a coarse week is in the clear.


class Checkin(Base):
    """One check-in: everything it says (and its exact time) is in `data`, encrypted and
    padded (R16). `request_digest`, a keyed hash of the submitting interaction, makes a
    submission idempotent (R15) without storing the interaction's id, which carries a time."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_guild_id_week", "guild_id", "week"),)

    # Drawn at random (bot/services/checkins/ids.py): ids that count up would date the rows.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    week: Mapped[date] = mapped_column(Date, index=True)  # the Monday (UTC) of its week
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[bytes] = mapped_column(LargeBinary)  # apart, so R28 can lose only the note


class AnonymousPost(Base):
    """A check-in shared anonymously: its own sealed owner and encrypted copy of what it
    says, and no reference to the check-in row. `week` is the pseudonym's week. While it
    waits, its pseudonym and time are sealed in `content` (the columns are written as it goes
    out), and each time it is sealed anew it becomes a new row
    (checkins.anonymous.replace_waiting)."""

    __tablename__ = "anonymous_posts"
    __table_args__ = (Index("ix_anonymous_posts_guild_id_week", "guild_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    week: Mapped[str] = mapped_column(String(8))
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    pseudonym: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12))
    # Empty while the post waits (its time is sealed in `content`) and if it never went out.
    post_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class AnonymousBlock(Base):
    """One moderator's pause on an author's anonymous posting in one server, until `until`.
    Rows exist only for blocked authors, one per block (a second block of the same author
    adds a row: updating the first would tell a dump that both blocked posts are theirs).
    Nothing but the sealed `owner` says whose it is; Muster finds a member's by opening the
    server's few unexpired rows, so a block follows its author across pseudonym weeks."""

    __tablename__ = "anonymous_blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    until: Mapped[datetime] = mapped_column(UTCDateTime())


class MedicationChange(Base):
    """A change the member's prescriber decided: medication, dose and note, encrypted."""

    __tablename__ = "medication_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    changed_on: Mapped[date] = mapped_column(Date)
    details_encrypted: Mapped[bytes] = mapped_column(LargeBinary)


class SobrietyStreak(Base):
    """One attempt of the sobriety counter; the open one has no end. Milestones post in
    `guild_id` when `share` is anonymous or named."""

    __tablename__ = "sobriety_streaks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # only on attempts ended before 0016
    share: Mapped[str] = mapped_column(String(10))
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    # The attempt's end, or that it has none, sealed to one length (journal.ended_on).
    ended: Mapped[bytes | None] = mapped_column(LargeBinary)


class CheckinPrompt(Base):
    """A member's opt-in daily check-in prompt by DM, at a local time in their zone."""

    __tablename__ = "checkin_prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    local_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))


class KeyCheck(Base):
    """A keyed check value per configured key (an HMAC of a fixed label under the key, never
    the key), so a start with a replaced or wrong key file is refused (R28)."""

    __tablename__ = "key_checks"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # pseudonym | encryption
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    check_value: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MentorRequest(Base):
    """A member asked, by name, for a peer mentor to reach out. Holds their user id because
    they chose to be named; nothing from a check-in is stored with it."""

    __tablename__ = "mentor_requests"
    __table_args__ = (
        Index("ix_mentor_requests_guild_id_user_id", "guild_id", "user_id"),
        # One newest request per member and server: of two presses at once, only one insert
        # can take that place, whatever the timing (NULLs, the older requests, never clash).
        Index("uq_mentor_requests_newest", "guild_id", "user_id", "newest", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    role_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12))  # sending, open, claimed, failed
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    newest: Mapped[bool | None] = mapped_column(Boolean)  # True on the member's newest, or NULL


class TaperStep(Base):
    """One step of a member's taper plan, exactly as their prescriber set it: the dose as
    written and a note, encrypted, and its date sealed apart (one length for every date): a
    dump holds no schedule. Plans are small, so a member's steps are filtered by date after
    opening them."""

    __tablename__ = "taper_steps"
    # Never reused on SQLite: a step's reminder is "taper:<id>", and a removed step's
    # cancelled deliveries stay until retention clears them.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012  # SQLAlchemy's own form

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    day: Mapped[bytes] = mapped_column(LargeBinary)
    details_encrypted: Mapped[bytes] = mapped_column(LargeBinary)


class TaperSymptomCheck(Base):
    """A short symptom check after a taper step: which groups, how bad, and the step it
    followed, all encrypted; only a coarse week in the clear, like a check-in's."""

    __tablename__ = "taper_symptom_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    week: Mapped[date] = mapped_column(Date, index=True)  # the Monday (UTC) of its week
    data: Mapped[bytes] = mapped_column(LargeBinary)


# ----- Validated measures (bot/services/measures). Which measure a row is about, and every
# answer and score, is encrypted; results and drafts carry only a sealed owner.


class MeasureOptIn(Base):
    """A member's opt-in to one measure, prompted by DM on its cadence. The measure itself is
    sealed, and so are its owner (R23) and zone: neither who takes questionnaires nor that a
    member tracks, say, PTSD symptoms is in the clear."""

    __tablename__ = "measure_optins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    measure: Mapped[bytes] = mapped_column(LargeBinary)
    # The member's zone for the prompt, sealed: member_settings ties a zone to a user id.
    zone: Mapped[bytes] = mapped_column(LargeBinary)


class MeasureDraft(Base):
    """A questionnaire being filled in page by page: the answers so far, encrypted, kept until
    it is finished or left for a day."""

    __tablename__ = "measure_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MeasureResult(Base):
    """One finished questionnaire: measure, answers, score and exact time, encrypted and
    padded to one length; only a coarse week is in the clear (for retention)."""

    __tablename__ = "measure_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    week: Mapped[date] = mapped_column(Date, index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ProviderQuestion(Base):
    """One of the member's own "questions for my provider", for the visit packet: found by
    its sealed owner, its text encrypted (like the medication log)."""

    __tablename__ = "provider_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[bytes] = mapped_column(LargeBinary)
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    text_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
