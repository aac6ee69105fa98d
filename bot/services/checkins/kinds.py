"""The check-ins' scheduled kinds: each builds and parses its own source keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from bot.scheduling import Kind, RowKind
from bot.scheduling.kinds import SEPARATOR


@dataclass(frozen=True)
class ReleaseKind(Kind):
    """ "anon-release:<server>:<token>": a server's anonymous-release delivery. Each booking
    has a token of its own, as two releases may fall on the same moment ((source, due_at) is
    unique)."""

    def source(self, guild_id: int) -> str:
        return self.build(int(guild_id), secrets.token_hex(4))

    def of_server(self, guild_id: int) -> str:
        """What every release delivery of the server begins with."""
        return self.build(int(guild_id), "")

    def parse(self, source: str) -> int:
        """The server."""
        guild_id, _token = self.fields(source, 2)
        return int(guild_id)


RELEASE = ReleaseKind("anonymous", "anon-release")


@dataclass(frozen=True)
class MilestoneSource:
    """What a milestone delivery is for: an attempt (0: none yet), and for a server's one
    shared delivery of anonymous milestones, the server."""

    streak_id: int
    guild_id: int | None = None


@dataclass(frozen=True)
class MilestoneKind(Kind):
    """A named attempt's own deliveries are "milestone:<attempt>". A server's anonymous
    milestones share one delivery (see SobrietyService._rebook_anonymous), its source
    "milestone:<attempt>:<server>:<token>" for the attempt it is booked for now (0: none),
    the token new at each booking, as the delivery moves between attempts."""

    def source(self, streak_id: int) -> str:
        return self.build(int(streak_id))

    def sources(self, streak_ids: Iterable[int]) -> list[str]:
        return [self.source(streak_id) for streak_id in streak_ids]

    def shared_source(self, guild_id: int, streak_id: int) -> str:
        return self.build(int(streak_id), int(guild_id), secrets.token_hex(4))

    def shared_like(self, guild_id: int) -> str:
        """A LIKE pattern for the server's shared deliveries."""
        return f"{self.start}%{SEPARATOR}{int(guild_id)}{SEPARATOR}%"

    def is_shared(self, source: str) -> bool:
        return self.owns(source) and source.count(SEPARATOR) == 3

    def parse(self, source: str) -> MilestoneSource:
        if self.is_shared(source):
            streak_id, guild_id, _token = self.fields(source, 3)
            return MilestoneSource(int(streak_id), int(guild_id))
        (streak_id,) = self.fields(source, 1)
        return MilestoneSource(int(streak_id))


MILESTONE = MilestoneKind("milestone", "milestone")


PROMPT = RowKind("prompt", "prompt")  # "prompt:<prompt id>": a member's daily check-in prompt
SUMMARY = RowKind("summary", "summary")  # "summary:<server id>": a server's weekly summary
