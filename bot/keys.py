"""Secret key material: the pseudonym key and the encryption keyring.

Keys never live in the database. They come from a key file outside the repository
(MUSTER_KEY_FILE) or from the environment; the demo makes throwaway ones in memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.commandline import muster_command
from bot.config import Settings
from bot.errors import ConfigError

KEY_BYTES = 32
_PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "placeholder", "secret", "example")


@dataclass(frozen=True)
class Keyring:
    """The pseudonym key, and encryption keys by id with the one used for new writes.

    `legacy_member_key` is the pseudonym key that rows from before migration 0012 were keyed
    with, kept after `rotate-pseudonym-key` so those rows stay findable by their owner.
    """

    pseudonym_key: bytes
    encryption_keys: dict[str, bytes]
    current_key_id: str
    legacy_member_key: bytes | None = None

    def __post_init__(self) -> None:
        if self.current_key_id not in self.encryption_keys:
            raise ConfigError(f"The current encryption key {self.current_key_id!r} is missing.")

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        return cls(
            pseudonym_key=secrets.token_bytes(KEY_BYTES),
            encryption_keys={key_id: secrets.token_bytes(KEY_BYTES)},
            current_key_id=key_id,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        if settings.muster_key_file is not None:
            return cls.from_file(settings.muster_key_file)
        if settings.muster_pseudonym_key is None or settings.muster_encryption_keys is None:
            raise ConfigError(
                "No keys configured: set MUSTER_KEY_FILE to a key file "
                f"(make one with `{muster_command('generate-keys PATH')}`), "
                "or set both MUSTER_PSEUDONYM_KEY and MUSTER_ENCRYPTION_KEYS."
            )
        pseudonym = _decode_key(
            "MUSTER_PSEUDONYM_KEY", settings.muster_pseudonym_key.get_secret_value()
        )
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for entry in settings.muster_encryption_keys.get_secret_value().split(","):
            key_id, sep, material = entry.strip().partition(":")
            if not sep or not key_id:
                raise ConfigError(
                    "MUSTER_ENCRYPTION_KEYS must be a comma-separated list of id:base64key, "
                    "newest first."
                )
            keys[key_id] = _decode_key(f"MUSTER_ENCRYPTION_KEYS ({key_id})", material)
            order.append(key_id)
        return cls(pseudonym_key=pseudonym, encryption_keys=keys, current_key_id=order[0])

    @classmethod
    def from_file(cls, path: Path) -> Keyring:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"MUSTER_KEY_FILE points to {path}, which does not exist.") from None
        except (OSError, ValueError) as error:
            raise ConfigError(
                f"MUSTER_KEY_FILE {path} could not be read as JSON ({error})."
            ) from None
        try:
            pseudonym = _decode_key("pseudonym_key", raw["pseudonym_key"])
            keys = {
                str(key_id): _decode_key(f"encryption key {key_id}", material)
                for key_id, material in raw["encryption_keys"].items()
            }
            current = str(raw["current_key_id"])
            legacy = raw.get("legacy_member_key")
            legacy_key = None if legacy is None else _decode_key("legacy_member_key", legacy)
        except (KeyError, TypeError, AttributeError):
            raise ConfigError(
                f"MUSTER_KEY_FILE {path} must hold pseudonym_key, encryption_keys and "
                f"current_key_id (make one with `{muster_command('generate-keys PATH')}`)."
            ) from None
        return cls(
            pseudonym_key=pseudonym,
            encryption_keys=keys,
            current_key_id=current,
            legacy_member_key=legacy_key,
        )

    def write(self, path: Path) -> None:
        """Write a key file readable by its owner only; refuses to overwrite one."""
        document = {
            "pseudonym_key": _encode(self.pseudonym_key),
            "encryption_keys": {
                key_id: _encode(key) for key_id, key in self.encryption_keys.items()
            },
            "current_key_id": self.current_key_id,
        }
        if self.legacy_member_key is not None:
            document["legacy_member_key"] = _encode(self.legacy_member_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(
                f"{path} already exists; Muster will not overwrite a key file."
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)


def _encode(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def looks_like_placeholder(text: str) -> bool:
    """A value copied from an example ("changeme") rather than a real secret."""
    return any(word in text.lower() for word in _PLACEHOLDER_WORDS)


def _decode_key(name: str, material: str) -> bytes:
    text = material.strip()
    if not text or looks_like_placeholder(text):
        raise ConfigError(f"{name} looks like a placeholder; generate a real key.")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{name} must decode to {KEY_BYTES} bytes, not {len(key)}.")
    if len(set(key)) < 8:
        raise ConfigError(f"{name} is too regular to be a real key; generate a random one.")
    return key
