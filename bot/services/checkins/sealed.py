"""How a check-in is stored: what is sealed, under which context, padded to which length.

A check-in row shows nothing in the clear but its server and its week (R23): what it says,
its exact time and where it was shared are encrypted and padded to one length (R16). An
anonymous post's content is sealed the same way (`Content.sealed`). The share a check-in
asked for is sealed in it too: the member's latest check-in in a server is what "as last time"
means there (nothing else records it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db.models import Checkin
from bot.keys import Keyring
from bot.services.crypto import UNREADABLE, decrypt_or_none, seal

# Every check-in and post is padded to this length (bytes), so the stored size says nothing
# about its note. Notes are limited in characters, not bytes: the size holds NOTE_MAX of the
# widest (4 bytes in UTF-8, as an emoji; a Cyrillic or Hebrew letter takes 2, a Chinese one
# 3), so a long note in any script is stored as long as a short English one.
CONTENT_SIZES = (4608,)
# A check-in keeps its note apart (padded the same way, and there even when empty), so a
# note that cannot be read still leaves the check-in readable (R28).
DATA_SIZES = (384,)
CHECKIN_CONTEXT = "checkin:{digest}"
NOTE_CONTEXT = "checkin-note:{digest}"


@dataclass(frozen=True)
class Content:
    """What a check-in says: the part an anonymous post shows."""

    mood: int
    sleep_hours: float | None
    sleep_quality: str | None
    cravings: str
    sober: str
    note: str | None

    def sealed(self, keyring: Keyring, *, context: str, **extra: Any) -> bytes:
        return seal_content(keyring, {**self.__dict__, **extra}, context=context)

    @classmethod
    def of(cls, values: dict[str, Any]) -> Content:
        return cls(
            mood=int(values["mood"]),
            sleep_hours=values.get("sleep_hours"),
            sleep_quality=values.get("sleep_quality"),
            cravings=str(values["cravings"]),
            sober=str(values["sober"]),
            note=values.get("note"),
        )


def seal_content(keyring: Keyring, values: dict[str, Any], *, context: str) -> bytes:
    """An anonymous post's content (as `read_sealed` opens it), sealed to CONTENT_SIZES."""
    return seal(keyring, _json(values), context=context, sizes=CONTENT_SIZES)


def read_sealed(keyring: Keyring, blob: bytes, *, context: str) -> dict[str, Any] | None:
    """A sealed JSON value, or None when no configured key opens it (logged with the key id
    only, R28)."""
    plain = decrypt_or_none(keyring, blob, context=context, what="check-in")
    if plain is None:
        return None
    try:
        return dict(json.loads(plain))
    except ValueError:
        return None


@dataclass(frozen=True)
class StoredCheckin:
    """A check-in row opened with the keys. `held_for`: kept private for its crisis note
    until the member chooses (R25), the share they asked for."""

    id: int
    guild_id: int | None
    at: datetime
    share: str
    content: Content
    held_for: str | None = None
    note_shared: bool | None = None
    # Chosen for after a hold: the id the held row had (its choice buttons carry it).
    was: int | None = None
    # The share the member asked for (or kept from last time), whatever applied: what their
    # next check-in here without a choice asks for. None on rows from before it was kept.
    asked: str | None = None

    def sealed(self, keyring: Keyring, digest: str) -> tuple[bytes, bytes]:
        """The row's `data` and `note`."""
        values = {**self.content.__dict__, "note": None, "at": self.at.isoformat(),
                  "share": self.share, "held_for": self.held_for,
                  "note_shared": self.note_shared, "was": self.was,
                  "asked": self.asked}  # fmt: skip
        data = seal(keyring, _json(values), context=CHECKIN_CONTEXT.format(digest=digest),
                    sizes=DATA_SIZES)  # fmt: skip
        note = seal(keyring, _json({"note": self.content.note}),
                    context=NOTE_CONTEXT.format(digest=digest), sizes=CONTENT_SIZES)  # fmt: skip
        return data, note


# What json.dumps(values, ensure_ascii=False, separators=(",", ":")) builds on every call,
# built once: three of these per check-in.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(values: dict[str, Any]) -> str:
    return _ENCODER.encode(values)


def open_checkin(keyring: Keyring, row: Checkin) -> StoredCheckin | None:
    """The check-in, or None when its data cannot be read; a note that cannot be read
    shows as UNREADABLE."""
    values = read_sealed(
        keyring, row.data, context=CHECKIN_CONTEXT.format(digest=row.request_digest)
    )
    if values is None:
        return None
    note = read_sealed(keyring, row.note, context=NOTE_CONTEXT.format(digest=row.request_digest))
    values["note"] = UNREADABLE if note is None else note.get("note")
    return StoredCheckin(
        row.id,
        row.guild_id,
        datetime.fromisoformat(values["at"]),
        str(values["share"]),
        Content.of(values),
        values.get("held_for"),
        values.get("note_shared"),
        values.get("was"),
        values.get("asked"),
    )


def asked_for(asked: str | None, held_for: str | None, share: str) -> str:
    """The share a check-in asked for. Rows from before it was kept: the one held for its
    crisis note, else the one that applied."""
    return asked or held_for or share
