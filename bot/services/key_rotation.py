"""Key rotation: every encrypted value rewritten under the current key (`reencrypt`), so
the old key can be retired; and a new pseudonym key (`rotate_pseudonym_key`, then
`apply_pseudonym_key`).

Each feature's hook (bot/services/features.py) rewrites its own encrypted values
(`Reencrypting`); check-ins held in the local spool (R29) are re-sealed with them.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, replace

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.keys import KEY_BYTES, Keyring
from bot.services import key_checks
from bot.services.checkins import Spool
from bot.services.crypto import decrypt_or_none, encrypt, key_id_of, seal
from bot.services.feature_data import Reencrypting
from bot.services.features import feature_hooks
from bot.services.ownership import OWNER_SIZES, owner_context


@dataclass(frozen=True)
class RotationReport:
    reencrypted: int
    already_current: int
    unreadable: int


class KeyRotation:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, spool: Spool | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._spool = spool  # held check-ins (R29): re-sealed with everything else
        self._hooks = feature_hooks(keyring)

    async def reencrypt(self) -> RotationReport:
        """After adding a new current key: rewrite every encrypted value under it, so the old
        key can be retired. Values no configured key opens are left as they are, and counted."""
        counts = {"reencrypted": 0, "current": 0, "unreadable": 0}
        keyring = self._keyring

        def rotate(blob: bytes, context: str, sizes: tuple[int, ...] | None = None) -> bytes:
            if key_id_of(blob) == keyring.current_key_id:
                counts["current"] += 1
                return blob
            plain = decrypt_or_none(keyring, blob, context=context, what="value")
            if plain is None:
                counts["unreadable"] += 1
                return blob
            counts["reencrypted"] += 1
            if sizes is None:
                return encrypt(keyring, plain, context=context)
            # Padded values keep their length (or grow to the first of `sizes`): the padding
            # goes round again with the text.
            length = len(plain.encode())
            fitting = tuple(size for size in sizes if size >= length) or (length,)
            return seal(keyring, plain.rstrip(" "), context=context, sizes=fitting)

        def owner(table: str, blob: bytes) -> bytes:
            return rotate(blob, owner_context(table), OWNER_SIZES)

        async with self._sessions.begin() as session:
            for hook in self._hooks:
                if isinstance(hook, Reencrypting):
                    await hook.reencrypt(session, rotate, owner)
        if self._spool is not None:
            # Held check-ins are stored data too: left under the old key, they would be lost
            # the day it is removed (R29).
            resealed, current, unreadable = await asyncio.to_thread(self._spool.reseal)
            counts["reencrypted"] += resealed
            counts["current"] += current
            counts["unreadable"] += unreadable
        return RotationReport(counts["reencrypted"], counts["current"], counts["unreadable"])

    def rotate_pseudonym_key(self) -> Keyring:
        """A new pseudonym key (nothing stored is derived from it but short-lived request
        digests). Rows moved from before migration 0012 stay findable: the old key is kept
        as the legacy member key, which alone unlocks nothing. Save the keyring, then
        `apply_pseudonym_key` it."""
        old = self._keyring
        new = replace(
            old,
            pseudonym_key=secrets.token_bytes(KEY_BYTES),
            legacy_member_key=old.legacy_member_key or old.pseudonym_key,
        )
        return new

    async def apply_pseudonym_key(self, new: Keyring) -> None:
        """The database's record of the pseudonym key replaced by `new`'s."""
        async with self._sessions.begin() as session:
            await key_checks.replace_pseudonym_checks(session, new, self._clock)
