"""Check-ins, and the member's own records beside them: mood, sleep, cravings and sober-today
kept privately, shared anonymously or shared by name; the medication-change log; the
sobriety counter and its milestones; daily prompts; the weekly group summary.

Public API:
- `CheckinService`: `submit(draft, config)`, `choose` (a check-in held for its crisis note),
  `entries`, `signals`, `last_choice`, `replay_held` and `close` (the held spool), `forget`.
- `AnonymousPostService`: a queued anonymous post, from its release to its removal.
- `MedicationService`, `SobrietyService`, `PromptService`, `SummaryService`.
- `Period` / `period`: what `/checkin history` and `/checkin report` show.
- The kinds they book: RELEASE, MILESTONE, PROMPT, SUMMARY (kinds.py).
- The rules, with no database (rules.py): the answers, `parse_sleep`, `release_at`,
  `summarize`, the milestones, `share_choice`, `worrying` and `signals_of` (the mentor offer).
- Their hooks for /mydata, retention, key rotation and server purges (data.py): CheckinData,
  JournalData, AnonymousBlockData.
- What is sealed how (sealed.py), for /mydata, retention and key rotation; the held spool
  (spool.py) and the batched writer (writes.py); the sharing checks of the check-ins
  waiting, in one read, and what a server's check-ins say after a start (sharing.py);
  weekly pseudonyms and "a week" (pseudonyms.py); each server's pseudonyms of the week by
  author, each post row opened once per process (week_names.py); the choice for a
  check-in held for its crisis note, stored as a new row (held_choice.py).
"""

from bot.services.checkins.anonymous import (
    ANONYMOUS_POST_DEADLINE,
    BLOCK_DAYS,
    POSTED,
    REMOVED,
    AnonymousPostService,
    HeldBack,
    PostContent,
    blocked_until,
    book_release,
    shown_note,
)
from bot.services.checkins.data import AnonymousBlockData, CheckinData, JournalData
from bot.services.checkins.kinds import (
    MILESTONE,
    PROMPT,
    RELEASE,
    SUMMARY,
    MilestoneSource,
)
from bot.services.checkins.medications import (
    MedChange,
    MedicationService,
    details_context,
    details_of,
)
from bot.services.checkins.period import Period, period
from bot.services.checkins.prompts import PROMPT_LATE_LIMIT, Prompt, PromptService
from bot.services.checkins.pseudonyms import storage_week, week_label, week_start
from bot.services.checkins.rules import (
    CRAVINGS,
    HELD_CHOICES,
    HISTORY_DAYS,
    HOLD_BACK,
    MILESTONE_DAYS,
    MOODS,
    NOTE_MAX,
    SHARE_COOLDOWN,
    SHARES,
    SLEEP_WORDS,
    SOBER,
    Entry,
    HeldChoice,
    MilestoneShare,
    Share,
    Signals,
    Summary,
    milestone_share,
    milestone_words,
    next_local,
    next_milestone,
    parse_sleep,
    release_at,
    share_choice,
    signals_of,
    sleep_words,
    summarize,
    validate_days,
    worrying,
)
from bot.services.checkins.sealed import (
    CHECKIN_CONTEXT,
    NOTE_CONTEXT,
    Content,
    StoredCheckin,
    open_checkin,
    read_sealed,
)
from bot.services.checkins.service import (
    CheckinDraft,
    CheckinResult,
    CheckinService,
    Chosen,
)
from bot.services.checkins.sobriety import (
    END_SIZES,
    MILESTONE_LATE_LIMIT,
    Milestone,
    SobrietyService,
    SobrietyStatus,
    end_context,
    ended_on,
    name_context,
)
from bot.services.checkins.spool import Spool, spool_folder
from bot.services.checkins.summaries import SUMMARY_DEADLINE, SummaryService, WeeklySummary

__all__ = [
    "ANONYMOUS_POST_DEADLINE", "BLOCK_DAYS", "CHECKIN_CONTEXT", "CRAVINGS",
    "END_SIZES", "HELD_CHOICES", "HISTORY_DAYS", "HOLD_BACK", "MILESTONE", "MILESTONE_DAYS",
    "MILESTONE_LATE_LIMIT", "MOODS", "NOTE_CONTEXT", "NOTE_MAX", "POSTED", "PROMPT",
    "PROMPT_LATE_LIMIT", "RELEASE", "REMOVED", "SHARES", "SHARE_COOLDOWN", "SLEEP_WORDS",
    "SOBER", "SUMMARY", "SUMMARY_DEADLINE", "AnonymousBlockData", "AnonymousPostService",
    "CheckinData", "CheckinDraft", "CheckinResult", "CheckinService", "Chosen", "Content",
    "Entry", "HeldBack", "HeldChoice", "JournalData", "MedChange", "MedicationService",
    "Milestone", "MilestoneShare", "MilestoneSource",
    "Period", "PostContent", "Prompt", "PromptService", "Share", "Signals", "SobrietyService",
    "SobrietyStatus", "Spool", "StoredCheckin", "Summary", "SummaryService", "WeeklySummary",
    "blocked_until", "book_release", "details_context", "details_of",
    "end_context", "ended_on", "milestone_share", "milestone_words", "name_context",
    "next_local", "next_milestone", "open_checkin", "parse_sleep", "period",
    "read_sealed", "release_at", "share_choice", "shown_note",
    "signals_of", "sleep_words", "spool_folder", "storage_week", "summarize", "validate_days",
    "week_label", "week_start", "worrying",
]  # fmt: skip
