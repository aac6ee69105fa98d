"""A delivery's row states and the causes it is settled with (the `state` and `cause`
columns of the occurrences table)."""

PENDING, CLAIMED = "pending", "claimed"
SENT, SKIPPED_LATE, FAILED_PERMANENT, CANCELLED = (
    "sent",
    "skipped_late",
    "failed_permanent",
    "cancelled",
)
TERMINAL = frozenset({SENT, SKIPPED_LATE, FAILED_PERMANENT, CANCELLED})

# Why a delivery ended (the `cause` column), so members can be told what really happened.
DMS_CLOSED = "dms_closed"  # 403/50007
MISSING_PERMISSION = "missing_permission"  # 403/50013 and other 403s
UNKNOWN_CHANNEL = "unknown_channel"  # 404
INVALID_BODY = "invalid_body"  # 400
RATE_LIMITED = "rate_limited"  # 429
DISCORD_UNAVAILABLE = "discord_unavailable"  # 5xx
NETWORK = "network"  # timeouts, refused or reset connections
UNEXPECTED = "unexpected"  # a bug of ours; retried like a transient failure
LATE = "late"  # Muster was offline when it was due
CAUGHT_UP = "caught_up"  # folded into a later occurrence of the same source, which went out
NOT_SET_UP = "not_set_up"  # no channel chosen, the channel gone from the server
# Settled as sent without a message: an earlier attempt in a server channel may have posted
# it (its answer lost), and nothing could tell (past the nonce window, a gap in the gateway
# watch, no Read Message History): not sent again, so the group never sees it twice.
UNCONFIRMED = "unconfirmed"
TRANSIENT = frozenset({RATE_LIMITED, DISCORD_UNAVAILABLE, NETWORK, UNEXPECTED})
