"""Recovery meetings imported from Meeting Guide JSON feeds, and finding one to go to.

The import writes all kept meetings in one transaction. Meetings are keyed by (server,
feed, slug), and importing a feed again replaces that feed's meetings and no other's.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import delete, func, select

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import RecoveryMeeting
from bot.errors import UserFacingError
from bot.services import audit
from bot.services.resources.meeting_feed import (
    FEED_MAX,
    ImportReport,
    MeetingRecord,
    RecoveryMeetingInfo,
    feed_identity,
    meeting_types,
    next_start,
    parse_feed,
    readable,
    skipped_summary,
)
from bot.services.text import clean_text


class RecoveryMeetingService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def import_feed(
        self, guild_id: int, actor_id: int, source: str, raw: bytes, *, feed: str | None = None
    ) -> ImportReport:
        """Import one feed: its meetings are replaced by the file's, other feeds' are kept."""
        identity = feed_identity(feed, source)
        parsed = parse_feed(raw)
        if not parsed.meetings:
            raise UserFacingError(
                "I couldn't read any meetings from that file, so nothing changed. "
                + skipped_summary(parsed.skipped)
            )
        source = clean_text(readable(source), field="File name", max_length=FEED_MAX)
        now = self._clock.now()
        added = updated = 0
        async with self._sessions.begin() as session:
            if identity != source and (feed is None or not feed.strip()):
                # "meetings (1).json" is a feed saved again, or another feed saved under a name
                # already taken (two intergroups' admin-ajax.php): only a file that shares a
                # meeting with the list replaces it; any other is a list of its own.
                listed = set(
                    await session.execute(
                        select(RecoveryMeeting.slug, RecoveryMeeting.name).where(
                            RecoveryMeeting.guild_id == guild_id, RecoveryMeeting.feed == identity
                        )
                    )
                )
                if listed and not listed & {(m.slug, m.name) for m in parsed.meetings}:
                    identity = source
            existing = {
                row.slug: row
                for row in await session.scalars(
                    select(RecoveryMeeting).where(
                        RecoveryMeeting.guild_id == guild_id, RecoveryMeeting.feed == identity
                    )
                )
            }
            for record in parsed.meetings:
                row = existing.get(record.slug)
                values = _columns(record)
                if row is None:
                    session.add(
                        RecoveryMeeting(
                            guild_id=guild_id, feed=identity, source=source, updated_at=now,
                            **values,
                        )
                    )  # fmt: skip
                    added += 1
                else:
                    for column, value in values.items():
                        setattr(row, column, value)
                    row.source = source
                    row.updated_at = now
                    updated += 1
            # Meetings this feed listed before but no longer does have ended or moved.
            kept = {record.slug for record in parsed.meetings}
            stale = [slug for slug in existing if slug not in kept]
            if stale:
                await session.execute(
                    delete(RecoveryMeeting).where(
                        RecoveryMeeting.guild_id == guild_id,
                        RecoveryMeeting.feed == identity,
                        RecoveryMeeting.slug.in_(stale),
                    )
                )
            others = await session.scalars(
                select(RecoveryMeeting.feed)
                .where(RecoveryMeeting.guild_id == guild_id, RecoveryMeeting.feed != identity)
                .distinct()
            )
            other_feeds = tuple(sorted(others))
            audit.record(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="resources.import",
                target=identity,
                detail=f"from {source}: {added} new, {updated} updated, {len(stale)} removed, "
                f"{len(parsed.skipped)} skipped",
                at=now,
            )
        return ImportReport(
            added, updated, len(stale), parsed.skipped, identity, source, other_feeds
        )

    async def count(self, guild_id: int) -> int:
        async with self._sessions() as session:
            total = await session.scalar(
                select(func.count())
                .select_from(RecoveryMeeting)
                .where(RecoveryMeeting.guild_id == guild_id)
            )
            return total or 0

    async def find(
        self,
        guild_id: int,
        day: int,
        *,
        window: tuple[time, time] | None = None,
        type_code: str | None = None,
        online: bool | None = None,
        limit: int = 10,
    ) -> tuple[list[RecoveryMeetingInfo], int]:
        """Meetings on a day, earliest first, and how many matched in all."""
        if not 0 <= day <= 6:
            raise UserFacingError("Pick a day of the week.")
        if type_code is not None and type_code not in meeting_types():
            raise UserFacingError("Pick a meeting type from the list.")
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(RecoveryMeeting).where(RecoveryMeeting.guild_id == guild_id)
                )
            )
        now = self._clock.now()
        names = meeting_types()
        views = []
        for row in rows:
            if day not in row.days:
                continue
            if type_code is not None and type_code not in row.types:
                continue
            if online is not None and bool(row.conference_url) != online:
                continue
            if window is not None:
                if row.start_time is None:
                    continue
                start = time.fromisoformat(row.start_time)
                if not window[0] <= start <= window[1]:
                    continue
            upcoming = (
                next_start(day, row.start_time, row.timezone, now)
                if row.start_time and row.timezone
                else None
            )
            views.append(
                RecoveryMeetingInfo(
                    name=row.name,
                    day=day,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    timezone=row.timezone,
                    next_start=upcoming,
                    type_names=tuple(names[code] for code in row.types if code in names),
                    location=row.location,
                    address=row.address,
                    conference_url=row.conference_url,
                    conference_phone=row.conference_phone,
                    notes=row.notes,
                )
            )
        views.sort(key=lambda view: (view.start_time or "99:99", view.name))
        return views[:limit], len(views)


def _columns(record: MeetingRecord) -> dict[str, Any]:
    return {
        "slug": record.slug,
        "name": record.name,
        "days": list(record.days),
        "start_time": record.start_time,
        "end_time": record.end_time,
        "timezone": record.timezone,
        "types": list(record.types),
        "location": record.location,
        "address": record.address,
        "conference_url": record.conference_url,
        "conference_phone": record.conference_phone,
        "notes": record.notes,
    }
