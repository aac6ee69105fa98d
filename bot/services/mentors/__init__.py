"""Asking a peer mentor to reach out, by name, and making sure somebody does (R26).

Public API:
- `MentorRequests`: open a named request, post it, claim it, and the follow-up the scheduler
  delivers if nobody claims it in time;
- the kinds it books: MENTOR_POST (the request's post) and MENTOR_FOLLOW_UP, both under one
  source (`source_of`, a request's post nonce `nonce_of`);
- what a request comes back as: Opened, Unposted, Claim, FollowUp;
- `named_request_problems`: what a server lacks before a request may carry a name;
- FOLLOW_UP_AFTER, and KEEP_FOR (how long requests are kept);
- `MentorRequestData`: the hook for /mydata, retention and server purges.
"""

from bot.services.mentors.data import MentorRequestData
from bot.services.mentors.service import (
    FOLLOW_UP_AFTER,
    KEEP_FOR,
    MENTOR_FOLLOW_UP,
    MENTOR_POST,
    Claim,
    FollowUp,
    MentorRequests,
    Opened,
    Unposted,
    named_request_problems,
    nonce_of,
    source_of,
)

__all__ = [
    "FOLLOW_UP_AFTER",
    "KEEP_FOR",
    "MENTOR_FOLLOW_UP",
    "MENTOR_POST",
    "Claim",
    "FollowUp",
    "MentorRequestData",
    "MentorRequests",
    "Opened",
    "Unposted",
    "named_request_problems",
    "nonce_of",
    "source_of",
]
