"""The resource directory (national entries shipped as data, plus each server's own) and the
recovery meetings imported from Meeting Guide feeds.

Public API:
- `ResourceService`: search, list a page, autocomplete, add, edit, remove, hide and unhide
  national entries
- `RecoveryMeetingService`: import a feed, find a meeting to go to
and the rules (no database): `entries` (CATEGORIES, SYNONYMS, ResourceEntry, ResourceDraft,
`national_resources`), `meeting_feed` (`parse_feed`, `feed_identity`, `parse_time_filter`,
`next_start`, `type_choices`, RecoveryMeetingInfo), `search` (the in-memory index);
- `ResourceData`: the hook that purges a departed server's directory and meetings.
"""

from bot.services.resources.data import ResourceData
from bot.services.resources.entries import (
    CATEGORIES,
    GUILD_PREFIX,
    MAX_GUILD_RESOURCES,
    NATIONAL_PREFIX,
    SYNONYMS,
    ResourceDraft,
    ResourceEntry,
    ResourcePage,
    SearchResult,
    national_resources,
)
from bot.services.resources.meeting_feed import (
    DAY_NAMES,
    FEED_MAX,
    MAX_FEED_BYTES,
    MAX_MEETINGS,
    ImportReport,
    MeetingRecord,
    ParsedFeed,
    RecoveryMeetingInfo,
    Skipped,
    feed_identity,
    meeting_types,
    next_start,
    parse_feed,
    parse_time_filter,
    skipped_summary,
    type_choices,
)
from bot.services.resources.recovery_meetings import RecoveryMeetingService
from bot.services.resources.service import ResourceService

__all__ = [
    "CATEGORIES",
    "DAY_NAMES",
    "FEED_MAX",
    "GUILD_PREFIX",
    "MAX_FEED_BYTES",
    "MAX_GUILD_RESOURCES",
    "MAX_MEETINGS",
    "NATIONAL_PREFIX",
    "SYNONYMS",
    "ImportReport",
    "MeetingRecord",
    "ParsedFeed",
    "RecoveryMeetingInfo",
    "RecoveryMeetingService",
    "ResourceData",
    "ResourceDraft",
    "ResourceEntry",
    "ResourcePage",
    "ResourceService",
    "SearchResult",
    "Skipped",
    "feed_identity",
    "meeting_types",
    "national_resources",
    "next_start",
    "parse_feed",
    "parse_time_filter",
    "skipped_summary",
    "type_choices",
]
