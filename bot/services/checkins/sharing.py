"""Where a shared check-in may go: the sharing checks (a moderator's pause, the spacing of a
member's shares, a mentor request a little while ago, the member's pseudonym of the week),
for every check-in waiting at once.

The checks of the check-ins that arrive together are decided in one read session and few
statements (a BatchReader): a server's blocks opened once, the mentor requests in one
statement, a server's posts of the week listed once, each post row opened once per process
(week_names.py). On one pooled connection (SQLite's read connection) a session each would queue them
one behind another.

When a member last shared, and how, is kept in this process's memory only. In the first
moments after a start (a deploy, a crash) it is read back from the server's sealed
check-ins instead, once per server, as their time and share are sealed inside them. Nothing
else records it: a row saying when a member last shared would carry the moment of a named
post (public, so it names the row) and date an anonymous check-in to the second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.group_commit import BatchReader
from bot.db.models import AnonymousBlock, Checkin, MentorRequest
from bot.keys import Keyring
from bot.services.checkins.pseudonyms import draw_pseudonym, storage_week, week_label
from bot.services.checkins.rules import HOLD_BACK, MAX_SPACING, SHARE_COOLDOWN, Share, spacing
from bot.services.checkins.sealed import CHECKIN_CONTEXT, read_sealed
from bot.services.checkins.week_names import WeekNames, every_so_often
from bot.services.guild_settings import GuildConfig
from bot.services.ownership import Owners

SPACED = "you shared one a little while ago, and shared posts are spaced out"
PAUSED = "a moderator paused your anonymous posting here"


@dataclass(frozen=True)
class Decision:
    requested: Share
    share: Share
    reason: str | None = None
    block_until: datetime | None = None
    pseudonym: str | None = None
    held_back: bool = False  # its author asked for a mentor a little while ago
    # Its author shared a little while ago: the post's delay counts from then.
    wait_from: datetime | None = None


@dataclass(frozen=True)
class Ask:
    """A check-in whose sharing checks need the database: shared, in a server with a
    check-in channel."""

    guild_id: int
    user_id: int
    requested: Share
    config: GuildConfig
    now: datetime


class SharingChecks:
    """The sharing checks of check-ins, batched, and the memory of who shared when. A guild
    is served by one process."""

    def __init__(
        self,
        reads: Callable[[], Any],
        keyring: Keyring,
        owners: Owners,
        names: WeekNames,
        started_at: datetime,
    ) -> None:
        self._reads = reads  # opens a read session (the service's, looked up at each read)
        self._keyring = keyring
        self._owners = owners
        self._started_at = started_at
        self._decisions: BatchReader[Ask, Decision] = BatchReader(self._decide)
        # (server, member) -> when and how they last shared, since this process started.
        self._shared_at: dict[tuple[int, int], tuple[datetime, Share]] = {}
        # Per server, read once in the first MAX_SPACING after a start: each identity's last
        # share before it, from the sealed check-ins (see `_last_share`).
        self._shared_before: dict[int, dict[str, tuple[datetime, Share]]] = {}
        # Per server, the pseudonyms of its week by author (each post row opened once).
        self._names = names

    async def decide(self, ask: Ask) -> Decision:
        """Where the check-in goes: with every other check-in waiting, in one read."""
        return await self._decisions.submit(ask)

    def note_shared(self, guild_id: int, user_id: int, now: datetime, share: Share) -> None:
        self._shared_at = {
            key: last for key, last in self._shared_at.items() if now - last[0] < MAX_SPACING
        } if len(self._shared_at) > 10_000 else self._shared_at  # fmt: skip
        self._shared_at[(guild_id, user_id)] = (now, share)

    def shared_again(self, guild_id: int) -> None:
        """A stored check-in of the server was shared after the fact (a held one, by its
        member's choice): the start window's shares are read again when next asked."""
        self._shared_before.pop(guild_id, None)

    def forget(self, user_id: int) -> None:
        """The member's data was deleted: nothing about them stays in memory either."""
        self._shared_at = {key: last for key, last in self._shared_at.items() if key[1] != user_id}
        mine = set(self._owners.identities(user_id))
        for before in self._shared_before.values():
            for identity in mine & before.keys():
                del before[identity]
        self._names.forget(mine)

    async def _decide(self, asks: Sequence[Ask]) -> list[Decision]:
        """The sharing checks of a batch of check-ins, in one read session and few statements.
        Two shares of one member in the batch are spaced as if the first were remembered."""
        async with self._reads() as session:
            blocks: dict[int, list[tuple[str | None, datetime]]] = {}
            for guild_id in {ask.guild_id for ask in asks if ask.requested == "anonymous"}:
                table = AnonymousBlock.__tablename__
                blocks[guild_id] = [
                    (self._owners.identity_of(table, owner), until)
                    for owner, until in await session.execute(
                        select(AnonymousBlock.owner, AnonymousBlock.until).where(
                            AnonymousBlock.guild_id == guild_id
                        )
                    )
                ]
            decided: list[Decision | None] = []
            # Shared earlier in this same batch: seen as if already remembered.
            batch_shares: dict[tuple[int, int], tuple[datetime, Share]] = {}
            to_name: list[tuple[int, Ask, tuple[datetime, Share] | None, bool]] = []
            for ask in asks:
                now, apart = ask.now, spacing(ask.config)
                if ask.requested == "anonymous":
                    mine = set(self._owners.identities(ask.user_id))
                    until = max(
                        (until for who, until in blocks[ask.guild_id] if who in mine),
                        default=None,
                    )
                    if until is not None and until > now:
                        decided.append(Decision(ask.requested, "private", PAUSED, until))
                        continue
                key = (ask.guild_id, ask.user_id)
                last = batch_shares.get(key) or await self._last_share(
                    session, ask.guild_id, ask.user_id, now, apart
                )
                recent = last is not None and now - last[0] < apart
                # A named share soon after an anonymous one would sit in the window a
                # moderator searches before that post appears: it is kept private instead.
                if last is not None and (
                    now - last[0] < SHARE_COOLDOWN
                    or (recent and ask.requested == "named" and last[1] == "anonymous")
                ):
                    decided.append(Decision(ask.requested, "private", SPACED))
                    continue
                batch_shares[key] = (now, ask.requested)
                if ask.requested == "named":
                    decided.append(Decision(ask.requested, ask.requested))
                    continue
                to_name.append((len(decided), ask, last, recent))
                decided.append(None)
            if to_name:
                named = [ask for _, ask, _, _ in to_name]
                held = await asked_for_mentor_each(session, named)
                names = await self._pseudonyms(session, named)
                for (index, ask, last, recent), held_back, pseudonym in zip(
                    to_name, held, names, strict=True
                ):
                    decided[index] = Decision(
                        ask.requested, ask.requested, pseudonym=pseudonym, held_back=held_back,
                        wait_from=last[0] + spacing(ask.config)
                        if last is not None and recent else None,
                    )  # fmt: skip
            return [decision for decision in decided if decision is not None]

    async def _last_share(
        self, session: AsyncSession, guild_id: int, user_id: int, now: datetime, within: timedelta
    ) -> tuple[datetime, Share] | None:
        """When and how the member last shared in this server. Memory has every share since
        this process started; in the first `within` after a start the server's stored
        check-ins are opened instead, once for the server and every member
        (`_shares_before_start`)."""
        remembered = self._shared_at.get((guild_id, user_id))
        if remembered is not None or now - self._started_at >= within:
            if self._shared_before and now - self._started_at >= MAX_SPACING:
                self._shared_before.clear()  # no server's window reaches before the start
            return remembered
        before = await self._shares_before_start(session, guild_id)
        found = [before[key] for key in self._owners.identities(user_id) if key in before]
        latest = max(found, default=None)
        return latest if latest is not None and latest[0] > now - within else None

    async def _shares_before_start(
        self, session: AsyncSession, guild_id: int
    ) -> dict[str, tuple[datetime, Share]]:
        """Each identity's latest share in the server within MAX_SPACING (the longest window
        any server asks for) before this process started, from its check-ins: read and opened
        once per server, not once per check-in."""
        known = self._shared_before.get(guild_id)
        if known is not None:
            return known
        since = self._started_at - MAX_SPACING
        latest: dict[str, tuple[datetime, Share]] = {}
        rows = await session.execute(
            select(Checkin.owner, Checkin.data, Checkin.request_digest).where(
                Checkin.guild_id == guild_id, Checkin.week >= storage_week(since)
            )
        )
        async for owner, data, digest in every_so_often(rows):
            values = read_sealed(self._keyring, data, context=CHECKIN_CONTEXT.format(digest=digest))
            if values is None or values.get("share") not in ("named", "anonymous"):
                continue
            at = datetime.fromisoformat(values["at"])
            identity = self._owners.identity_of(Checkin.__tablename__, owner)
            if at <= since or identity is None:
                continue
            share: Share = "named" if values["share"] == "named" else "anonymous"
            if identity not in latest or latest[identity][0] < at:
                latest[identity] = (at, share)
        self._shared_before[guild_id] = latest
        return latest

    async def _pseudonyms(self, session: AsyncSession, asks: Sequence[Ask]) -> list[str]:
        """`WeekNames.pseudonym_for` each: the server's posts of the week listed once for the
        batch (only rows not seen before opened); a name drawn for one member here is not
        drawn for another of the batch."""
        weeks: dict[tuple[int, str], tuple[dict[str, str], set[str]]] = {}
        drawn: dict[tuple[int, str, int], str] = {}
        result: list[str] = []
        for ask in asks:
            week = week_label(ask.now, ask.config.timezone)
            if (ask.guild_id, week) not in weeks:
                weeks[(ask.guild_id, week)] = await self._names.of_week(session, ask.guild_id, week)
            authors, names = weeks[(ask.guild_id, week)]
            mine = (authors.get(key) for key in self._owners.identities(ask.user_id))
            name = next((name for name in mine if name is not None), None)
            if name is None:
                name = drawn.get((ask.guild_id, week, ask.user_id))
            if name is None:
                name = drawn[(ask.guild_id, week, ask.user_id)] = draw_pseudonym(names)
                names.add(name)
            result.append(name)
        return result


async def asked_for_mentor_each(session: AsyncSession, asks: Sequence[Ask]) -> list[bool]:
    """`asked_for_mentor` (anonymous.py) for each, in one statement."""
    rows = await session.execute(
        select(MentorRequest.user_id, func.max(MentorRequest.created_at))
        .where(
            MentorRequest.user_id.in_({ask.user_id for ask in asks}),
            MentorRequest.created_at > min(ask.now for ask in asks) - HOLD_BACK[1],
        )
        .group_by(MentorRequest.user_id)
    )
    latest: dict[int, datetime] = {int(user_id): at for user_id, at in rows}
    return [
        (at := latest.get(ask.user_id)) is not None and at > ask.now - HOLD_BACK[1] for ask in asks
    ]
