"""Keeping only what is needed: the daily retention job, server purges, key rotation.

The retention job runs on the shared scheduler once a day. Each feature's hook
(bot/services/features.py) expires its own rows, purges what a departed server left and
rewrites its encrypted values on key rotation; the job itself deletes settled scheduler
deliveries and departed servers. What goes:
- reminders 30 days after their date, with their deliveries;
- settled scheduler deliveries after 30 days;
- meeting RSVPs, check-ins and anonymous posts after the server's retention period
  (DEFAULT_RETENTION_DAYS for check-ins made in DMs); a check-in's exact time is encrypted,
  so rows of the week the period ends in are opened to decide;
- pauses on anonymous posting once they have ended;
- questionnaires left unfinished for a day, and measure scores after a year;
- everything about a server 30 days after it removed Muster (the grace period);
- audit entries after a year.
The member's own journal (the medication log, the taper plan and its symptom checks, the
sobriety counter) stays until they delete it; key rotation (`reencrypt`) rewrites all of it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import CheckinProfile, Guild, GuildSettings, Occurrence
from bot.keys import KEY_BYTES, Keyring
from bot.scheduling import PENDING, TERMINAL, Delivery, Due, JobKind, Scheduler
from bot.services import key_checks
from bot.services.checkins import Spool
from bot.services.crypto import UnreadableError, decrypt_or_none, encrypt, key_id_of, seal
from bot.services.feature_data import Expiring, PurgingGuild, Reencrypting, rowcount
from bot.services.features import feature_hooks
from bot.services.ownership import OWNER_SIZES, Owners, owner_context

SETTLED_DELIVERIES_KEPT = timedelta(days=30)
GUILD_GRACE = timedelta(days=30)
RETENTION_JOB = JobKind("job", "job", job="retention")  # "job:retention": the daily run
JOB_SOURCE = RETENTION_JOB.source()
RUN_AT = time(3, 30)  # UTC, a quiet hour


@dataclass(frozen=True)
class RotationReport:
    reencrypted: int
    already_current: int
    unreadable: int


class RetentionService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, keyring: Keyring, spool: Spool | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._spool = spool  # held check-ins (R29): re-sealed with everything else
        self._hooks = feature_hooks(keyring)

    async def ensure_scheduled(self) -> None:
        """At start-up: the daily job exists exactly once."""
        async with self._sessions.begin() as session:
            pending = await session.scalar(
                select(Occurrence.id).where(
                    Occurrence.source == JOB_SOURCE, Occurrence.state == PENDING
                )
            )
            if pending is None:
                await Scheduler.add(
                    session,
                    source=JOB_SOURCE,
                    kind=RETENTION_JOB.name,
                    due_at=self._next_run(),
                    payload={},
                )

    def _next_run(self) -> datetime:
        now = self._clock.now()
        today = datetime.combine(now.date(), RUN_AT, tzinfo=now.tzinfo)
        return today if today > now else today + timedelta(days=1)

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        """The scheduler's handler for the daily job; it also books tomorrow's run."""
        removed = await self.run(now)
        async with self._sessions.begin() as session:
            await Scheduler.add(
                session,
                source=JOB_SOURCE,
                kind=RETENTION_JOB.name,
                due_at=self._next_run(),
                payload={},
            )
        summary = (
            ", ".join(f"{count} {name}" for name, count in removed.items() if count) or "nothing"
        )
        return Delivery("sent", f"removed {summary}"[:200])

    async def run(self, now: datetime) -> dict[str, int]:
        removed: dict[str, int] = {}
        async with self._sessions.begin() as session:
            retention = await _retention_by_guild(session)
            for hook in self._hooks:
                if isinstance(hook, Expiring):
                    removed.update(await hook.expire(session, now, retention))
            # After the features': what they removed took its own deliveries with it.
            settled = await session.execute(
                delete(Occurrence).where(
                    Occurrence.state.in_(TERMINAL),
                    Occurrence.settled_at < now - SETTLED_DELIVERIES_KEPT,
                )
            )
            removed["old deliveries"] = rowcount(settled)
            departed = list(
                await session.scalars(
                    select(Guild.guild_id).where(Guild.left_at < now - GUILD_GRACE)
                )
            )
        for guild_id in departed:
            await self.purge_guild(guild_id)
        removed["servers"] = len(departed)
        return removed

    async def purge_guild(self, guild_id: int) -> dict[str, int]:
        """Everything Muster holds for one server, at once (the operator's command, or after
        the grace period). Members' own reminders and settings are theirs, and stay."""
        counts: dict[str, int] = {}
        async with self._sessions.begin() as session:
            for hook in self._hooks:
                if isinstance(hook, PurgingGuild):
                    counts.update(await hook.purge_guild(session, guild_id))
            for model in (GuildSettings, Guild):
                result = await session.execute(delete(model).where(model.guild_id == guild_id))
                counts[model.__tablename__] = rowcount(result)
        return counts

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

    async def rotate_pseudonym_key(self) -> tuple[Keyring, int]:
        """A new pseudonym key, and how many tags it will recompute (remembered sharing
        choices; nothing else is derived from that key but short-lived request digests).
        Rows moved from before migration 0012 stay findable: the old key is kept as the
        legacy member key, which alone unlocks nothing. Save the keyring, then
        `apply_pseudonym_key` it."""
        old = self._keyring
        new = replace(
            old,
            pseudonym_key=secrets.token_bytes(KEY_BYTES),
            legacy_member_key=old.legacy_member_key or old.pseudonym_key,
        )
        async with self._sessions() as session:
            profiles = await session.scalar(select(func.count()).select_from(CheckinProfile))
        return new, int(profiles or 0)

    async def apply_pseudonym_key(self, new: Keyring) -> int:
        """Every tag recomputed under `new`'s pseudonym key, in one transaction; nothing
        changes if a tag's owner cannot be opened."""
        owners_old, owners_new = Owners(self._keyring), Owners(new)
        retagged = 0
        async with self._sessions.begin() as session:
            for row in await session.scalars(select(CheckinProfile)):
                identity = owners_old.identity_of("checkin_profiles", row.owner)
                if identity is None:
                    raise UnreadableError(
                        "a row of checkin_profiles no configured key opens; nothing was changed"
                    )
                row.tag = owners_new.tag("share", row.guild_id, identity)
                retagged += 1
            await key_checks.replace_pseudonym_checks(session, new, self._clock)
        return retagged


async def _retention_by_guild(session: AsyncSession) -> Mapping[int, int]:
    return {
        guild_id: days
        for guild_id, days in (
            await session.execute(select(GuildSettings.guild_id, GuildSettings.retention_days))
        ).all()
        if days is not None
    }
