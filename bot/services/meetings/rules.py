"""Meetings' rules and data, without the database: the reminder window and leads, RSVP answers,
a series as members see it, and the scheduler kind of one instance's reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.errors import UserFacingError
from bot.scheduling import Kind
from bot.services.recurrence import Rule

WINDOW = timedelta(days=35)
DEFAULT_LEADS = (24 * 60, 60)
LEAD_CHOICES: dict[str, tuple[int, ...]] = {
    "day_and_hour": (24 * 60, 60),
    "hour": (60,),
    "day": (24 * 60,),
    "none": (),
}
ANSWERS = ("going", "maybe", "no")
CANCELLED = "That meeting was cancelled, so it has no more dates. `/meeting list` shows what's on."
LATE_MARK_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class MeetingInfo:
    id: int
    guild_id: int
    title: str
    rule: Rule
    duration_minutes: int
    place: str | None
    voice_channel_id: int | None
    role_id: int | None
    next_start: datetime | None
    mirror_event: bool
    discord_event_id: int | None
    event_starts_at: datetime | None

    @property
    def event_in_step(self) -> bool:
        """Whether the mirrored Discord event already shows the next instance."""
        if not self.mirror_event:
            return True
        return self.discord_event_id is not None and self.event_starts_at == self.next_start


@dataclass(frozen=True)
class MeetingNotice:
    """What to post for one due meeting reminder."""

    meeting: MeetingInfo
    starts_at: datetime
    delayed: bool
    counts: dict[str, int]


class MeetingCancelled(UserFacingError):
    """The series was cancelled: said as such, not "I couldn't find it"."""

    def __init__(self) -> None:
        super().__init__(CANCELLED)


@dataclass(frozen=True)
class MeetingKind(Kind):
    """ "meeting:<series id>:<start, in Unix seconds>": the reminders of one instance."""

    def source(self, meeting_id: int, starts_at: datetime) -> str:
        return self.build(int(meeting_id), int(starts_at.timestamp()))

    def series(self, meeting_id: int) -> str:
        """What the sources of every instance of a series begin with."""
        return self.build(int(meeting_id), "")

    def parse(self, source: str) -> tuple[int, datetime]:
        """The series and the instance's start."""
        meeting_id, stamp = self.fields(source, 2)
        return int(meeting_id), datetime.fromtimestamp(int(stamp), UTC)


MEETING = MeetingKind("meeting", "meeting")
