"""Row ids that say nothing about when a row was written.

An id counted up tells the order rows were written in, across every member: the check-in
just before a member's named mentor request is theirs, and a post that appears after one
with a higher id was held back. Check-ins and anonymous posts take ids drawn at random
instead; their order comes from the (sealed) time they carry, never from the id.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

# Ten digits, within a 32-bit integer column (moderators see post ids in audit lines).
RANDOM_IDS = (10**9, 2**31 - 1)


def drawn_ids(count: int) -> list[int]:
    """`count` distinct ids drawn at random, not checked against the table: for an insert
    that skips a taken one (ON CONFLICT DO NOTHING) and draws again with `fresh_ids`."""
    low, high = RANDOM_IDS
    drawn: set[int] = set()
    while len(drawn) < count:
        drawn.add(secrets.randbelow(high - low) + low)
    return list(drawn)


async def fresh_ids(
    session: AsyncSession, id_column: InstrumentedAttribute[int], count: int
) -> list[int]:
    """`count` ids for new rows of `id_column`'s table, drawn at random and not yet taken."""
    chosen: set[int] = set()
    while len(chosen) < count:
        drawn = set(drawn_ids(count - len(chosen))) - chosen
        taken = set(await session.scalars(select(id_column).where(id_column.in_(drawn))))
        chosen |= drawn - taken
    return list(chosen)
