"""Keys checked at start (R28).

For each configured key the database keeps a check value: an HMAC-SHA256 of a fixed label
under the key, which says whether a key is the same one without revealing it. The first start
records them (after checking that each encryption key opens what is already stored under
its id, for data written before check values existed); a start whose keys differ from the
recorded ones, or lacks a key the data was written with, is refused with one sentence,
before anything else. A key added for rotation is recorded when first seen; `reencrypt`
forgets the keys no data uses any more. Check-ins held in the local spool (R29) count as
stored data: a start without the key one of them is sealed with is refused too, or it would
be lost.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory, insert_for
from bot.db.models import (
    Checkin,
    KeyCheck,
    MedicationChange,
    ProviderQuestion,
    Reminder,
)
from bot.errors import ConfigError
from bot.keys import Keyring
from bot.services.checkins import NOTE_CONTEXT, Spool, details_context
from bot.services.crypto import UnreadableError, decrypt, key_id_of
from bot.services.packet.questions import text_context as question_context
from bot.services.reminders import text_context as reminder_context

CHECK_LABEL = b"muster key check v1"
PSEUDONYM = "pseudonym"
ENCRYPTION = "encryption"
_PSEUDONYM_ID = "-"  # there is one pseudonym key
_LEGACY_ID = "legacy"  # and, after rotate-pseudonym-key, the one rows before 0012 were keyed with

KeyName = tuple[str, str]  # (kind, key id)


def check_value(key: bytes) -> str:
    return hmac.new(key, CHECK_LABEL, hashlib.sha256).hexdigest()


def configured_checks(keyring: Keyring) -> dict[KeyName, str]:
    checks = {(PSEUDONYM, _PSEUDONYM_ID): check_value(keyring.pseudonym_key)}
    if keyring.legacy_member_key is not None:
        checks[(PSEUDONYM, _LEGACY_ID)] = check_value(keyring.legacy_member_key)
    for key_id, key in keyring.encryption_keys.items():
        checks[(ENCRYPTION, key_id)] = check_value(key)
    return checks


def _describe(name: KeyName) -> str:
    kind, key_id = name
    if kind == PSEUDONYM:
        return "the legacy member key" if key_id == _LEGACY_ID else "the pseudonym key"
    return f"encryption key {key_id!r}"


def mismatches(stored: dict[KeyName, str], configured: dict[KeyName, str]) -> list[str]:
    """What is wrong with the configured keys, given the recorded check values."""
    problems = []
    for name, value in sorted(stored.items()):
        mine = configured.get(name)
        if mine is None:
            problems.append(f"{_describe(name)}, which stored data was written with, is missing")
        elif not hmac.compare_digest(mine, value):
            problems.append(f"{_describe(name)} is not the one the stored data was written with")
    return problems


def refusal(problems: list[str]) -> str:
    return (
        f"The configured keys do not match this database ({'; '.join(problems)}); restore the "
        "key file the data was written with (MUSTER_KEY_FILE), or Muster could not read it."
    )


async def stored_checks(session: AsyncSession) -> dict[KeyName, str]:
    rows = await session.execute(select(KeyCheck.kind, KeyCheck.key_id, KeyCheck.check_value))
    return {(kind, key_id): value for kind, key_id, value in rows.all()}


def spool_mismatches(spool: Spool | None, keyring: Keyring) -> list[str]:
    """Held check-ins sealed with a key that is not configured: they could not be saved."""
    if spool is None:
        return []
    return [
        f"encryption key {key_id!r}, which {count} held check-in(s) in {spool.folder} "
        "are sealed with, is missing (put it back and start Muster once to save them, or "
        "run `reencrypt` with it present)"
        for key_id, count in sorted(spool.key_ids().items())
        if key_id not in keyring.encryption_keys
    ]


async def verify_and_record(
    sessions: SessionFactory, keyring: Keyring, clock: Clock, spool: Spool | None = None
) -> None:
    """Refuse keys that differ from the recorded ones, or that cannot open what `spool`
    holds (ConfigError); record any new ones."""
    configured = configured_checks(keyring)
    async with sessions.begin() as session:
        stored = await stored_checks(session)
        problems = mismatches(stored, configured) + spool_mismatches(spool, keyring)
        if problems:
            raise ConfigError(refusal(problems))
        new = {name: value for name, value in configured.items() if name not in stored}
        if not new:
            return
        # Data written before check values existed: a key seen for the first time must open
        # what is stored under its id.
        for kind, key_id in new:
            if kind == ENCRYPTION and await _fails_on_stored_data(session, keyring, key_id):
                raise ConfigError(
                    refusal([f"encryption key {key_id!r} does not open the data stored under it"])
                )
        now = clock.now()
        await session.execute(
            insert_for(session)(KeyCheck)
            .values([
                {"kind": kind, "key_id": key_id, "check_value": value, "recorded_at": now}
                for (kind, key_id), value in new.items()
            ])
            .on_conflict_do_nothing(index_elements=["kind", "key_id"])
        )  # fmt: skip
        # Another process may have recorded different keys at the same moment.
        problems = mismatches(await stored_checks(session), configured)
    if problems:
        raise ConfigError(refusal(problems))


SAMPLE_ROWS = 20


async def _fails_on_stored_data(session: AsyncSession, keyring: Keyring, key_id: str) -> bool:
    """True when values stored under `key_id` exist and the configured key opens none."""
    samples: list[tuple[bytes, str]] = []
    reminders = await session.execute(
        select(Reminder.id, Reminder.text_encrypted).order_by(Reminder.id.desc()).limit(SAMPLE_ROWS)
    )
    samples += [(blob, reminder_context(row_id)) for row_id, blob in reminders.all()]
    notes = await session.execute(
        select(Checkin.request_digest, Checkin.note).order_by(Checkin.id.desc()).limit(SAMPLE_ROWS)
    )
    samples += [(blob, NOTE_CONTEXT.format(digest=digest)) for digest, blob in notes.all()]
    changes = await session.execute(
        select(MedicationChange.request_digest, MedicationChange.details_encrypted)
        .order_by(MedicationChange.id.desc())
        .limit(SAMPLE_ROWS)
    )
    samples += [(blob, details_context(digest)) for digest, blob in changes.all()]
    questions = await session.execute(
        select(ProviderQuestion.request_digest, ProviderQuestion.text_encrypted)
        .order_by(ProviderQuestion.id.desc())
        .limit(SAMPLE_ROWS)
    )
    samples += [(blob, question_context(digest)) for digest, blob in questions.all()]
    tried = opened = 0
    for blob, context in samples:
        try:
            if key_id_of(blob) != key_id:
                continue
            tried += 1
            decrypt(keyring, blob, context=context)
            opened += 1
        except UnreadableError:
            continue
    return tried > 0 and opened == 0


async def replace_pseudonym_checks(session: AsyncSession, keyring: Keyring, clock: Clock) -> None:
    """After rotate-pseudonym-key, in its transaction: the new pseudonym key's check values
    take the old ones' place."""
    await session.execute(delete(KeyCheck).where(KeyCheck.kind == PSEUDONYM))
    now = clock.now()
    for (kind, key_id), value in configured_checks(keyring).items():
        if kind == PSEUDONYM:
            session.add(KeyCheck(kind=kind, key_id=key_id, check_value=value, recorded_at=now))


async def forget_retired(sessions: SessionFactory, keyring: Keyring) -> None:
    """After every value is under the current key, the older keys may be removed from the
    configuration: stop requiring them."""
    async with sessions.begin() as session:
        await session.execute(
            delete(KeyCheck).where(
                KeyCheck.kind == ENCRYPTION, KeyCheck.key_id != keyring.current_key_id
            )
        )
