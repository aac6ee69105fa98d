"""The member's choice for a check-in held for its crisis note (R25), as stored.

Choosing does not rewrite the held row: it goes, and the check-in as chosen is a row of its
own with a fresh id, keeping (sealed) the id the held one had, which its choice buttons
carry. Rewritten in place, the row would show the writing transaction of the choice
(PostgreSQL's xmin) under the id of its first write, and so date the choice, to the moment
of the post it became, and tell that post was held for a crisis note. As a new row, it
looks like every check-in made at that moment.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Checkin
from bot.keys import Keyring
from bot.services.checkins.ids import fresh_ids
from bot.services.checkins.pseudonyms import storage_week
from bot.services.checkins.sealed import StoredCheckin, open_checkin
from bot.services.ownership import Owners, owned_rows

# How far back a press on a held check-in's choice looks for the row it was replaced with.
CHOSEN_LOOKUP = timedelta(days=35)


async def chosen_from(
    session: AsyncSession,
    owners: Owners,
    keyring: Keyring,
    user_id: int,
    checkin_id: int,
    now: datetime,
) -> Checkin | None:
    """The member's check-in that replaced held row `checkin_id` when they chose for it
    (see `replace_held`), if any."""
    since = now - CHOSEN_LOOKUP
    rows = await owned_rows(session, owners, Checkin, user_id, Checkin.week >= storage_week(since))
    for row in rows:
        opened = open_checkin(keyring, row)
        if opened is not None and opened.was == checkin_id:
            return row
    return None


async def replace_held(
    session: AsyncSession,
    owners: Owners,
    keyring: Keyring,
    row: Checkin,
    user_id: int,
    chosen: StoredCheckin,
) -> None:
    """The held row goes, and the check-in as chosen is a row of its own, with a fresh id
    (see the module's docstring)."""
    digest, guild_id, week = row.request_digest, row.guild_id, row.week
    data, note = dataclasses.replace(chosen, was=row.id).sealed(keyring, digest)
    await session.delete(row)
    await session.flush()  # the digest is unique: the old row goes first
    [checkin_id] = await fresh_ids(session, Checkin.id, 1)
    session.add(
        Checkin(
            id=checkin_id, guild_id=guild_id, week=week, request_digest=digest, data=data,
            note=note, owner=owners.seal_user("checkins", user_id),
        )
    )  # fmt: skip
    await session.flush()
