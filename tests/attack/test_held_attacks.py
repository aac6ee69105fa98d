"""Red-team attack on R29/R28: a check-in the member was told is held, then the documented
key rotation (add a new current key, `reencrypt`, remove the old key as it says).

The promise: a held check-in survives a stop and the rotation, and is saved exactly once by
a bot that starts without the old key (the rotation re-sealed it)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.errors import ConfigError
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services import key_checks
from bot.services.checkins import CheckinService, Spool
from bot.services.key_rotation import KeyRotation
from tests.conftest import database_unavailable, eventually
from tests.test_held_checkins import draft, held_files, stored


async def test_a_held_checkin_survives_the_documented_key_rotation(
    make_settings: Any, sessions: SessionFactory, clock: FakeClock, tmp_path: Path
) -> None:
    settings: Settings = make_settings()
    old = Keyring.generate("k1")
    await key_checks.verify_and_record(sessions, old, clock)  # the first start
    folder = tmp_path / "spool"
    spool = Spool(folder, old)
    spool.open()
    first = CheckinService(sessions, clock, old, Scheduler(sessions, clock), spool)
    first.save_wait = first.decide_budget = 0.5
    async with database_unavailable(settings):
        result = await first.submit(draft(), None)
        assert result.held  # the member hears "I'm holding on to it"
        await first.close()  # the process stops with the database still busy
    assert len(held_files(folder)) == 1

    # The operator rotates, as `python -m bot reencrypt` does: record the new key, rewrite
    # every value (the spool folder is the one the bot uses), and (nothing unreadable) stop
    # requiring the old one.
    new_key = secrets.token_bytes(32)
    rotating = Keyring(old.pseudonym_key, {"k2": new_key, **old.encryption_keys}, "k2")
    await key_checks.verify_and_record(sessions, rotating, clock, Spool(folder, rotating))
    report = await KeyRotation(sessions, clock, rotating, Spool(folder, rotating)).reencrypt()
    assert report.unreadable == 0
    await key_checks.forget_retired(sessions, rotating)
    # "The older keys are no longer needed and can be removed from the key file."
    only_new = Keyring(old.pseudonym_key, {"k2": new_key}, "k2")

    # The start's key check, as `run` makes it. The rotation resealed the held check-in, so
    # the bot starts without k1; a refusal here means the rotation left it sealed with k1.
    try:
        await key_checks.verify_and_record(sessions, only_new, clock, Spool(folder, only_new))
    except ConfigError as refused:
        pytest.fail(f"the documented rotation left the held check-in unreadable: {refused}")
    restarted = CheckinService(
        sessions, clock, only_new, Scheduler(sessions, clock), Spool(folder, only_new)
    )
    replayed = restarted.replay_held()
    if replayed != 1:
        await restarted.close()
    assert replayed == 1, (
        f"the bot started without k1, but the held check-in in {held_files(folder)} is "
        "sealed with k1: it cannot be read, and is never saved"
    )

    async def saved() -> bool:
        return await stored(sessions) == 1

    try:
        await eventually(saved, timeout=5, what="the held check-in to be saved")
    finally:
        await restarted.close()
    assert held_files(folder) == []
