"""A small local spool for items the member was told are held (R29).

When the database is too busy to save a check-in in time, the member hears "I'm holding on to
it". From that moment it must survive SIGTERM and `kill -9`, so before they are told, the item
is written here: one file per item, encrypted with the data key (bound to its name), written
to a temporary name, fsynced, renamed into place and the folder fsynced. A file is removed once
its item is committed; at start the files left over are replayed. Replaying one that was
committed just before a crash saves nothing new: items are keyed by their interaction id (R15).

Key rotation covers the spool too: `reencrypt` re-seals what is held under the current key, and
the key check at start refuses keys that cannot open a held item (R28).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.db.engine import sqlite_path
from bot.errors import ConfigError
from bot.keys import Keyring
from bot.services.crypto import UnreadableError, decrypt_or_none, encrypt, key_id_of

log = logging.getLogger(__name__)

SUFFIX = ".held"


def spool_folder(settings: Settings) -> Path:
    """HELD_CHECKINS_DIR, else beside the SQLite file, else ./data/held-checkins[-schema]."""
    if settings.held_checkins_dir is not None:
        return settings.held_checkins_dir
    database = sqlite_path(settings.database_url)
    if database is not None:
        return database.with_name(f"{database.stem}.held-checkins")
    suffix = f"-{settings.database_schema}" if settings.database_schema else ""
    return Path("data") / f"held-checkins{suffix}"


class Spool:
    def __init__(self, folder: Path, keyring: Keyring) -> None:
        self.folder = folder
        self._keyring = keyring

    def open(self) -> None:
        """Make the folder (owner only) and prove it is writable, at start, not when needed."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            probe = self.folder / ".probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise ConfigError(
                f"Held check-ins cannot be kept in {self.folder} ({error.strerror or error}); "
                "set HELD_CHECKINS_DIR to a folder Muster can write."
            ) from None

    def keep(self, key: int, document: dict[str, Any]) -> None:
        """Write one item durably. Blocking (fsync): call it off the event loop."""
        self._write(key, encrypt(self._keyring, json.dumps(document), context=self._context(key)))

    def _write(self, key: int, sealed: bytes) -> None:
        final = self.folder / f"{key}{SUFFIX}"
        partial = self.folder / f"{key}.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, sealed)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, final)
        self._sync_folder()

    def release(self, key: int) -> None:
        """The item is committed: forget it."""
        (self.folder / f"{key}{SUFFIX}").unlink(missing_ok=True)

    def _sealed(self) -> list[tuple[int, bytes]]:
        """Every held file's name and sealed content, as stored."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            name = path.name.removesuffix(SUFFIX)
            if not name.isdigit():
                continue
            try:
                found.append((int(name), path.read_bytes()))
            except FileNotFoundError:
                continue  # released meanwhile
        return found

    def key_ids(self) -> Counter[str]:
        """How many held items are sealed under each key id (read without any key)."""
        return Counter(_key_id(sealed) for _, sealed in self._sealed())

    def reseal(self) -> tuple[int, int, int]:
        """Seal every held item under the current key, so an older one can be retired.
        Returns (re-sealed, already current, unreadable); unreadable ones are left as they are.
        Blocking (fsync)."""
        resealed = current = unreadable = 0
        for key, sealed in self._sealed():
            if _key_id(sealed) == self._keyring.current_key_id:
                current += 1
                continue
            plain = decrypt_or_none(
                self._keyring, sealed, context=self._context(key), what="held item"
            )
            if plain is None:
                unreadable += 1
                continue
            self._write(key, encrypt(self._keyring, plain, context=self._context(key)))
            resealed += 1
        return resealed, current, unreadable

    def held(self) -> list[tuple[int, dict[str, Any]]]:
        """Every item still waiting. One that cannot be read is left in place (and logged by
        name, never content) for an operator, not deleted."""
        found = []
        for key, sealed in self._sealed():
            path = self.folder / f"{key}{SUFFIX}"
            plain = decrypt_or_none(
                self._keyring, sealed, context=self._context(key), what="held item"
            )
            if plain is None:
                log.error("A held item in %s could not be read; it is left in place", path)
                continue
            found.append((key, json.loads(plain)))
        return found

    @staticmethod
    def _context(key: int) -> str:
        return f"held:{key}"

    def _sync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _key_id(sealed: bytes) -> str:
    try:
        return key_id_of(sealed)
    except UnreadableError:
        return "?"  # not in the encrypted form at all: no key opens it
