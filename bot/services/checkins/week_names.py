"""A server's pseudonyms of the week, by author: what a new anonymous post is named by.

Each post row is opened once per process, not once per check-in. A row's author, week and
name never change while its id and its sealed owner stay the same: a waiting post sealed
anew is a new row (`replace_waiting`), a post moved into another week (`_into_this_week`)
is listed under that week, a deletion that makes a shown post nobody's seals its owner
afresh, and every re-sealing (deletion, key rotation) draws a fresh nonce, so a new
authentication tag ends the owner. So each read lists the week's post ids with the tag of
each sealed owner (its last 16 bytes, the same for every row and saying nothing about
whose), and opens only the rows not seen before under that id and tag: rows written since,
by this process or another, or re-sealed. A row no longer listed (deleted, moved, replaced)
is let go. What is opened is kept in memory only (docs/threat-model.md says so), for the
one week last asked of each server, and `forget` lets a deleted member's rows go.

Rows not seen yet are opened in chunks, with the event loop let go between them: the first
read after a start, in a week of tens of thousands of posts, would otherwise hold it for
seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import LargeBinary, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AnonymousPost
from bot.keys import Keyring
from bot.services.checkins.pseudonyms import draw_pseudonym
from bot.services.checkins.sealed import read_sealed
from bot.services.ownership import Owners, post_context

# Sealed in a waiting post's content: its pseudonym, in the clear only once it goes out (the
# channel shows it then).
PSEUDONYM = "pseudonym"
# Rows opened between two turns of the event loop (about 10 ms of opening).
OPEN_CHUNK = 500
TAG_BYTES = 16  # AES-GCM's tag, at the end of every sealed value
T = TypeVar("T")


def pseudonym_of(
    keyring: Keyring, post: AnonymousPost, values: dict[str, Any] | None = None
) -> str | None:
    """The post's pseudonym: in the clear once it has gone out (and on rows from before
    migration 0026), else sealed in its content (`values`, if already opened)."""
    if post.pseudonym is not None:
        return post.pseudonym
    if values is None:
        values = read_sealed(keyring, post.content, context=post_context(post.guild_id))
    name = None if values is None else values.get(PSEUDONYM)
    return name if isinstance(name, str) else None


async def in_chunks(items: Sequence[T], size: int = OPEN_CHUNK) -> AsyncIterator[Sequence[T]]:
    """`items` in chunks of `size`, letting the event loop run between two chunks."""
    for start in range(0, len(items), size):
        if start:
            await asyncio.sleep(0)
        yield items[start : start + size]


async def every_so_often(items: Iterable[T], size: int = OPEN_CHUNK) -> AsyncIterator[T]:
    """`items` one by one, letting the event loop run after every `size` of them."""
    for index, item in enumerate(items):
        if index and index % size == 0:
            await asyncio.sleep(0)
        yield item


@dataclass
class _Week:
    # post id -> (the owner's tag, its author's identity, its pseudonym), as opened.
    rows: dict[int, tuple[bytes, str | None, str | None]] = field(default_factory=dict)
    authors: dict[str, str] = field(default_factory=dict)  # identity -> pseudonym
    names: set[str] = field(default_factory=set)  # every pseudonym taken


class WeekNames:
    """The pseudonyms of each server's week by author, kept per post row (see above)."""

    def __init__(self, keyring: Keyring, owners: Owners) -> None:
        self._keyring = keyring
        self._owners = owners
        self._weeks: dict[tuple[int, str], _Week] = {}

    async def of_week(
        self, session: AsyncSession, guild_id: int, week: str
    ) -> tuple[dict[str, str], set[str]]:
        """The server's pseudonyms of the week by author identity, and every name taken, as
        the database has them now (a post deleted or moved is gone from here too). The
        caller may add to the set (a copy), not to the authors."""
        known = self._weeks.get((guild_id, week)) or _Week()
        tag = func.substr(
            AnonymousPost.owner, func.length(AnonymousPost.owner) - (TAG_BYTES - 1),
            type_=LargeBinary,
        )  # fmt: skip
        listed = await session.execute(
            select(AnonymousPost.id, tag).where(
                AnonymousPost.guild_id == guild_id, AnonymousPost.week == week
            )
        )
        rows: dict[int, tuple[bytes, str | None, str | None]] = {}
        unseen: list[int] = []
        for post_id, owner_tag in listed:
            seen = known.rows.get(post_id)
            if seen is not None and seen[0] == bytes(owner_tag):
                rows[post_id] = seen
            else:
                unseen.append(post_id)
        table = AnonymousPost.__tablename__
        async for chunk in in_chunks(unseen):
            for post in await session.scalars(
                select(AnonymousPost).where(AnonymousPost.id.in_(chunk))
            ):
                if post.guild_id != guild_id or post.week != week:
                    continue  # moved since it was listed (PostgreSQL reads each statement anew)
                rows[post.id] = (
                    post.owner[-TAG_BYTES:],
                    self._owners.identity_of(table, post.owner),
                    pseudonym_of(self._keyring, post),  # sealed in a waiting post
                )
        if unseen or rows.keys() != known.rows.keys():
            known = _Week(rows)
            for who, name in ((who, name) for _, who, name in rows.values() if name is not None):
                if who is not None:
                    known.authors.setdefault(who, name)
                known.names.add(name)
        for key in [key for key in self._weeks if key[0] == guild_id and key[1] != week]:
            del self._weeks[key]  # another week's: not asked for again
        self._weeks[(guild_id, week)] = known
        return known.authors, set(known.names)

    def forget(self, identities: Iterable[str]) -> None:
        """A member's data was deleted: the weeks they wrote in are let go (opened again
        when next asked, as the deletion sealed every post of their servers afresh)."""
        mine = set(identities)
        for key in [
            key
            for key, week in self._weeks.items()
            if any(who in mine for _, who, _ in week.rows.values())
        ]:
            del self._weeks[key]

    async def pseudonym_for(
        self, session: AsyncSession, guild_id: int, user_id: int, week: str
    ) -> str:
        """The member's name this week in this server: the one on their posts of the week
        (sealed in those still waiting), or a new one nobody else has."""
        authors, names = await self.of_week(session, guild_id, week)
        mine = (authors.get(key) for key in self._owners.identities(user_id))
        return next((name for name in mine if name is not None), None) or draw_pseudonym(names)
