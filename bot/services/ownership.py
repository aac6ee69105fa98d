"""Who owns a row, with no key shared between rows (R23).

Every row a member owns carries `owner`: their identity encrypted with a fresh nonce and
padded to one length, so two rows of the same member look unrelated in a dump. A service
finds a member's rows by opening the owners of a bounded set of candidate rows (a server, a
few weeks) and comparing; only the answer leaves the service.

No row is keyed by its member: a key the same on every version of a member's row (as the
tags the remembered sharing choices had until migration 0025, HMACs of server and identity)
shows in backups taken over time which member each change was. `tag` remains for the
migrations that wrote those rows.

An identity is "u:<user id>" for rows written since migration 0012, or "m:<member key>" for
rows moved from the older layout, which knew the member only by that keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.keys import Keyring
from bot.services.crypto import UnreadableError, seal, unseal

OWNER_SIZES = (80,)
T = TypeVar("T")


def legacy_member_key(keyring: Keyring, user_id: int) -> str:
    """The member key of the layout before migration 0012 (an HMAC of the user id)."""
    key = keyring.legacy_member_key or keyring.pseudonym_key
    return hmac.new(key, f"member:{user_id}".encode(), hashlib.sha256).hexdigest()


def keyed_digest(keyring: Keyring, message: str) -> str:
    return hmac.new(keyring.pseudonym_key, message.encode(), hashlib.sha256).hexdigest()


def request_digest(keyring: Keyring, interaction_id: int) -> str:
    """Stands in for an interaction id (whose bits carry its time) to keep a submission
    idempotent (R15)."""
    return keyed_digest(keyring, f"request:{interaction_id}")


def owner_context(table: str) -> str:
    return f"owner:{table}"


def post_context(guild_id: int) -> str:
    """What an anonymous post's content is bound to: it opens only as a post of its server."""
    return f"post:{guild_id}"


class Owners:
    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def identity(self, user_id: int) -> str:
        """The identity new rows are sealed with (no keyed hash to compute)."""
        return f"u:{user_id}"

    def identities(self, user_id: int) -> tuple[str, str]:
        return self.identity(user_id), f"m:{legacy_member_key(self._keyring, user_id)}"

    def seal(self, table: str, identity: str) -> bytes:
        return seal(self._keyring, identity, context=owner_context(table), sizes=OWNER_SIZES)

    def seal_user(self, table: str, user_id: int) -> bytes:
        return self.seal(table, self.identity(user_id))

    def identity_of(self, table: str, blob: bytes) -> str | None:
        try:
            return unseal(self._keyring, blob, context=owner_context(table))
        except UnreadableError:
            return None

    def matcher(self, table: str, user_id: int) -> Callable[[bytes], bool]:
        mine = set(self.identities(user_id))
        return lambda blob: self.identity_of(table, blob) in mine

    def tag(self, purpose: str, guild_id: int, identity: str) -> str:
        return keyed_digest(self._keyring, f"{purpose}:{guild_id}:{identity}")


async def owned_rows(
    session: AsyncSession, owners: Owners, model: type[T], user_id: int, *where: Any
) -> list[T]:
    """The member's rows among the candidates `where` selects, in primary-key order (oldest
    first, except for check-ins and anonymous posts, whose ids are drawn at random)."""
    table: str = model.__tablename__  # type: ignore[attr-defined]  # every model has one
    mine = owners.matcher(table, user_id)
    order = inspect(model).primary_key
    candidates: Sequence[Any] = list(
        await session.scalars(select(model).where(*where).order_by(*order))
    )
    return [row for row in candidates if mine(row.owner)]


async def one_at_a_time(
    session: AsyncSession, keyring: Keyring, purpose: str, user_id: int
) -> None:
    """Hold, until this transaction ends, the member's lock for `purpose`: two clicks at once
    find each other's rows instead of each making one. Sealed owners give no unique key to do
    it. SQLite needs nothing: its write transactions BEGIN IMMEDIATE, one at a time. On
    PostgreSQL it is a transaction advisory lock on a keyed digest, so the lock's number
    tells nobody whose it is."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = keyed_digest(keyring, f"lock:{purpose}:{user_id}")
    key = int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
