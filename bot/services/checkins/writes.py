"""Writing check-ins: in batches, in few statements, and never lost.

Every check-in is decided first (CheckinService.submit), then written by one BatchWriter:
a batch is one transaction, written again from scratch if it fails. While the database is
slow, the check-ins the member is told are held wait in the spool (spool.py) and are
written at the next start if the process stops first; a repeated one saves nothing new
(R15).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, insert_for
from bot.db.group_commit import BatchWriter
from bot.db.models import AnonymousPost, Checkin
from bot.keys import Keyring
from bot.services.checkins.anonymous import book_release
from bot.services.checkins.ids import drawn_ids, fresh_ids
from bot.services.checkins.pseudonyms import storage_week
from bot.services.checkins.spool import Spool

log = logging.getLogger(__name__)

# A named mentor request rewrites every check-in of the storage weeks this reaches into:
# the current one and the one before (7 to 14 days of check-ins, in every server).
RECENT_CHECKINS = timedelta(days=7)
# In a Row's post, beside its columns: when the release should wake for it (its time, sealed
# in its content), and a decoy wake drawn with it (see anonymous.book_release). A post held
# in the spool before migration 0027 has neither: its time is in its post_after column.
DUE, DECOY = "due", "decoy"


@dataclass(frozen=True)
class Row:
    """Everything the writer needs, decided before the write. Plain values, not ORM objects,
    so a batch that failed can be written again from scratch."""

    checkin: dict[str, Any]
    post: dict[str, Any] | None
    request_key: int  # the interaction id: names the held spool's file, never stored

    @property
    def digest(self) -> str:
        return str(self.checkin["request_digest"])

    def document(self) -> dict[str, Any]:
        """Plain JSON, for the held spool (itself encrypted)."""
        return {
            "checkin": _plain_values(self.checkin),
            "post": None if self.post is None else _plain_values(self.post),
        }

    @classmethod
    def from_document(cls, key: int, document: dict[str, Any]) -> Row:
        # A document held before migration 0025 may still carry a "profile": its check-in
        # holds what it said.
        post = document["post"]
        return cls(
            _typed_values(document["checkin"]), None if post is None else _typed_values(post), key
        )


def _plain_values(values: dict[str, Any]) -> dict[str, Any]:
    """Bytes, dates and times as tagged strings, so they come back as what they were."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"bytes": value.hex()}
        if isinstance(value, datetime):
            return {"datetime": value.isoformat()}
        if isinstance(value, date):
            return {"date": value.isoformat()}
        return value

    return {name: plain(value) for name, value in values.items()}


def _typed_values(values: dict[str, Any]) -> dict[str, Any]:
    def typed(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((kind, text),) = value.items()
            if kind == "bytes":
                return bytes.fromhex(text)
            if kind == "datetime":
                return datetime.fromisoformat(text)
            if kind == "date":
                return date.fromisoformat(text)
        return value

    return {name: typed(value) for name, value in values.items()}


@dataclass(frozen=True)
class Saved:
    checkin_id: int
    post_id: int | None
    duplicate: bool


class CheckinWriter:
    """Saves check-ins in batches (group commit), and keeps what the member was told is held
    in the spool until it is committed (R29)."""

    def __init__(self, sessions: SessionFactory, spool: Spool | None, keyring: Keyring) -> None:
        self._sessions = sessions
        self._keyring = keyring
        self._spool = spool
        self.batches: BatchWriter[Row, Saved] = BatchWriter(self._write, name="check-ins")
        # Submitted and not yet committed; those also in the spool are released once committed.
        self._unsaved: dict[int, Row] = {}
        self._spooled: set[int] = set()

    def queue(self, row: Row) -> asyncio.Future[Saved]:
        key = row.request_key
        self._unsaved[key] = row
        future = self.batches.submit(row)

        def settled(done: asyncio.Future[Saved]) -> None:
            if self._unsaved.get(key) is row:
                del self._unsaved[key]
            if done.cancelled() or done.exception() is not None:
                return  # a spooled copy stays for the next start
            if key in self._spooled and self._spool is not None:
                self._spooled.discard(key)
                self._spool.release(key)

        future.add_done_callback(settled)
        return future

    async def hold(self, keys: Sequence[int]) -> bool:
        """Put unsaved check-ins in the spool, so a stop or crash cannot lose them. False if
        the spool could not keep them (no spool, or a disk that is full or failing)."""
        if self._spool is None:
            return False
        rows = [(key, row) for key in keys if (row := self._unsaved.get(key)) is not None]
        rows = [(key, row) for key, row in rows if key not in self._spooled]
        if not rows:
            return True
        spool = self._spool

        def write() -> None:
            for key, row in rows:
                spool.keep(key, row.document())

        try:
            await asyncio.to_thread(write)
        except OSError as error:
            log.error("Could not keep %d held check-in(s) in the spool (%s)", len(rows), error)
            return False
        for key, _ in rows:
            if key in self._unsaved:
                self._spooled.add(key)
            else:
                spool.release(key)  # committed while it was being written
        return True

    def replay_held(self) -> int:
        """At start: queue the check-ins a stopped or crashed process was holding. Each is
        released from the spool once committed; one saved before already stays as it was."""
        if self._spool is None:
            return 0
        held = self._spool.held()
        for key, document in held:
            self._spooled.add(key)
            self.queue(Row.from_document(key, document))
        if held:
            log.info("Saving %d held check-in(s) kept from before the last stop", len(held))
        return len(held)

    async def close(self) -> None:
        # Whatever is not committed yet goes to the spool first: saved at the next start.
        await self.hold(list(self._unsaved))
        await self.batches.close()

    async def _write(self, rows: Sequence[Row]) -> list[Saved]:
        """One transaction for the whole batch, in few statements: the check-ins in one
        INSERT ... ON CONFLICT DO NOTHING RETURNING (under ids drawn at random, looked up
        only if one was taken), the anonymous posts in another."""
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            fresh: dict[str, Row] = {}
            for row in rows:
                fresh.setdefault(row.digest, row)
            earlier_ids: dict[str, int] = {}  # saved by an earlier submission
            # Core, executemany: one compiled statement whatever the batch size, and none of
            # the ORM's bulk bookkeeping.
            connection = await session.connection()
            checkins = Checkin.__table__
            # Ids drawn unchecked (no statement to look them up first): a row whose id is
            # taken is skipped like a repeated submission, and drawn again below.
            ids: dict[str, int] = {}
            waiting = dict(fresh)
            checked = False
            while waiting:
                drawn = (
                    await fresh_ids(session, Checkin.id, len(waiting))
                    if checked
                    else drawn_ids(len(waiting))
                )
                added = await connection.execute(
                    insert(checkins)
                    .on_conflict_do_nothing()
                    .returning(checkins.c.request_digest, checkins.c.id),
                    [
                        {"id": checkin_id, **row.checkin}
                        for checkin_id, row in zip(drawn, waiting.values(), strict=True)
                    ],
                )
                ids.update({str(key): int(id_) for key, id_ in added.all()})
                missing = [key for key in waiting if key not in ids]
                if missing:  # submitted before: the earlier check-in stands (R15)
                    earlier = await session.execute(
                        select(Checkin.request_digest, Checkin.id).where(
                            Checkin.request_digest.in_(missing)
                        )
                    )
                    before = {str(key): int(id_) for key, id_ in earlier.all()}
                    ids.update(before)
                    earlier_ids.update(before)
                waiting = {key: row for key, row in waiting.items() if key not in ids}
                checked = True
            new_keys = set(ids) - earlier_ids.keys()
            new_posts = [key for key, row in fresh.items() if key in new_keys and row.post]
            post_ids = await fresh_ids(session, AnonymousPost.id, len(new_posts))
            posts: dict[str, dict[str, Any]] = {
                key: {"id": post_id, **fresh[key].post}  # type: ignore[dict-item]  # checked above
                for key, post_id in zip(new_posts, post_ids, strict=True)
            }
            if posts:  # Core, executemany, as the check-ins
                columns = [
                    {name: value for name, value in post.items() if name not in (DUE, DECOY)}
                    for post in posts.values()
                ]
                await connection.execute(insert(AnonymousPost.__table__), columns)
                earliest: dict[int, dict[str, Any]] = {}
                for post in posts.values():
                    post.setdefault(DUE, post["post_after"])
                    soonest = earliest.get(post["guild_id"])
                    if soonest is None or post[DUE] < soonest[DUE]:
                        earliest[post["guild_id"]] = post
                for guild_id, soonest in earliest.items():
                    decoys = [
                        post[DECOY]
                        for post in posts.values()
                        if post["guild_id"] == guild_id and post.get(DECOY) is not None
                    ]
                    await book_release(
                        session, self._keyring, guild_id, soonest[DUE], soonest["id"],
                        decoy=min(decoys, default=None),
                    )  # fmt: skip
            results: list[Saved] = []
            for row in rows:
                key = row.digest
                first = key in new_keys and fresh[key] is row
                post_id = int(posts[key]["id"]) if first and key in posts else None
                results.append(Saved(ids[key], post_id, not first))
            return results


async def touch_recent_checkins(session: AsyncSession, now: datetime) -> None:
    """Rewrite every recent check-in, in every server, unchanged, one at a time in random
    order. Called in the transactions that write a named mentor request: on PostgreSQL each
    row shows the transaction that last wrote it (xmin), and the check-in written just
    before the request's would be the requester's (what brought the offer). Rewritten, the
    recent ones all carry the request's transaction, and the newest check-in written before
    it is one from before the window's edge, a Monday (UTC) a week or more ago: set by the
    calendar, not by the request. In random order, because each new row version takes the
    next free place in the table (ctid), and a dump lists rows in that order: one statement
    would keep them in the order they were first written."""
    recent = list(
        await session.scalars(
            select(Checkin.id).where(Checkin.week >= storage_week(now - RECENT_CHECKINS))
        )
    )
    if not recent:
        return
    secrets.SystemRandom().shuffle(recent)
    connection = await session.connection()
    await connection.execute(
        update(Checkin).where(Checkin.id == bindparam("row_id")).values(week=Checkin.week),
        [{"row_id": row_id} for row_id in recent],
    )
