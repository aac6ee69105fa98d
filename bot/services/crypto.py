"""Encryption at rest for what members write (R16): AES-256-GCM, a random nonce per value,
and the row's identity as associated data, so a ciphertext copied onto another row fails.

Stored form: key id (1 length byte + id) | 12-byte nonce | ciphertext with tag. New values
use the keyring's current key; values under older keys stay readable until re-encrypted.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.keys import Keyring

NONCE_BYTES = 12
# What members see where a stored text cannot be read (R28).
UNREADABLE = "(text could not be read)"

log = logging.getLogger(__name__)


class UnreadableError(Exception):
    """A value that no configured key opens, or that was tampered with or moved."""


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(keyring: Keyring, plaintext: str, *, context: str) -> bytes:
    key_id = keyring.current_key_id.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _cipher(keyring.encryption_keys[keyring.current_key_id]).encrypt(
        nonce, plaintext.encode("utf-8"), context.encode()
    )
    return bytes([len(key_id)]) + key_id + nonce + sealed


def key_id_of(blob: bytes) -> str:
    try:
        return blob[1 : 1 + blob[0]].decode()
    except (IndexError, UnicodeDecodeError):
        raise UnreadableError("the value is not in Muster's encrypted form") from None


def decrypt(keyring: Keyring, blob: bytes, *, context: str) -> str:
    key_id = key_id_of(blob)
    key = keyring.encryption_keys.get(key_id)
    if key is None:
        raise UnreadableError(f"encrypted with key {key_id!r}, which is not configured")
    start = 1 + blob[0]
    nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        return _cipher(key).decrypt(nonce, sealed, context.encode()).decode("utf-8")
    except (InvalidTag, ValueError):  # ValueError: a nonce cut short, or not UTF-8 inside
        raise UnreadableError("the value was altered, or belongs to another row") from None


def decrypt_or_none(keyring: Keyring, blob: bytes, *, context: str, what: str) -> str | None:
    """The plaintext, or None when it cannot be read: logged with its key id, never with
    content, so the caller shows what it can instead of failing (R28)."""
    try:
        return decrypt(keyring, blob, context=context)
    except UnreadableError as error:
        try:
            key_id = key_id_of(blob)
        except UnreadableError:
            key_id = "?"
        log.warning("Could not read a stored %s (key id %r): %s", what, key_id, error)
        return None


def seal(keyring: Keyring, plaintext: str, *, context: str, sizes: Sequence[int]) -> bytes:
    """Encrypt padded with spaces to the first of `sizes` (bytes) it fits, so the stored
    length says nothing about what is inside. The text must not end in spaces."""
    length = len(plaintext.encode("utf-8"))
    size = next((size for size in sizes if size >= length), length)
    return encrypt(keyring, plaintext + " " * (size - length), context=context)


def unseal(keyring: Keyring, blob: bytes, *, context: str) -> str:
    return decrypt(keyring, blob, context=context).rstrip(" ")
