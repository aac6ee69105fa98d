"""The one scheduler every feature uses: the database holds every delivery, an alarm wakes us.

- booking: Bookings (book, cancel, move a source's deliveries, in the caller's session),
  Booking and Waiting;
- store: the occurrence store (claim, settle, by one clock) and the delivery records (Due,
  Delivery);
- states: a delivery row's states and the causes it is settled with;
- runner: Scheduler, the store with each kind's sender and the loop that runs them;
- dispatcher: Dispatcher, which keeps the alarm set and starts a run when it rings;
- alarm: the alarm clocks (APScheduler in production; the only module that imports it);
- kinds: Kind, which names a kind of delivery and writes and reads its source keys.

Features import what they need from here or from the module that defines it.
"""

from bot.scheduling.alarm import Alarm, APSchedulerAlarm, ClockAlarm
from bot.scheduling.booking import Booking, Bookings, Waiting
from bot.scheduling.dispatcher import Dispatcher
from bot.scheduling.kinds import JobKind, Kind, RowKind, SourceError
from bot.scheduling.runner import NoSenderError, Scheduler
from bot.scheduling.states import (
    CANCELLED,
    CAUGHT_UP,
    CLAIMED,
    DISCORD_UNAVAILABLE,
    DMS_CLOSED,
    FAILED_PERMANENT,
    INVALID_BODY,
    LATE,
    MISSING_PERMISSION,
    NETWORK,
    NOT_SET_UP,
    PENDING,
    RATE_LIMITED,
    SENT,
    SKIPPED_LATE,
    TERMINAL,
    TRANSIENT,
    UNCONFIRMED,
    UNEXPECTED,
    UNKNOWN_CHANNEL,
)
from bot.scheduling.store import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    CLAIM_BATCH,
    CLOCK_CHECK_SECONDS,
    CLOCK_STEP_TOLERANCE,
    CLOCK_TOLERANCE,
    CONCURRENCY,
    DEFAULT_DEADLINE,
    LEASE,
    MAX_SLEEP,
    NONCE_TRUST,
    RECORD_RETRY_CAP,
    RECORD_RETRY_FIRST,
    STEP_MEMORY,
    Delivery,
    Due,
    Handler,
    OccurrenceStore,
    Recorder,
    backoff,
    new_worker_id,
    not_set_up,
)

__all__ = [
    "BACKOFF_BASE", "BACKOFF_CAP", "CANCELLED", "CAUGHT_UP", "CLAIMED", "CLAIM_BATCH",
    "CLOCK_CHECK_SECONDS", "CLOCK_STEP_TOLERANCE", "CLOCK_TOLERANCE", "CONCURRENCY",
    "DEFAULT_DEADLINE", "DISCORD_UNAVAILABLE", "DMS_CLOSED", "FAILED_PERMANENT", "INVALID_BODY",
    "LATE", "LEASE", "MAX_SLEEP", "MISSING_PERMISSION", "NETWORK", "NONCE_TRUST", "NOT_SET_UP",
    "PENDING", "RATE_LIMITED", "RECORD_RETRY_CAP", "RECORD_RETRY_FIRST", "SENT", "SKIPPED_LATE",
    "STEP_MEMORY", "TERMINAL", "TRANSIENT", "UNCONFIRMED", "UNEXPECTED", "UNKNOWN_CHANNEL",
    "APSchedulerAlarm", "Alarm", "Booking", "Bookings", "ClockAlarm", "Delivery", "Dispatcher",
    "Due", "Handler", "JobKind", "Kind", "NoSenderError", "OccurrenceStore", "Recorder",
    "RowKind", "Scheduler", "SourceError", "Waiting", "backoff", "new_worker_id", "not_set_up",
]  # fmt: skip
