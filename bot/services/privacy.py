"""A member's data rights: export everything Muster holds about them, or delete it (R19).

Every table is classified in TABLES. A table classified "member" must be covered by a
feature's hook (bot/services/features.py), in its export and its delete (a test enforces
it), so a new feature cannot forget /mydata.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.services.feature_data import FeatureData, Posting

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
        handlers: Sequence[FeatureData],
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
        """The messages (channel, message) Muster posted that name the member, by each
        feature that posts them (a mentor request's alert): /mydata delete takes them down
        with their rows."""
        found: list[tuple[int, int]] = []
        async with self._sessions() as session:
            for handler in self.handlers:
                if isinstance(handler, Posting):
                    found += await handler.messages_naming(session, user_id)
        return found

    async def delete(self, user_id: int) -> dict[str, int]:
        """Everything about the member, in one transaction: all of it goes, or none of it."""
        removed: dict[str, int] = {}
        async with self._sessions.begin() as session:
            for handler in self.handlers:
                removed.update(await handler.delete(session, user_id))
        for forget in self._forget:
            forget(user_id)
        return removed
