"""The crisis path in Discord, shared by every feature that reads what members write: the card,
the choice for a held-back check-in, asking a peer mentor by name, and the mentors' side of it.

Buttons here survive restarts (dynamic items) and carry no user ids: a held check-in's
button names the check-in, and only its author, found by key, may answer it; a claim
button names the request, and only a member with the mentor role, checked at the click,
may claim it. The crisis cog registers CRISIS_ITEMS.
"""

from bot.ui.crisis.card import CrisisCardButton, card_if_crisis, crisis_reply, show_card
from bot.ui.crisis.held_back import (
    ANONYMOUS_ALERT,
    HELD_BACK,
    SHARED_ALERT,
    HeldShareButton,
    alert_mentors,
    held_view,
)
from bot.ui.crisis.offer import (
    MENTOR_ALREADY_ASKED,
    MENTOR_ASKED,
    MENTOR_UNCONFIRMED,
    NOT_SET_UP,
    POST_HELD_BACK,
    POST_KEPT_PRIVATE,
    POSTS_KEPT_PRIVATE,
    ROUTE_CHANGED,
    MentorButton,
    MentorSendButton,
)
from bot.ui.crisis.request import ClaimButton, post_request
from bot.ui.crisis.route import mentors_channel, named_route

CRISIS_ITEMS = (CrisisCardButton, HeldShareButton, MentorButton, MentorSendButton, ClaimButton)

__all__ = [
    "ANONYMOUS_ALERT",
    "CRISIS_ITEMS",
    "HELD_BACK",
    "MENTOR_ALREADY_ASKED",
    "MENTOR_ASKED",
    "MENTOR_UNCONFIRMED",
    "NOT_SET_UP",
    "POSTS_KEPT_PRIVATE",
    "POST_HELD_BACK",
    "POST_KEPT_PRIVATE",
    "ROUTE_CHANGED",
    "SHARED_ALERT",
    "ClaimButton",
    "CrisisCardButton",
    "HeldShareButton",
    "MentorButton",
    "MentorSendButton",
    "alert_mentors",
    "card_if_crisis",
    "crisis_reply",
    "held_view",
    "mentors_channel",
    "named_route",
    "post_request",
    "show_card",
]
