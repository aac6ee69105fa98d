"""Keyed identities for anything a member writes (R3).

`member_key` finds a member's own check-ins, medication log and sobriety counter without
storing their user id: it is an HMAC under the pseudonym key, which lives outside the
database, so a dump plus the member list cannot tell whose rows are whose. The weekly
pseudonym shown on anonymous posts is another HMAC (of server, member and ISO week): stable
for a week, then it rotates, and it cannot be linked back without the key either.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from bot.keys import Keyring

_ADJECTIVES = (
    "Amber",
    "Brave",
    "Bright",
    "Calm",
    "Cedar",
    "Clear",
    "Copper",
    "Quiet",
    "Evening",
    "Gentle",
    "Golden",
    "Green",
    "Harbor",
    "Hidden",
    "Hopeful",
    "Kind",
    "Little",
    "Lucky",
    "Maple",
    "Misty",
    "Morning",
    "North",
    "Patient",
    "Prairie",
    "River",
    "Silver",
    "Steady",
    "Stone",
    "Summer",
    "Sunny",
    "Swift",
    "Tall",
    "Warm",
    "Western",
    "Wild",
    "Winter",
)
_ANIMALS = (
    "Badger",
    "Bear",
    "Bison",
    "Crane",
    "Deer",
    "Eagle",
    "Falcon",
    "Finch",
    "Fox",
    "Hawk",
    "Heron",
    "Lynx",
    "Moose",
    "Otter",
    "Owl",
    "Pelican",
    "Raven",
    "Robin",
    "Salmon",
    "Sparrow",
    "Stag",
    "Swan",
    "Trout",
    "Turtle",
    "Walrus",
    "Wolf",
    "Wren",
    "Coyote",
    "Beaver",
    "Cardinal",
    "Loon",
    "Marten",
    "Mustang",
    "Osprey",
    "Puffin",
    "Quail",
)


def _mac(keyring: Keyring, message: str) -> bytes:
    return hmac.new(keyring.pseudonym_key, message.encode(), hashlib.sha256).digest()


def member_key(keyring: Keyring, user_id: int) -> str:
    return _mac(keyring, f"member:{user_id}").hex()


def weekly_pseudonym(keyring: Keyring, guild_id: int, user_id: int, at: datetime) -> str:
    """A name such as "Quiet Heron 42", the same all ISO week long in one server."""
    year, week, _ = at.isocalendar()
    digest = _mac(keyring, f"pseudonym:{guild_id}:{user_id}:{year}-W{week:02d}")
    adjective = _ADJECTIVES[digest[0] % len(_ADJECTIVES)]
    animal = _ANIMALS[digest[1] % len(_ANIMALS)]
    return f"{adjective} {animal} {int.from_bytes(digest[2:4], 'big') % 90 + 10}"
