"""A member's data rights: export everything Muster holds about them, or delete it (R19).

Every table is classified in TABLES. A table classified "member" must be covered by a
handler's export and delete (a test enforces it), so a new feature cannot forget /mydata.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import (
    AnonymousBlock,
    AnonymousPost,
    AuditEntry,
    Checkin,
    CheckinProfile,
    CheckinPrompt,
    MedicationChange,
    MeetingRsvp,
    MemberSettings,
    MentorRequest,
    Occurrence,
    Reminder,
    SobrietyStreak,
)
from bot.keys import Keyring
from bot.services.checkins import (
    MILESTONE,
    POSTED,
    PROMPT,
    REMOVED,
    Content,
    details_of,
    ended_on,
    open_checkin,
    open_choice,
    read_sealed,
    shown_note,
)
from bot.services.crypto import UNREADABLE, decrypt_or_none
from bot.services.measures import MeasureData
from bot.services.mentors import source_of
from bot.services.ownership import Owners, owned_rows, post_context
from bot.services.packet.questions import QuestionData
from bot.services.reminders import reminder_sources
from bot.services.reminders import text_context as reminder_context
from bot.services.taper import TaperData

Kind = Literal["member", "moderator", "server", "system"]

# What each table holds. "member": about one member, exported and deleted on request;
# "moderator": moderators' actions, exported but kept for accountability; "server": a
# server's own configuration and content; "system": bookkeeping with no personal data.
TABLES: dict[str, Kind] = {
    "guilds": "server",
    "guild_settings": "server",
    "guild_resources": "server",
    "hidden_national_resources": "server",
    "directory_versions": "system",
    "recovery_meetings": "server",
    "meetings": "server",
    "meeting_rsvps": "member",
    "member_settings": "member",
    "reminders": "member",
    "occurrences": "system",
    "audit_log": "moderator",
    "alembic_version": "system",
    "checkins": "member",
    "anonymous_posts": "member",
    "anonymous_blocks": "moderator",
    "checkin_profiles": "member",
    "medication_changes": "member",
    "sobriety_streaks": "member",
    "checkin_prompts": "member",
    "key_checks": "system",
    "mentor_requests": "member",
    "taper_steps": "member",
    "taper_symptom_checks": "member",
    "measure_optins": "member",
    "measure_drafts": "member",
    "measure_results": "member",
    "provider_questions": "member",
}


class MemberData(Protocol):
    """One capability's share of a member's data."""

    tables: tuple[str, ...]

    async def export(
        self, session: AsyncSession, user_id: int
    ) -> dict[str, list[dict[str, Any]]]: ...

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]: ...


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _count(result: Any) -> int:
    """Rows a DELETE removed (CursorResult.rowcount, which Result's type doesn't show)."""
    return int(result.rowcount)


class ReminderData:
    tables: tuple[str, ...] = ("reminders",)

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(
            select(Reminder).where(Reminder.user_id == user_id).order_by(Reminder.id)
        )
        exported = []
        for row in rows:
            text = decrypt_or_none(
                self._keyring, row.text_encrypted, context=reminder_context(row.id), what="reminder"
            )
            exported.append({
                "id": row.id, "kind": row.kind, "text": UNREADABLE if text is None else text,
                "event_at": _plain(row.event_at),
                "timezone": row.timezone, "status": row.status,
                "created_at": _plain(row.created_at),
            })  # fmt: skip
        return {"reminders": exported}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        ids = list(await session.scalars(select(Reminder.id).where(Reminder.user_id == user_id)))
        if ids:
            # Their deliveries go too: the scheduler must not send what no longer exists.
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_(reminder_sources(ids)))
            )
            await session.execute(delete(Reminder).where(Reminder.id.in_(ids)))
        return {"reminders": len(ids)}


class MemberSettingsData:
    tables: tuple[str, ...] = ("member_settings",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        row = await session.get(MemberSettings, user_id)
        if row is None:
            return {"settings": []}
        return {
            "settings": [
                {
                    "timezone": row.timezone,
                    "dms_closed_at": _plain(row.dms_closed_at),
                    "dm_channel_id": row.dm_channel_id,
                }
            ]
        }

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        result = await session.execute(
            delete(MemberSettings).where(MemberSettings.user_id == user_id)
        )
        return {"settings": _count(result)}


class MeetingRsvpData:
    tables: tuple[str, ...] = ("meeting_rsvps",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(select(MeetingRsvp).where(MeetingRsvp.user_id == user_id))
        return {"meeting_rsvps": [
            {"meeting_id": row.meeting_id, "starts_at": _plain(row.starts_at), "answer": row.answer}
            for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        result = await session.execute(delete(MeetingRsvp).where(MeetingRsvp.user_id == user_id))
        return {"meeting_rsvps": _count(result)}


class CheckinData:
    """Check-ins, their anonymous posts and the remembered sharing choices. None carries a
    key: the member's rows are found by opening every row's sealed owner."""

    tables: tuple[str, ...] = ("checkins", "anonymous_posts", "checkin_profiles")

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        checkins: list[dict[str, Any]] = []
        for row in await owned_rows(session, self._owners, Checkin, user_id):
            item = open_checkin(self._keyring, row)
            if item is None:
                checkins.append(
                    {
                        "server_id": str(row.guild_id or ""),
                        "note": "(could not be decrypted with the keys this server has)",
                    }
                )
                continue
            content = item.content
            checkins.append(
                {"at": _plain(item.at), "server_id": str(row.guild_id or ""),
                 "mood": content.mood, "sleep_hours": content.sleep_hours,
                 "sleep_quality": content.sleep_quality, "cravings": content.cravings,
                 "sober_today": content.sober, "shared_with": item.share, "note": content.note}
            )  # fmt: skip
        checkins.sort(key=lambda entry: str(entry.get("at", "")))
        posts = await owned_rows(session, self._owners, AnonymousPost, user_id)
        anonymous = [
            {"post": post.id, "server_id": str(post.guild_id), "shown_as": post.pseudonym,
             "week": post.week, "state": post.state, "appears_at": _plain(post.post_after)}
            for post in posts
        ]  # fmt: skip
        profiles = await owned_rows(session, self._owners, CheckinProfile, user_id)
        choices = []
        for profile in profiles:
            choice = open_choice(self._keyring, profile)
            choices.append({"server_id": str(profile.guild_id), "last_share": choice or UNREADABLE})
        return {"checkins": checkins, "anonymous_posts": anonymous, "sharing_choices": choices}

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        posts = await owned_rows(session, self._owners, AnonymousPost, user_id)
        # A post already shown keeps its row, as every other shown post has one until the
        # server's retention period ends: posts with no row would be one member's, across
        # weeks. Its owner becomes nobody's (one per pseudonym week, as the channel shows
        # them) and its content exactly what the channel shows. Posts not shown go.
        gone = [post.id for post in posts if post.state not in SHOWN]
        if gone:  # the server's release delivery finds nothing of theirs left to post
            await session.execute(delete(AnonymousPost).where(AnonymousPost.id.in_(gone)))
        nobody: dict[tuple[int, str], bytes] = {}
        for post in posts:
            if post.state not in SHOWN:
                continue
            key = (post.guild_id, post.week)
            if key not in nobody:
                nobody[key] = self._owners.seal("anonymous_posts", f"x:{secrets.token_hex(8)}")
            post.owner = nobody[key]
            post.content = _as_shown(self._keyring, post)
        checkin_ids = [row.id for row in await owned_rows(session, self._owners, Checkin, user_id)]
        if checkin_ids:
            await session.execute(delete(Checkin).where(Checkin.id.in_(checkin_ids)))
        tags = [p.tag for p in await owned_rows(session, self._owners, CheckinProfile, user_id)]
        if tags:
            await session.execute(delete(CheckinProfile).where(CheckinProfile.tag.in_(tags)))
        return {"checkins": len(checkin_ids), "anonymous_posts": len(posts)}


# Posts the channel showed (a removed one was seen, and the audit log names it).
SHOWN = (POSTED, REMOVED)


def _as_shown(keyring: Keyring, post: AnonymousPost) -> bytes:
    """A shown post's content cut to what the channel showed (no note it left out), sealed
    afresh to the same size; as it was if no key opens it."""
    context = post_context(post.guild_id)
    values = read_sealed(keyring, post.content, context=context)
    if values is None:
        return post.content
    note = shown_note(values.get("note"), values.get("note_shared"))
    shown = dataclasses.replace(Content.of(values), note=note)
    return shown.sealed(keyring, context=context, note_shared=values.get("note_shared"))


class JournalData:
    """The medication log, the sobriety counter and daily prompts."""

    tables: tuple[str, ...] = ("medication_changes", "sobriety_streaks", "checkin_prompts")

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        changes = await owned_rows(session, self._owners, MedicationChange, user_id)
        changes.sort(key=lambda row: (row.changed_on, row.id))
        streaks = await owned_rows(session, self._owners, SobrietyStreak, user_id)
        prompts = await session.scalars(
            select(CheckinPrompt).where(CheckinPrompt.user_id == user_id)
        )
        return {
            "medication_changes": [
                {"date": _plain(row.changed_on), **details_of(self._keyring, row)}
                for row in changes
            ],
            "sobriety": [
                {"started": _plain(row.started_on),
                 "ended": _plain(ended_on(self._keyring, row)),
                 "milestones_shared": row.share}
                for row in streaks
            ],
            "daily_prompts": [
                {"time": row.local_time, "timezone": row.timezone, "server_id": str(row.guild_id)}
                for row in prompts
            ],
        }  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        streak_ids = [
            row.id for row in await owned_rows(session, self._owners, SobrietyStreak, user_id)
        ]
        change_ids = [
            row.id for row in await owned_rows(session, self._owners, MedicationChange, user_id)
        ]
        prompt_ids = list(
            await session.scalars(select(CheckinPrompt.id).where(CheckinPrompt.user_id == user_id))
        )
        sources = MILESTONE.sources(streak_ids) + PROMPT.sources(prompt_ids)
        if sources:
            await session.execute(delete(Occurrence).where(Occurrence.source.in_(sources)))
        if change_ids:
            await session.execute(
                delete(MedicationChange).where(MedicationChange.id.in_(change_ids))
            )
        if streak_ids:
            await session.execute(delete(SobrietyStreak).where(SobrietyStreak.id.in_(streak_ids)))
        await session.execute(delete(CheckinPrompt).where(CheckinPrompt.user_id == user_id))
        return {
            "medication_changes": len(change_ids),
            "sobriety_records": len(streak_ids),
            "daily_prompts": len(prompt_ids),
        }


class AnonymousBlockData:
    """A pause on anonymous posting is shown to the member, but deleting their data does not
    lift it (that would make it pointless); it ends on its own date."""

    tables: tuple[str, ...] = ("anonymous_blocks",)

    def __init__(self, keyring: Keyring) -> None:
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await owned_rows(session, self._owners, AnonymousBlock, user_id)
        return {"anonymous_posting_paused": [
            {"server_id": str(row.guild_id), "until": _plain(row.until)} for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        return {}


class ModeratorActionData:
    """A moderator's own actions: shown to them, but kept, so the group can hold moderators
    to account. They expire with the audit log."""

    tables: tuple[str, ...] = ("audit_log",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id == user_id).order_by(AuditEntry.created_at)
        )
        return {"moderator_actions": [
            {"server_id": str(row.guild_id), "action": row.action, "target": row.target,
             "detail": row.detail, "at": _plain(row.created_at)}
            for row in rows
        ]}  # fmt: skip

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        return {}


@dataclass(frozen=True)
class Export:
    json_bytes: bytes
    csv_bytes: bytes
    counts: dict[str, int]


class PrivacyService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        handlers: Sequence[MemberData],
        *,
        forget: Sequence[Callable[[int], None]] = (),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.handlers = tuple(handlers)
        # What services keep in memory about a member, dropped once their rows are gone.
        self._forget = tuple(forget)

    async def export(self, user_id: int) -> Export:
        sections: dict[str, list[dict[str, Any]]] = {}
        async with self._sessions() as session:
            for handler in self.handlers:
                sections.update(await handler.export(session, user_id))
        document = {
            "generated_at": self._clock.now().isoformat(),
            "about": "Everything Muster stores about you. Your check-ins, anonymous posts and "
            "journal are stored without your user id in the clear: each row carries it "
            "encrypted, under keys the bot's operator holds.",
            **sections,
        }
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["section", "field", "value", "row"])
        for name, rows in sections.items():
            for number, row in enumerate(rows, start=1):
                for field, value in row.items():
                    writer.writerow([name, field, value, number])
        return Export(
            json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"),
            table.getvalue().encode("utf-8"),
            {name: len(rows) for name, rows in sections.items()},
        )

    async def alerts_naming(self, user_id: int) -> list[tuple[int, int]]:
        """The mentor alerts (channel, message) that name the member: /mydata delete takes
        them down with their rows, since an alert left with no row would name the member
        whose data is gone."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(MentorRequest.channel_id, MentorRequest.message_id).where(
                    MentorRequest.user_id == user_id, MentorRequest.message_id.is_not(None)
                )
            )
            return [(channel, message) for channel, message in rows if message is not None]

    async def delete(self, user_id: int) -> dict[str, int]:
        """Everything about the member, in one transaction: all of it goes, or none of it."""
        removed: dict[str, int] = {}
        async with self._sessions.begin() as session:
            for handler in self.handlers:
                removed.update(await handler.delete(session, user_id))
        for forget in self._forget:
            forget(user_id)
        return removed


class MentorRequestData:
    """Requests the member made by name, and the ones they took as a mentor."""

    tables: tuple[str, ...] = ("mentor_requests",)

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await session.scalars(
            select(MentorRequest)
            .where(or_(MentorRequest.user_id == user_id, MentorRequest.claimed_by == user_id))
            .order_by(MentorRequest.id)
        )
        return {
            "mentor_requests": [
                {
                    "server_id": str(row.guild_id),
                    "at": _plain(row.created_at),
                    "state": row.state,
                    "role": "asked" if row.user_id == user_id else "reached out",
                }
                for row in rows
            ]
        }

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        ids = list(
            await session.scalars(select(MentorRequest.id).where(MentorRequest.user_id == user_id))
        )
        if ids:
            await session.execute(
                delete(Occurrence).where(Occurrence.source.in_([source_of(i) for i in ids]))
            )
            await session.execute(delete(MentorRequest).where(MentorRequest.id.in_(ids)))
        await session.execute(
            update(MentorRequest).where(MentorRequest.claimed_by == user_id).values(claimed_by=None)
        )
        return {"mentor_requests": len(ids)}


def member_data_handlers(keyring: Keyring) -> list[MemberData]:
    return [
        ReminderData(keyring),
        MemberSettingsData(),
        MeetingRsvpData(),
        CheckinData(keyring),
        JournalData(keyring),
        AnonymousBlockData(keyring),
        ModeratorActionData(),
        MentorRequestData(),
        TaperData(keyring),
        MeasureData(keyring),
        QuestionData(keyring),
    ]
